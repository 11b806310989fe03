// Status and Result<T>: how every ming call that can fail on user input reports it.
// A Status is OK or carries a code and a message that names the place at fault
// ("data.csv:17: column 'temperature': 'hot' is not a number").
// Thread-safety: plain values; safe to copy between threads.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ming {

enum class StatusCode {
  kOk = 0,
  kInvalidInput,  // bad data, flags, model file: the user can fix it (CLI exit 2)
  kNotFound,      // a file, field or model that does not exist (CLI exit 2)
  kIoError,       // the system failed us: disk full, permission (CLI exit 1)
  kRuntime,       // training diverged, internal failure (CLI exit 1)
  kCount
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidInput(std::string msg) { return Status(StatusCode::kInvalidInput, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status Runtime(std::string msg) { return Status(StatusCode::kRuntime, std::move(msg)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Exit code the CLI uses for this status: 0 ok, 2 bad input or usage, 1 otherwise.
  int exit_code() const;
  // The same status with "prefix: " put before the message (adds context as it travels up).
  Status Prefixed(const std::string& prefix) const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or a non-OK Status. REQUIRES: ok() before value().
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace ming

// Return the Status of expr from the enclosing function if it is not OK.
#define MING_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::ming::Status ming_st_ = (expr);         \
    if (!ming_st_.ok()) return ming_st_;      \
  } while (0)

#define MING_CONCAT_INNER(a, b) a##b
#define MING_CONCAT(a, b) MING_CONCAT_INNER(a, b)
// Declare `lhs` from a Result, returning its Status from the enclosing function on error.
#define MING_ASSIGN_OR_RETURN(lhs, expr) \
  MING_ASSIGN_OR_RETURN_IMPL(MING_CONCAT(ming_res_, __LINE__), lhs, expr)
#define MING_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
