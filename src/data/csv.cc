// RFC 4180 CSV parser: one pass over the whole text, cells appended straight into the
// table's row-major vector. Tracks source lines (LF, CRLF and CR-only ends) so that every
// error names the line, and the column by name where one applies. Cells must be UTF-8
// without NUL bytes (they end up in JSON model metadata and in messages).
#include "data/csv.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "data/utf8.h"
#include "util/file.h"

namespace ming {
namespace {

bool IsLineEnd(char c) { return c == '\n' || c == '\r'; }

// Offset of the first NUL byte or malformed UTF-8 in s, or npos.
size_t FirstBadByte(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  for (size_t i = 0; i < s.size();) {
    if (i + 8 <= s.size()) {  // eight ASCII bytes, none of them NUL, at a time
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (((w | ((w - kOnes) & ~w)) & kHighs) == 0) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != 0 && c < 0x80) {
      ++i;
      continue;
    }
    const size_t n = c == 0 ? 0 : Utf8Length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// Parser state over the text of one source. Fields of the record being read are appended
// to *out; `header` (empty while the header itself is read) names columns in errors.
class Parser {
 public:
  Parser(std::string_view text, const std::string& source, char delim)
      : text_(text), source_(source), delim_(delim) {
    stop_[static_cast<unsigned char>(delim)] = true;
    stop_['\n'] = stop_['\r'] = stop_['"'] = true;
  }

  bool at_end() const { return pos_ >= text_.size(); }
  int64_t line() const { return line_; }

  // Reads one record starting at the current position; *nfields gets its field count.
  Status ReadRecord(const std::vector<std::string>& header, std::vector<std::string>* out,
                    size_t* nfields) {
    size_t n = 0;
    for (;;) {
      const int64_t field_line = line_;
      Status st =
          at_end() || text_[pos_] != '"' ? ReadPlain(header, n, out) : ReadQuoted(header, n, out);
      if (!st.ok()) return st;
      MING_RETURN_IF_ERROR(CheckText(out->back(), field_line, header, n));
      ++n;
      if (at_end()) break;
      char c = text_[pos_];
      if (c == delim_) {
        ++pos_;
        continue;
      }
      SkipLineEnd();  // ReadPlain/ReadQuoted stop only at a delimiter or a line end
      break;
    }
    *nfields = n;
    return Status::Ok();
  }

  std::string Where() const { return source_ + ":" + std::to_string(line_); }

 private:
  // Errors on a NUL byte or malformed UTF-8 in field i, which starts on line `first_line`.
  Status CheckText(std::string_view cell, int64_t first_line,
                   const std::vector<std::string>& header, size_t i) const {
    const size_t bad = FirstBadByte(cell);
    if (bad == std::string_view::npos) return Status::Ok();
    int64_t line = first_line;  // the field may span lines when quoted
    for (size_t k = 0; k < bad; ++k) {
      line += cell[k] == '\n' || (cell[k] == '\r' && (k + 1 >= cell.size() || cell[k + 1] != '\n'));
    }
    const auto c = static_cast<unsigned char>(cell[bad]);
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", c);
    const std::string where = source_ + ":" + std::to_string(line) + ": " + ColumnRef(header, i) +
                              ": byte " + std::to_string(bad + 1) + " of the field";
    if (c == 0) {
      return Status::InvalidInput(where + " is a NUL byte (a binary or UTF-16 file?)");
    }
    return Status::InvalidInput(where + " (" + hex +
                                ") is not valid UTF-8; save the file as UTF-8");
  }

  // Consumes one line end (CRLF counts once) and advances the line counter.
  void SkipLineEnd() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  static std::string ColumnRef(const std::vector<std::string>& header, size_t i) {
    if (i < header.size()) return "column '" + header[i] + "'";
    return "field " + std::to_string(i + 1);
  }

  Status ReadPlain(const std::vector<std::string>& header, size_t i,
                   std::vector<std::string>* out) {
    const size_t start = pos_;
    while (pos_ < text_.size() && !stop_[static_cast<unsigned char>(text_[pos_])]) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      return Status::InvalidInput(Where() + ": " + ColumnRef(header, i) +
                                  ": quote inside an unquoted field (quote the whole field "
                                  "and double inner quotes)");
    }
    out->emplace_back(text_.data() + start, pos_ - start);
    return Status::Ok();
  }

  Status ReadQuoted(const std::vector<std::string>& header, size_t i,
                    std::vector<std::string>* out) {
    const int64_t open_line = line_;
    std::string& cell = out->emplace_back();
    ++pos_;  // opening quote
    for (;;) {
      size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos) {
        return Status::InvalidInput(source_ + ":" + std::to_string(open_line) + ": " +
                                    ColumnRef(header, i) + ": unterminated quoted field");
      }
      CountLines(pos_, q);
      cell.append(text_.data() + pos_, q - pos_);
      pos_ = q + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {  // doubled quote
        cell.push_back('"');
        ++pos_;
        continue;
      }
      break;
    }
    if (!at_end() && text_[pos_] != delim_ && !IsLineEnd(text_[pos_])) {
      return Status::InvalidInput(Where() + ": " + ColumnRef(header, i) +
                                  ": unexpected text after a closing quote");
    }
    return Status::Ok();
  }

  // Advances the line counter over the line ends in text_[from, to).
  void CountLines(size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      char c = text_[k];
      if (c == '\n' || (c == '\r' && (k + 1 >= text_.size() || text_[k + 1] != '\n'))) ++line_;
    }
  }

