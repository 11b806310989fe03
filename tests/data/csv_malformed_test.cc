// Named malformed-input cases for the CSV path (reader, file access, type inference, Fit):
// for each, either the right parse of valid-but-odd input (BOM, CR-only line ends, -0) or a
// clean InvalidInput that names the file, the line and the column or field. The CLI side of
// the same inputs (exit 2, nothing written) is tests/e2e/malformed_cli_test.cc.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <clocale>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <locale>
#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "data/preprocess.h"
#include "data/schema.h"
#include "util/file.h"

namespace ming {
namespace {

constexpr char kSrc[] = "data.csv";

CsvTable Parsed(std::string_view text, const CsvOptions& opts = {}) {
  Result<CsvTable> t = ParseCsv(text, kSrc, opts);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

// The message of a parse that must fail with InvalidInput naming the source.
std::string ParseError(std::string_view text, const CsvOptions& opts = {}) {
  Result<CsvTable> t = ParseCsv(text, kSrc, opts);
  if (t.ok()) return "(parsed)";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidInput);
  EXPECT_EQ(t.status().message().rfind(std::string(kSrc) + ":", 0), 0u) << t.status().message();
  return t.status().message();
}

std::vector<size_t> All(const CsvTable& t) {
  std::vector<size_t> rows(t.rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return rows;
}

Result<Preprocessor> Fit(std::string_view text, const std::string& label = "y",
                         std::vector<std::pair<std::string, FieldType>> overrides = {}) {
  MING_ASSIGN_OR_RETURN(CsvTable t, ParseCsv(text, kSrc));
  FitOptions o;
  o.label = label;
  o.overrides = std::move(overrides);
  return Preprocessor::Fit(t, All(t), o);
}

// The message of a Fit that must fail with InvalidInput.
std::string FitError(std::string_view text, const std::string& label = "y",
                     std::vector<std::pair<std::string, FieldType>> overrides = {}) {
  Result<Preprocessor> p = Fit(text, label, std::move(overrides));
  if (p.ok()) return "(fitted)";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
  return p.status().message();
}

#define EXPECT_HAS(haystack, needle)                               \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) \
      << "message: " << (haystack) << "\nwanted: " << (needle)

// ---- Empty and short files ----------------------------------------------------------------

TEST(CsvMalformed, EmptyFile) {
  EXPECT_EQ(ParseError(""), "data.csv: empty file, expected a header row");
}

TEST(CsvMalformed, OnlyLineEnds) {
  EXPECT_EQ(ParseError("\n\r\n\r\r\n"), "data.csv: empty file, expected a header row");
}

TEST(CsvMalformed, OnlyAByteOrderMark) {
  EXPECT_EQ(ParseError("\xEF\xBB\xBF\n"), "data.csv: empty file, expected a header row");
}

TEST(CsvMalformed, HeaderOnly) {
  EXPECT_EQ(ParseError("a,b,y"), "data.csv: no data rows");
  EXPECT_EQ(ParseError("a,b,y\r\n\r\n"), "data.csv: no data rows");
}

// ---- Encodings and line ends --------------------------------------------------------------

TEST(CsvMalformed, Utf8ByteOrderMarkIsSkipped) {
  CsvTable t = Parsed(
      "\xEF\xBB\xBF"
      "a,y\n1,yes\n");
  EXPECT_EQ(t.header[0], "a");  // not "\xEF\xBB\xBFa": the label can be found by name
  EXPECT_EQ(t.column_index("a"), 0);
}

TEST(CsvMalformed, Utf16IsRefusedByName) {
  EXPECT_EQ(ParseError(std::string("\xFF\xFE"
                                   "a\0,\0y\0",
                                   8)),
            "data.csv: UTF-16 text (byte-order mark FF FE); save the file as UTF-8");
  EXPECT_EQ(ParseError(std::string("\xFE\xFF\0a", 4)),
            "data.csv: UTF-16 text (byte-order mark FE FF); save the file as UTF-8");
}

TEST(CsvMalformed, CrOnlyLineEnds) {
  CsvTable t = Parsed("a,y\r1,yes\r2,no\r3,\"x\ry\"\r");
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.cell(1, 0), "2");
  EXPECT_EQ(t.cell(2, 1), "x\ry");
  EXPECT_EQ(t.line, (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(ParseError("a,y\r1,yes\r2\r"), "data.csv:3: 1 field, header has 2");
}

TEST(CsvMalformed, MixedLineEnds) {
  CsvTable t = Parsed("a,y\r\n1,yes\n2,no\r3,yes\r\n4,no");
  ASSERT_EQ(t.rows(), 4u);
  EXPECT_EQ(t.line, (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(t.cell(3, 1), "no");
  EXPECT_EQ(ParseError("a,y\r\n1,yes\n2,no\r3\r\n"), "data.csv:4: 1 field, header has 2");
}

TEST(CsvMalformed, NulByteInAField) {
  EXPECT_EQ(ParseError(std::string("a,y\n1,yes\n2,n\0o\n", 17)),
            "data.csv:3: column 'y': byte 2 of the field is a NUL byte (a binary or UTF-16 "
            "file?)");
}

TEST(CsvMalformed, NulByteInAQuotedFieldNamesItsLine) {
  EXPECT_EQ(ParseError(std::string("a,y\n1,\"ab\ncd\0\"\n", 15)),
            "data.csv:3: column 'y': byte 6 of the field is a NUL byte (a binary or UTF-16 "
            "file?)");
}

TEST(CsvMalformed, NulByteInTheHeader) {
  EXPECT_HAS(ParseError(std::string("a,\0y\n1,2\n", 9)), "data.csv:1: field 2: byte 1");
}

TEST(CsvMalformed, InvalidUtf8) {
  // Latin-1 "café", a lone continuation byte, an overlong '/', a UTF-16 surrogate.
  EXPECT_EQ(ParseError("a,y\n1,yes\ncaf\xE9,no\n"),
            "data.csv:3: column 'a': byte 4 of the field (0xe9) is not valid UTF-8; save the "
            "file as UTF-8");
  EXPECT_HAS(ParseError("a,y\n\x80,no\n"), "data.csv:2: column 'a': byte 1 of the field (0x80)");
  EXPECT_HAS(ParseError("a,y\n1,\xC0\xAF\n"), "data.csv:2: column 'y': byte 1 of the field (0xc0)");
  EXPECT_HAS(ParseError("a,y\n1,\xED\xA0\x80\n"), "column 'y': byte 1 of the field (0xed)");
  EXPECT_HAS(ParseError("a,y\n1,\xF4\x90\x80\x80\n"), "column 'y': byte 1 of the field (0xf4)");
  EXPECT_HAS(ParseError("a,y\n1,ab\xE2\x82\n"), "column 'y': byte 3 of the field (0xe2)");
}

// A naive twin of the UTF-8 check: decode each code point, then reject overlong forms,
// surrogates, values above U+10FFFF and NUL.
bool NaiveValidUtf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d >> 6) != 2) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp == 0 || cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

TEST(CsvMalformed, Utf8CheckAgreesWithANaiveDecoder) {
  // Every two-byte cell, then seeded cells of 1-12 bytes drawn mostly from the bytes where
  // the rules change (and ASCII, so the eight-bytes-at-a-time path runs too).
  const unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF};
  auto check = [](const std::string& cell) {
    if (cell.find_first_of(",\"\r\n") != std::string::npos) return;
    const bool ok = ParseCsv("a\n" + cell + "\n", kSrc).ok();
    ASSERT_EQ(ok, NaiveValidUtf8(cell)) << testing::PrintToString(cell);
  };
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) check({static_cast<char>(a), static_cast<char>(b)});
  }
  uint64_t x = 12345;
  for (int i = 0; i < 30000; ++i) {
    std::string cell;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    const size_t len = 1 + (x >> 60) % 12;
    for (size_t k = 0; k < len; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t r = x >> 33;
      cell += static_cast<char>(r % 4 == 0 ? 'a' + r % 26 : edges[(r >> 2) % std::size(edges)]);
    }
    check(cell);
  }
}

TEST(CsvMalformed, ValidUtf8IsKept) {
  CsvTable t = Parsed("ville,y\ncaf\xC3\xA9,\xE2\x82\xAC\nZ\xC3\xBCrich,\xF0\x9F\x98\x80\n");
  EXPECT_EQ(t.cell(0, 0), "caf\xC3\xA9");
  EXPECT_EQ(t.cell(1, 1), "\xF0\x9F\x98\x80");
}

// ---- Ragged rows and header names ---------------------------------------------------------

TEST(CsvMalformed, ShortRow) {
  EXPECT_EQ(ParseError("a,b,y\n1,2,yes\n1,2\n"), "data.csv:3: 2 fields, header has 3");
}

TEST(CsvMalformed, LongRow) {
  EXPECT_EQ(ParseError("a,b,y\n1,2,yes\n1,2,3,4\n"), "data.csv:3: 4 fields, header has 3");
}

TEST(CsvMalformed, TrailingDelimiterMakesARowLong) {
  EXPECT_EQ(ParseError("a,y\n1,yes,\n"), "data.csv:2: 3 fields, header has 2");
}

TEST(CsvMalformed, BlankLineInTheMiddle) {
  EXPECT_EQ(ParseError("a,y\n1,yes\n\n2,no\n"), "data.csv:3: empty line, header has 2 fields");
}

TEST(CsvMalformed, BlankLinesAtTheEndAreIgnored) {
  EXPECT_EQ(Parsed("a,y\n1,yes\n\n\r\n\n").rows(), 1u);
}

TEST(CsvMalformed, DuplicateColumnNames) {
  EXPECT_EQ(ParseError("a,y,b,a\n1,2,3,4\n"),
            "data.csv:1: duplicate column name 'a' (columns 1 and 4)");
}

TEST(CsvMalformed, EmptyColumnName) {
  EXPECT_EQ(ParseError("a,,y\n1,2,3\n"), "data.csv:1: column 2 has an empty name");
  EXPECT_EQ(ParseError("a,y,\n1,2,3\n"), "data.csv:1: column 3 has an empty name");
  EXPECT_EQ(ParseError("a,\" \t\",y\n1,2,3\n"), "data.csv:1: column 2 has an empty name");
}

// ---- Quoting ------------------------------------------------------------------------------

TEST(CsvMalformed, UnterminatedQuoteAtEndOfFile) {
  EXPECT_EQ(ParseError("a,y\n1,yes\n2,\"no"), "data.csv:3: column 'y': unterminated quoted field");
}

TEST(CsvMalformed, UnterminatedQuoteMidFileNamesTheLineItOpened) {
  EXPECT_EQ(ParseError("a,y\n1,yes\n\"2,no\n3,yes\n4,no\n"),
            "data.csv:3: column 'a': unterminated quoted field");
}

TEST(CsvMalformed, LoneQuote) {
  EXPECT_EQ(ParseError("a,y\n\"\n"), "data.csv:2: column 'a': unterminated quoted field");
}

TEST(CsvMalformed, QuoteInsideAnUnquotedField) {
  EXPECT_EQ(ParseError("a,y\n1,yes\n2,n\"o\n"),
            "data.csv:3: column 'y': quote inside an unquoted field (quote the whole field and "
            "double inner quotes)");
}

TEST(CsvMalformed, TextAfterAClosingQuote) {
  EXPECT_EQ(ParseError("a,y\n\"1\" ,yes\n"),
            "data.csv:2: column 'a': unexpected text after a closing quote");
}

TEST(CsvMalformed, QuotedFieldsHoldDelimitersQuotesAndNewlines) {
  CsvTable t = Parsed("a,y\n\"1,\"\"2\"\"\n3\",\"\"\n4,yes\n");
  EXPECT_EQ(t.cell(0, 0), "1,\"2\"\n3");
  EXPECT_EQ(t.cell(0, 1), "");
  EXPECT_EQ(t.line, (std::vector<int64_t>{2, 4}));
}

// ---- Size ---------------------------------------------------------------------------------

TEST(CsvMalformed, OneMebibyteCell) {
  const std::string big(1 << 20, 'x');
  CsvTable t = Parsed("a,y\n" + big + ",yes\n\"" + big + "\",no\n");
  EXPECT_EQ(t.cell(0, 0).size(), size_t{1} << 20);
  EXPECT_EQ(t.cell(1, 0), big);
}

TEST(CsvMalformed, OneMebibyteCellInAnErrorIsShownShort) {
  const std::string big(1 << 20, '7');  // a number too large for a double: "infinite"
  const std::string msg =
      FitError("a,y\n" + big + ",yes\n1,no\n", "y", {{"a", FieldType::kNumeric}});
  EXPECT_HAS(msg, "data.csv:2: column 'a': infinite value '777");
  EXPECT_HAS(msg, "... (1048576 bytes)'");
  EXPECT_LT(msg.size(), 200u);
}

TEST(CsvMalformed, TenThousandColumns) {
  std::string text;
  for (int c = 0; c < 10000; ++c) {
    text += 'c';  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "c" + std::string
    text += std::to_string(c);
    text += ',';
  }
  text += "y\n";
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 10000; ++c) text += std::to_string((r * 7 + c) % 13) + ",";
    text += r % 2 ? "yes\n" : "no\n";
  }
  Result<CsvTable> t = ParseCsv(text, kSrc);
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->cols(), 10001u);
  EXPECT_EQ(t->cell(3, 9999), std::to_string((21 + 9999) % 13));
  FitOptions o;
  o.label = "y";
  Result<Preprocessor> p = Preprocessor::Fit(*t, All(*t), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->encoded_width(), 10000);
  std::vector<float> X(4 * 10000);
  EXPECT_TRUE(p->EncodeInputs(*t, All(*t), X.data()).ok());
  // A duplicate among them is found (and named) without comparing every pair.
  text.replace(text.find(",c9999,"), 7, ",c5000,");
  EXPECT_EQ(ParseError(text), "data.csv:1: duplicate column name 'c5000' (columns 5001 and 10000)");
}

