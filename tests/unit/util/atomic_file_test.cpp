// SPDX-License-Identifier: Apache-2.0
// AtomicFile: the target changes only on commit, and a write that is abandoned or fails
// leaves no temporary file behind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "promptbench/error.hpp"
#include "unit/temp_dir.hpp"
#include "util/atomic_file.hpp"

namespace promptbench::util {
namespace {

using promptbench::testing::ScratchDir;
namespace fs = std::filesystem;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFile, TheTemporaryFileIsTheTargetWithTmpAppended) {
  EXPECT_EQ(atomic_temp_path("out/report.json"), fs::path("out/report.json.tmp"));
  EXPECT_EQ(atomic_temp_path("r.md"), fs::path("r.md.tmp"));
}

TEST(AtomicFile, LeavesTheTargetAsItWasUntilCommit) {
  ScratchDir dir;
  const auto path = dir.write("out.txt", "old");
  AtomicFile file(path);
  file.write("new ");
  file.stream() << "and streamed";
  file.stream().flush();
  EXPECT_EQ(read(path), "old");
  EXPECT_EQ(read(dir.path() / "out.txt.tmp"), "new and streamed");
  file.commit();
  EXPECT_EQ(read(path), "new and streamed");
  EXPECT_THAT(entries(dir.path()), ::testing::ElementsAre("out.txt"));
}

TEST(AtomicFile, AbandonedItRemovesTheTemporaryFileAndKeepsTheTarget) {
  ScratchDir dir;
  const auto path = dir.write("out.txt", "old");
  try {
    AtomicFile file(path);
    file.write("half of it");
    throw std::runtime_error("the renderer failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(read(path), "old");
  EXPECT_THAT(entries(dir.path()), ::testing::ElementsAre("out.txt"));
}

TEST(AtomicFile, StreamsChunksLargerThanItsBufferInOrder) {
  ScratchDir dir;
  const auto path = dir.path() / "big.json";
  std::string expected;
  {
    AtomicFile file(path);
    for (int i = 0; i < 40; ++i) {
      const std::string chunk(static_cast<std::size_t>(1000 * i + 1),
                              static_cast<char>('a' + i % 26));
      file.write(chunk);
      expected += chunk;
    }
    const std::string huge(std::size_t{200'000}, 'z');  // past the buffer: written directly
    file.write(huge);
    expected += huge;
    file.stream() << "end";
    expected += "end";
    file.commit();
  }
  EXPECT_EQ(read(path), expected);
}

TEST(AtomicFile, CreatesMissingFoldersAndReplacesALeftoverTemporaryFile) {
  ScratchDir dir;
  const auto path = dir.path() / "a" / "b" / "report.md";
  dir.write("a/b/report.md.tmp", "left by a crash, longer than the new text");
  write_file_atomically(path, "# report\n");
  EXPECT_EQ(read(path), "# report\n");
  EXPECT_THAT(entries(dir.path() / "a" / "b"), ::testing::ElementsAre("report.md"));
}

TEST(AtomicFile, ADirectoryTargetIsAUserError) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "out");
  try {
    AtomicFile file(dir.path() / "out");
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot write " + (dir.path() / "out").string() + ": it is a directory");
  }
}

TEST(AtomicFile, AnUncreatableFileIsAUserErrorWithTheReason) {
  ScratchDir dir;
  dir.write("file", "x");
  const auto path = dir.path() / "file" / "under-a-file.xml";
  try {
    AtomicFile file(path);
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path.string() + ": Not a directory");
  }
}

TEST(AtomicFile, ASymlinkAtTheTemporaryNameIsReplacedNotFollowed) {
  ScratchDir dir;
  const auto path = dir.write("out.txt", "old");
  const auto victim = dir.write("victim.txt", "must stay");
  fs::create_symlink(victim, dir.path() / "out.txt.tmp");
  write_file_atomically(path, "new");
  EXPECT_EQ(read(path), "new");
  EXPECT_EQ(read(victim), "must stay");
  EXPECT_THAT(entries(dir.path()), ::testing::ElementsAre("out.txt", "victim.txt"));
}

/// Limits the size of files this process may write (as a full disk would), ignoring the
/// SIGXFSZ that would otherwise kill the test; both restored on destruction.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    m_previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &m_previous);
    rlimit limit = m_previous;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &m_previous);
    std::signal(SIGXFSZ, m_previous_handler);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit m_previous{};
  void (*m_previous_handler)(int) = nullptr;
};

TEST(AtomicFile, AWriteTheFileSystemRefusesFailsWithTheReasonAndKeepsTheTarget) {
  ScratchDir dir;
  const auto path = dir.write("out.txt", "old");
  try {
    const FileSizeLimit limit(1024);
    AtomicFile file(path);
    file.stream() << std::string(4096, 'x');  // buffered: the failure shows at commit
    file.commit();
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write " + path.string() + ": File too large");
  }
  EXPECT_EQ(read(path), "old");
  EXPECT_THAT(entries(dir.path()), ::testing::ElementsAre("out.txt"));
}

TEST(AtomicFile, AWriterWhoseTemporaryFileWasTakenOverDoesNotPublishTheOther) {
  ScratchDir dir;
  const auto path = dir.write("out.txt", "old");
  AtomicFile first(path);
  first.write("first, complete");
  AtomicFile second(path);  // another process starting on the same target
  second.write("second, still being written");
  try {
    first.commit();
    FAIL() << "no error";
  } catch (const UserError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("was replaced by another process"));
  }
  EXPECT_EQ(read(path), "old");
  second.commit();
  EXPECT_EQ(read(path), "second, still being written");
  EXPECT_THAT(entries(dir.path()), ::testing::ElementsAre("out.txt"));
}

TEST(AtomicFile, CommittingTwiceIsAnError) {
  ScratchDir dir;
  AtomicFile file(dir.path() / "once.txt");
  file.commit();
  EXPECT_THROW(file.commit(), UserError);
  EXPECT_EQ(read(dir.path() / "once.txt"), "");
}

}  // namespace
}  // namespace promptbench::util
