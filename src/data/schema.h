// Cell-level parsing and column type inference.
// Missing: "", "NA", "N/A", "NaN", "?", "null", "none" (case-insensitive, surrounding
// spaces ignored). Booleans: true/false, yes/no, y/n, t/f, 1/0 (case-insensitive).
// Numbers: decimal or scientific, locale-independent (std::from_chars); "inf"/"infinity"
// are recognised as numbers so that they can be reported as errors, never accepted.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
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

// The common numeric cell, "[-]digits[.digits]" with 1 to 15 digits and nothing else (no
// spaces, '+' or exponent): false for anything else. Where it returns true, *out is what
// ParseNumber gives: the digits and 10^decimals are exact doubles, so one division is
// correctly rounded (Clinger's fast path). Inline because the single-row inference path
// parses every numeric cell through it (EncodeRow), before falling back to ParseNumber.
inline bool ParsePlainDecimal(std::string_view s, double* out) {
  static constexpr double kPow10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const char* p = s.data();
  const char* const end = p + s.size();
  const bool negative = p != end && *p == '-';
  p += negative;
  uint64_t m = 0;
  const char* const first = p;
  for (; p != end && static_cast<unsigned char>(*p - '0') < 10; ++p) m = m * 10 + static_cast<uint64_t>(*p - '0');
  const long whole = p - first;
  long decimals = 0;
  if (p != end && *p == '.') {
    const char* const point = ++p;
    for (; p != end && static_cast<unsigned char>(*p - '0') < 10; ++p) m = m * 10 + static_cast<uint64_t>(*p - '0');
    decimals = p - point;
  }
  if (p != end || whole + decimals == 0 || whole + decimals > 15) return false;
  const double v = static_cast<double>(m) / kPow10[decimals];
  *out = negative ? -v : v;
  return true;
}

// Infers a column's type from its non-missing cells over `rows` (all rows if empty):
// all booleans -> kBoolean; else all numbers -> kNumeric; else kCategorical.
// A column with no non-missing value is kNumeric (all imputed).
FieldType InferType(const CsvTable& t, size_t col, const std::vector<size_t>& rows);

}  // namespace ming