TEST(CsvMalformed, ManyShortLinesUnderAWideHeaderDoNotReserveHugely) {
  // 10,000 columns, then 200,000 one-byte lines: a cells-per-line estimate would ask for
  // 2e9 cells; the first short line is the error.
  std::string text;
  for (int c = 0; c < 10000; ++c) {
    text += 'c';  // appended piecewise: GCC 12 warns falsely (-Wrestrict) on "c" + std::string
    text += std::to_string(c);
    text += ',';
  }
  text += "y\n";
  text.append(400000, '\n');
  for (size_t i = text.size() - 400000; i < text.size(); i += 2) text[i] = 'x';
  EXPECT_EQ(ParseError(text), "data.csv:2: 1 field, header has 10001");
}

// ---- Numbers ------------------------------------------------------------------------------

double FittedMean(std::string_view text) {
  Result<Preprocessor> p = Fit(text);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? p->fields()[0].mean : std::nan("");
}

TEST(CsvMalformed, NanIsAMissingValue) {
  Result<Preprocessor> p = Fit("x,y\n1,yes\nnan,no\n3,yes\nNaN,no\n");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->fields()[0].type, FieldType::kNumeric);
  EXPECT_TRUE(p->fields()[0].has_missing);
  EXPECT_EQ(p->fields()[0].mean, 2.0);  // of 1 and 3 only
}

