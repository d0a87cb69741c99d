// SPDX-License-Identifier: Apache-2.0
// The outputs below the file system (docs/FAULTS.md), through the FileOps seam: a disk that
// fills up part-way through a write, a refused open (EACCES, EROFS), a failed fsync or
// rename, a temporary file or spool deleted during the run. An output is whole or as it was,
// never half, and every failure names the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "promptbench/error.hpp"
#include "promptbench/report_formats.hpp"
#include "report/report_writer.hpp"
#include "unit/faults/fault_file_ops.hpp"
#include "unit/report/sample_report.hpp"
#include "unit/temp_dir.hpp"
#include "util/atomic_file.hpp"

namespace promptbench {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The UserError message of `action`, or "" when it threw none.
template <typename Action>
std::string user_error_of(Action&& action) {
  try {
    action();
  } catch (const UserError& error) {
    return error.what();
  }
  return "";
}

CaseRecord a_case(int i) {
  CaseRecord record;
  record.index = static_cast<std::size_t>(i);
  record.id = "c" + std::to_string(i);
  return record;
}

class OutputFaults : public ::testing::Test {
 protected:
  OutputFaults() : m_install(m_faults) {}
  [[nodiscard]] fs::path target() const { return m_dir.path() / "out.json"; }
  /// A previous version of the target, which every failure must leave as it was.
  void write_previous() const { m_dir.write("out.json", "previous\n"); }
  void expect_previous_and_no_leftovers() const {
    EXPECT_EQ(contents(target()), "previous\n");
    EXPECT_FALSE(fs::exists(util::atomic_temp_path(target())));
  }

