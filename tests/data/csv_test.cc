// CSV reader: RFC 4180 quoting, line ends, BOM, delimiters, and every error with its line.
#include "data/csv.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

namespace ming {
namespace {

CsvTable MustParse(std::string_view text, const CsvOptions& opts = {}) {
  Result<CsvTable> t = ParseCsv(text, "data.csv", opts);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

std::string ErrorOf(std::string_view text, const CsvOptions& opts = {}) {
  Result<CsvTable> t = ParseCsv(text, "data.csv", opts);
  if (t.ok()) return "(parsed)";
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidInput);
  return t.status().message();
}

TEST(Csv, SimpleTable) {
  CsvTable t = MustParse("a,b,c\n1,2,3\n4,5,6\n");
  ASSERT_EQ(t.cols(), 3u);
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.header, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(t.cell(0, 0), "1");
  EXPECT_EQ(t.cell(1, 2), "6");
  EXPECT_EQ(t.line, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.column_index("b"), 1);
  EXPECT_EQ(t.column_index("z"), -1);
  EXPECT_EQ(t.source, "data.csv");
}

TEST(Csv, QuotedFields) {
  CsvTable t = MustParse("name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"\",plain\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 0), "Smith, J");
  EXPECT_EQ(t.cell(0, 1), "said \"hi\"");
  EXPECT_EQ(t.cell(1, 0), "");
  EXPECT_EQ(t.cell(1, 1), "plain");
}

TEST(Csv, NewlinesInsideQuotesKeepLineNumbers) {
  CsvTable t = MustParse("a,b\n\"x\ny\",1\n\"p\r\nq\rr\",2\n3,4\n");
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.cell(0, 0), "x\ny");
  EXPECT_EQ(t.cell(1, 0), "p\r\nq\rr");
  EXPECT_EQ(t.line, (std::vector<int64_t>{2, 4, 7}));
}

TEST(Csv, LineEnds) {
  for (const char* text :
       {"a,b\r\n1,2\r\n3,4\r\n", "a,b\r1,2\r3,4\r", "a,b\n1,2\n3,4", "a,b\r\n1,2\n3,4\r"}) {
    SCOPED_TRACE(testing::PrintToString(std::string(text)));
    CsvTable t = MustParse(text);
    ASSERT_EQ(t.rows(), 2u);
    EXPECT_EQ(t.cell(0, 1), "2");
    EXPECT_EQ(t.cell(1, 1), "4");
    EXPECT_EQ(t.line, (std::vector<int64_t>{2, 3}));
  }
}

TEST(Csv, TrailingNewlinesAndBlankLinesAtEndAreIgnored) {
  EXPECT_EQ(MustParse("a,b\n1,2\n").rows(), 1u);
  EXPECT_EQ(MustParse("a,b\n1,2\n\n\r\n\n").rows(), 1u);
  // A single column keeps an empty value in the middle as a (missing) cell.
  CsvTable t = MustParse("x\n1\n\n2\n");
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.cell(1, 0), "");
  EXPECT_EQ(t.line[2], 4);
}

TEST(Csv, EmptyTrailingFieldsAreCells) {
  CsvTable t = MustParse("a,b,c\n1,,\n,,\n");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.cell(0, 1), "");
  EXPECT_EQ(t.cell(0, 2), "");
  EXPECT_EQ(t.cell(1, 0), "");
}

TEST(Csv, ByteOrderMarkIsSkipped) {
  CsvTable t = MustParse("\xEF\xBB\xBFid,v\n1,2\n");
  EXPECT_EQ(t.header[0], "id");
}

TEST(Csv, CustomDelimiter) {
  CsvOptions semi{';'};
  CsvTable t = MustParse("a;b\n1,5;\"x;y\"\n", semi);
  ASSERT_EQ(t.cols(), 2u);
  EXPECT_EQ(t.cell(0, 0), "1,5");
  EXPECT_EQ(t.cell(0, 1), "x;y");
  CsvTable tabs = MustParse("a\tb\n1\t2\n", CsvOptions{'\t'});
  EXPECT_EQ(tabs.cell(0, 1), "2");
  EXPECT_EQ(ErrorOf("a\"b\n", CsvOptions{'"'}),
            "data.csv: the delimiter cannot be a quote or a line end");
}

TEST(Csv, SpacesAreKept) {
  CsvTable t = MustParse("a,b\n 1 , x \n");
  EXPECT_EQ(t.cell(0, 0), " 1 ");
  EXPECT_EQ(t.cell(0, 1), " x ");
}

TEST(Csv, EmptyFile) {
  EXPECT_EQ(ErrorOf(""), "data.csv: empty file, expected a header row");
  EXPECT_EQ(ErrorOf("\n\r\n"), "data.csv: empty file, expected a header row");
  EXPECT_EQ(ErrorOf("\xEF\xBB\xBF"), "data.csv: empty file, expected a header row");
}

TEST(Csv, HeaderOnly) {
  EXPECT_EQ(ErrorOf("a,b,c"), "data.csv: no data rows");
  EXPECT_EQ(ErrorOf("a,b,c\n\n"), "data.csv: no data rows");
}

