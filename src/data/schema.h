// Cell-level parsing and column type inference.
// Missing: "", "NA", "N/A", "NaN", "?", "null", "none" (case-insensitive, surrounding
// spaces ignored). Booleans: true/false, yes/no, y/n, t/f, 1/0 (case-insensitive).
// Numbers: decimal or scientific, locale-independent (std::from_chars); "inf"/"infinity"
// are recognised as numbers so that they can be reported as errors, never accepted.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/csv.h"
#include "ming/status.h"

namespace ming {

enum class FieldType { kNumeric, kBoolean, kCategorical, kCount };
const char* Name(FieldType t);                    // "numeric" "boolean" "categorical"
bool Parse(std::string_view s, FieldType* out);  // also accepts "num", "bool", "cat"

// `cell` without leading and trailing spaces and tabs.
std::string_view TrimCell(std::string_view cell);
bool IsMissing(std::string_view cell);
std::optional<bool> ParseBool(std::string_view cell);
// Strict: the whole cell (spaces trimmed) must be a number. Sets *out (may be +-inf).
bool ParseNumber(std::string_view cell, double* out);

// Infers a column's type from its non-missing cells over `rows` (all rows if empty):
// all booleans -> kBoolean; else all numbers -> kNumeric; else kCategorical.
// A column with no non-missing value is kNumeric (all imputed).
FieldType InferType(const CsvTable& t, size_t col, const std::vector<size_t>& rows);

}  // namespace ming
