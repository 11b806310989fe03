// Whole-file reads and crash-safe writes.
// WriteFileAtomic writes to "<path>.tmp.<pid>", fsyncs it, renames it over `path` and
// fsyncs the directory: after a crash a reader sees the old file or the new one, whole.
// Thread-safety: safe for different paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ming/status.h"

namespace ming {

// Reads all of `path`: a regular file or a pipe (a FIFO, /dev/stdin on a pipe). Errors name
// the path. Refuses directories, devices and sockets (so /dev/zero cannot make us read
// forever) and anything larger than `max_bytes` (a regular file before reading it). Never
// waits for a FIFO's writer to appear: a FIFO that no one writes reads as empty.
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = uint64_t{1} << 36);

// Replaces `path` with `bytes`: open "<path>.tmp.<pid>", write, fsync, close, rename over
// `path`, open the directory, fsync it, close. Before that it removes "<path>.tmp.<pid>" files
// whose process is gone (left by a crash mid-save; readers never look at them).
// Errors (IoError) name `path`, the failed step and strerror(errno). A failure before the
// rename removes the temp file and leaves `path` as it was; nothing is retried (after a
// failed fsync the data may be lost, so the temp file is abandoned). A failed directory
// sync is reported too ("written, but ..."): then `path` holds the new bytes, not yet durable.
Status WriteFileAtomic(const std::string& path, std::string_view bytes);

// Creates a directory (and parents) if missing.
Status MakeDirs(const std::string& path);

bool FileExists(const std::string& path);

}  // namespace ming