TEST(Csv, RaggedRows) {
  EXPECT_EQ(ErrorOf("a,b,c\n1,2,3\n1,2\n"), "data.csv:3: 2 fields, header has 3");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n1,2,3\n"), "data.csv:3: 3 fields, header has 2");
  EXPECT_EQ(ErrorOf("a,b\n\"x\ny\",1\n5\n"), "data.csv:4: 1 field, header has 2");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n\n3,4\n"), "data.csv:3: empty line, header has 2 fields");
}

TEST(Csv, UnterminatedQuoteNamesTheLineItOpened) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"abc\n4,5\n6,7\n"),
            "data.csv:3: column 'b': unterminated quoted field");
  EXPECT_EQ(ErrorOf("\"a,b\n1,2\n"), "data.csv:1: field 1: unterminated quoted field");
}

TEST(Csv, QuoteInsideUnquotedField) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,ab\"c\n"),
            "data.csv:3: column 'b': quote inside an unquoted field (quote the whole field "
            "and double inner quotes)");
  EXPECT_EQ(ErrorOf("a,b\n\"x\"y,2\n"),
            "data.csv:2: column 'a': unexpected text after a closing quote");
}

TEST(Csv, HeaderNames) {
  EXPECT_EQ(ErrorOf("a,b,a\n1,2,3\n"), "data.csv:1: duplicate column name 'a' (columns 1 and 3)");
  EXPECT_EQ(ErrorOf("a,,c\n1,2,3\n"), "data.csv:1: column 2 has an empty name");
  EXPECT_EQ(ErrorOf("a,b, \n1,2,3\n"), "data.csv:1: column 3 has an empty name");
}

class CsvFile : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "csv_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::remove((dir_ + "/data.csv").c_str());
    rmdir(dir_.c_str());
  }
  std::string dir_;
};

TEST_F(CsvFile, ReadsAFileAndNamesItInErrors) {
  const std::string path = dir_ + "/data.csv";
  std::ofstream(path) << "x,y\n1,2\n3\n";
  Result<CsvTable> t = ReadCsv(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), path + ":3: 1 field, header has 2");
  std::ofstream(path) << "x;y\n1;2\n";
  t = ReadCsv(path, CsvOptions{';'});
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->source, path);
  EXPECT_EQ(t->cell(0, 1), "2");
}

TEST_F(CsvFile, MissingFileAndDirectory) {
  Result<CsvTable> t = ReadCsv(dir_ + "/nope.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find(dir_ + "/nope.csv"), std::string::npos);
  t = ReadCsv(dir_);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidInput);
}

// The writer quotes only where it must, and what it writes reads back unchanged: with
// each delimiter, fields holding quotes, line ends, a byte-order mark, spaces, and a
// one-column table whose last cell is empty.
TEST(Csv, WrittenRecordsReadBackUnchanged) {
  std::string plain;
  AppendCsvRecord(plain, std::vector<std::string>{"a", "b c", ""});
  EXPECT_EQ(plain, "a,b c,\n");
  std::string quoted;
  AppendCsvField(quoted, "say \"hi\", twice");
  EXPECT_EQ(quoted, "\"say \"\"hi\"\", twice\"");
  const std::vector<std::string> header = {"\xEF\xBB\xBFid", "na;me", "note"};
  const std::vector<std::vector<std::string>> rows = {
      {"1", "x,y", "two\nlines"}, {"", "\"", "cr\ronly"}, {" pad ", "a|b", "tab\there"}};
  for (char delim : {',', ';', '\t', '|'}) {
    std::string text;
    AppendCsvRecord(text, header, delim);
    for (const auto& r : rows) AppendCsvRecord(text, r, delim);
    CsvOptions opts;
    opts.delimiter = delim;
    CsvTable t = MustParse(text, opts);
    EXPECT_EQ(t.header, header) << delim;
    ASSERT_EQ(t.rows(), rows.size()) << delim;
    for (size_t r = 0; r < rows.size(); ++r) {
      EXPECT_EQ(std::vector<std::string>(t.cells.begin() + static_cast<ptrdiff_t>(r * 3),
                                         t.cells.begin() + static_cast<ptrdiff_t>(r * 3 + 3)),
                rows[r]) << delim;
    }
  }
  std::string one;
  for (const char* cell : {"y", "1", "", "2", ""}) AppendCsvRecord(one, std::vector<std::string>{cell});
  EXPECT_EQ(one, "y\n1\n\"\"\n2\n\"\"\n");
  CsvTable t = MustParse(one);
  EXPECT_EQ(t.cells, (std::vector<std::string>{"1", "", "2", ""}));
}

TEST(Csv, WideNumericTable) {
  // 2,000 x 300 cells: checks the bulk path and the reserve estimate, quickly.
  std::string text;
  for (int c = 0; c < 300; ++c) text += (c ? ",c" : "c") + std::to_string(c);
  text += '\n';
  for (int r = 0; r < 2000; ++r) {
    for (int c = 0; c < 300; ++c) {
      if (c) text += ',';
      text += std::to_string(r * 300 + c);
    }
    text += '\n';
  }
  CsvTable t = MustParse(text);
  ASSERT_EQ(t.rows(), 2000u);
  EXPECT_EQ(t.cell(1999, 299), std::to_string(1999 * 300 + 299));
  EXPECT_EQ(t.line[1999], 2001);
}

}  // namespace
}  // namespace ming
