// SPDX-License-Identifier: Apache-2.0
// json_schema: 1 when the output's JSON validates against a JSON Schema file (valijson).
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "metric/json_output.hpp"
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

valijson::SchemaParser::Version draft_of(const nlohmann::json& document) {
  const std::string declared =
      document.is_object() && document.contains("$schema") && document["$schema"].is_string()
          ? document["$schema"].get<std::string>()
          : std::string();
  if (declared.find("draft-03") != std::string::npos) {
    return valijson::SchemaParser::kDraft3;
  }
  if (declared.find("draft-04") != std::string::npos) {
    return valijson::SchemaParser::kDraft4;
  }
  return valijson::SchemaParser::kDraft7;
}

/// Reads and compiles the schema; every failure is a ParamError on `schema`.
std::unique_ptr<valijson::Schema> load_schema(const std::filesystem::path& base_dir,
                                              const std::string& path) {
  std::ifstream in(base_dir / path, std::ios::binary);
  if (!in) {
    throw ParamError("schema", fmt::format("cannot read the schema file '{}'", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  nlohmann::json document;
  try {
    document = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, or out_of_range for a number beyond a double (1e400).
    throw ParamError("schema", fmt::format("'{}' is not valid JSON: {}", path, e.what()));
  }
  auto schema = std::make_unique<valijson::Schema>();
  try {
    valijson::SchemaParser parser(draft_of(document));
    const valijson::adapters::NlohmannJsonAdapter adapter(document);
    parser.populateSchema(adapter, *schema);
  } catch (const std::exception& e) {
    throw ParamError("schema", fmt::format("'{}' is not a usable JSON Schema: {}", path, e.what()));
  }
  return schema;
}

class JsonSchema : public Metric {
 public:
  JsonSchema(const MetricSpec& spec, std::unique_ptr<valijson::Schema> schema, bool allow_fence)
      : Metric(spec.name, true, spec.threshold.value_or(1.0)),
        m_schema(std::move(schema)),
        m_allow_fence(allow_fence) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::optional<nlohmann::json> value = parse_json_output(input.output, m_allow_fence);
    if (!value) {
      return 0.0;
    }
    try {
      valijson::Validator validator;
      const valijson::adapters::NlohmannJsonAdapter adapter(*value);
      return validator.validate(*m_schema, adapter, nullptr) ? 1.0 : 0.0;
    } catch (const std::exception& e) {
      return tl::unexpected(fmt::format("schema validation failed: {}", e.what()));
    }
  }

 private:
  std::unique_ptr<valijson::Schema> m_schema;
  bool m_allow_fence;
};

}  // namespace

std::unique_ptr<Metric> make_json_schema(const MetricSpec& spec) {
  spec.params.allow_only({"schema", "allow_fence"});
  if (!spec.params.has("schema")) {
    throw ParamError("schema", "missing required parameter 'schema'");
  }
  // A relative path is relative to the config file, like every path in the config.
  const std::string path = spec.params.get_string("schema", "");
  const bool allow_fence = spec.params.get_bool("allow_fence", true);
  return std::make_unique<JsonSchema>(spec, load_schema(spec.base_dir, path), allow_fence);
}

}  // namespace promptbench
