// Helpers shared by the preprocess*.cc files; not part of the data-layer interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "data/csv.h"
#include "data/schema.h"
#include "ming/status.h"

namespace ming::internal {

// Limits that Fit enforces and FromJson checks, so a fitted model always loads.
inline constexpr int kMaxCategories = 1 << 16;  // kept categories per field
inline constexpr int kMaxClasses = 1 << 16;     // classification outputs
inline constexpr int64_t kMaxWidth = 1 << 24;   // encoded columns in all

inline constexpr int kMaxEmbedDim = 1024;

// Encoded columns of a field with this layout (embed_dim > 0: an embedded field).
inline int64_t FieldWidth(FieldType type, size_t categories, bool has_missing, int embed_dim) {
  if (embed_dim > 0) return embed_dim;
  return (type == FieldType::kCategorical ? static_cast<int64_t>(categories) + 1 : 1) +
         (has_missing ? 1 : 0);
}

// A cell as messages quote it: trimmed, and cut to its first 60 bytes (at a UTF-8
// boundary) plus "... (N bytes)" when longer, so a 1 MiB cell does not make a 1 MiB message.
std::string Shown(std::string_view cell);

// "<source>:<line>" of data row r.
std::string Where(const CsvTable& t, size_t r);

// Parses a numeric or boolean cell. A missing cell sets *missing and leaves *v alone.
// Errors name the column but not the place: "column 'age': 'old' is not a number".
// Allocates only on error.
Status ScalarValue(FieldType type, std::string_view cell, const std::string& name, double* v,
                   bool* missing);

}  // namespace ming::internal
