// SPDX-License-Identifier: Apache-2.0
// bleu: sacrebleu's sentence BLEU (13a, exp smoothing, effective order) on a 0..100 scale.
#include "metric/bleu.hpp"
#include "metric/metrics/metrics.hpp"

namespace promptbench {

namespace {

class Bleu : public Metric {
 public:
  explicit Bleu(const MetricSpec& spec) : Metric(spec.name, true, spec.threshold) {}

  std::string_view corpus_kind() const override { return "bleu"; }

  /// The sentence BLEU and, from the same statistics, the output's share of corpus BLEU
  /// (sacrebleu.corpus_bleu sums the segments' statistics).
  tl::expected<Score, std::string> score(const ScoreInput& input) const override {
    const std::vector<std::string> references = reference_strings(input.reference);
    const BleuStatistics statistics = bleu_statistics(input.output, references);
    Score score;
    score.value = references.empty() ? 0.0 : sentence_bleu(statistics);
    score.pass = pass(score.value);
    score.corpus = to_numbers(statistics);
    return score;
  }

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    return score(input)->value;
  }
};

}  // namespace

std::unique_ptr<Metric> make_bleu(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Bleu>(spec);
}

}  // namespace promptbench
