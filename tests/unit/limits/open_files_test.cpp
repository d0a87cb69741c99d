// SPDX-License-Identifier: Apache-2.0
// fit_open_files: how far the soft open-file limit is raised for the requests in flight, and
// how many fit when the hard limit is too low (README "Limits").
#include <sys/resource.h>

#include <cstddef>
#include <limits>

#include <gtest/gtest.h>

#include "engine/open_files.hpp"

namespace promptbench {
namespace open_files_test {
namespace {

constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();

TEST(OpenFiles, LeavesAnAmpleSoftLimitAlone) {
  const OpenFileFit fit = fit_open_files(100, 1024, 4096);
  EXPECT_EQ(fit.concurrency, 100);
  EXPECT_EQ(fit.needed, 100 + kFilesBesideConnections);
  EXPECT_EQ(fit.limit, 1024U);
  EXPECT_FALSE(fit.raised);
  EXPECT_FALSE(fit.clamped(100));
}

TEST(OpenFiles, RaisesTheSoftLimitWithRoomToSpareUpToTheHardLimit) {
  const OpenFileFit roomy = fit_open_files(10'000, 1024, 1'048'576);
  EXPECT_TRUE(roomy.raised);
  EXPECT_EQ(roomy.limit, 2 * (10'000 + kFilesBesideConnections));
  EXPECT_EQ(roomy.concurrency, 10'000);
  const OpenFileFit capped = fit_open_files(10'000, 1024, 12'000);
  EXPECT_TRUE(capped.raised);
  EXPECT_EQ(capped.limit, 12'000U);
  EXPECT_EQ(capped.concurrency, 10'000);
  EXPECT_EQ(fit_open_files(10'000, 1024, kUnlimited).concurrency, 10'000);
}

TEST(OpenFiles, RunsWhatFitsUnderAHardLimitTooLow) {
  const OpenFileFit fit = fit_open_files(10'000, 1024, 4096);
  EXPECT_TRUE(fit.raised);
  EXPECT_EQ(fit.limit, 4096U);
  EXPECT_EQ(fit.hard, 4096U);
  EXPECT_EQ(fit.concurrency, 4096 - static_cast<int>(kFilesBesideConnections));
  EXPECT_TRUE(fit.clamped(10'000));
  // A limit below the files kept aside still lets one request through.
  EXPECT_EQ(fit_open_files(50, 20, 20).concurrency, 1);
}

TEST(OpenFiles, RaisesThisProcesssSoftLimitForReal) {
  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max < 600) {
    GTEST_SKIP() << "hard open-file limit " << before.rlim_max;
  }
  rlimit lowered = before;
  lowered.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  const OpenFileFit fit = fit_open_files(500);
  rlimit after{};
  ::getrlimit(RLIMIT_NOFILE, &after);
  ::setrlimit(RLIMIT_NOFILE, &before);
  EXPECT_TRUE(fit.raised);
  EXPECT_EQ(fit.concurrency, 500);
  EXPECT_GE(after.rlim_cur, 500 + kFilesBesideConnections);
  EXPECT_EQ(after.rlim_cur, fit.limit);
}

}  // namespace
}  // namespace open_files_test
}  // namespace promptbench
