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

  /// Corpus BLEU sums the segments' statistics, as sacrebleu.corpus_bleu does.
  std::vector<double> corpus_statistics(const ScoreInput& input) const override {
    return to_numbers(bleu_statistics(input.output, reference_strings(input.reference)));
  }

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::vector<std::string> references = reference_strings(input.reference);
    if (references.empty()) {
      return 0.0;
    }
    return sentence_bleu(bleu_statistics(input.output, references));
  }
};

}  // namespace

std::unique_ptr<Metric> make_bleu(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Bleu>(spec);
}

}  // namespace promptbench
