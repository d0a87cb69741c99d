// SPDX-License-Identifier: Apache-2.0
// Factories and option checks of the built-in providers, one file each; listed in
// src/provider/registry.cpp.
#pragma once

#include <memory>

#include "promptbench/provider.hpp"

namespace promptbench::providers {

[[nodiscard]] std::unique_ptr<Provider> make_openai(const ProviderConfig& config);
/// openai: `stream` and `idle_timeout` (openai.cpp); any other key is an error.
void validate_openai(const ProviderOptions& options);
[[nodiscard]] std::unique_ptr<Provider> make_anthropic(const ProviderConfig& config);
/// anthropic: `stream`, `idle_timeout`, `anthropic_version`, `max_tokens` (anthropic.cpp).
void validate_anthropic(const ProviderOptions& options);
[[nodiscard]] std::unique_ptr<Provider> make_http(const ProviderConfig& config);
/// http: `url`, `method`, `body` and `response` (see http_service.cpp).
void validate_http(const ProviderOptions& options);

}  // namespace promptbench::providers
