// SPDX-License-Identifier: Apache-2.0
// Provider `recorded`: reading an outputs file (one JSON object per line), looking a result's
// line up, and the provider entry that refuses to build requests.
//
// Option: `path` (required), the JSON Lines file, relative to the config file's folder.
// Lines are checked strictly, like a config: a misspelt "prompt" would otherwise silently
// apply one output to every prompt.
#include "provider/providers/recorded.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <mutex>
#include <system_error>

#include <fmt/format.h>

#include "promptbench/dataset.hpp"
#include "util/json_type.hpp"
#include "util/text.hpp"

namespace promptbench::providers {

namespace {

const std::vector<std::string> kLineFields = {"id",         "output",  "prompt", "repeat",
                                              "latency_ms", "ttft_ms", "usage"};
/// The report's usage, and OpenAI's (whose total_tokens is the sum, not needed).
const std::vector<std::string> kUsageFields = {"prompt_tokens", "completion_tokens",
                                               "total_tokens"};

/// Reads one line's fields; every failure names the file, the line and the field.
class LineReader {
 public:
  LineReader(const nlohmann::json& line, SourceLocation where)
      : m_line(line), m_where(std::move(where)) {}

  [[noreturn]] void fail(const std::string& message) const {
    throw UserError(SourceLocation{m_where.file, m_where.line, 0}, "", message);
  }

  void allow_only(const nlohmann::json& object, const std::vector<std::string>& known,
                  const std::string& prefix) const {
    for (const auto& [key, value] : object.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        fail(fmt::format("unknown field \"{}{}\"{}", prefix, key, util::did_you_mean(key, known)));
      }
    }
  }

  [[nodiscard]] const nlohmann::json* find(const char* key) const {
    const auto found = m_line.find(key);
    return found == m_line.end() ? nullptr : &*found;
  }

  [[nodiscard]] const nlohmann::json& require(const char* key) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr) {
      fail(fmt::format("missing field \"{}\"", key));
    }
    return *value;
  }

  [[noreturn]] void wrong_type(const std::string& field, const char* expected,
                               const nlohmann::json& value) const {
    fail(fmt::format("field \"{}\" must be {}, got {}", field, expected,
                     util::json_type_name(value)));
  }

  /// The case id: a non-empty string, or a number kept as its JSON text (as the dataset
  /// keeps a number id, so `7` and the dataset's `7` agree).
  [[nodiscard]] std::string id() const {
    const nlohmann::json& id = require("id");
    if (id.is_number()) {
      return id.dump();
    }
    if (!id.is_string() || id.get_ref<const std::string&>().empty()) {
      wrong_type("id", "a non-empty string or a number", id);
    }
    return id.get<std::string>();
  }

  [[nodiscard]] std::optional<double> duration(const char* key) const {
    const nlohmann::json* value = find(key);
    if (value == nullptr || value->is_null()) {
      return std::nullopt;
    }
    if (!value->is_number() || !std::isfinite(value->get<double>()) || value->get<double>() < 0) {
      wrong_type(key, "a number of milliseconds, 0 or more", *value);
    }
    return value->get<double>();
  }

  [[nodiscard]] std::optional<std::int64_t> count(const nlohmann::json& value,
                                                  const std::string& field) const {
    if (value.is_null()) {
      return std::nullopt;
    }
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      wrong_type(field, "a whole number, 0 or more", value);
    }
    return value.get<std::int64_t>();
  }

  [[nodiscard]] Usage usage() const {
    const nlohmann::json* usage = find("usage");
    if (usage == nullptr || usage->is_null()) {
      return {};
    }
    if (!usage->is_object()) {
      wrong_type("usage", "an object {prompt_tokens, completion_tokens}", *usage);
    }
    allow_only(*usage, kUsageFields, "usage.");
    Usage out;
    if (const auto prompt = usage->find("prompt_tokens"); prompt != usage->end()) {
      out.prompt_tokens = count(*prompt, "usage.prompt_tokens");
    }
    if (const auto completion = usage->find("completion_tokens"); completion != usage->end()) {
      out.completion_tokens = count(*completion, "usage.completion_tokens");
    }
    return out;
  }

  [[nodiscard]] RecordedOutput read() const {
    allow_only(m_line, kLineFields, "");
    RecordedOutput out;
    out.where = m_where;
    out.case_id = id();
    const nlohmann::json& output = require("output");
    if (!output.is_string()) {
      wrong_type("output", "a string", output);
    }
    out.output = output.get<std::string>();
    if (const nlohmann::json* prompt = find("prompt")) {
      if (!prompt->is_string() || prompt->get_ref<const std::string&>().empty()) {
        wrong_type("prompt", "a prompt id (a non-empty string)", *prompt);
      }
      out.prompt = prompt->get<std::string>();
    }
    if (const nlohmann::json* repeat = find("repeat")) {
      if (const std::optional<std::int64_t> value = count(*repeat, "repeat")) {
        out.repeat = static_cast<std::size_t>(*value);
      }
    }
    out.latency_ms = duration("latency_ms");
    out.ttft_ms = duration("ttft_ms");
    out.usage = usage();
    return out;
  }

 private:
  const nlohmann::json& m_line;
  SourceLocation m_where;
};

/// "case 'q1'", "case 'q1' (prompt 'terse', repeat 2)": a line's key, for messages.
std::string describe_key(const RecordedOutput& line) {
  std::vector<std::string> parts;
  if (line.prompt) {
    parts.push_back(fmt::format("prompt '{}'", *line.prompt));
  }
  if (line.repeat) {
    parts.push_back(fmt::format("repeat {}", *line.repeat));
  }
  std::string out = fmt::format("case '{}'", line.case_id);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? " (" : ", ") + parts[i];
  }
  return parts.empty() ? out : out + ")";
}

