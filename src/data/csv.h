// CSV reading (RFC 4180): a header row, then data rows, all kept as strings; and writing
// fields and records that the reader reads back unchanged.
// Quoted fields may hold delimiters, doubled quotes and newlines; CRLF, LF and CR-only line
// ends; a UTF-8 byte-order mark is skipped; blank lines at the end of the text are ignored.
// Every data row must have as many fields as the header. Errors name the source, line and
// column: "data.csv:17: 5 fields, header has 6".
// Thread-safety: CsvTable is a plain value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ming/status.h"

namespace ming {

struct CsvOptions {
  char delimiter = ',';
};

struct CsvTable {
  std::string source;               // file name used in messages
  std::vector<std::string> header;  // column names, unique and non-empty
  std::vector<std::string> cells;   // row-major: rows() * cols()
  std::vector<int64_t> line;        // 1-based source line on which each data row starts

  size_t cols() const { return header.size(); }
  size_t rows() const { return line.size(); }
  const std::string& cell(size_t r, size_t c) const { return cells[r * cols() + c]; }
  // Index of column `name`, or -1.
  int column_index(std::string_view name) const;
};

// For messages: the column names, at most 20 of them then "... (N more)".
std::string ColumnList(const CsvTable& t);
// For messages: when the header was read as one column holding another common delimiter
// (';', tab, '|', ','), a hint to pass --delimiter; otherwise "".
std::string DelimiterHint(const CsvTable& t);

Result<CsvTable> ReadCsv(const std::string& path, const CsvOptions& opts = {});
// Parses `text`; `source` names it in error messages.
Result<CsvTable> ParseCsv(std::string_view text, const std::string& source,
                          const CsvOptions& opts = {});

// Appends `field` as one CSV field: as it is, or quoted (inner quotes doubled) when it
// holds the delimiter, a quote or a line end, or starts with a UTF-8 byte-order mark (which
// the reader skips at the start of a text).
void AppendCsvField(std::string& out, std::string_view field, char delimiter = ',');
// Appends one record, its fields joined by the delimiter, then "\n". A record of a single
// empty field is written as "" (a blank last line would be dropped when read back).
void AppendCsvRecord(std::string& out, std::span<const std::string> fields, char delimiter = ',');

}  // namespace ming
