// SPDX-License-Identifier: Apache-2.0
// BLEU statistics and scores, reproducing sacrebleu 2.x (metrics/bleu.py, tokenizer_13a.py).
#include "metric/bleu.hpp"

#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "metric/text.hpp"

namespace promptbench {

namespace {

void replace_all(std::u32string& text, std::u32string_view from, std::u32string_view to) {
  std::u32string out;
  std::size_t start = 0;
  std::size_t found = 0;
  while ((found = text.find(from, start)) != std::u32string::npos) {
    out.append(text, start, found - start);
    out.append(to);
    start = found + from.size();
  }
  out.append(text, start);
  text = std::move(out);
}

bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

/// The class [\{-\~\[-\` -\&\(-\+\:-\@\/] of tokenizer_re.py: ASCII punctuation and the
/// space, except ' , - and .
bool is_13a_symbol(char32_t c) {
  return (c >= '{' && c <= '~') || (c >= '[' && c <= '`') || (c >= ' ' && c <= '&') ||
         (c >= '(' && c <= '+') || (c >= ':' && c <= '@') || c == '/';
}

bool is_period_or_comma(char32_t c) {
  return c == '.' || c == ',';
}

enum class Spacing { after_both, around_first, around_second };

/// re.sub of a two-character pattern (first)(second): scans left to right, matches never
/// overlap, as Python's re.sub does. The replacement inserts spaces per `spacing`:
/// after_both "\1 \2 ", around_first " \1 \2".
template <typename First, typename Second>
std::u32string substitute_pairs(std::u32string_view text, First first, Second second,
                                Spacing spacing) {
  std::u32string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t i = 0;
  while (i < text.size()) {
    if (i + 1 < text.size() && first(text[i]) && second(text[i + 1])) {
      if (spacing == Spacing::around_first) {
        out.push_back(U' ');
      }
      out.push_back(text[i]);
      out.push_back(U' ');
      out.push_back(text[i + 1]);
      if (spacing == Spacing::after_both) {
        out.push_back(U' ');
      }
      i += 2;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

/// Python's my_log: log, with log(0) taken as -9999999999.
double my_log(double value) {
  return value == 0.0 ? -9999999999.0 : std::log(value);
}

/// BLEU.compute_bleu with smooth_method 'exp'. Mirrors the reference's arithmetic order so
/// that the doubles come out identical.
double compute_bleu(const BleuStatistics& s, bool effective_order) {
  const auto sys_len = static_cast<double>(s.hypothesis_length);
  const auto ref_len = static_cast<double>(s.reference_length);
  double bp = 1.0;
  if (s.hypothesis_length < s.reference_length) {
    bp = s.hypothesis_length > 0 ? std::exp(1 - ref_len / sys_len) : 0.0;
  }
  bool any_match = false;
  for (const std::int64_t matches : s.matches) {
    any_match = any_match || matches != 0;
  }
  if (!any_match) {
    return 0.0;
  }
  std::array<double, kBleuMaxOrder> precisions{};
  double smooth_mteval = 1.0;
  int order = kBleuMaxOrder;
  for (int n = 1; n <= kBleuMaxOrder; ++n) {
    const auto total = static_cast<double>(s.totals[n - 1]);
    if (s.totals[n - 1] == 0) {
      break;
    }
    if (effective_order) {
      order = n;
    }
    if (s.matches[n - 1] == 0) {
      smooth_mteval *= 2;
      precisions[n - 1] = 100. / (smooth_mteval * total);
    } else {
      precisions[n - 1] = 100. * static_cast<double>(s.matches[n - 1]) / total;
    }
  }
  double log_sum = 0;
  for (int n = 0; n < order; ++n) {
    log_sum += my_log(precisions[n]);
  }
  return bp * std::exp(log_sum / order);
}

using NgramCounts = std::unordered_map<std::string_view, std::int64_t>;

/// Counts the n-grams (n = 1..4) of a 13a-tokenized line; keys are views into `line` (the
/// tokens joined by single spaces, so an n-gram is a substring). Returns the token count.
std::int64_t count_ngrams(const std::string& line, NgramCounts& counts) {
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != ' ' && (i == 0 || line[i - 1] == ' ')) {
      starts.push_back(i);
    }
  }
  const std::size_t tokens = starts.size();
  for (std::size_t i = 0; i < tokens; ++i) {
    for (std::size_t n = 1; n <= kBleuMaxOrder && i + n <= tokens; ++n) {
      const std::size_t end = i + n < tokens ? starts[i + n] - 1 : line.size();
      ++counts[std::string_view(line).substr(starts[i], end - starts[i])];
    }
  }
  return static_cast<std::int64_t>(tokens);
}

std::size_t ngram_order(std::string_view ngram) {
  std::size_t order = 1;
  for (const char c : ngram) {
    order += c == ' ' ? 1 : 0;
  }
  return order;
}

}  // namespace

BleuStatistics& BleuStatistics::operator+=(const BleuStatistics& other) {
  for (int n = 0; n < kBleuMaxOrder; ++n) {
    matches[n] += other.matches[n];
    totals[n] += other.totals[n];
  }
  hypothesis_length += other.hypothesis_length;
  reference_length += other.reference_length;
  return *this;
}

std::vector<double> to_numbers(const BleuStatistics& statistics) {
  std::vector<double> numbers{static_cast<double>(statistics.hypothesis_length),
                              static_cast<double>(statistics.reference_length)};
  for (const auto* counts : {&statistics.matches, &statistics.totals}) {
    for (const std::int64_t count : *counts) {
      numbers.push_back(static_cast<double>(count));
    }
  }
  return numbers;
}

std::optional<BleuStatistics> bleu_statistics_from(std::span<const double> numbers) {
  if (numbers.size() != 2 + 2 * kBleuMaxOrder) {
    return std::nullopt;
  }
  for (const double number : numbers) {
    if (!(number >= 0 && number <= 9e15) || number != std::floor(number)) {
      return std::nullopt;
    }
  }
  const auto count = [&](std::size_t i) { return static_cast<std::int64_t>(numbers[i]); };
  BleuStatistics statistics;
  statistics.hypothesis_length = count(0);
  statistics.reference_length = count(1);
  for (std::size_t n = 0; n < kBleuMaxOrder; ++n) {
    statistics.matches[n] = count(2 + n);
    statistics.totals[n] = count(2 + kBleuMaxOrder + n);
  }
  return statistics;
}

std::string tokenize_13a(std::string_view line) {
  std::u32string text = decode_utf8(line);
  while (!text.empty() && is_python_space(text.back())) {  // BLEU._preprocess_segment
    text.pop_back();
  }
  replace_all(text, U"<skipped>", U"");
  replace_all(text, U"-\n", U"");
  replace_all(text, U"\n", U" ");
  replace_all(text, U"&quot;", U"\"");
  replace_all(text, U"&amp;", U"&");
  replace_all(text, U"&lt;", U"<");
  replace_all(text, U"&gt;", U">");

  std::u32string spaced = U" ";
  for (const char32_t c : text) {
    if (is_13a_symbol(c)) {
      spaced.push_back(U' ');
      spaced.push_back(c);
      spaced.push_back(U' ');
    } else {
      spaced.push_back(c);
    }
  }
  spaced.push_back(U' ');
  const auto not_digit = [](char32_t c) { return !is_digit(c); };
  spaced = substitute_pairs(spaced, not_digit, is_period_or_comma, Spacing::after_both);
  spaced = substitute_pairs(spaced, is_period_or_comma, not_digit, Spacing::around_first);
  spaced = substitute_pairs(
      spaced, is_digit, [](char32_t c) { return c == '-'; }, Spacing::after_both);

  std::string out;
  for (const std::u32string_view token : split_python(spaced)) {
    if (!out.empty()) {
      out += ' ';
    }
    out += encode_utf8(token);
  }
  return out;
}

BleuStatistics bleu_statistics(std::string_view hypothesis,
                               const std::vector<std::string>& references) {
  BleuStatistics statistics;
  std::vector<std::string> reference_lines;
  reference_lines.reserve(references.size());
  NgramCounts reference_counts;  // per n-gram, the maximum count over the references
  std::vector<std::int64_t> reference_lengths;
  for (const std::string& reference : references) {
    reference_lines.push_back(tokenize_13a(reference));
  }
  for (const std::string& line : reference_lines) {
    NgramCounts counts;
    reference_lengths.push_back(count_ngrams(line, counts));
    for (const auto& [ngram, count] : counts) {
      std::int64_t& best = reference_counts[ngram];
      best = std::max(best, count);
    }
  }

  const std::string hypothesis_line = tokenize_13a(hypothesis);
  NgramCounts hypothesis_counts;
  statistics.hypothesis_length = count_ngrams(hypothesis_line, hypothesis_counts);

  std::int64_t closest_diff = -1;
  for (const std::int64_t length : reference_lengths) {
    const std::int64_t diff = std::llabs(statistics.hypothesis_length - length);
    if (closest_diff == -1 || diff < closest_diff) {
      closest_diff = diff;
      statistics.reference_length = length;
    } else if (diff == closest_diff && length < statistics.reference_length) {
      statistics.reference_length = length;
    }
  }

  for (const auto& [ngram, count] : hypothesis_counts) {
    const std::size_t n = ngram_order(ngram) - 1;
    statistics.totals[n] += count;
    if (auto it = reference_counts.find(ngram); it != reference_counts.end()) {
      statistics.matches[n] += std::min(count, it->second);
    }
  }
  return statistics;
}

double corpus_bleu(const BleuStatistics& statistics) {
  return compute_bleu(statistics, false);
}

double sentence_bleu(const BleuStatistics& statistics) {
  return compute_bleu(statistics, true);
}

}  // namespace promptbench