bool same_key(const RecordedOutput& a, const RecordedOutput& b) {
  return a.case_id == b.case_id && a.prompt == b.prompt && a.repeat == b.repeat;
}

}  // namespace

RecordedOutputs RecordedOutputs::read(std::unique_ptr<std::istream> in,
                                      const std::string& display_path) {
  RecordedOutputs outputs;
  outputs.m_display_path = display_path;
  const std::unique_ptr<RowReader> rows = make_jsonl_reader(std::move(in), display_path);
  while (std::optional<nlohmann::json> row = rows->next()) {
    RecordedOutput line = LineReader(*row, rows->where()).read();
    std::vector<std::size_t>& same_case = outputs.m_by_case[line.case_id];
    for (const std::size_t earlier : same_case) {
      const RecordedOutput& first = outputs.m_lines[earlier];
      if (same_key(first, line)) {
        throw UserError(SourceLocation{display_path, line.where.line, 0}, "",
                        fmt::format("a second output for {} (the first is on line {})",
                                    describe_key(line), first.where.line));
      }
    }
    same_case.push_back(outputs.m_lines.size());
    outputs.m_lines.push_back(std::move(line));
  }
  return outputs;
}

const RecordedOutput* RecordedOutputs::find(const std::string& case_id,
                                            const std::string& prompt_id,
                                            std::size_t repeat) const {
  const auto lines = m_by_case.find(case_id);
  if (lines == m_by_case.end()) {
    return nullptr;
  }
  const RecordedOutput* best = nullptr;
  int best_rank = -1;
  for (const std::size_t index : lines->second) {
    const RecordedOutput& line = m_lines[index];
    if ((line.prompt && *line.prompt != prompt_id) || (line.repeat && *line.repeat != repeat)) {
      continue;
    }
    // Naming the prompt is more specific than naming the repeat; keys are unique, so ranks
    // never tie.
    const int rank = (line.prompt ? 2 : 0) + (line.repeat ? 1 : 0);
    if (rank > best_rank) {
      best = &line;
      best_rank = rank;
    }
  }
  return best;
}

Completion completion_of(const RecordedOutput& line) {
  Completion completion;
  completion.text = line.output;
  completion.usage = line.usage;
  completion.latency_ms = line.latency_ms.value_or(0);
  completion.ttft_ms = line.ttft_ms;
  return completion;
}

RecordedFile recorded_file(const ProviderConfig& config) {
  const std::string written = config.options.value("path", std::string());
  const std::filesystem::path config_dir = std::filesystem::path(config.where.file).parent_path();
  if (std::filesystem::path(written).is_absolute() || config_dir.empty()) {
    return {written, written};
  }
  const std::filesystem::path path = (config_dir / written).lexically_normal();
  return {path, path.string()};
}

std::shared_ptr<const RecordedOutputs> load_recorded_outputs(const ProviderConfig& config) {
  const RecordedFile file = recorded_file(config);
  const auto fail = [&](const std::string& message) {
    return UserError(config.where, config.field + ".path", message);
  };
  std::error_code error;
  const auto size = std::filesystem::file_size(file.path, error);
  const auto modified = std::filesystem::last_write_time(file.path, error);
  if (error) {
    throw fail(fmt::format("recorded outputs file '{}' not found", file.display));
  }
  struct Loaded {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified;
    std::shared_ptr<const RecordedOutputs> outputs;
  };
  static std::mutex mutex;
  static std::map<std::string, Loaded> loaded;  // by path: a changed file replaces its entry
  const std::lock_guard<std::mutex> lock(mutex);
  Loaded& entry = loaded[file.path.string()];
  if (entry.outputs == nullptr || entry.size != size || entry.modified != modified) {
    auto in = std::make_unique<std::ifstream>(file.path, std::ios::binary);
    if (!*in) {
      throw fail(fmt::format("cannot read recorded outputs file '{}'", file.display));
    }
    entry = Loaded{size, modified,
                   std::make_shared<const RecordedOutputs>(
                       RecordedOutputs::read(std::move(in), file.display))};
  }
  return entry.outputs;
}

RecordedProvider::RecordedProvider(const ProviderConfig& config)
    : Provider(config), m_outputs(load_recorded_outputs(config)) {}

HttpRequest RecordedProvider::build_request(const RenderedPrompt& /*prompt*/,
                                            const nlohmann::json& /*vars*/) const {
  throw UserError(config().where, config().field,
                  fmt::format("provider '{}' is recorded: it sends no request; its outputs "
                              "come from {}",
                              config().id, m_outputs->display_path()));
}

tl::expected<Completion, RequestError> RecordedProvider::parse_success(
    const HttpResponse& /*response*/) const {
  return tl::unexpected(
      RequestError{ErrorKind::bad_response, 0, "a recorded provider reads no responses", false});
}

const RecordedProvider* as_recorded(const Provider& provider) {
  return dynamic_cast<const RecordedProvider*>(&provider);
}

std::unique_ptr<Provider> make_recorded(const ProviderConfig& config) {
  return std::make_unique<RecordedProvider>(config);
}

void validate_recorded(const ProviderOptions& options) {
  options.allow_only({"path"});
  const auto path = options.raw().find("path");
  if (path == options.raw().end()) {
    throw OptionError("", "missing required field 'path' (the JSON Lines file of outputs)");
  }
  if (!path->is_string() || path->get_ref<const std::string&>().empty()) {
    throw OptionError("path", fmt::format("expected a file path (a non-empty string), got {}",
                                          util::json_type_name(*path)));
  }
}

}  // namespace promptbench::providers