  std::string_view text_;
  const std::string& source_;
  char delim_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  std::array<bool, 256> stop_{};
};

Status CheckHeader(const std::vector<std::string>& header, const std::string& source) {
  std::unordered_map<std::string_view, size_t> seen;
  seen.reserve(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i].find_first_not_of(" \t") == std::string::npos) {
      return Status::InvalidInput(source + ":1: column " + std::to_string(i + 1) +
                                  " has an empty name");
    }
    auto [it, fresh] = seen.emplace(header[i], i);
    if (!fresh) {
      return Status::InvalidInput(source + ":1: duplicate column name '" + header[i] +
                                  "' (columns " + std::to_string(it->second + 1) + " and " +
                                  std::to_string(i + 1) + ")");
    }
  }
  return Status::Ok();
}

std::string_view StripBomAndTrailingLines(std::string_view text) {
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  while (!text.empty() && IsLineEnd(text.back())) text.remove_suffix(1);
  return text;
}

Status ReadRows(Parser& p, CsvTable* t) {
  const size_t cols = t->cols();
  size_t n = 0;
  while (!p.at_end()) {
    const int64_t line = p.line();
    const size_t before = t->cells.size();
    MING_RETURN_IF_ERROR(p.ReadRecord(t->header, &t->cells, &n));
    if (n != cols) {
      std::string where = t->source + ":" + std::to_string(line) + ": ";
      if (n == 1 && t->cells[before].empty()) {
        return Status::InvalidInput(where + "empty line, header has " + std::to_string(cols) +
                                    " fields");
      }
      return Status::InvalidInput(where + std::to_string(n) + (n == 1 ? " field" : " fields") +
                                  ", header has " + std::to_string(cols) + DelimiterHint(*t));
    }
    t->line.push_back(line);
  }
  return Status::Ok();
}

}  // namespace

std::string ColumnList(const CsvTable& t) {
  constexpr size_t kMax = 20;
  std::string s;
  for (size_t i = 0; i < t.cols() && i < kMax; ++i) s += (i ? ", " : "") + t.header[i];
  if (t.cols() > kMax) s += ", ... (" + std::to_string(t.cols() - kMax) + " more)";
  return s;
}

std::string DelimiterHint(const CsvTable& t) {
  if (t.cols() != 1) return "";
  for (char d : {';', '\t', '|', ','}) {
    if (t.header[0].find(d) != std::string::npos) {
      const std::string shown = d == '\t' ? "\\t" : std::string(1, d);
      return "; the header is one column holding '" + shown +
             "': is the file delimited by it? (--delimiter)";
    }
  }
  return "";
}

int CsvTable::column_index(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<CsvTable> ParseCsv(std::string_view text, const std::string& source,
                          const CsvOptions& opts) {
  if (opts.delimiter == '"' || IsLineEnd(opts.delimiter)) {
    return Status::InvalidInput(source + ": the delimiter cannot be a quote or a line end");
  }
  if (text.substr(0, 2) == "\xFF\xFE" || text.substr(0, 2) == "\xFE\xFF") {
    return Status::InvalidInput(source + ": UTF-16 text (byte-order mark " +
                                (text[0] == '\xFF' ? "FF FE" : "FE FF") +
                                "); save the file as UTF-8");
  }
  text = StripBomAndTrailingLines(text);
  if (text.empty()) return Status::InvalidInput(source + ": empty file, expected a header row");

  CsvTable t;
  t.source = source;
  Parser p(text, source, opts.delimiter);
  size_t n = 0;
  MING_RETURN_IF_ERROR(p.ReadRecord({}, &t.header, &n));
  MING_RETURN_IF_ERROR(CheckHeader(t.header, source));
  if (p.at_end()) return Status::InvalidInput(source + ": no data rows");

  // Most rows are one line: reserve for that so cells are not moved as the vector grows.
  size_t lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  if (lines == 0) lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\r'));
  ++lines;
  // Every cell but the last ends in a delimiter or a line end: the text bounds the count
  // even when the lines are far shorter than the header.
  t.cells.reserve(std::min(lines * t.cols(), text.size() + 1));
  t.line.reserve(lines);
  MING_RETURN_IF_ERROR(ReadRows(p, &t));
  return t;
}

Result<CsvTable> ReadCsv(const std::string& path, const CsvOptions& opts) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseCsv(*text, path, opts);
}

void AppendCsvField(std::string& out, std::string_view field, char delimiter) {
  const char stops[] = {'"', '\n', '\r', delimiter};
  const bool quote = field.find_first_of(std::string_view(stops, sizeof stops)) != std::string_view::npos ||
                     field.substr(0, 3) == "\xEF\xBB\xBF";
  if (!quote) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendCsvRecord(std::string& out, std::span<const std::string> fields, char delimiter) {
  if (fields.size() == 1 && fields[0].empty()) {
    out += "\"\"\n";
    return;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += delimiter;
    AppendCsvField(out, fields[i], delimiter);
  }
  out += '\n';
}

}  // namespace ming
