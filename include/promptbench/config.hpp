// SPDX-License-Identifier: Apache-2.0
// The evaluation config (README "Config"): what to send where, on which data, scored how.
// Loaded from YAML or JSON; every value keeps the location it came from so that later
// stages (templates, metrics, gates) can report errors at the right file:line:col.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "promptbench/error.hpp"
#include "promptbench/http.hpp"
#include "promptbench/slices.hpp"

namespace promptbench {

struct RateLimit {
  double rpm = 0;  ///< requests per minute; 0 = unlimited
  double tpm = 0;  ///< tokens per minute; 0 = unlimited
};

/// Prices in US dollars per million tokens, as providers list them (for `cost`).
struct Pricing {
  double prompt = 0;
  double completion = 0;
};

/// The keys every provider (and judge) entry accepts, checked by the config loader; any
/// other key is the provider type's own option, checked by its ProviderInfo::validate.
inline constexpr std::array<const char*, 15> kCommonProviderKeys = {
    "id",          "type",       "base_url",           "base_urls", "model",
    "api_key_env", "params",     "concurrency",        "timeout",   "connect_timeout",
    "retries",     "rate_limit", "max_response_bytes", "pricing",   "headers"};

/// A provider's limit on requests in flight when neither it nor a global limit says.
inline constexpr int kDefaultProviderConcurrency = 16;

struct ProviderConfig {
  std::string id;
  std::string type = "openai";  ///< a name in the provider registry
  std::string base_url;         ///< e.g. http://127.0.0.1:8080/v1; ${VAR:-default} expanded
  /// `base_urls:`, replicas of one model (vLLM pods): requests go to the least-loaded
  /// healthy one. `base_url` is the first of them; empty when the entry gave `base_url`.
  std::vector<std::string> base_urls;
  std::string model;
  std::string api_key_env;  ///< name of the environment variable holding the key
  nlohmann::json params = nlohmann::json::object();  ///< merged verbatim into the body
  /// `concurrency:`, requests in flight to this provider; unset: the global limit when -j or
  /// the config's `concurrency` sets one, else kDefaultProviderConcurrency (see
  /// plan_concurrency).
  std::optional<int> concurrency;
  std::chrono::milliseconds timeout{60'000};  ///< whole request
  std::chrono::milliseconds connect_timeout{10'000};
  int retries = 5;
  RateLimit rate_limit;
  std::size_t max_response_bytes = 16u << 20;  ///< larger responses are a recorded error
  std::optional<Pricing> pricing;              ///< for the cost metric and cost_usd
  /// `headers:`, added to every request, values ${VAR:-default} expanded; a value that took
  /// anything from the environment is secret (redacted, never part of a cache key).
  std::vector<HttpHeader> headers;
  /// The type's own keys (all but kCommonProviderKeys), as written; checked when the config
  /// loads by the type's ProviderInfo::validate.
  nlohmann::json options = nlohmann::json::object();
  SourceLocation where;           ///< of the provider's entry
  std::string field;              ///< "providers[0]", for messages
  SourceLocation base_url_where;  ///< of base_url, else of the entry
};

struct MessageTemplate {
  std::string role;
  std::string content;   ///< Mustache source
  SourceLocation where;  ///< of the content scalar
};

/// One output-extraction step, applied before scoring.
struct ExtractStep {
  enum class Kind { regex, json_pointer, trim, first_line };
  Kind kind = Kind::trim;
  std::string pattern;  ///< regex (RE2 syntax) or JSON pointer
  int group = 0;        ///< regex capture group; 0 = whole match
  bool last = false;    ///< regex: take the last match instead of the first
  SourceLocation where;
};
using ExtractConfig = std::vector<ExtractStep>;

struct PromptConfig {
  std::string id;
  /// Plain text (sent as one user message) when `messages` is empty.
  std::string text;
  SourceLocation text_where;  ///< where the template text starts (file or YAML scalar)
  std::vector<MessageTemplate> messages;
  std::optional<ExtractConfig> extract;  ///< overrides Config::extract for this prompt
  /// `params:`, merged over the params of every provider the prompt runs on (a JSON merge
  /// patch: a key here wins, null removes the provider's); empty: the provider's alone.
  nlohmann::json params = nlohmann::json::object();
  SourceLocation where;
};

/// The provider `provider` as it runs prompt `prompt`: its params with the prompt's merged
/// over them (see PromptConfig::params).
[[nodiscard]] ProviderConfig provider_for_prompt(const ProviderConfig& provider,
                                                 const PromptConfig& prompt);

/// The default `dataset.max_row_bytes`: a longer dataset row is refused before more of it is
/// read into memory.
inline constexpr std::size_t kDefaultMaxRowBytes = std::size_t{16} << 20;

/// `dataset.split:` or `dataset.split_field:` (README "Splits and the holdout guard"): every
/// case belongs to the dev or the test split, by a salted hash of its id or by a field of its
/// row. Unset (`configured()` false): there are no splits.
struct SplitConfig {
  double dev = 0;     ///< the share of the cases in dev, by hash (0..1; dev + test = 1)
  double test = 0;    ///< the share in test
  std::string salt;   ///< mixed into the hash: another salt, another assignment
  std::string field;  ///< split_field: the row field naming the split; empty = by hash
  SourceLocation where;

  [[nodiscard]] bool configured() const { return !field.empty() || dev + test > 0; }
};

struct DatasetConfig {
  std::filesystem::path path;  ///< resolved against the config's directory
  std::string display_path;    ///< as written in the config, for messages and reports
  std::string format;          ///< "jsonl", "json" or "csv"; from the extension if not given
  std::string reference = "reference";  ///< field holding the expected answer
  std::string id;                       ///< optional field holding a stable case id
  std::size_t max_row_bytes = kDefaultMaxRowBytes;  ///< longer rows are an error (exit 2)
  SourceLocation where;
  /// A field a metric takes its reference from instead of `reference` (its `reference:`).
  struct MetricReference {
    std::string metric;  ///< the metric's report name
    std::string field;
  };
  /// Every row must hold these fields too, not null; filled by the config loader.
  std::vector<MetricReference> metric_references{};
  SplitConfig split{};  ///< dev/test splits; unset: none
};

/// `holdout:` (README "Splits and the holdout guard"): how often the test split may be
/// evaluated before `eval --split test` refuses (without --force-look).
struct HoldoutConfig {
  std::optional<int> max_looks;  ///< unset: no limit, the looks are only counted
  SourceLocation where;          ///< of max_looks, for the refusal
};

/// A metric as configured: its registry name and its parameters, checked by the metric
/// factory when the config loads.
struct MetricConfig {
  std::string name;
  nlohmann::json params = nlohmann::json::object();
  std::string field;  ///< "metrics[2]" for messages
  SourceLocation where;
  std::filesystem::path base_dir;  ///< the config's folder: files the metric names
};

/// A tolerated number of failures: a count, or a percentage of a total ("5%"). Used by
/// `max_errors` (--max-errors) and by a gate's `max_unscored`.
struct Allowance {
  std::size_t count = 0;          ///< used when percent is not set
  std::optional<double> percent;  ///< of the total, 0..100
  /// How many failures out of `total` are tolerated (a percentage rounds down).
  [[nodiscard]] std::size_t of(std::size_t total) const;
};
/// Parses "10" or "5%" (a whole number, or a percentage from 0 to 100); nullopt if
/// malformed.
[[nodiscard]] std::optional<Allowance> parse_allowance(const std::string& text);
/// What parse_allowance accepts, for messages: "expected <this>, got ...".
inline constexpr const char* kAllowanceForms = "a count like 10 or a percentage like 5%";

/// The largest `repeat:` / --repeat.
inline constexpr int kMaxRepeat = 1000;

/// What a gate holds against its bounds (`on:`).
enum class GateOn {
  mean,    ///< the mean (default)
  ci_low,  ///< the pessimistic end of the 95% interval: ci_low for `min`, ci_high for `max`
};

struct GateConfig {
  std::string metric;
  std::optional<double> min;
  std::optional<double> max;
  std::string variant;  ///< restrict to one variant id; empty = every variant
  GateOn on = GateOn::mean;
  /// Results without a score the gate tolerates (of cases x repeat); by default none, so a
  /// gate never passes on the cases that happened to succeed.
  Allowance max_unscored;
  /// `slice:`, held against one slice's (or each slice's) figures instead of the whole's.
  std::optional<GateSlice> slice;
  std::string field;
  SourceLocation where;
};

struct Config {
  std::filesystem::path path;      ///< the config file
  std::filesystem::path base_dir;  ///< relative paths in the config resolve against this
  std::string name;
  std::string sha256;  ///< of the config file's bytes
  std::vector<ProviderConfig> providers;
  std::vector<ProviderConfig> judges;  ///< providers that only judge (llm_judge), never run
  std::vector<PromptConfig> prompts;
  DatasetConfig dataset;
  ExtractConfig extract;
  std::vector<MetricConfig> metrics;
  std::vector<GateConfig> gates;
  /// `concurrency:`, the global limit on requests in flight (-j overrides it); unset: the sum
  /// of the providers' limits (see plan_concurrency).
  std::optional<int> concurrency;
  /// The variant the others are compared with: a variant id ("prompt/provider") or a prompt
  /// id (that prompt on the first provider run); empty = the first variant run.
  std::string baseline;
  SourceLocation baseline_where;
  int repeat = 1;         ///< samples per case and variant (--repeat overrides)
  double alpha = 0.05;    ///< significance level of the in-run comparisons (after Holm)
  double min_effect = 0;  ///< a smaller |mean difference| is never called better or worse
  /// `slices:` (dataset fields) and `slice_min_cases:`: results per value of each field.
  SliceConfig slices;
  /// Failed requests (after retries), judge calls and scorer calls tolerated before the run
  /// exits 3; when set (`max_errors:` or --max-errors) the run also stops as soon as it is
  /// exceeded. Unset = none tolerated, and the run goes on to write a complete report.
  std::optional<Allowance> max_errors;
  HoldoutConfig holdout;  ///< the test split's guard
};

/// Reads and checks a config file (YAML or JSON, by extension; `.json` is JSON).
/// Throws UserError naming file:line:col and the field path on any problem; checks ids
/// for uniqueness, prompt files for existence and metric parameters through the registry.
[[nodiscard]] Config load_config(const std::filesystem::path& path);

/// Every endpoint the config defines: the providers, then the judges (one id namespace).
[[nodiscard]] std::vector<const ProviderConfig*> endpoints(const Config& config);

/// The config file `eval` uses when none is given: promptbench.yaml, .yml, then .json in
/// `dir`. Throws UserError when none exists.
[[nodiscard]] std::filesystem::path find_default_config(const std::filesystem::path& dir);

/// A gate from `eval --gate`: "METRIC>=X" or "METRIC<=X", optionally "VARIANT:METRIC>=X"
/// (the variant id is everything before the last ':'); held against the mean. Throws
/// UserError naming the flag for malformed text, a metric not in `config` or a variant it
/// cannot run.
[[nodiscard]] GateConfig parse_gate_flag(const Config& config, const std::string& text);
/// The same against a report's metric names and variant ids (`merge --gate`).
[[nodiscard]] GateConfig parse_gate_flag(const std::vector<std::string>& metrics,
                                         const std::vector<std::string>& variants,
                                         const std::string& text);

/// "60s", "500ms", "2m", "1h" or a plain number of seconds; nullopt if malformed, negative
/// or longer than 10^12 ms (about 31 years: longer would overflow a deadline kept in
/// nanoseconds).
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

/// The id of the variant that runs prompt `prompt_id` on provider `provider_id`:
/// "prompt/provider", as reports, the summary table, gates and --gate name it.
[[nodiscard]] std::string variant_id(const std::string& prompt_id, const std::string& provider_id);

/// A metric's key in reports and gates: its `name:` parameter when that is a string, else
/// its registry name (`exact_match`). Two metrics of a config never share one.
[[nodiscard]] std::string metric_report_name(const MetricConfig& metric);

/// Every variant id the config can run: each prompt with each provider, prompt-major.
[[nodiscard]] std::vector<std::string> variant_ids(const Config& config);
/// The report names of the config's metrics, in order.
[[nodiscard]] std::vector<std::string> metric_report_names(const Config& config);

}  // namespace promptbench
