// SPDX-License-Identifier: Apache-2.0
// Which split a case is in, and `eval --split`.
#include "promptbench/split.hpp"

#include <cmath>

#include <fmt/format.h>
#include <xxhash.h>

#include "promptbench/dataset.hpp"
#include "promptbench/error.hpp"

namespace promptbench {

namespace {

/// The hash seed of a salt: XXH64 of a fixed prefix and the salt, so that even the empty
/// salt gives a seed no other use of XXH64 over case ids has (--shard uses 0).
std::uint64_t split_hash_seed(const std::string& salt) {
  const std::string key = "promptbench-split:" + salt;
  return XXH64(key.data(), key.size(), 0);
}

/// The first 53 bits of the hash as a fraction in [0, 1): exact in a double.
double hash_fraction(std::uint64_t hash) {
  return std::ldexp(static_cast<double>(hash >> 11U), -53);
}

}  // namespace

std::string_view hashed_split(std::string_view case_id, const SplitConfig& split) {
  const std::uint64_t hash = XXH64(case_id.data(), case_id.size(), split_hash_seed(split.salt));
  return hash_fraction(hash) < split.dev ? kDevSplit : kTestSplit;
}

SplitChoice parse_split_choice(std::string_view text) {
  if (text == "dev") {
    return SplitChoice::dev;
  }
  if (text == "test") {
    return SplitChoice::test;
  }
  if (text == "all") {
    return SplitChoice::all;
  }
  throw UserError(fmt::format("--split {}: expected dev, test or all", text));
}

const char* to_string(SplitChoice choice) {
  switch (choice) {
    case SplitChoice::dev:
      return "dev";
    case SplitChoice::test:
      return "test";
    case SplitChoice::all:
      break;
  }
  return "all";
}

nlohmann::ordered_json to_json(const SplitConfig& split) {
  if (!split.field.empty()) {
    return {{"by", "field"}, {"field", split.field}};
  }
  return {{"by", "hash"}, {"dev", split.dev}, {"test", split.test}, {"salt", split.salt}};
}

std::string describe(const SplitConfig& split) {
  if (!split.field.empty()) {
    return fmt::format("by the field '{}'", split.field);
  }
  return fmt::format("by hash of the case id (dev {}, test {}, salt '{}')", split.dev, split.test,
                     split.salt);
}

std::string split_line(const nlohmann::ordered_json& split, const nlohmann::ordered_json& holdout) {
  if (!split.is_object()) {
    return {};
  }
  const auto number = [](const nlohmann::ordered_json& value) {
    return value.is_number_unsigned() ? value.get<std::uint64_t>() : std::uint64_t{0};
  };
  const nlohmann::ordered_json& name = split.value("name", nlohmann::ordered_json());
  const std::uint64_t of = number(split.value("of", nlohmann::ordered_json()));
  std::string line =
      fmt::format("split: {} ({} of {} case{})", name.is_string() ? name.get<std::string>() : "?",
                  number(split.value("cases", nlohmann::ordered_json())), of, of == 1 ? "" : "s");
  if (holdout.is_object()) {
    const nlohmann::ordered_json& max = holdout.value("max_looks", nlohmann::ordered_json());
    line += fmt::format("; look {} at the test split{}{}",
                        number(holdout.value("look", nlohmann::ordered_json())),
                        max.is_number_unsigned() ? fmt::format(" (at most {})", number(max)) : "",
                        holdout.value("forced", false) ? ", forced (--force-look)" : "");
  }
  return line;
}

SplitFilter::SplitFilter(SplitConfig split, SplitChoice choice)
    : m_split(std::move(split)), m_choice(choice) {}

std::string_view SplitFilter::split_of(const Case& row) const {
  if (m_split.field.empty()) {
    return hashed_split(row.id, m_split);
  }
  const auto value = row.vars.find(m_split.field);
  if (value == row.vars.end()) {
    throw UserError(row.where, "",
                    fmt::format("missing split field \"{}\" (dataset.split_field: every row "
                                "names its split, dev or test)",
                                m_split.field));
  }
  if (value->is_string()) {
    const std::string& name = value->get_ref<const std::string&>();
    if (name == kDevSplit) {
      return kDevSplit;
    }
    if (name == kTestSplit) {
      return kTestSplit;
    }
  }
  throw UserError(
      row.where, "",
      fmt::format("split field \"{}\": expected dev or test, got {}", m_split.field,
                  value->is_string() ? "'" + value->get<std::string>() + "'" : value->dump()));
}

bool SplitFilter::admit(const Case& row) {
  const std::string_view split = split_of(row);  // checks the field even for `all`
  if (m_choice == SplitChoice::all) {
    return true;
  }
  const bool in = split == to_string(m_choice);
  if (in && !m_split.field.empty()) {
    m_admitted.insert(row.id);
  }
  return in;
}

bool SplitFilter::holds(std::string_view case_id) const {
  if (m_choice == SplitChoice::all) {
    return true;
  }
  if (m_split.field.empty()) {
    return hashed_split(case_id, m_split) == to_string(m_choice);
  }
  return m_admitted.count(std::string(case_id)) != 0;
}

}  // namespace promptbench
