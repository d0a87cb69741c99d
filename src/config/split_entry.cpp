// SPDX-License-Identifier: Apache-2.0
// The config's splits and holdout guard, checked where they are written.
#include "config/split_entry.hpp"

#include <cmath>

#include <fmt/format.h>

namespace promptbench::config {

namespace {

constexpr double kShareTolerance = 1e-9;

double read_split_share(const Field& field) {
  const double share = field.as_number();
  if (!(share > 0 && share <= 1)) {
    field.fail(fmt::format("expected a share of the cases above 0 and at most 1, got {}", share));
  }
  return share;
}

}  // namespace

SplitConfig read_split(const Field& dataset) {
  SplitConfig split;
  const std::optional<Field> by_hash = dataset.find("split");
  const std::optional<Field> by_field = dataset.find("split_field");
  if (by_hash && by_field) {
    dataset.fail_at_key("split_field",
                        "give either 'split' (by hash of the case id) or 'split_field' (a field "
                        "naming each row's split), not both");
  }
  if (by_field) {
    split.field = by_field->as_nonempty_string();
    split.where = by_field->where();
    return split;
  }
  if (!by_hash) {
    return split;
  }
  by_hash->expect_object({"dev", "test", "salt"});
  split.where = by_hash->where();
  const std::optional<Field> dev = by_hash->find("dev");
  const std::optional<Field> test = by_hash->find("test");
  if (!dev && !test) {
    by_hash->fail("expected the shares of the splits, e.g. {dev: 0.8, test: 0.2}");
  }
  split.dev = dev ? read_split_share(*dev) : 0;
  split.test = test ? read_split_share(*test) : 0;
  if (!dev) {
    split.dev = 1 - split.test;
  } else if (!test) {
    split.test = 1 - split.dev;
  } else if (std::fabs(split.dev + split.test - 1) > kShareTolerance) {
    test->fail(fmt::format("dev {} and test {} add up to {}, not 1", split.dev, split.test,
                           split.dev + split.test));
  }
  if (auto salt = by_hash->find("salt")) {
    split.salt = salt->as_string();
  }
  return split;
}

HoldoutConfig read_holdout(const Field& holdout, const SplitConfig& split) {
  holdout.expect_object({"max_looks"});
  HoldoutConfig guard;
  guard.where = holdout.where();
  if (!split.configured()) {
    holdout.fail(
        "guards the test split, but the dataset has none: set dataset.split (e.g. {dev: 0.8, "
        "test: 0.2}) or dataset.split_field");
  }
  if (auto max_looks = holdout.find("max_looks")) {
    guard.max_looks = max_looks->as_int(1, 1'000'000);
    guard.where = max_looks->where();
  }
  return guard;
}

}  // namespace promptbench::config
