// SPDX-License-Identifier: Apache-2.0
// Factories of the built-in providers, one file each; listed in src/provider/registry.cpp.
#pragma once

#include <memory>

#include "promptbench/provider.hpp"

namespace promptbench::providers {

[[nodiscard]] std::unique_ptr<Provider> make_openai(const ProviderConfig& config);

/// The server's own error text from an error response body: `error.message` (OpenAI,
/// Anthropic), `error` as a string, or `message`; else the start of the body.
[[nodiscard]] std::string server_error_message(const std::string& body);

}  // namespace promptbench::providers
