// SPDX-License-Identifier: Apache-2.0
// Base64 (RFC 4648, with padding) through OpenSSL: the HTML report's compressed case blocks
// and its Content-Security-Policy hashes.
#pragma once

#include <string>
#include <string_view>

namespace promptbench::util {

/// `bytes` as base64, without line breaks.
[[nodiscard]] std::string base64(std::string_view bytes);

}  // namespace promptbench::util
