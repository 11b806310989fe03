// Fuzz target: the CSV parser alone (ParseCsv, the code ReadCsv runs on a file's bytes),
// light enough for the execution counts a text parser needs; the csv target runs the same
// parser followed by preprocessing. The first byte picks the delimiter (',', ';', tab,
// '|'). Properties of an accepted table: the header is non-empty, unique and non-empty
// names, every row has the header's width and a line number after the previous row's;
// and the table written back as RFC 4180 text (every field quoted, quotes doubled) parses
// to the same header and cells.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "data/csv.h"

namespace {

void AppendQuoted(std::string& out, std::string_view field) {
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string Write(const ming::CsvTable& t, char delimiter) {
  std::string out;
  auto row = [&](const std::string* fields) {
    for (size_t c = 0; c < t.cols(); ++c) {
      if (c) out += delimiter;
      AppendQuoted(out, fields[c]);
    }
    out += "\r\n";
  };
  row(t.header.data());
  for (size_t r = 0; r < t.rows(); ++r) row(&t.cells[r * t.cols()]);
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
