// SPDX-License-Identifier: Apache-2.0
// The report formats: one line each. `eval` and `report` add a --NAME PATH flag per line.
#include "promptbench/report_formats.hpp"

#include "util/atomic_file.hpp"

namespace promptbench {

std::span<const ReportFormat> report_formats() {
  static const ReportFormat formats[] = {
      {"junit", "JUnit XML: a suite per variant, a testcase per case, a testcase per gate",
       &render_junit},
      {"md", "Markdown: summary, comparison and gate tables (fits $GITHUB_STEP_SUMMARY)",
       &render_markdown},
      {"csv", "CSV: a row per case and variant with outputs, scores, latency, errors", &render_csv},
      {"html", "HTML: one offline page with charts, comparisons, gates and a case explorer",
       &render_html},
  };
  return formats;
}

void write_report_format(const ReportFormat& format, const ReportSource& report,
                         const std::filesystem::path& path) {
  util::AtomicFile file(path);
  format.render(report, file.stream());
  file.commit();
}

}  // namespace promptbench
