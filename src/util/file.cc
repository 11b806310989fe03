// POSIX file helpers: read whole files, write atomically (temp + fsync + rename + dir fsync).
#include "util/file.h"

#include <fcntl.h>
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
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(tmp + ": cannot create: " + Errno());
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string msg = tmp + ": write failed: " + Errno();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IoError(msg);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    std::string msg = tmp + ": fsync failed: " + Errno();
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::IoError(msg);
  }
  if (::close(fd) != 0) {
    std::string msg = tmp + ": close failed: " + Errno();
    ::unlink(tmp.c_str());
    return Status::IoError(msg);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = path + ": rename failed: " + Errno();
    ::unlink(tmp.c_str());
    return Status::IoError(msg);
  }
  int dfd = ::open(DirOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
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
