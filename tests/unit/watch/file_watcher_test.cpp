// SPDX-License-Identifier: Apache-2.0
// FileWatcher against the real file system: saves in place and by rename, a burst settled
// into one change, other files of the directory ignored, a missing directory, the stop fd.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "promptbench/watch.hpp"
#include "unit/temp_dir.hpp"

namespace promptbench {
namespace {

using namespace std::chrono_literals;
using Paths = std::vector<std::filesystem::path>;

/// Waits at most 5 s for a change: nothing here may hang the suite.
WaitResult wait_briefly(FileWatcher& watcher, int stop_fd = -1) {
  WaitSettings settings;
  settings.settle = 50ms;
  settings.timeout = 5s;
  settings.stop_fd = stop_fd;
  return watcher.wait(settings);
}

/// Nothing happens within 200 ms.
bool quiet(FileWatcher& watcher) {
  WaitSettings settings;
  settings.settle = 50ms;
  settings.timeout = 200ms;
  return watcher.wait(settings).outcome == WaitResult::Outcome::timed_out;
}

TEST(FileWatcher, SeesAFileWrittenInPlace) {
  testing::ScratchDir dir;
  const auto prompt = dir.write("p.txt", "one");
  const auto other = dir.write("other.txt", "x");
  FileWatcher watcher;
  EXPECT_TRUE(watcher.watch({prompt, other}).empty());
  dir.write("p.txt", "two");
  const WaitResult result = wait_briefly(watcher);
  EXPECT_EQ(result.outcome, WaitResult::Outcome::changed);
  EXPECT_EQ(result.changed, Paths{prompt});
  EXPECT_TRUE(quiet(watcher)) << "one write is one change";
}

TEST(FileWatcher, SeesAFileReplacedByRenameAsEditorsSave) {
  testing::ScratchDir dir;
  const auto prompt = dir.write("p.txt", "one");
  FileWatcher watcher;
  (void)watcher.watch({prompt});
  const auto temporary = dir.write(".p.txt.swp", "two");
  std::filesystem::rename(temporary, prompt);
  EXPECT_EQ(wait_briefly(watcher).changed, Paths{prompt});
  // The watch survives the rename: the next save is seen too.
  std::filesystem::rename(dir.write(".p.txt.swp", "three"), prompt);
  EXPECT_EQ(wait_briefly(watcher).changed, Paths{prompt});
}

TEST(FileWatcher, IgnoresOtherFilesOfTheDirectory) {
  testing::ScratchDir dir;
  const auto prompt = dir.write("p.txt", "one");
  FileWatcher watcher;
  (void)watcher.watch({prompt});
  dir.write("report.json", "{}");
  dir.write(".promptbench/cache.db", "x");
  EXPECT_TRUE(quiet(watcher));
}

TEST(FileWatcher, SettlesABurstIntoOneChangeOfEveryFileInIt) {
  testing::ScratchDir dir;
  const auto a = dir.write("a.txt", "1");
  const auto b = dir.write("sub/b.txt", "1");
  FileWatcher watcher;
  (void)watcher.watch({a, b});
  for (int i = 0; i < 5; ++i) {
    dir.write("sub/b.txt", std::to_string(i));
    dir.write("a.txt", std::to_string(i));
  }
  const WaitResult result = wait_briefly(watcher);
  EXPECT_EQ(result.outcome, WaitResult::Outcome::changed);
  EXPECT_EQ(result.changed, (Paths{b, a}));
  EXPECT_TRUE(quiet(watcher));
}

TEST(FileWatcher, SeesAFileAppearInADirectoryThatDidNotExist) {
  testing::ScratchDir dir;
  const auto missing = dir.path() / "later" / "p.txt";
  FileWatcher watcher;
  EXPECT_TRUE(watcher.watch({missing}).empty());
  std::filesystem::create_directories(dir.path() / "later");
  EXPECT_EQ(wait_briefly(watcher).changed, Paths{missing});
}

TEST(FileWatcher, EventsWhileNobodyWaitsAreReturnedByTheNextWait) {
  testing::ScratchDir dir;
  const auto prompt = dir.write("p.txt", "one");
  FileWatcher watcher;
  (void)watcher.watch({prompt});
  dir.write("p.txt", "two");
  (void)watcher.watch({prompt});  // watching again (after a run) keeps what was queued
  EXPECT_EQ(wait_briefly(watcher).changed, Paths{prompt});
}

TEST(FileWatcher, StopsWhenTheStopDescriptorIsReadable) {
  testing::ScratchDir dir;
  const auto prompt = dir.write("p.txt", "one");
  FileWatcher watcher;
  (void)watcher.watch({prompt});
  int pipe[2];
  ASSERT_EQ(::pipe2(pipe, O_CLOEXEC), 0);
  ASSERT_EQ(::write(pipe[1], "x", 1), 1);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_briefly(watcher, pipe[0]).outcome, WaitResult::Outcome::stopped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  ::close(pipe[0]);
  ::close(pipe[1]);
}

TEST(FileWatcher, StopsWatchingFilesNoLongerInTheSet) {
  testing::ScratchDir dir;
  const auto a = dir.write("a/p.txt", "one");
  const auto b = dir.write("b/p.txt", "one");
  FileWatcher watcher;
  (void)watcher.watch({a, b});
  (void)watcher.watch({b});
  dir.write("a/p.txt", "two");
  EXPECT_TRUE(quiet(watcher));
}

}  // namespace
}  // namespace promptbench
