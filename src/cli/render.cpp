// SPDX-License-Identifier: Apache-2.0
// `promptbench render`: print the request body for one prompt and case, exactly as `eval`
// would send it (so it can be piped to jq or replayed with curl).
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "promptbench/cli.hpp"
#include "promptbench/config.hpp"
#include "promptbench/dataset.hpp"
#include "promptbench/prompt.hpp"
#include "promptbench/provider.hpp"
#include "promptbench/redact.hpp"
#include "util/text.hpp"

namespace promptbench::cli {

namespace {

struct RenderOptions {
  std::string config;
  std::string prompt;
  std::string provider;
  std::string case_ref = "1";
  bool text = false;
};

/// The case whose id is `ref`, else the case at 1-based position `ref`.
Case find_case(const Config& config, const std::string& ref) {
  CaseReader rows(config.dataset);
  std::optional<Case> by_position;
  std::size_t position = 0;
  try {
    position = std::stoul(ref);
  } catch (const std::exception&) {
  }
  while (std::optional<Case> row = rows.next()) {
    if (row->id == ref) {
      return *row;
    }
    if (row->index + 1 == position) {
      by_position = std::move(row);
    }
  }
  if (by_position) {
    return *by_position;
  }
  throw UserError(fmt::format("--case {}: no case with that id or row number in {}", ref,
                              config.dataset.display_path));
}

template <typename Item>
const Item& find_by_id(const std::vector<Item>& items, const std::string& id, const char* flag) {
  if (id.empty()) {
    return items.front();
  }
  std::vector<std::string> ids;
  for (const auto& item : items) {
    if (item.id == id) {
      return item;
    }
    ids.push_back(item.id);
  }
  throw UserError(fmt::format("{} '{}' matches no {} in the config{}", flag, id, flag + 2,
                              util::did_you_mean(id, ids)));
}

int run_render(const RenderOptions& options) {
  const Config config = load_config(resolve_config_path(options.config));
  const PromptConfig& prompt = find_by_id(config.prompts, options.prompt, "--prompt");
  ProviderConfig provider =
      provider_for_prompt(find_by_id(config.providers, options.provider, "--provider"), prompt);
  provider.api_key_env.clear();  // the body never holds the key; don't require it here
  const Case row = find_case(config, options.case_ref);
  const RenderedPrompt rendered = PromptTemplate(prompt).render(row);
  if (options.text) {
    for (const auto& message : rendered.messages) {
      std::cout << redact("[" + message.role + "]\n" + message.content) << "\n";
    }
    return kExitOk;
  }
  std::cout << redact(make_provider(provider)->build_request(rendered, row.vars).body) << "\n";
  return kExitOk;
}

}  // namespace

void setup_render(CLI::App& app, CommandState& state) {
  auto options = std::make_shared<RenderOptions>();
  CLI::App* render = app.add_subcommand(
      "render", "Print the request body for one prompt and case exactly as it would be sent");
  render->add_option("config", options->config, "Config file (default: promptbench.yaml here)");
  render->add_option("--prompt", options->prompt, "Prompt id (default: the first)");
  render->add_option("--provider", options->provider, "Provider id (default: the first)");
  render->add_option("--case", options->case_ref, "Case id or 1-based row number")
      ->capture_default_str();
  render->add_flag("--text", options->text, "Print the filled messages instead of the body");
  render->callback([options, &state] { state.exit_code = run_render(*options); });
}

}  // namespace promptbench::cli
