// An LD_PRELOAD shim for the crash and fault tests: counts the I/O steps of a process and,
// on request, crashes right after step n (optionally losing unsynced data, as a power cut
// would) or makes one step fail with a chosen errno without performing it.
// Steps: open/openat/creat, write/pwrite/writev, fsync/fdatasync, ftruncate, close,
// rename/renameat/renameat2, unlink/unlinkat (calls made through the PLT; libc's internal
// calls, e.g. inside opendir or stdio, are not seen). Environment:
//   MING_SHIM_CRASH_AT=n     _exit(99) right after the n-th step has been performed
//   MING_SHIM_POWER_LOSS=1   at that crash, first truncate to 0 bytes every file written or
//                            truncated since its last fsync (the data never reached the disk,
//                            its name did: the worst case of delayed allocation)
//   MING_SHIM_FAIL=op:errno:substring[:nth]  the nth (default 1st) call of `op` (open, write,
//                            fsync, fdatasync, close, rename, unlink, ftruncate) on a path
//                            containing `substring` returns -1 with that errno
//   MING_SHIM_LOG=file       appends "step op fd path result errno" for every step
// Built without sanitizers; under ASan the program needs ASAN_OPTIONS=verify_asan_link_order=0.
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

namespace {

constexpr int kMaxFd = 4096;
constexpr int kPath = 512;
constexpr int kMaxDirty = 256;

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
long g_step = 0;
long g_crash_at = -1;
bool g_power_loss = false;
int g_log_fd = -1;
char g_fd_path[kMaxFd][kPath];   // the path each open fd was opened with
char g_dirty[kMaxDirty][kPath];  // files with data not yet fsynced ("" = free slot)

struct Failure {
  char op[16] = "";
  int err = 0;
  char match[kPath] = "";
  long nth = 1, seen = 0;
} g_fail;

template <class F>
F Real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

using OpenFn = int (*)(const char*, int, ...);
using OpenatFn = int (*)(int, const char*, int, ...);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using PwriteFn = ssize_t (*)(int, const void*, size_t, off_t);
using WritevFn = ssize_t (*)(int, const struct iovec*, int);
using FdFn = int (*)(int);
using FtruncFn = int (*)(int, off_t);
using RenameFn = int (*)(const char*, const char*);
using RenameatFn = int (*)(int, const char*, int, const char*);
using Renameat2Fn = int (*)(int, const char*, int, const char*, unsigned);
using UnlinkFn = int (*)(const char*);
using UnlinkatFn = int (*)(int, const char*, int);

void Copy(char* dst, const char* src) { snprintf(dst, kPath, "%s", src ? src : ""); }

const char* FdPath(int fd) { return fd >= 0 && fd < kMaxFd ? g_fd_path[fd] : ""; }

__attribute__((constructor)) void Init() {
  if (const char* s = getenv("MING_SHIM_CRASH_AT")) g_crash_at = atol(s);
  if (const char* s = getenv("MING_SHIM_POWER_LOSS")) g_power_loss = s[0] == '1';
  if (const char* s = getenv("MING_SHIM_LOG")) {
    g_log_fd =
        Real<OpenatFn>("openat")(AT_FDCWD, s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  if (const char* s = getenv("MING_SHIM_FAIL")) {
    char buf[kPath + 64];
    snprintf(buf, sizeof buf, "%s", s);
    char* save = nullptr;
    const char* op = strtok_r(buf, ":", &save);
    const char* err = strtok_r(nullptr, ":", &save);
    const char* match = strtok_r(nullptr, ":", &save);
    const char* nth = strtok_r(nullptr, ":", &save);
    if (op && err) {
      snprintf(g_fail.op, sizeof g_fail.op, "%s", op);
      g_fail.err = atoi(err);
      Copy(g_fail.match, match);
      if (nth) g_fail.nth = atol(nth);
    }
  }
}

void SetDirty(const char* path, bool dirty) {
  if (!path || !path[0]) return;
  int free_slot = -1;
  for (int i = 0; i < kMaxDirty; ++i) {
    if (g_dirty[i][0] == '\0') {
      if (free_slot < 0) free_slot = i;
    } else if (strcmp(g_dirty[i], path) == 0) {
      if (!dirty) g_dirty[i][0] = '\0';
      return;
    }
  }
  if (dirty && free_slot >= 0) Copy(g_dirty[free_slot], path);
}

void Renamed(const char* from, const char* to) {
  bool was_dirty = false;
  for (auto& d : g_dirty) {
    if (d[0] != '\0' && strcmp(d, from) == 0) was_dirty = true;
  }
  SetDirty(from, false);
  SetDirty(to, was_dirty);
  for (auto& p : g_fd_path) {
    if (p[0] != '\0' && strcmp(p, from) == 0) Copy(p, to);
  }
}

// Decides before a step whether it is to fail; returns the errno to fail with, or 0.
int Injected(const char* op, const char* path, const char* path2 = nullptr) {
  if (g_fail.err == 0 || strcmp(op, g_fail.op) != 0) return 0;
  const bool hit = (path && strstr(path, g_fail.match)) || (path2 && strstr(path2, g_fail.match));
  if (!hit || ++g_fail.seen != g_fail.nth) return 0;
  return g_fail.err;
}

// Called after each step (mutex held): logs it and crashes when its number comes up.
void Done(const char* op, int fd, const char* path, long result, int err) {
  ++g_step;
  if (g_log_fd >= 0) {
    char line[kPath + 96];
    const int n = snprintf(line, sizeof line, "%ld %s %d %s %ld %d\n", g_step, op, fd,
                           path && path[0] ? path : "-", result, result < 0 ? err : 0);
    Real<WriteFn>("write")(g_log_fd, line, static_cast<size_t>(n));
  }
  if (g_step != g_crash_at) return;
  if (g_power_loss) {
    for (auto& d : g_dirty) {
      if (d[0] != '\0') truncate(d, 0);
    }
  }
  _exit(99);
}

struct Lock {
  Lock() { pthread_mutex_lock(&g_mu); }
  ~Lock() { pthread_mutex_unlock(&g_mu); }
};

int Opened(const char* op, const char* path, int flags, int fd, int err) {
  if (fd >= 0 && fd < kMaxFd) {
    Copy(g_fd_path[fd], path);
    if (flags & O_TRUNC) SetDirty(path, true);
  }
  Done(op, fd, path, fd, err);
  errno = err;
  return fd;
}

int DoOpen(const char* op, int dirfd, const char* path, int flags, mode_t mode) {
  Lock lock;
  if (int e = Injected("open", path)) return Opened(op, path, flags, -1, e);
  const int fd = Real<OpenatFn>("openat")(dirfd, path, flags, mode);
  return Opened(op, path, flags, fd, errno);
}

mode_t ModeArg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE
             ? static_cast<mode_t>(va_arg(ap, int))
             : 0;
}

template <class F>
ssize_t DoWrite(const char* op, int fd, F real) {
  Lock lock;
  const char* path = FdPath(fd);
  if (int e = Injected("write", path)) {
    Done(op, fd, path, -1, e);
    errno = e;
    return -1;
  }
  const ssize_t n = real(fd);
  const int err = errno;
  if (n > 0) SetDirty(path, true);
  Done(op, fd, path, n, err);
  errno = err;
  return n;
}

template <class F>
int DoFdOp(const char* op, int fd, F real) {
  Lock lock;
  char path[kPath];
  Copy(path, FdPath(fd));
  if (int e = Injected(op, path)) {
    // A failed fsync means the data may be lost: it stays dirty. A failed close still
    // releases the descriptor (as Linux does).
    if (strcmp(op, "close") == 0) {
      Real<FdFn>("close")(fd);
      if (fd >= 0 && fd < kMaxFd) g_fd_path[fd][0] = '\0';
    }
    Done(op, fd, path, -1, e);
    errno = e;
    return -1;
  }
  const int r = real(fd);
  const int err = errno;
  if (r == 0 && (strcmp(op, "fsync") == 0 || strcmp(op, "fdatasync") == 0)) SetDirty(path, false);
  if (strcmp(op, "close") == 0 && fd >= 0 && fd < kMaxFd) g_fd_path[fd][0] = '\0';
  Done(op, fd, path, r, err);
  errno = err;
  return r;
}

template <class F>
int DoRename(const char* op, const char* from, const char* to, F real) {
  Lock lock;
  if (int e = Injected("rename", from, to)) {
    Done(op, -1, from, -1, e);
    errno = e;
    return -1;
  }
  const int r = real();
  const int err = errno;
  if (r == 0) Renamed(from, to);
  Done(op, -1, to, r, err);
  errno = err;
  return r;
}

template <class F>
int DoUnlink(const char* op, const char* path, F real) {
  Lock lock;
  if (int e = Injected("unlink", path)) {
    Done(op, -1, path, -1, e);
    errno = e;
    return -1;
  }
  const int r = real();
  const int err = errno;
  if (r == 0) SetDirty(path, false);
  Done(op, -1, path, r, err);
  errno = err;
  return r;
}

}  // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpen("open", AT_FDCWD, path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpen("open", AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpen("open", dirfd, path, flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  const mode_t mode = ModeArg(flags, ap);
  va_end(ap);
  return DoOpen("open", dirfd, path, flags, mode);
}

