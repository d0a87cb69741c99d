// SPDX-License-Identifier: Apache-2.0
// rouge: ROUGE-1/2/L F-measure exactly as google-research rouge-score (default tokenizer,
// no stemming); the best over the references.
#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "metric/lcs.hpp"
#include "metric/metrics/metrics.hpp"
#include "metric/text.hpp"
#include "promptbench/error.hpp"
#include "util/text.hpp"

namespace promptbench {

namespace {

enum class RougeType { rouge1, rouge2, rougeL };

using Vocabulary = std::unordered_map<std::string, std::uint32_t>;

/// rouge_score.tokenize: lower-case (Python's str.lower), then the runs of [a-z0-9] -- what
/// replacing every other character with a space and splitting leaves. Tokens become ids.
std::vector<std::uint32_t> tokenize(std::string_view text, Vocabulary& vocabulary) {
  const std::u32string lowered = python_lower(decode_utf8(text));
  std::vector<std::uint32_t> ids;
  std::string token;
  const auto flush = [&] {
    if (!token.empty()) {
      const auto [it, added] =
          vocabulary.emplace(token, static_cast<std::uint32_t>(vocabulary.size()));
      ids.push_back(it->second);
      token.clear();
    }
  };
  for (const char32_t c : lowered) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      token += static_cast<char>(c);
    } else {
      flush();
    }
  }
  flush();
  return ids;
}

/// scoring.fmeasure.
double fmeasure(double precision, double recall) {
  if (precision + recall > 0) {
    return 2 * precision * recall / (precision + recall);
  }
  return 0.0;
}

std::unordered_map<std::uint64_t, std::int64_t> ngrams(const std::vector<std::uint32_t>& tokens,
                                                       std::size_t n) {
  std::unordered_map<std::uint64_t, std::int64_t> counts;
  for (std::size_t i = 0; i + n <= tokens.size(); ++i) {
    const std::uint64_t key = n == 1 ? tokens[i] : (std::uint64_t{tokens[i]} << 32) | tokens[i + 1];
    ++counts[key];
  }
  return counts;
}

/// rouge_scorer._score_ngrams (F-measure only).
double score_ngrams(const std::vector<std::uint32_t>& target,
                    const std::vector<std::uint32_t>& prediction, std::size_t n) {
  const auto target_ngrams = ngrams(target, n);
  const auto prediction_ngrams = ngrams(prediction, n);
  std::int64_t overlap = 0;
  std::int64_t target_count = 0;
  std::int64_t prediction_count = 0;
  for (const auto& [ngram, count] : target_ngrams) {
    target_count += count;
    if (auto it = prediction_ngrams.find(ngram); it != prediction_ngrams.end()) {
      overlap += std::min(count, it->second);
    }
  }
  for (const auto& [ngram, count] : prediction_ngrams) {
    prediction_count += count;
  }
  const double precision = static_cast<double>(overlap) /
                           static_cast<double>(std::max<std::int64_t>(prediction_count, 1));
  const double recall =
      static_cast<double>(overlap) / static_cast<double>(std::max<std::int64_t>(target_count, 1));
  return fmeasure(precision, recall);
}

/// rouge_scorer._score_lcs (F-measure only).
double score_lcs(const std::vector<std::uint32_t>& target,
                 const std::vector<std::uint32_t>& prediction) {
  if (target.empty() || prediction.empty()) {
    return 0.0;
  }
  const auto lcs = static_cast<double>(lcs_length(target, prediction));
  const double precision = lcs / static_cast<double>(prediction.size());
  const double recall = lcs / static_cast<double>(target.size());
  return fmeasure(precision, recall);
}

class Rouge : public Metric {
 public:
  Rouge(const MetricSpec& spec, RougeType type)
      : Metric(spec.name, true, spec.threshold), m_type(type) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    Vocabulary vocabulary;
    const std::vector<std::uint32_t> prediction = tokenize(input.output, vocabulary);
    double best = 0.0;
    for (const std::string& reference : reference_strings(input.reference)) {
      const std::vector<std::uint32_t> target = tokenize(reference, vocabulary);
      switch (m_type) {
        case RougeType::rouge1:
          best = std::max(best, score_ngrams(target, prediction, 1));
          break;
        case RougeType::rouge2:
          best = std::max(best, score_ngrams(target, prediction, 2));
          break;
        case RougeType::rougeL:
          best = std::max(best, score_lcs(target, prediction));
          break;
      }
    }
    return best;
  }

 private:
  RougeType m_type;
};

}  // namespace

std::unique_ptr<Metric> make_rouge(const MetricSpec& spec) {
  spec.params.allow_only({"type"});
  const std::string type = spec.params.get_string("type", "rougeL");
  if (type == "rouge1") {
    return std::make_unique<Rouge>(spec, RougeType::rouge1);
  }
  if (type == "rouge2") {
    return std::make_unique<Rouge>(spec, RougeType::rouge2);
  }
  if (type == "rougeL") {
    return std::make_unique<Rouge>(spec, RougeType::rougeL);
  }
  throw ParamError("type", fmt::format("expected rouge1, rouge2 or rougeL, got '{}'{}", type,
                                       util::did_you_mean(type, {"rouge1", "rouge2", "rougeL"})));
}

}  // namespace promptbench
