// SPDX-License-Identifier: Apache-2.0
// Corpus figures by kind, one line each: what a metric's summed corpus statistics become
// in the report. Reports name the kind, so a summary can be recomputed from a report alone.
#include <algorithm>
#include <array>

#include "metric/bleu.hpp"
#include "promptbench/metric.hpp"

namespace promptbench {

namespace {

struct CorpusKind {
  std::string_view kind;
  std::optional<double> (*figure)(std::span<const double> sums);
};

std::optional<double> bleu_figure(std::span<const double> sums) {
  const std::optional<BleuStatistics> statistics = bleu_statistics_from(sums);
  return statistics ? std::optional(corpus_bleu(*statistics)) : std::nullopt;
}

constexpr std::array kCorpusKinds = {CorpusKind{"bleu", &bleu_figure}};

}  // namespace

std::optional<double> corpus_figure(std::string_view kind, std::span<const double> sums) {
  const auto it = std::find_if(kCorpusKinds.begin(), kCorpusKinds.end(),
                               [&](const CorpusKind& k) { return k.kind == kind; });
  return it == kCorpusKinds.end() ? std::nullopt : it->figure(sums);
}

}  // namespace promptbench
