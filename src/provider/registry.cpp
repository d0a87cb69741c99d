// SPDX-License-Identifier: Apache-2.0
// The provider registry: one line per provider type.
#include <cstdlib>

#include <fmt/format.h>

#include "promptbench/provider.hpp"
#include "provider/providers/providers.hpp"

namespace promptbench {

const std::vector<ProviderInfo>& provider_registry() {
  static const std::vector<ProviderInfo> registry = {
      {"openai", "OpenAI chat completions (also vLLM, llama.cpp server, Ollama, LM Studio)",
       &providers::make_openai},
  };
  return registry;
}

std::unique_ptr<Provider> make_provider(const ProviderConfig& config) {
  for (const auto& info : provider_registry()) {
    if (config.type == info.type) {
      return info.make(config);
    }
  }
  throw UserError(config.where, "", fmt::format("unknown provider type '{}'", config.type));
}

namespace providers {

std::string server_error_message(const std::string& body) {
  const auto parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    if (auto error = parsed.find("error"); error != parsed.end()) {
      if (error->is_string()) {
        return error->get<std::string>();
      }
      if (error->is_object() && error->contains("message") && (*error)["message"].is_string()) {
        return (*error)["message"].get<std::string>();
      }
    }
    if (auto message = parsed.find("message"); message != parsed.end() && message->is_string()) {
      return message->get<std::string>();
    }
  }
  constexpr std::size_t kMaxShown = 200;
  return body.size() <= kMaxShown ? body : body.substr(0, kMaxShown) + "...";
}

}  // namespace providers

}  // namespace promptbench
