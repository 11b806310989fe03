// Fuzz target: the CSV parser alone (ParseCsv, the code ReadCsv runs on a file's bytes),
// light enough for the execution counts a text parser needs; the csv target runs the same
// parser followed by preprocessing. The first byte picks the delimiter (',', ';', tab,
// '|'). Properties of an accepted table: the header is non-empty, unique and non-empty
// names, every row has the header's width and a line number after the previous row's;
// and the table written back by AppendCsvRecord (RFC 4180 quoting where a field needs it)
// parses to the same header and cells.
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "data/csv.h"

namespace {

// The table written back with the shared writer (fields quoted only where they must be).
std::string Write(const ming::CsvTable& t, char delimiter) {
  std::string out;
  ming::AppendCsvRecord(out, t.header, delimiter);
  for (size_t r = 0; r < t.rows(); ++r) {
    ming::AppendCsvRecord(out, std::span(&t.cells[r * t.cols()], t.cols()), delimiter);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelims[] = {',', ';', '\t', '|'};
  ming::CsvOptions opts;
  opts.delimiter = kDelims[data[0] & 3];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto parsed = ming::ParseCsv(text, "fuzz.csv", opts);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) __builtin_trap();  // every error says what
    return 0;
  }
  const ming::CsvTable& t = parsed.value();
  if (t.cols() == 0 || t.cells.size() != t.rows() * t.cols()) __builtin_trap();
  std::set<std::string_view> names;
  for (const std::string& h : t.header) {
    if (h.empty() || !names.insert(h).second) __builtin_trap();
  }
  for (size_t r = 0; r < t.rows(); ++r) {
    if (t.line[r] < 2 || (r > 0 && t.line[r] <= t.line[r - 1])) __builtin_trap();
  }
  auto again = ming::ParseCsv(Write(t, opts.delimiter), "written.csv", opts);
  if (!again.ok() || again.value().header != t.header || again.value().cells != t.cells) {
    __builtin_trap();
  }
  return 0;
}
