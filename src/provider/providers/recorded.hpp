// SPDX-License-Identifier: Apache-2.0
// Provider `recorded`: outputs produced elsewhere, read from a JSON Lines file and scored
// like a model's answers. It sends no request: the run answers its results itself from the
// file (src/runner/run.cpp), and the pre-flight pass checks every line against the dataset.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "promptbench/provider.hpp"

namespace promptbench::providers {

/// The registry's name of the type.
inline constexpr const char* kRecordedType = "recorded";

/// One line of an outputs file: `{"id", "output"}`, optionally `"prompt"`, `"repeat"`,
/// `"latency_ms"`, `"ttft_ms"` and `"usage": {"prompt_tokens", "completion_tokens"}`.
struct RecordedOutput {
  std::string case_id;  ///< a number id is kept as its JSON text, as the dataset keeps it
  /// The prompt this output answers; nullopt: every prompt run on this provider.
  std::optional<std::string> prompt;
  /// The sample (0-based, as the report's `repeat`); nullopt: every repeat.
  std::optional<std::size_t> repeat;
  std::string output;
  std::optional<double> latency_ms;
  std::optional<double> ttft_ms;
  Usage usage;
  SourceLocation where;  ///< file:line of the line
};

/// The lines of one outputs file, looked up by case.
class RecordedOutputs {
 public:
  /// Reads every line of `in` (JSON Lines: blank lines skipped, a BOM and CRLF allowed);
  /// `display_path` names the file in messages. Throws UserError at `display_path:LINE` for
  /// malformed JSON, a line that is not an object, a missing, unknown or mistyped field, and a
  /// second line for the same case, prompt and repeat.
  static RecordedOutputs read(std::unique_ptr<std::istream> in, const std::string& display_path);

  /// The line answering repeat `repeat` of prompt `prompt_id` on case `case_id`: the most
  /// specific one (naming prompt and repeat, then the prompt, then the repeat, then neither);
  /// null when the file has none.
  [[nodiscard]] const RecordedOutput* find(const std::string& case_id, const std::string& prompt_id,
                                           std::size_t repeat) const;
  /// Every line, in file order.
  [[nodiscard]] const std::vector<RecordedOutput>& lines() const { return m_lines; }
  [[nodiscard]] const std::string& display_path() const { return m_display_path; }

 private:
  std::string m_display_path;
  std::vector<RecordedOutput> m_lines;
  std::unordered_map<std::string, std::vector<std::size_t>> m_by_case;  ///< line indices
};

/// The completion a recorded line stands for: its output, usage and times (latency 0 when the
/// line has none; the runner then leaves the result's latency out).
[[nodiscard]] Completion completion_of(const RecordedOutput& line);

/// Where a recorded provider's `path` is: relative to the config file's folder, and as
/// messages name it (through the config's folder as the user gave it, like the dataset).
struct RecordedFile {
  std::filesystem::path path;
  std::string display;
};
[[nodiscard]] RecordedFile recorded_file(const ProviderConfig& config);

/// The outputs file of a recorded provider, read once per version of the file (size and
/// modification time) in this process: the pre-flight pass and the run share one copy.
/// Throws UserError when the file cannot be read or a line is wrong.
[[nodiscard]] std::shared_ptr<const RecordedOutputs> load_recorded_outputs(
    const ProviderConfig& config);

/// A provider that answers from a file. build_request() throws: nothing may send its requests.
class RecordedProvider final : public Provider {
 public:
  explicit RecordedProvider(const ProviderConfig& config);

  /// Throws UserError: a recorded provider has no request to build (`render` says so).
  [[nodiscard]] HttpRequest build_request(const RenderedPrompt& prompt,
                                          const nlohmann::json& vars) const override;
  [[nodiscard]] const RecordedOutputs& outputs() const { return *m_outputs; }

 protected:
  [[nodiscard]] tl::expected<Completion, RequestError> parse_success(
      const HttpResponse& response) const override;

 private:
  std::shared_ptr<const RecordedOutputs> m_outputs;
};

/// The recorded provider of `provider`, or null when it is of another type.
[[nodiscard]] const RecordedProvider* as_recorded(const Provider& provider);

[[nodiscard]] std::unique_ptr<Provider> make_recorded(const ProviderConfig& config);
/// recorded: `path` (required, a string); any other own key is an error.
void validate_recorded(const ProviderOptions& options);

}  // namespace promptbench::providers