TEST(CsvMalformed, InfIsAnError) {
  EXPECT_EQ(FitError("x,y\n1,yes\ninf,no\n"), "data.csv:3: column 'x': infinite value 'inf'");
}

TEST(CsvMalformed, MinusInfIsAnError) {
  EXPECT_EQ(FitError("x,y\n1,yes\n-Infinity,no\n"),
            "data.csv:3: column 'x': infinite value '-Infinity'");
}

TEST(CsvMalformed, OverflowingNumberIsAnError) {
  EXPECT_EQ(FitError("x,y\n1,yes\n2,no\n1e309,yes\n"),
            "data.csv:4: column 'x': infinite value '1e309'");
}

TEST(CsvMalformed, UnderflowingNumberIsZero) {
  EXPECT_EQ(FittedMean("x,y\n1e-400,yes\n-1e-400,no\n"), 0.0);
}

TEST(CsvMalformed, MinusZeroIsZero) {
  double v = 1.0;
  ASSERT_TRUE(ParseNumber("-0", &v));
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
  EXPECT_EQ(FittedMean("x,y\n-0,yes\n1,no\n-0.0,yes\n2,no\n"), 0.75);
}

TEST(CsvMalformed, HexFloatIsNotANumber) {
  // Inferred: the column is text. Declared numeric: the cell is named as the error.
  Result<Preprocessor> p = Fit("x,y\n1,yes\n0x1p3,no\n");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->fields()[0].type, FieldType::kCategorical);
  EXPECT_EQ(FitError("x,y\n1,yes\n0x1p3,no\n", "y", {{"x", FieldType::kNumeric}}),
            "data.csv:3: column 'x': '0x1p3' is not a number");
}

