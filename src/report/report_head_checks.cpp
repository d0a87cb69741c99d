// SPDX-License-Identifier: Apache-2.0
// The shapes of a report's optional sections -- `slices`, and the run's `split`, `holdout`,
// `selection`, `shard` and `merged_from` -- checked when a report is read, so that the
// terminal, Markdown and HTML renderers meet only the types eval writes. A hand-edited or
// truncated report gets "r.json: slices.values[0].note: expected a string, got a number"
// (exit 2), not an exception from deep inside a renderer.
#include "report/report_head_checks.hpp"

#include <fmt/format.h>

namespace promptbench::report_checks {

namespace {

bool is_string(const Json& value) {
  return value.is_string();
}
bool is_number(const Json& value) {
  return value.is_number();
}
bool is_boolean(const Json& value) {
  return value.is_boolean();
}
bool is_object(const Json& value) {
  return value.is_object();
}

/// The listed members of `object`, each absent, null or of its type.
struct Member {
  const char* key;
  const char* expected;
  bool (*ok)(const Json&);
};

void check_members(const Json& object, const std::string& report, const std::string& field,
                   std::initializer_list<Member> members) {
  for (const Member& m : members) {
    optional_field(object, m.key, report, field, m.expected, m.ok);
  }
}

Member count(const char* key) {
  return {key, "a whole number, 0 or more", is_count};
}
Member text(const char* key) {
  return {key, "a string", is_string};
}
Member number(const char* key) {
  return {key, "a number", is_number};
}
Member flag(const char* key) {
  return {key, "a boolean", is_boolean};
}
Member object(const char* key) {
  return {key, "an object", is_object};
}

/// `object[key]`, when present and not null, is an array whose every element passes `each`.
template <typename Each>
void check_list(const Json& object, const char* key, const std::string& report,
                const std::string& field, const char* expected, Each each) {
  const auto list = object.find(key);
  if (list == object.end() || list->is_null()) {
    return;
  }
  const std::string path = field.empty() ? key : field + "." + key;
  expect(list->is_array(), *list, report, path, expected);
  for (std::size_t i = 0; i < list->size(); ++i) {
    each((*list)[i], fmt::format("{}[{}]", path, i));
  }
}

/// An interval: [low, high], each a number or null (no interval).
void check_interval(const Json& object, const std::string& report, const std::string& field) {
  optional_field(object, "ci95", report, field, "[low, high]", [](const Json& ci) {
    return ci.is_array() && ci.size() == 2 && (ci[0].is_number() || ci[0].is_null()) &&
           (ci[1].is_number() || ci[1].is_null());
  });
}

void check_slice_variant(const Json& variant, const std::string& report, const std::string& field) {
  expect(variant.is_object(), variant, report, field, "an object");
  check_members(variant, report, field, {text("id"), count("cases"), object("metrics")});
  if (const auto metrics = variant.find("metrics");
      metrics != variant.end() && metrics->is_object()) {
    for (const auto& [name, figures] : metrics->items()) {
      const std::string path = field + ".metrics." + name;
      expect(figures.is_object(), figures, report, path, "an object");
      check_members(figures, report, path,
                    {count("n"), count("unscored"), number("mean"), number("stddev"),
                     number("stderr"), flag("higher_is_better")});
      check_interval(figures, report, path);
    }
  }
}

void check_slice_comparison(const Json& comparison, const std::string& report,
                            const std::string& field) {
  expect(comparison.is_object(), comparison, report, field, "an object");
  check_members(comparison, report, field,
                {text("variant"), text("baseline"), text("metric"), text("test"), text("verdict"),
                 count("n"), number("mean_diff"), number("p_value"), number("p_adjusted")});
  check_interval(comparison, report, field);
}

void check_slice_value(const Json& slice, const std::string& report, const std::string& field) {
  expect(slice.is_object(), slice, report, field, "an object");
  check_members(slice, report, field,
                {text("field"), text("value"), count("cases"), flag("gated"), text("note")});
  check_list(slice, "variants", report, field, "an array",
             [&](const Json& v, const auto& at) { check_slice_variant(v, report, at); });
  check_list(slice, "comparisons", report, field, "an array",
             [&](const Json& c, const auto& at) { check_slice_comparison(c, report, at); });
}

}  // namespace

void check_slices_section(const Json& head, const std::string& report) {
  const auto slices = head.find("slices");
  if (slices == head.end() || slices->is_null()) {
    return;
  }
  expect(slices->is_object(), *slices, report, "slices", "an object");
  check_members(*slices, report, "slices", {count("min_cases")});
  check_list(*slices, "fields", report, "slices", "an array of strings",
             [&](const Json& f, const std::string& at) {
               expect(f.is_string(), f, report, at, "a string");
             });
  check_list(*slices, "values", report, "slices", "an array",
             [&](const Json& s, const std::string& at) { check_slice_value(s, report, at); });
}

void check_run_sections(const Json& run, const std::string& report) {
  if (!run.is_object()) {
    return;  // check_report_head refuses a run that is not an object
  }
  optional_field(run, "split", report, "run", "an object", is_object);
  if (const Json& split = member(run, "split"); split.is_object()) {
    check_members(split, report, "run.split",
                  {text("name"), count("cases"), count("of"), count("dev_cases"),
                   count("test_cases"), object("config")});
  }
  optional_field(run, "holdout", report, "run", "an object", is_object);
  if (const Json& holdout = member(run, "holdout"); holdout.is_object()) {
    check_members(holdout, report, "run.holdout",
                  {count("look"), count("max_looks"), flag("forced"), text("ledger")});
  }
  optional_field(run, "selection", report, "run", "an object", is_object);
  if (const Json& selection = member(run, "selection"); selection.is_object()) {
    check_members(selection, report, "run.selection",
                  {text("pattern"), count("sample"), count("seed"), text("filter_failing"),
                   text("filter_errors_only"), count("cases")});
    check_list(selection, "ids", report, "run.selection", "an array of strings",
               [&](const Json& id, const std::string& at) {
                 expect(id.is_string(), id, report, at, "a string");
               });
  }
  optional_field(run, "shard", report, "run", "an object", is_object);
  if (const Json& shard = member(run, "shard"); shard.is_object()) {
    check_members(shard, report, "run.shard", {count("index"), count("count"), count("cases")});
  }
  optional_field(run, "merged_from", report, "run", "an object", is_object);
  if (const Json& merged = member(run, "merged_from"); merged.is_object()) {
    check_members(merged, report, "run.merged_from", {count("count")});
    for (const char* key : {"shards", "missing"}) {
      check_list(merged, key, report, "run.merged_from", "an array of shard indexes",
                 [&](const Json& index, const std::string& at) {
                   expect(is_count(index), index, report, at, "a whole number, 0 or more");
                 });
    }
  }
}

}  // namespace promptbench::report_checks
