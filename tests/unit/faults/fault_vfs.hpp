// SPDX-License-Identifier: Apache-2.0
// An SQLite VFS that wraps the default one and fails writes or syncs on demand: the cache's
// "disk full while committing" without filling a disk. Registered as kFaultVfsName; a test
// opens the cache through it with CacheOptions{.vfs = kFaultVfsName}, then arms a fault.
#pragma once

namespace promptbench::testing {

inline constexpr const char* kFaultVfsName = "promptbench-fault";

/// Registers the VFS (once per process; not as the default).
void register_fault_vfs();

/// Makes the fault VFS SQLite's default while it lives, for code that opens the cache
/// without options (a whole run); the real default is restored after.
class FaultVfsAsDefault {
 public:
  FaultVfsAsDefault();
  ~FaultVfsAsDefault();
  FaultVfsAsDefault(const FaultVfsAsDefault&) = delete;
  FaultVfsAsDefault& operator=(const FaultVfsAsDefault&) = delete;
};

/// What the VFS does to the files opened through it (database and WAL alike). The counts
/// start when armed; every call of the VFS's files after that is counted.
struct VfsFaults {
  /// xWrite fails with `write_error` after this many more successful writes; -1: never.
  int writes_before_failure = -1;
  int write_error = 0;  ///< e.g. SQLITE_FULL, SQLITE_IOERR_WRITE
  /// xSync fails with this (e.g. SQLITE_IOERR_FSYNC); 0: never.
  int sync_error = 0;
};

/// Arms `faults` for every file of the VFS (replacing what was armed).
void arm_vfs_faults(const VfsFaults& faults);
/// Lets every call through again.
inline void disarm_vfs_faults() {
  arm_vfs_faults({});
}
/// xWrite calls that failed because of an armed fault.
[[nodiscard]] int injected_vfs_failures();

}  // namespace promptbench::testing
