// SPDX-License-Identifier: Apache-2.0
// levenshtein: 1 - edit distance / longer length, over Unicode code points; best reference.
#include <algorithm>

#include <fmt/format.h>

#include "metric/metrics/metrics.hpp"
#include "metric/normalize.hpp"
#include "metric/text.hpp"

namespace promptbench {

namespace {

/// The DP table's size limit after the common prefix and suffix are dropped: 10^8 cells is
/// about 0.1-0.3 s; beyond it the case gets an error instead of stalling the run.
constexpr double kMaxCells = 1e8;

/// Edit distance (unit-cost insert, delete, substitute), or nullopt beyond kMaxCells.
std::optional<std::size_t> edit_distance(std::u32string_view a, std::u32string_view b) {
  while (!a.empty() && !b.empty() && a.front() == b.front()) {
    a.remove_prefix(1);
    b.remove_prefix(1);
  }
  while (!a.empty() && !b.empty() && a.back() == b.back()) {
    a.remove_suffix(1);
    b.remove_suffix(1);
  }
  if (a.size() < b.size()) {
    std::swap(a, b);
  }
  if (b.empty()) {
    return a.size();
  }
  if (static_cast<double>(a.size()) * static_cast<double>(b.size()) > kMaxCells) {
    return std::nullopt;
  }
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

class Levenshtein : public Metric {
 public:
  Levenshtein(const MetricSpec& spec, Normalization how)
      : Metric(spec.name, true, spec.threshold), m_how(how) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::u32string output = decode_utf8(normalize(input.output, m_how));
    double best = 0.0;
    for (const std::string& raw_reference : reference_strings(input.reference)) {
      const std::u32string reference = decode_utf8(normalize(raw_reference, m_how));
      const std::size_t longer = std::max(output.size(), reference.size());
      if (longer == 0) {
        return 1.0;  // two empty texts are identical
      }
      const std::optional<std::size_t> distance = edit_distance(output, reference);
      if (!distance) {
        return tl::unexpected(
            fmt::format("too long for levenshtein: {} x {} code points differ (limit 10^8 cells)",
                        output.size(), reference.size()));
      }
      best = std::max(best, 1.0 - static_cast<double>(*distance) / static_cast<double>(longer));
    }
    return best;
  }

 private:
  Normalization m_how;
};

}  // namespace

std::unique_ptr<Metric> make_levenshtein(const MetricSpec& spec) {
  spec.params.allow_only({"normalize"});
  Normalization fallback;
  fallback.trim = true;
  return std::make_unique<Levenshtein>(spec, normalization_param(spec.params, fallback));
}

}  // namespace promptbench