  testing::ScratchDir m_dir;
  testing::FaultFileOps m_faults;
  util::ScopedFileOps m_install;
};

TEST_F(OutputFaults, DiskFullPartWayThroughAWriteLeavesThePreviousFile) {
  write_previous();
  m_faults.fail_writes_after("out.json.tmp", 1000, ENOSPC);
  const std::string message = user_error_of([&] {
    util::AtomicFile file(target());
    file.write(std::string(200'000, 'x'));
    file.commit();
  });
  EXPECT_EQ(message, "cannot write " + target().string() + ": No space left on device");
  EXPECT_GE(m_faults.injected(), 1);
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, DiskFullWhileAStreamRendersShowsAtCommit) {
  write_previous();
  m_faults.fail_writes_after("out.json.tmp", 10, ENOSPC);
  const std::string message = user_error_of([&] {
    util::AtomicFile file(target());
    for (int i = 0; i < 20'000; ++i) {
      file.stream() << "line " << i << '\n';
    }
    file.commit();
  });
  EXPECT_EQ(message, "cannot write " + target().string() + ": No space left on device");
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, AnOpenRefusedByPermissionsOrAReadOnlyFileSystemNamesTheFile) {
  write_previous();
  m_faults.fail_open("out.json.tmp", EACCES);
  EXPECT_EQ(user_error_of([&] { util::write_file_atomically(target(), "new"); }),
            "cannot write " + target().string() + ": Permission denied");
  testing::FaultFileOps read_only;
  read_only.fail_open(".tmp", EROFS);
  const util::ScopedFileOps install(read_only);
  EXPECT_EQ(user_error_of([&] { util::write_file_atomically(target(), "new"); }),
            "cannot write " + target().string() + ": Read-only file system");
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, AFailedFsyncOrRenameLeavesThePreviousFile) {
  write_previous();
  m_faults.fail_fsync("out.json.tmp", EIO);
  EXPECT_EQ(user_error_of([&] { util::write_file_atomically(target(), "new"); }),
            "cannot write " + target().string() + ": Input/output error");
  expect_previous_and_no_leftovers();
  testing::FaultFileOps failing_rename;
  failing_rename.fail_rename("out.json.tmp", EACCES);
  const util::ScopedFileOps install(failing_rename);
  EXPECT_EQ(user_error_of([&] { util::write_file_atomically(target(), "new"); }),
            "cannot write " + target().string() + ": Permission denied");
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, ATemporaryFileDeletedBeforeTheRenameIsNotPublished) {
  write_previous();
  const std::string message = user_error_of([&] {
    util::AtomicFile file(target());
    file.write("new");
    fs::remove(util::atomic_temp_path(target()));
    file.commit();
  });
  EXPECT_EQ(message, fmt::format("cannot write {}: {} was deleted while it was being written; "
                                 "{} is as it was",
                                 target().string(), util::atomic_temp_path(target()).string(),
                                 target().string()));
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, TheSpoolFillingUpIsKeptAsTheWritersFailureAndNoReportIsWritten) {
  write_previous();
  const fs::path spool = target().string() + ".cases.tmp";
  m_faults.fail_writes_after(".cases.tmp", 100'000, ENOSPC);
  ReportWriter writer(target());
  int added = 0;
  while (!writer.failure() && added < 100'000) {
    writer.add_case(a_case(added++));
  }
  ASSERT_TRUE(writer.failure().has_value()) << "the spool never failed";
  EXPECT_EQ(*writer.failure(), "cannot write " + spool.string() + ": No space left on device");
  EXPECT_EQ(user_error_of([&] { writer.finish(ReportSummary{}); }),
            *writer.failure() + "; " + target().string() + " was not written");
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, TheSpoolDeletedDuringTheRunStillYieldsTheWholeReport) {
  const fs::path spool = target().string() + ".cases.tmp";
  {
    ReportWriter writer(target());
    for (int i = 0; i < 3000; ++i) {  // past the buffer: some of it is in the file already
      writer.add_case(a_case(i));
      if (i == 1500) {
        ASSERT_TRUE(fs::remove(spool));
      }
    }
    writer.finish(ReportSummary{});
  }
  const auto report = nlohmann::json::parse(contents(target()));
  ASSERT_EQ(report["cases"].size(), 3000u);
  EXPECT_EQ(report["cases"][2999]["id"], "c2999");
  EXPECT_FALSE(fs::exists(spool));
}

TEST_F(OutputFaults, TheSpoolReplacedDuringTheRunIsNotWhatTheReportReads) {
  const fs::path spool = target().string() + ".cases.tmp";
  {
    ReportWriter writer(target());
    writer.add_case(a_case(0));
    fs::remove(spool);
    m_dir.write("out.json.cases.tmp", "not cases at all");
    writer.add_case(a_case(1));
    writer.finish(ReportSummary{});
  }
  const auto report = nlohmann::json::parse(contents(target()));
  EXPECT_EQ(report["cases"].size(), 2u);
  EXPECT_EQ(contents(spool), "not cases at all");  // not ours to remove, even at the end
}

TEST_F(OutputFaults, DiskFullWhileTheReportIsWrittenLeavesThePreviousReport) {
  write_previous();
  m_faults.fail_writes_after("out.json.tmp", 500, ENOSPC);
  ReportWriter writer(target());
  for (int i = 0; i < 100; ++i) {
    writer.add_case(a_case(i));
  }
  EXPECT_FALSE(writer.failure().has_value());
  EXPECT_EQ(user_error_of([&] { writer.finish(ReportSummary{}); }),
            "cannot write " + target().string() + ": No space left on device");
  expect_previous_and_no_leftovers();
}

TEST_F(OutputFaults, EveryOtherFormatNamesItsFileAndLeavesThePreviousOne) {
  const auto source = report_from_json(testing::sample_report());
  for (const ReportFormat& format : report_formats()) {
    SCOPED_TRACE(format.name);
    const fs::path path = m_dir.path() / (std::string("out.") + format.name);
    m_dir.write(path.filename().string(), "previous\n");
    testing::FaultFileOps full;
    full.fail_writes_after(path.filename().string() + ".tmp", 64, ENOSPC);
    {
      const util::ScopedFileOps install(full);
      EXPECT_EQ(user_error_of([&] { write_report_format(format, *source, path); }),
                "cannot write " + path.string() + ": No space left on device");
    }
    EXPECT_EQ(contents(path), "previous\n");
    EXPECT_FALSE(fs::exists(util::atomic_temp_path(path)));
    testing::FaultFileOps denied;
    denied.fail_open(path.filename().string() + ".tmp", EACCES);
    const util::ScopedFileOps install(denied);
    EXPECT_EQ(user_error_of([&] { write_report_format(format, *source, path); }),
              "cannot write " + path.string() + ": Permission denied");
    EXPECT_EQ(contents(path), "previous\n");
  }
}

}  // namespace
}  // namespace promptbench
