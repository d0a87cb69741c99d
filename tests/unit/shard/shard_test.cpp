// SPDX-License-Identifier: Apache-2.0
#include <map>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "promptbench/error.hpp"
#include "promptbench/shard.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> ids(std::size_t n, const std::string& prefix = "case-") {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(prefix + std::to_string(i));
  }
  return out;
}

TEST(Shard, EveryCaseIsInExactlyOneShard) {
  for (std::size_t count : {1, 2, 3, 5, 8, 64}) {
    std::map<std::size_t, std::size_t> sizes;
    for (const std::string& id : ids(2000)) {
      std::size_t holders = 0;
      for (std::size_t index = 0; index < count; ++index) {
        if (Shard{index, count}.holds(id)) {
          ++holders;
          ++sizes[index];
        }
      }
      EXPECT_EQ(holders, 1U) << id << " in " << count << " shards";
    }
    // A hash spreads the cases: no shard is empty or twice its share.
    ASSERT_EQ(sizes.size(), count);
    for (const auto& [index, size] : sizes) {
      EXPECT_LT(size, 2 * 2000 / count + 10) << "shard " << index << " of " << count;
    }
  }
}

TEST(Shard, ACasesShardDependsOnItsIdAlone) {
  // The same id lands in the same shard whatever else the dataset holds: appending rows moves
  // nothing. The values are pinned, so a change of hash (which would split old runs' cases
  // differently from new ones) cannot go unnoticed. XXH64 is the same on every platform.
  EXPECT_EQ(shard_of("r001", 4), shard_of(std::string("r00") + "1", 4));
  EXPECT_EQ(shard_of("", 1), 0U);
  std::vector<std::size_t> pinned;
  for (const char* id : {"r001", "r002", "r003", "case-7", "ünïcode"}) {
    pinned.push_back(shard_of(id, 8));
  }
  EXPECT_EQ(pinned, (std::vector<std::size_t>{2, 0, 1, 0, 6}));
}

std::optional<std::string> none(const char*) {
  return std::nullopt;
}

EnvLookup env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    const auto it = values.find(name);
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

TEST(ParseShard, IndexOfCount) {
  const Shard shard = parse_shard("2/8", none);
  EXPECT_EQ(shard.index, 2U);
  EXPECT_EQ(shard.count, 8U);
  EXPECT_FALSE(shard.whole());
  EXPECT_TRUE(parse_shard("0/1", none).whole());
}

TEST(ParseShard, AutoReadsASlurmArrayThatMayStartAnywhere) {
  const Shard shard = parse_shard("auto", env({{"SLURM_ARRAY_TASK_ID", "7"},
                                               {"SLURM_ARRAY_TASK_MIN", "5"},
                                               {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  EXPECT_EQ(shard.index, 2U);
  EXPECT_EQ(shard.count, 4U);
}

TEST(ParseShard, AutoOfNReadsAKubernetesIndexedJobOrASlurmArray) {
  const Shard k8s = parse_shard("auto/6", env({{"JOB_COMPLETION_INDEX", "5"}}));
  EXPECT_EQ(k8s.index, 5U);
  EXPECT_EQ(k8s.count, 6U);
  const Shard slurm =
      parse_shard("auto/3", env({{"SLURM_ARRAY_TASK_ID", "1"}, {"SLURM_ARRAY_TASK_MIN", "0"}}));
  EXPECT_EQ(slurm.index, 1U);
  EXPECT_EQ(slurm.count, 3U);
}

void expect_refused(const std::string& text, const EnvLookup& lookup, const std::string& why) {
  try {
    (void)parse_shard(text, lookup);
    ADD_FAILURE() << text << " was accepted";
  } catch (const UserError& error) {
    EXPECT_THAT(error.what(), HasSubstr("--shard " + text + ": " + why)) << text;
  }
}

TEST(ParseShard, RefusalsSayWhatIsWrong) {
  expect_refused("3", none, "expected I/N");
  expect_refused("1/0", none, "expected I/N");
  expect_refused("a/4", none, "expected I/N");
  expect_refused("1/x", none, "expected I/N");
  expect_refused("-1/4", none, "expected I/N");
  expect_refused("4/4", none, "shard 4 of 4: the index must be 0 to 3");
  expect_refused("auto", none, "SLURM_ARRAY_TASK_ID is not set");
  expect_refused("auto/4", none, "neither JOB_COMPLETION_INDEX");
  expect_refused("auto/4", env({{"JOB_COMPLETION_INDEX", "4"}}), "shard 4 of 4");
  expect_refused("auto/4", env({{"JOB_COMPLETION_INDEX", "two"}}),
                 "JOB_COMPLETION_INDEX=two is not a whole number");
  expect_refused("auto",
                 env({{"SLURM_ARRAY_TASK_ID", "1"},
                      {"SLURM_ARRAY_TASK_MIN", "2"},
                      {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                 "SLURM_ARRAY_TASK_ID=1 is below SLURM_ARRAY_TASK_MIN=2");
}

}  // namespace
}  // namespace promptbench
