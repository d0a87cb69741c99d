// SPDX-License-Identifier: Apache-2.0
// The provider registry: one line per provider type. It alone decides which types exist;
// the config loader and make_provider both ask it.
#include <fmt/format.h>

#include "promptbench/provider.hpp"
#include "provider/providers/providers.hpp"
#include "provider/providers/recorded.hpp"
#include "util/text.hpp"

namespace promptbench {

const std::vector<ProviderInfo>& provider_registry() {
  static const std::vector<ProviderInfo> registry = {
      {"openai", "OpenAI chat completions (also vLLM, llama.cpp server, Ollama, LM Studio)",
       &providers::make_openai, &providers::validate_openai},
      {"anthropic", "Anthropic Messages API", &providers::make_anthropic,
       &providers::validate_anthropic, true, false, "ANTHROPIC_API_KEY"},
      {"http", "Any JSON service: a templated body, JSON pointers into the answer",
       &providers::make_http, &providers::validate_http, false, true},
      {"recorded", "Outputs produced elsewhere, read from a JSON Lines file: no model called",
       &providers::make_recorded, &providers::validate_recorded, false},
  };
  return registry;
}

const ProviderInfo& provider_type(const std::string& type) {
  std::vector<std::string> types;
  for (const auto& info : provider_registry()) {
    if (type == info.type) {
      return info;
    }
    types.emplace_back(info.type);
  }
  throw OptionError(
      "type", fmt::format("unknown provider type '{}'{}", type, util::did_you_mean(type, types)));
}

std::unique_ptr<Provider> make_provider(const ProviderConfig& config) {
  const ProviderInfo* info = nullptr;
  try {
    info = &provider_type(config.type);
  } catch (const OptionError& e) {
    throw UserError(config.where, config.field.empty() ? "" : config.field + ".type", e.what());
  }
  return info->make(config);
}

}  // namespace promptbench