TEST(CsvMalformed, DecimalCommaIsNotANumber) {
  Result<CsvTable> t = ParseCsv("x;y\n1,5;yes\n2;no\n", kSrc, CsvOptions{';'});
  ASSERT_TRUE(t.ok());
  FitOptions o;
  o.label = "y";
  o.overrides = {{"x", FieldType::kNumeric}};
  Result<Preprocessor> p = Preprocessor::Fit(*t, All(*t), o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "data.csv:2: column 'x': '1,5' is not a number");
}

// Switches the C locale (LC_ALL) and the global C++ locale to ones whose decimal separator
// is ',' for the life of the object. The C locale is a comma-decimal one when one is
// installed or can be built with localedef; the C++ one always is (a numpunct facet).
class CommaLocale {
 public:
  CommaLocale() : saved_c_(std::setlocale(LC_ALL, nullptr)), saved_cpp_(std::locale()) {
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"}) {
      if (std::setlocale(LC_ALL, name)) {
        c_name_ = name;
        break;
      }
    }
    if (c_name_.empty()) c_name_ = Generated(&generated_dir_);
    if (c_name_.empty() && std::setlocale(LC_ALL, "C.UTF-8")) c_name_ = "C.UTF-8";
    std::locale::global(std::locale(std::locale::classic(), new Comma));
  }
  ~CommaLocale() {
    std::setlocale(LC_ALL, saved_c_.c_str());
    std::locale::global(saved_cpp_);
    if (!generated_dir_.empty()) std::filesystem::remove_all(generated_dir_);
  }
  bool c_uses_comma() const { return *std::localeconv()->decimal_point == ','; }
  const std::string& c_name() const { return c_name_; }

 private:
  struct Comma : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
    char do_thousands_sep() const override { return '.'; }
    std::string do_grouping() const override { return "\3"; }
  };
  // Builds de_DE.UTF-8 into a temporary LOCPATH with localedef when it is available.
  static std::string Generated(std::string* dir_out) {
    const std::string dir = testing::TempDir() + "/ming_locale_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    *dir_out = dir;
    const std::string cmd = "localedef -i de_DE -f UTF-8 '" + dir + "/de_DE.UTF-8' >/dev/null 2>&1";
    if (std::system(("command -v localedef >/dev/null 2>&1 && " + cmd).c_str()) != 0) return "";
    ::setenv("LOCPATH", dir.c_str(), 1);
    return std::setlocale(LC_ALL, "de_DE.UTF-8") ? "de_DE.UTF-8 (generated)" : "";
  }
  std::string saved_c_;
  std::locale saved_cpp_;
  std::string c_name_;
  std::string generated_dir_;
};