int creat(const char* path, mode_t mode) {
  return DoOpen("open", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

int creat64(const char* path, mode_t mode) {
  return DoOpen("open", AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

ssize_t write(int fd, const void* buf, size_t count) {
  return DoWrite("write", fd, [&](int f) { return Real<WriteFn>("write")(f, buf, count); });
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t off) {
  return DoWrite("write", fd, [&](int f) { return Real<PwriteFn>("pwrite")(f, buf, count, off); });
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off_t off) {
  return pwrite(fd, buf, count, off);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  return DoWrite("write", fd, [&](int f) { return Real<WritevFn>("writev")(f, iov, iovcnt); });
}

int fsync(int fd) {
  return DoFdOp("fsync", fd, [](int f) { return Real<FdFn>("fsync")(f); });
}

int fdatasync(int fd) {
  return DoFdOp("fdatasync", fd, [](int f) { return Real<FdFn>("fdatasync")(f); });
}

int close(int fd) {
  return DoFdOp("close", fd, [](int f) { return Real<FdFn>("close")(f); });
}

int ftruncate(int fd, off_t len) {
  return DoFdOp("ftruncate", fd, [&](int f) {
    const int r = Real<FtruncFn>("ftruncate")(f, len);
    if (r == 0) SetDirty(FdPath(f), true);
    return r;
  });
}

int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

int rename(const char* from, const char* to) {
  return DoRename("rename", from, to, [&] { return Real<RenameFn>("rename")(from, to); });
}

int renameat(int d1, const char* from, int d2, const char* to) {
  return DoRename("rename", from, to,
                  [&] { return Real<RenameatFn>("renameat")(d1, from, d2, to); });
}

int renameat2(int d1, const char* from, int d2, const char* to, unsigned flags) {
  return DoRename("rename", from, to,
                  [&] { return Real<Renameat2Fn>("renameat2")(d1, from, d2, to, flags); });
}

int unlink(const char* path) {
  return DoUnlink("unlink", path, [&] { return Real<UnlinkFn>("unlink")(path); });
}

int unlinkat(int dirfd, const char* path, int flags) {
  return DoUnlink("unlink", path, [&] { return Real<UnlinkatFn>("unlinkat")(dirfd, path, flags); });
}

}  // extern "C"
