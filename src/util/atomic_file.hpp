// SPDX-License-Identifier: Apache-2.0
// Atomic file replacement: every output promptbench writes (the JSON report, Markdown, CSV,
// JUnit) goes through here, so a reader sees the old file or the whole new one, never half.
// Its system calls go through util::file_ops(), where tests inject faults (docs/FAULTS.md).
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string_view>

namespace promptbench::util {

/// The temporary file an atomic write of `target` uses: "<target>.tmp", in the target's
/// directory (a rename is atomic only within one file system). A second Ctrl-C removes it
/// by this name.
[[nodiscard]] std::filesystem::path atomic_temp_path(const std::filesystem::path& target);

/// A file written under atomic_temp_path(target) and renamed over `target` by commit().
/// Destroyed without a successful commit() -- an exception, an early return -- it removes
/// the temporary file and leaves `target` as it was. Every failure throws
/// UserError("cannot write <target>: <reason>") (exit 2: an output that cannot be written).
///
///   AtomicFile file(path);
///   file.write(head);           // or render into file.stream()
///   file.write(chunk);          // as many chunks as needed: they are buffered here
///   file.commit();
///
/// A temporary file left by a crash is replaced. Two processes writing the same target at
/// once do not mix their bytes: the later one takes the temporary name over and the
/// earlier one fails at commit() instead of renaming the other's unfinished file.
class AtomicFile {
 public:
  /// Creates the target's missing directories and the temporary file. Throws UserError when
  /// `target` is a directory or the temporary file cannot be created.
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `bytes`. Throws UserError when the file system refuses them (disk full).
  void write(std::string_view bytes);
  /// The same file as a stream, for renderers that write to std::ostream. A failure shows
  /// as the stream's badbit and is thrown, with its reason, by commit().
  [[nodiscard]] std::ostream& stream();
  /// Flushes, fsyncs and renames the file over the target (then syncs the directory, best
  /// effort). On failure throws UserError and removes the temporary file; the target is
  /// unchanged. Call it once.
  void commit();

  [[nodiscard]] const std::filesystem::path& target() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

/// Replaces `target` with `contents` through an AtomicFile. Throws UserError.
void write_file_atomically(const std::filesystem::path& target, std::string_view contents);

}  // namespace promptbench::util
