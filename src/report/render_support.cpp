// SPDX-License-Identifier: Apache-2.0
// Shared readers for the report renderers.
#include "report/render_support.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace promptbench::report {

std::string case_id(const Json& report_case) {
  return text_at(report_case, "id");
}

std::string text_of(const Json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_null()) {
    return "";
  }
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string text_at(const Json& object, const char* key) {
  if (!object.is_object()) {
    return "";
  }
  const auto it = object.find(key);
  return it == object.end() ? "" : text_of(*it);
}

std::string metric_label(const std::string& metric, const std::string& reference) {
  return reference.empty() ? metric : metric + " (" + reference + ")";
}

std::optional<double> number_at(const Json& object, const char* key) {
  if (!object.is_object()) {
    return std::nullopt;
  }
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number()) {
    return std::nullopt;
  }
  return it->get<double>();
}

bool bool_at(const Json& object, const char* key, bool fallback) {
  if (!object.is_object()) {
    return fallback;
  }
  const auto it = object.find(key);
  return it == object.end() || !it->is_boolean() ? fallback : it->get<bool>();
}

std::string format_number(double value) {
  if (!std::isfinite(value)) {
    return "-";
  }
  // Four significant digits, but never an exponent for large numbers (latency in ms).
  return std::fabs(value) >= 1e4 ? fmt::format("{:.0f}", value) : fmt::format("{:.4g}", value);
}

std::string format_count(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? fmt::format("{:.0f}", *value) : "-";
}

std::string format_number(const std::optional<double>& value) {
  return value ? format_number(*value) : "-";
}

std::vector<std::string> metric_names(const Json& head) {
  std::vector<std::string> names;
  for (const Json& variant : head.value("variants", Json::array())) {
    const auto metrics = variant.find("metrics");
    if (metrics == variant.end() || !metrics->is_object()) {
      continue;
    }
    for (const auto& [name, summary] : metrics->items()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        names.push_back(name);
      }
    }
  }
  return names;
}

std::string error_text(const Json& result) {
  const auto error = result.find("error");
  if (error == result.end() || !error->is_object()) {
    return "";
  }
  std::string kind = text_at(*error, "kind");
  if (const auto status = number_at(*error, "status")) {
    kind += fmt::format(" {}", *status);
  }
  const std::string message = text_at(*error, "message");
  if (kind.empty()) {
    return message.empty() ? "error" : message;
  }
  return message.empty() ? kind : kind + ": " + message;
}

std::vector<std::string> failed_metrics(const Json& result) {
  std::vector<std::string> failed;
  const auto pass = result.find("pass");
  if (pass == result.end() || !pass->is_object()) {
    return failed;
  }
  for (const auto& [metric, flag] : pass->items()) {
    if (flag.is_boolean() && !flag.get<bool>()) {
      failed.push_back(metric);
    }
  }
  return failed;
}

std::string scores_text(const Json& result) {
  const auto scores = result.find("scores");
  if (scores == result.end() || !scores->is_object() || scores->empty()) {
    return "none";
  }
  const auto pass = result.find("pass");
  std::string out;
  for (const auto& [metric, score] : scores->items()) {
    if (!out.empty()) {
      out += ", ";
    }
    out += metric + "=" + (score.is_number() ? format_number(score.get<double>()) : "-");
    if (pass != result.end() && pass->is_object()) {
      if (const auto flag = pass->find(metric); flag != pass->end() && flag->is_boolean()) {
        out += flag->get<bool>() ? " (pass)" : " (fail)";
      }
    }
  }
  return out;
}

std::string run_name(const Json& head) {
  const auto run = head.find("run");
  const std::string name = run == head.end() ? "" : text_at(*run, "name");
  return name.empty() ? "promptbench" : name;
}

}  // namespace promptbench::report
