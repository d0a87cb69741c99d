// SPDX-License-Identifier: Apache-2.0
// The usual VFS shim: our sqlite3_file is a header followed by the real VFS's own file
// structure; every method forwards to the real one, xWrite and xSync after checking the
// armed faults.
#include "unit/faults/fault_vfs.hpp"

#include <sqlite3.h>

#include <mutex>

namespace promptbench::testing {

namespace {

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  ///< points just past this struct
};

std::mutex g_mutex;
VfsFaults g_faults;
int g_injected = 0;

sqlite3_file* real_of(sqlite3_file* file) {
  return reinterpret_cast<FaultFile*>(file)->real;
}

sqlite3_vfs* real_vfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

int fault_close(sqlite3_file* file) {
  return real_of(file)->pMethods->xClose(real_of(file));
}
int fault_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  return real_of(file)->pMethods->xRead(real_of(file), data, amount, offset);
}
int fault_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  {
    const std::lock_guard lock(g_mutex);
    if (g_faults.writes_before_failure == 0) {
      ++g_injected;
      return g_faults.write_error;
    }
    if (g_faults.writes_before_failure > 0) {
      --g_faults.writes_before_failure;
    }
  }
  return real_of(file)->pMethods->xWrite(real_of(file), data, amount, offset);
}
int fault_truncate(sqlite3_file* file, sqlite3_int64 size) {
  return real_of(file)->pMethods->xTruncate(real_of(file), size);
}
int fault_sync(sqlite3_file* file, int flags) {
  {
    const std::lock_guard lock(g_mutex);
    if (g_faults.sync_error != 0) {
      return g_faults.sync_error;
    }
  }
  return real_of(file)->pMethods->xSync(real_of(file), flags);
}
int fault_file_size(sqlite3_file* file, sqlite3_int64* size) {
  return real_of(file)->pMethods->xFileSize(real_of(file), size);
}
int fault_lock(sqlite3_file* file, int level) {
  return real_of(file)->pMethods->xLock(real_of(file), level);
}
int fault_unlock(sqlite3_file* file, int level) {
  return real_of(file)->pMethods->xUnlock(real_of(file), level);
}
int fault_check_reserved(sqlite3_file* file, int* out) {
  return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out);
}
int fault_file_control(sqlite3_file* file, int op, void* arg) {
  return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}
int fault_sector_size(sqlite3_file* file) {
  return real_of(file)->pMethods->xSectorSize(real_of(file));
}
int fault_device_characteristics(sqlite3_file* file) {
  return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file));
}
int fault_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return real_of(file)->pMethods->xShmMap(real_of(file), page, size, extend, out);
}
int fault_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
void fault_shm_barrier(sqlite3_file* file) {
  real_of(file)->pMethods->xShmBarrier(real_of(file));
}
int fault_shm_unmap(sqlite3_file* file, int delete_flag) {
  return real_of(file)->pMethods->xShmUnmap(real_of(file), delete_flag);
}
int fault_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return real_of(file)->pMethods->xFetch(real_of(file), offset, amount, out);
}
int fault_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real_of(file)->pMethods->xUnfetch(real_of(file), offset, page);
}

const sqlite3_io_methods kFaultMethods = {
    3,
    fault_close,
    fault_read,
    fault_write,
    fault_truncate,
    fault_sync,
    fault_file_size,
    fault_lock,
    fault_unlock,
    fault_check_reserved,
    fault_file_control,
    fault_sector_size,
    fault_device_characteristics,
    fault_shm_map,
    fault_shm_lock,
    fault_shm_barrier,
    fault_shm_unmap,
    fault_fetch,
    fault_unfetch,
};

int fault_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
               int* out_flags) {
  auto* ours = reinterpret_cast<FaultFile*>(file);
  ours->real = reinterpret_cast<sqlite3_file*>(ours + 1);
  const int rc = real_vfs(vfs)->xOpen(real_vfs(vfs), name, ours->real, flags, out_flags);
  // SQLite calls xClose only when pMethods is set: set it only when the real file is open.
  ours->base.pMethods = ours->real->pMethods != nullptr ? &kFaultMethods : nullptr;
  return rc;
}
int fault_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return real_vfs(vfs)->xDelete(real_vfs(vfs), name, sync_dir);
}
int fault_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return real_vfs(vfs)->xAccess(real_vfs(vfs), name, flags, out);
}
int fault_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return real_vfs(vfs)->xFullPathname(real_vfs(vfs), name, size, out);
}
void* fault_dl_open(sqlite3_vfs* vfs, const char* name) {
  return real_vfs(vfs)->xDlOpen(real_vfs(vfs), name);
}
void fault_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  real_vfs(vfs)->xDlError(real_vfs(vfs), size, out);
}
void (*fault_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return real_vfs(vfs)->xDlSym(real_vfs(vfs), handle, symbol);
}
void fault_dl_close(sqlite3_vfs* vfs, void* handle) {
  real_vfs(vfs)->xDlClose(real_vfs(vfs), handle);
}
int fault_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xRandomness(real_vfs(vfs), size, out);
}
int fault_sleep(sqlite3_vfs* vfs, int microseconds) {
  return real_vfs(vfs)->xSleep(real_vfs(vfs), microseconds);
}
int fault_current_time(sqlite3_vfs* vfs, double* out) {
  return real_vfs(vfs)->xCurrentTime(real_vfs(vfs), out);
}
int fault_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  return real_vfs(vfs)->xGetLastError(real_vfs(vfs), size, out);
}
int fault_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return real_vfs(vfs)->xCurrentTimeInt64(real_vfs(vfs), out);
}

}  // namespace

void register_fault_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    static sqlite3_vfs ours{};
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    ours.iVersion = 2;
    ours.szOsFile = static_cast<int>(sizeof(FaultFile)) + real->szOsFile;
    ours.mxPathname = real->mxPathname;
    ours.zName = kFaultVfsName;
    ours.pAppData = real;
    ours.xOpen = fault_open;
    ours.xDelete = fault_delete;
    ours.xAccess = fault_access;
    ours.xFullPathname = fault_full_pathname;
    ours.xDlOpen = fault_dl_open;
    ours.xDlError = fault_dl_error;
    ours.xDlSym = fault_dl_sym;
    ours.xDlClose = fault_dl_close;
    ours.xRandomness = fault_randomness;
    ours.xSleep = fault_sleep;
    ours.xCurrentTime = fault_current_time;
    ours.xGetLastError = fault_get_last_error;
    ours.xCurrentTimeInt64 = fault_current_time_int64;
    sqlite3_vfs_register(&ours, 0);
  });
}

FaultVfsAsDefault::FaultVfsAsDefault() {
  register_fault_vfs();
  sqlite3_vfs_register(sqlite3_vfs_find(kFaultVfsName), 1);
}

FaultVfsAsDefault::~FaultVfsAsDefault() {
  disarm_vfs_faults();
  sqlite3_vfs* ours = sqlite3_vfs_find(kFaultVfsName);
  sqlite3_vfs_register(static_cast<sqlite3_vfs*>(ours->pAppData), 1);
}

void arm_vfs_faults(const VfsFaults& faults) {
  const std::lock_guard lock(g_mutex);
  g_faults = faults;
  g_injected = 0;
}

int injected_vfs_failures() {
  const std::lock_guard lock(g_mutex);
  return g_injected;
}

}  // namespace promptbench::testing
