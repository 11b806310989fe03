// Integers read from JSON that came from outside (model files, checkpoints): nlohmann's
// get<int>() converts a float such as 1e300 with undefined behaviour and wraps large
// integers silently, so file readers take integers through JsonInt, which accepts only a
// JSON integer within [lo, hi] and throws json::type_error otherwise (the readers already
// turn json::exception into InvalidInput naming the place).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace ming {

inline int64_t JsonInt(const nlohmann::json& v, int64_t lo, int64_t hi) {
  const bool fits = v.is_number_integer() &&
                    (!v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX));
  if (fits && v.get<int64_t>() >= lo && v.get<int64_t>() <= hi) return v.get<int64_t>();
  throw nlohmann::json::type_error::create(
      302, v.dump() + " is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", &v);
}

}  // namespace ming