TEST(CsvMalformed, ParsingDoesNotDependOnADecimalCommaLocale) {
  const std::string text = "x,z,y\n1.5,\"2,5\",yes\n-0.25,3,no\n1e3,4,yes\n";
  Result<Preprocessor> ref = Fit(text);
  ASSERT_TRUE(ref.ok());
  const std::string ref_json = ref->ToJson().dump();
  {
    CommaLocale comma;
    GTEST_LOG_(INFO) << "C locale: " << comma.c_name()
                     << (comma.c_uses_comma() ? " (decimal comma)" : "");
    double v = 0.0;
    ASSERT_TRUE(ParseNumber("1.5", &v));
    EXPECT_EQ(v, 1.5);
    ASSERT_TRUE(ParseNumber("-2.5e-1", &v));
    EXPECT_EQ(v, -0.25);
    EXPECT_FALSE(ParseNumber("2,5", &v));
    Result<Preprocessor> p = Fit(text);
    ASSERT_TRUE(p.ok()) << p.status().message();
    EXPECT_EQ(p->fields()[0].type, FieldType::kNumeric);
    EXPECT_EQ(p->fields()[0].mean, (1.5 - 0.25 + 1000.0) / 3);
    EXPECT_EQ(p->fields()[1].type, FieldType::kCategorical);  // "2,5" is text here too
    EXPECT_EQ(p->ToJson().dump(), ref_json);  // the stored numbers do not change either
    auto back = Preprocessor::FromJson(nlohmann::json::parse(ref_json));
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->fields()[0].mean, p->fields()[0].mean);
  }
}

