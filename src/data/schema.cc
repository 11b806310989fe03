// Cell parsing (missing tokens, booleans, numbers) and column type inference. Nothing here
// allocates: these run on the inference hot path through Preprocessor::EncodeRow.
#include "data/schema.h"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace ming {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive equality against a lower-case token.
bool EqualsLower(std::string_view s, std::string_view lower_token) {
  if (s.size() != lower_token.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower_token[i]) return false;
  }
  return true;
}

template <size_t N>
bool InTokens(std::string_view s, const std::array<std::string_view, N>& tokens) {
  for (std::string_view t : tokens) {
    if (EqualsLower(s, t)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 6> kMissing = {"na", "n/a", "nan", "?", "null", "none"};
constexpr std::array<std::string_view, 5> kTrue = {"true", "yes", "y", "t", "1"};
constexpr std::array<std::string_view, 5> kFalse = {"false", "no", "n", "f", "0"};

// After a from_chars overflow/underflow: decides which from the digits (the value is
// unchanged by from_chars). A negative exponent or no integer digits means underflow.
double OutOfRangeValue(std::string_view s, bool negative) {
  size_t e = s.find_first_of("eE");
  bool underflow;
  if (e != std::string_view::npos) {
    underflow = e + 1 < s.size() && s[e + 1] == '-';
  } else {
    size_t first = s.find_first_not_of('0');
    underflow = first == std::string_view::npos || s[first] == '.';
  }
  if (underflow) return negative ? -0.0 : 0.0;
  double inf = std::numeric_limits<double>::infinity();
  return negative ? -inf : inf;
}

}  // namespace

std::string_view TrimCell(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const char* Name(FieldType t) {
  switch (t) {
    case FieldType::kNumeric:
      return "numeric";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kCategorical:
      return "categorical";
    case FieldType::kCount:
      break;
  }
  return "?";
}

bool Parse(std::string_view s, FieldType* out) {
  if (s == "numeric" || s == "num") {
    *out = FieldType::kNumeric;
  } else if (s == "boolean" || s == "bool") {
    *out = FieldType::kBoolean;
  } else if (s == "categorical" || s == "cat") {
    *out = FieldType::kCategorical;
  } else {
    return false;
  }
  return true;
}

bool IsMissing(std::string_view cell) {
  cell = TrimCell(cell);
  return cell.empty() || InTokens(cell, kMissing);
}

std::optional<bool> ParseBool(std::string_view cell) {
  cell = TrimCell(cell);
  if (InTokens(cell, kTrue)) return true;
  if (InTokens(cell, kFalse)) return false;
  return std::nullopt;
}

bool ParseNumber(std::string_view cell, double* out) {
  std::string_view s = TrimCell(cell);
  if (ParsePlainDecimal(s, out)) return true;
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  // from_chars rejects a '+' and a second sign, and accepts no hex in general format.
  if (s.empty() || s.front() == '+' || s.front() == '-') return false;
  if (EqualsLower(s, "inf") || EqualsLower(s, "infinity")) {
    double inf = std::numeric_limits<double>::infinity();
    *out = negative ? -inf : inf;
    return true;
  }
  double v = 0.0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (end != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    *out = OutOfRangeValue(s, negative);
    return true;
  }
  if (ec != std::errc() || std::isnan(v)) return false;
  *out = negative ? -v : v;
  return true;
}

FieldType InferType(const CsvTable& t, size_t col, const std::vector<size_t>& rows) {
  const size_t n = rows.empty() ? t.rows() : rows.size();
  bool all_bool = true, all_num = true, any = false;
  for (size_t k = 0; k < n && (all_bool || all_num); ++k) {
    const std::string& cell = t.cell(rows.empty() ? k : rows[k], col);
    if (IsMissing(cell)) continue;
    any = true;
    if (all_bool && !ParseBool(cell).has_value()) all_bool = false;
    double v;
    if (all_num && !ParseNumber(cell, &v)) all_num = false;
  }
  if (!any) return FieldType::kNumeric;
  if (all_bool) return FieldType::kBoolean;
  return all_num ? FieldType::kNumeric : FieldType::kCategorical;
}

}  // namespace ming
