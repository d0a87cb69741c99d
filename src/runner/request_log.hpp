// SPDX-License-Identifier: Apache-2.0
// The -v request log: one line per finished request, "case c7 chat/local: HTTP 200 in
// 12.3 ms", "case c7 chat/local judge grader: failed (3 attempts): timeout: ...".
#pragma once

#include <functional>
#include <string>

#include <tl/expected.hpp>

#include "runner/broker.hpp"
#include "runner/scoring.hpp"

namespace promptbench {

/// Writes the line of `reply` to `log`; does nothing (formats nothing) without a log.
/// `source` is "" for a variant's request, "judge ID" for a judge's.
void log_request(const std::function<void(const std::string&)>& log, const ResultPlace& place,
                 const std::string& source, const Reply& reply,
                 const tl::expected<Completion, RequestError>& completion);

}  // namespace promptbench