// ---- Labels and delimiters ----------------------------------------------------------------

TEST(CsvMalformed, LabelColumnMissing) {
  EXPECT_EQ(FitError("a,b\n1,2\n", "y"), "data.csv: no column 'y' (columns: a, b)");
}

TEST(CsvMalformed, LabelColumnMissingAmongManyColumnsListsAFew) {
  std::string text;
  for (int c = 0; c < 500; ++c) text += (c ? ",c" : "c") + std::to_string(c);
  text += "\n" + std::string(499, ',') + "\n";
  const std::string msg = FitError(text, "y");
  EXPECT_HAS(msg, "data.csv: no column 'y' (columns: c0, c1,");
  EXPECT_HAS(msg, "c19, ... (480 more))");
}

TEST(CsvMalformed, LabelWithOneClass) {
  EXPECT_EQ(FitError("a,y\n1,yes\n2,yes\n3, yes \n"),
            "data.csv: label 'y' has a single class 'yes'");
}

TEST(CsvMalformed, LabelMissingOnARow) {
  EXPECT_EQ(FitError("a,y\n1,yes\n2,NA\n3,no\n"), "data.csv:3: column 'y': missing label");
}

TEST(CsvMalformed, LabelAllMissing) {
  EXPECT_EQ(FitError("a,y\n1,\n"), "data.csv:2: column 'y': missing label");
}

TEST(CsvMalformed, DelimiterMismatchIsNamedWithAHint) {
  EXPECT_EQ(FitError("a;b;y\n1;2;yes\n3;4;no\n"),
            "data.csv: no column 'y' (columns: a;b;y); the header is one column holding ';': is "
            "the file delimited by it? (--delimiter)");
  EXPECT_EQ(ParseError("a;b;y\n1,5;2;yes\n"),
            "data.csv:2: 2 fields, header has 1; the header is one column holding ';': is the "
            "file delimited by it? (--delimiter)");
  EXPECT_HAS(FitError("a\tb\ty\n1\t2\tyes\n"), "holding '\\t'");
}

TEST(CsvMalformed, WrongDelimiterGiven) {
  Result<CsvTable> t = ParseCsv("a,b,y\n1,2,yes\n", kSrc, CsvOptions{';'});
  ASSERT_TRUE(t.ok());
  FitOptions o;
  o.label = "y";
  Result<Preprocessor> p = Preprocessor::Fit(*t, All(*t), o);
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.status().message(), "holding ','");
}

TEST(CsvMalformed, DelimiterThatCannotBeOne) {
  for (char d : {'"', '\n', '\r'}) {
    EXPECT_EQ(ParseError("a,y\n1,2\n", CsvOptions{d}),
              "data.csv: the delimiter cannot be a quote or a line end");
  }
}

