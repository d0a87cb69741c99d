// SPDX-License-Identifier: Apache-2.0
// HTML: one self-contained page (docs/HTML_REPORT.md). The head goes in as JSON; the cases
// are streamed from the report into blocks of compact JSON, each compressed and base64'd as
// it fills, so writing takes one block of memory however many cases there are. The page
// itself (src/report/html/) is compiled in.
#include <map>
#include <ostream>
#include <stdexcept>

#include <fmt/format.h>
#include <zlib.h>

#include "promptbench/report_formats.hpp"
#include "report/html_assets.hpp"
#include "report/render_support.hpp"
#include "util/base64.hpp"
#include "util/sha256.hpp"

namespace promptbench {

namespace {

using report::Json;

constexpr std::size_t kCasesPerBlock = 1000;

/// Compact JSON; invalid UTF-8 (which a report cannot hold, but a caller-built one might)
/// becomes U+FFFD instead of an exception.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

/// JSON that may sit inside a <script> element: `<`, `>` and `&` (which JSON has only inside
/// strings) become \u escapes, so no text can close the element or open a comment, and so do
/// U+2028 and U+2029, which end a line in older JavaScript.
std::string script_safe(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && json.substr(i + 1, 1) == "\x80" &&
               (json.substr(i + 2, 1) == "\xA8" || json.substr(i + 2, 1) == "\xA9")) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

/// zlib (RFC 1950), what the page's DecompressionStream('deflate') reads.
std::string deflate(std::string_view bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size()));
  std::string out(size, '\0');
  const int status = compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                               reinterpret_cast<const Bytef*>(bytes.data()),
                               static_cast<uLong>(bytes.size()), Z_DEFAULT_COMPRESSION);
  if (status != Z_OK) {
    throw std::runtime_error(fmt::format("zlib cannot compress a case block (status {})", status));
  }
  out.resize(size);
  return out;
}

/// Names to positions, in order of first sight: the variants and metrics of META. They start
/// as the head's; a case may add one the head lacks (a hand-made report), which is why META
/// is written after the cases.
class Index {
 public:
  explicit Index(std::vector<std::string> names) : m_names(std::move(names)) {
    for (std::size_t i = 0; i < m_names.size(); ++i) {
      m_positions.emplace(m_names[i], i);
    }
  }
  std::size_t operator()(const std::string& name) {
    const auto [it, added] = m_positions.emplace(name, m_names.size());
    if (added) {
      m_names.push_back(name);
    }
    return it->second;
  }
  [[nodiscard]] const std::vector<std::string>& names() const { return m_names; }

 private:
  std::vector<std::string> m_names;
  std::map<std::string, std::size_t> m_positions;
};

std::vector<std::string> variant_ids(const Json& head) {
  std::vector<std::string> ids;
  for (const Json& variant : head["variants"]) {
    ids.push_back(variant["id"].get<std::string>());
  }
  return ids;
}

/// What a metric explained, for the page: a judge's id and reply, a scorer's reason. A
/// judge's prompt stays in the JSON report only (it repeats the case and the output).
nlohmann::json shown_detail(const nlohmann::ordered_json& detail) {
  nlohmann::json shown = nlohmann::json::object();
  if (detail.is_object()) {
    for (const char* key : {"judge", "reply", "reason"}) {
      if (const auto it = detail.find(key); it != detail.end() && !it->is_null()) {
        shown[key] = *it;
      }
    }
  }
  return shown;
}

/// The per-metric members of a compact result: `s`, `p`, `se`, `d` (docs/HTML_REPORT.md).
void add_metric_members(const CaseResult& result, Index& metrics, nlohmann::json& out) {
  nlohmann::json scores = nlohmann::json::array();
  nlohmann::json passes = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::object();
  nlohmann::json details = nlohmann::json::object();
  bool any_score = false;
  bool any_pass = false;
  for (const MetricOutcome& metric : result.metrics) {
    const std::size_t at = metrics(metric.name);
    while (scores.size() <= at) {
      scores.push_back(nullptr);
      passes.push_back(nullptr);
    }
    if (metric.score) {
      scores[at] = *metric.score;
      any_score = true;
    }
    if (metric.pass) {
      passes[at] = *metric.pass ? 1 : 0;
      any_pass = true;
    }
    if (metric.error) {
      errors[metric.name] = *metric.error;
    }
    if (nlohmann::json shown = shown_detail(metric.detail); !shown.empty()) {
      details[metric.name] = std::move(shown);
    }
  }
  if (any_score) {
    out["s"] = std::move(scores);
  }
  if (any_pass) {
    out["p"] = std::move(passes);
  }
  if (!errors.empty()) {
    out["se"] = std::move(errors);
  }
  if (!details.empty()) {
    out["d"] = std::move(details);
  }
}

