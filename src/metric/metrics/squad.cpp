// SPDX-License-Identifier: Apache-2.0
// f1 and squad_em: token F1 and exact match exactly as SQuAD v1.1's evaluate-v1.1.py.
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "metric/metrics/metrics.hpp"
#include "metric/text.hpp"

namespace promptbench {

namespace {

/// Python's string.punctuation: the 32 ASCII punctuation characters, nothing else.
bool is_ascii_punctuation(char32_t c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

/// re.sub(r'\b(a|an|the)\b', ' ', text) with Python's Unicode \b.
std::u32string remove_articles(std::u32string_view text) {
  static constexpr std::u32string_view kArticles[] = {U"a", U"an", U"the"};
  std::u32string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const bool boundary_before = i == 0 || !is_python_word(text[i - 1]);
    std::size_t matched = 0;
    if (boundary_before) {
      for (const std::u32string_view article : kArticles) {
        const std::size_t end = i + article.size();
        if (text.substr(i, article.size()) == article &&
            (end == text.size() || !is_python_word(text[end]))) {
          matched = article.size();
          break;
        }
      }
    }
    if (matched > 0) {
      out.push_back(U' ');
      i += matched;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

/// normalize_answer(s) of the script, split on whitespace: lower, drop ASCII punctuation,
/// drop articles, split.
std::vector<std::u32string> answer_tokens(std::string_view text) {
  std::u32string lowered = python_lower(decode_utf8(text));
  std::erase_if(lowered, is_ascii_punctuation);
  const std::u32string without_articles = remove_articles(lowered);
  std::vector<std::u32string> tokens;
  for (const std::u32string_view word : split_python(without_articles)) {
    tokens.emplace_back(word);
  }
  return tokens;
}

double squad_f1(const std::vector<std::u32string>& prediction,
                const std::vector<std::u32string>& truth) {
  std::unordered_map<std::u32string, long> truth_counts;
  for (const std::u32string& token : truth) {
    ++truth_counts[token];
  }
  long same = 0;
  for (const std::u32string& token : prediction) {
    auto it = truth_counts.find(token);
    if (it != truth_counts.end() && it->second > 0) {
      --it->second;
      ++same;
    }
  }
  // The script returns 0 when nothing is shared -- also when both sides are empty.
  if (same == 0) {
    return 0.0;
  }
  const double precision = 1.0 * static_cast<double>(same) / static_cast<double>(prediction.size());
  const double recall = 1.0 * static_cast<double>(same) / static_cast<double>(truth.size());
  return (2 * precision * recall) / (precision + recall);
}

class Squad : public Metric {
 public:
  Squad(const MetricSpec& spec, bool exact)
      : Metric(spec.name, true, exact ? spec.threshold.value_or(1.0) : spec.threshold),
        m_exact(exact) {}

 protected:
  tl::expected<double, std::string> compute(const ScoreInput& input) const override {
    const std::vector<std::u32string> prediction = answer_tokens(input.output);
    double best = 0.0;
    for (const std::string& reference : reference_strings(input.reference)) {
      const std::vector<std::u32string> truth = answer_tokens(reference);
      best =
          std::max(best, m_exact ? (prediction == truth ? 1.0 : 0.0) : squad_f1(prediction, truth));
    }
    return best;
  }

 private:
  bool m_exact;
};

}  // namespace

std::unique_ptr<Metric> make_f1(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Squad>(spec, false);
}

std::unique_ptr<Metric> make_squad_em(const MetricSpec& spec) {
  spec.params.allow_only({});
  return std::make_unique<Squad>(spec, true);
}

}  // namespace promptbench