TEST(CsvMalformed, BooleanColumnWithANonBoolean) {
  EXPECT_EQ(
      FitError("b,y\nyes,1\nno,0\nmaybe,1\n", "y", {{"b", FieldType::kBoolean}}),
      "data.csv:4: column 'b': 'maybe' is not a boolean (expected yes/no, true/false or 1/0)");
}

// ---- Files that are not regular files -----------------------------------------------------

class CsvPath : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TempDir() + "/ming_csv_malformed_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  // ReadCsv's error for `path`: must not be OK, must name the path.
  std::string ReadError(const std::string& path, StatusCode code = StatusCode::kInvalidInput) {
    Result<CsvTable> t = ReadCsv(path);
    if (t.ok()) return "(read)";
    EXPECT_EQ(t.status().code(), code);
    EXPECT_EQ(t.status().message().rfind(path + ":", 0), 0u) << t.status().message();
    return t.status().message();
  }
  std::string dir_;
};

TEST_F(CsvPath, Directory) { EXPECT_EQ(ReadError(dir_), dir_ + ": is a directory, not a file"); }

TEST_F(CsvPath, MissingFile) {
  EXPECT_EQ(ReadError(dir_ + "/nope.csv", StatusCode::kNotFound), dir_ + "/nope.csv: no such file");
}

TEST_F(CsvPath, EmptyPath) {
  Result<CsvTable> t = ReadCsv("");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(t.status().message(), "(empty path): no such file");
}

TEST_F(CsvPath, PathThroughAFile) {
  const std::string file = dir_ + "/a.csv";
  std::ofstream(file) << "a,y\n1,2\n";
  EXPECT_HAS(ReadError(file + "/b.csv"), "cannot open: Not a directory");
}

TEST_F(CsvPath, FifoWithNoWriterDoesNotBlock) {
  const std::string fifo = dir_ + "/pipe.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // Opening a FIFO for reading blocks until a writer appears, unless done without blocking.
  EXPECT_EQ(ReadError(fifo), fifo + ": empty file, expected a header row");
}

TEST_F(CsvPath, FifoWithAWriterIsRead) {
  const std::string fifo = dir_ + "/pipe.csv";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A writer that holds the FIFO open before the read starts, as a shell pipeline would.
  const int wfd_holder = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(wfd_holder, 0);
  const int wfd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  ASSERT_GE(wfd, 0);
  const std::string text = "a,y\n1,yes\n2,no\n";
  ASSERT_EQ(::write(wfd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ::close(wfd);
  Result<CsvTable> t = ReadCsv(fifo);
  ::close(wfd_holder);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->rows(), 2u);
}

TEST_F(CsvPath, DevZeroIsRefusedWithoutReading) {
  EXPECT_EQ(ReadError("/dev/zero"), "/dev/zero: is a character device, not a regular file or pipe");
}

TEST_F(CsvPath, DevNullIsRefused) {
  EXPECT_EQ(ReadError("/dev/null"), "/dev/null: is a character device, not a regular file or pipe");
}

TEST_F(CsvPath, FileLargerThanTheLimitIsRefusedBeforeReading) {
  const std::string file = dir_ + "/big.csv";
  { std::ofstream create(file); }
  std::filesystem::resize_file(file, uint64_t{1} << 34);  // sparse: takes no disk space
  Result<std::string> r = ReadFile(file, uint64_t{1} << 30);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            file + ": 17179869184 bytes, larger than the limit of 1073741824");
}

TEST_F(CsvPath, NoReadPermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: permissions are not enforced";
  const std::string file = dir_ + "/secret.csv";
  std::ofstream(file) << "a,y\n1,2\n";
  ASSERT_EQ(::chmod(file.c_str(), 0), 0);
  EXPECT_EQ(ReadError(file), file + ": cannot open: Permission denied");
}

TEST_F(CsvPath, ErrorsInAFileNameItsPath) {
  const std::string file = dir_ + "/bad.csv";
  std::ofstream(file) << "a,y\n1,yes\n2\n";
  EXPECT_EQ(ReadError(file), file + ":3: 1 field, header has 2");
}

}  // namespace
}  // namespace ming
