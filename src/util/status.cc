// Status helpers: exit-code mapping and message prefixes.
#include "ming/status.h"

namespace ming {

int Status::exit_code() const {
  switch (code_) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidInput:
    case StatusCode::kNotFound: return 2;
    case StatusCode::kIoError:
    case StatusCode::kRuntime:
    case StatusCode::kCount: return 1;
  }
  return 1;
}

Status Status::Prefixed(const std::string& prefix) const {
  if (ok()) return *this;
  return Status(code_, prefix + ": " + message_);
}

}  // namespace ming
