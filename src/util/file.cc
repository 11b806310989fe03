// POSIX file helpers: read whole files, write atomically (temp + fsync + rename + dir fsync).
// The I/O steps of a save and what a crash after each leaves are tested in tests/fault/.
#include "util/file.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ming {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string DirOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseOf(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Removes "<name>.tmp.<pid>" siblings of `path` left by writers that died mid-save (kill -9,
// power loss), so that crashes do not pile up temporary files. A temp file whose pid is alive
// (or cannot be probed) may belong to a save in progress and is left alone.
void RemoveStaleTemps(const std::string& path) {
  const std::string prefix = BaseOf(path) + ".tmp.";
  DIR* dir = ::opendir(DirOf(path).c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name.substr(0, prefix.size()) != prefix) continue;
    const std::string_view digits = name.substr(prefix.size());
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(std::string(digits)));
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    ::unlinkat(::dirfd(dir), e->d_name, 0);
  }
  ::closedir(dir);
}

// The error of a failed save: names the destination, the step and the system's reason, and
// removes the temporary file (the destination still holds its previous contents).
Status SaveFailed(const std::string& path, const std::string& tmp, const char* step) {
  const std::string msg = path + ": cannot save: " + step + " " + tmp + " failed: " + Errno();
  ::unlink(tmp.c_str());
  return Status::IoError(msg);
}

// What a path that is not a regular file, directory or pipe is, for messages.
const char* KindOf(mode_t mode) {
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

Status ReadAll(int fd, const std::string& path, uint64_t max_bytes, std::string* out) {
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IoError(path + ": read failed: " + Errno());
    }
    if (n == 0) return Status::Ok();
    if (out->size() + static_cast<uint64_t>(n) > max_bytes) {
      return Status::InvalidInput(path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  if (path.empty()) return Status::NotFound("(empty path): no such file");
  // O_NONBLOCK: opening a FIFO that no writer has open must not wait for one.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + ": no such file");
    return Status::InvalidInput(path + ": cannot open: " + Errno());
  }
  struct stat st;
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Status::IoError(path + ": cannot stat: " + Errno());
  } else if (S_ISDIR(st.st_mode)) {
    status = Status::InvalidInput(path + ": is a directory, not a file");
  } else if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    // Devices such as /dev/zero never end; only files and pipes are read.
    status =
        Status::InvalidInput(path + ": is " + KindOf(st.st_mode) + ", not a regular file or pipe");
  } else if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > max_bytes) {
    status = Status::InvalidInput(path + ": " + std::to_string(st.st_size) +
                                  " bytes, larger than the limit of " + std::to_string(max_bytes));
  } else if (S_ISFIFO(st.st_mode) && ::fcntl(fd, F_SETFL, O_RDONLY) != 0) {
    // Blocking reads from here: a pipe's reader waits for its writer (and sees the end of
    // the data at once when there is none).
    status = Status::IoError(path + ": fcntl failed: " + Errno());
  }
  std::string out;
  if (status.ok()) {
    if (S_ISREG(st.st_mode)) out.reserve(static_cast<size_t>(st.st_size));
    status = ReadAll(fd, path, max_bytes, &out);
  }
  ::close(fd);
  if (!status.ok()) return status;
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  RemoveStaleTemps(path);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Status::IoError(path + ": cannot save: creating " + tmp + " failed: " + Errno());
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      const int err = errno;
      ::close(fd);
      errno = err;
      return SaveFailed(path, tmp, "writing");
    }
    done += static_cast<size_t>(n);
  }
  // An fsync failure is final: the kernel may have dropped the dirty pages and cleared the
  // error, so a second fsync could report success for lost data. Abandon the file instead.
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return SaveFailed(path, tmp, "syncing");
  }
  if (::close(fd) != 0) return SaveFailed(path, tmp, "closing");
  if (::rename(tmp.c_str(), path.c_str()) != 0) return SaveFailed(path, tmp, "renaming");
  // The new contents are in place; syncing the directory makes the rename itself durable.
  const std::string dir = DirOf(path);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    return Status::IoError(path + ": written, but opening its directory to sync it failed: " +
                           Errno());
  }
  if (::fsync(dfd) != 0 && errno != EINVAL) {  // EINVAL: the file system cannot sync directories
    const std::string msg = path + ": written, but syncing its directory failed: " + Errno();
    ::close(dfd);
    return Status::IoError(msg);
  }
  ::close(dfd);
  return Status::Ok();
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Status::IoError(path + ": cannot create directory: " + ec.message());
  return Status::Ok();
}

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace ming