nlohmann::json compact_result(const CaseResult& result, Index& variants, Index& metrics) {
  nlohmann::json out = {{"v", variants(result.variant)}};
  if (result.repeat != 0) {
    out["rep"] = result.repeat;
  }
  out["o"] = result.output ? nlohmann::json(*result.output) : nlohmann::json(nullptr);
  if (result.extracted && result.extracted != result.output) {
    out["x"] = *result.extracted;
  }
  if (result.latency_ms) {
    out["l"] = *result.latency_ms;
  }
  if (result.ttft_ms) {
    out["t"] = *result.ttft_ms;
  }
  if (result.cached) {
    out["c"] = 1;
  }
  if (result.error) {
    out["e"] = {{"k", result.error->kind}, {"m", result.error->message}};
    if (result.error->status != 0) {
      out["e"]["s"] = result.error->status;
    }
  }
  add_metric_members(result, metrics, out);
  if (result.cost_usd) {
    out["$"] = *result.cost_usd;
  }
  if (result.prompt_tokens || result.completion_tokens) {
    const auto tokens = [](const std::optional<std::int64_t>& n) {
      return n ? nlohmann::json(*n) : nlohmann::json(nullptr);
    };
    out["u"] = {tokens(result.prompt_tokens), tokens(result.completion_tokens)};
  }
  return out;
}

nlohmann::json compact_case(const CaseRecord& record, Index& variants, Index& metrics) {
  nlohmann::json results = nlohmann::json::array();
  for (const CaseResult& result : record.results) {
    results.push_back(compact_result(result, variants, metrics));
  }
  return {{"i", record.index},
          {"id", record.id},
          {"vars", record.vars},
          {"ref", record.reference},
          {"r", std::move(results)}};
}

/// The case blocks: compact cases gathered into a JSON array until a block is full, then
/// compressed, base64'd and written as one <script type="text/plain"> element.
class CaseBlocks {
 public:
  CaseBlocks(std::ostream& out, Index& variants, Index& metrics)
      : m_out(out), m_variants(variants), m_metrics(metrics) {}

  void add(const CaseRecord& record) {
    m_block += m_cases == 0 ? "[" : ",";
    m_block += dump(compact_case(record, m_variants, m_metrics));
    if (++m_cases == kCasesPerBlock) {
      flush();
    }
  }

  void flush() {
    if (m_cases == 0) {
      return;
    }
    m_block += "]";
    m_out << "<script type=\"text/plain\" class=\"pb-cases\" data-cases=\"" << m_cases << "\">"
          << util::base64(deflate(m_block)) << "</script>\n";
    m_block.clear();
    m_cases = 0;
  }

 private:
  std::ostream& m_out;
  Index& m_variants;
  Index& m_metrics;
  std::string m_block;
  std::size_t m_cases = 0;
};

/// The policy: the page's own script and style, by hash, and nothing else; no request of any
/// kind (fetch, images, fonts, forms) can leave the page.
std::string content_security_policy(std::string_view style, std::string_view script) {
  return fmt::format(
      "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; "
      "base-uri 'none'; form-action 'none'",
      util::sha256_base64(script), util::sha256_base64(style));
}

void write_page_head(std::ostream& out, const Json& head) {
  const std::string_view style = report::html_style();
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\""
      << content_security_policy(style, report::html_script()) << "\">\n"
      << "<meta name=\"generator\" content=\"promptbench\">\n"
      << "<title>" << xml_escape(report::run_name(head), false) << " · promptbench</title>\n"
      << "<style>" << style << "</style>\n</head>\n<body>\n"
      << "<noscript>This report is drawn by JavaScript; the data is in the JSON report it was "
         "made from.</noscript>\n<div id=\"app\"></div>\n";
}

void write_json_element(std::ostream& out, const char* id, std::string_view json) {
  out << "<script type=\"application/json\" id=\"" << id << "\">" << script_safe(json)
      << "</script>\n";
}

}  // namespace

void render_html(const ReportSource& report, std::ostream& out) {
  const Json& head = report.head();
  Index variants(variant_ids(head));
  Index metrics(report::metric_names(head));

  write_page_head(out, head);
  Json head_only = head;  // the head of a streamed report may hold an empty `cases`
  head_only.erase("cases");
  write_json_element(out, "pb-head", dump(head_only));
  CaseBlocks blocks(out, variants, metrics);
  report.for_each_record([&](CaseRecord&& record) { blocks.add(record); });
  blocks.flush();
  const nlohmann::json meta = {{"format", 1},
                               {"metrics", metrics.names()},
                               {"variants", variants.names()},
                               {"compression", "deflate"}};
  write_json_element(out, "pb-meta", dump(meta));
  out << "<script>" << report::html_script() << "</script>\n</body>\n</html>\n";
}

}  // namespace promptbench
