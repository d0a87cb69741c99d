// SPDX-License-Identifier: Apache-2.0
// The stub's reply model: echo or a tiny sentiment lexicon, word counts as tokens.
#include "text_model.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_set>

namespace promptbench::stub {

using nlohmann::json;

std::string content_text(const json& content) {
  if (content.is_string()) {
    return content.get<std::string>();
  }
  std::string text;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string()) {
        text += part["text"].get<std::string>();
      }
    }
  }
  return text;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (!current.empty()) {
        words.push_back(std::move(current));
        current.clear();
      }
    } else {
      current += c;
    }
  }
  if (!current.empty()) {
    words.push_back(std::move(current));
  }
  return words;
}

std::string trim(std::string_view text) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && space(text.back())) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

namespace {

std::string lowercase(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

const std::unordered_set<std::string>& positive_words() {
  static const std::unordered_set<std::string> words = {
      "good",        "great",     "excellent", "love",      "loved",      "wonderful",
      "amazing",     "fantastic", "best",      "happy",     "enjoyed",    "brilliant",
      "awesome",     "perfect",   "nice",      "beautiful", "delightful", "superb",
      "outstanding", "recommend", "fun",       "like",      "liked"};
  return words;
}

const std::unordered_set<std::string>& negative_words() {
  static const std::unordered_set<std::string> words = {
      "bad",           "terrible",     "awful",    "hate",   "hated",    "boring",
      "worst",         "poor",         "horrible", "dull",   "waste",    "ugly",
      "disappointing", "disappointed", "sad",      "broken", "annoying", "mediocre",
      "useless",       "dislike",      "slow",     "fails",  "mess"};
  return words;
}

std::string sentiment_label(std::string_view text) {
  int score = 0;
  for (const auto& raw : split_words(text)) {
    std::string word;
    for (const char c : lowercase(raw)) {
      if (std::ispunct(static_cast<unsigned char>(c)) == 0) {
        word += c;
      }
    }
    score += positive_words().count(word) > 0 ? 1 : 0;
    score -= negative_words().count(word) > 0 ? 1 : 0;
  }
  return score > 0 ? "positive" : "negative";  // ties are negative by contract
}

}  // namespace

std::string last_user_text(const std::vector<Turn>& turns) {
  std::string last_user;
  for (const auto& turn : turns) {
    if (turn.role == "user") {
      last_user = turn.text;
    }
  }
  return last_user;
}

std::string reply_text(const std::vector<Turn>& turns, const std::string& mode) {
  if (mode == "echo") {
    return last_user_text(turns);
  }
  bool one_word = false;
  for (const auto& turn : turns) {
    if ((turn.role == "user" || turn.role == "system") &&
        lowercase(turn.text).find("one word") != std::string::npos) {
      one_word = true;
    }
  }
  const std::string label = sentiment_label(last_user_text(turns));
  return one_word ? label : "The sentiment is " + label + ".";
}

std::size_t word_count(const std::vector<Turn>& turns) {
  std::size_t words = 0;
  for (const auto& turn : turns) {
    words += split_words(turn.text).size();
  }
  return words;
}

std::size_t output_tokens(std::string_view text) {
  return std::max<std::size_t>(1, split_words(text).size());
}

std::vector<std::string> split_utf8(const std::string& text, std::size_t count) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  for (std::size_t i = 1; i <= count; ++i) {
    std::size_t end = i == count ? text.size() : text.size() * i / count;
    while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
      ++end;
    }
    end = std::max(end, start);
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

ToolCall make_tool_call(const std::string& name, const nlohmann::ordered_json& schema,
                        const std::vector<Turn>& turns) {
  std::string property = "input";
  if (schema.is_object()) {
    const auto properties = schema.find("properties");
    if (properties != schema.end() && properties->is_object() && !properties->empty()) {
      property = properties->begin().key();
    }
  }
  ToolCall call;
  call.name = name;
  call.input = {{property, trim(last_user_text(turns))}};
  call.arguments = call.input.dump();
  return call;
}

}  // namespace promptbench::stub
