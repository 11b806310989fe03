// CSV and cell-level edge cases: line numbers across CR, LF and CRLF inside quoted fields and
// at the very end of a file; numbers whose magnitude overflows or underflows without an
// exponent; doubled signs; trailing tabs; the sentinel type's name.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "data/csv.h"
#include "data/schema.h"

namespace ming {
namespace {

// A file whose last line ends with a lone CR parses like one ending with LF.
TEST(CsvEdges, LoneCrAtTheEndOfTheFile) {
  auto t = ParseCsv("a,b\r1,2\r3,4\r", "data.csv");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->rows(), 2u);
  EXPECT_EQ(t->line, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t->cell(1, 1), "4");
}

// A bad byte inside a quoted field that spans lines is reported on its own line: CRLF
// counts once, a lone CR and a LF once each.
TEST(CsvEdges, BadByteLineCountsEveryKindOfLineEnd) {
  // The field starts on line 2; before the bad byte: CRLF, LF, CR -> line 5.
  const std::string text = "a,b\n1,\"x\r\ny\nz\rw\xFF\"\n";
  auto t = ParseCsv(text, "data.csv");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(t.status().message().find("data.csv:5: column 'b': byte 9 of the field (0xff)"),
            std::string::npos)
      << t.status().message();
}

// Without an exponent, too many digits overflow to infinity; a fraction with too many
// leading zeros underflows to (signed) zero.
TEST(SchemaEdges, OutOfRangeWithoutExponent) {
  double v = 0.0;
  ASSERT_TRUE(ParseNumber("1" + std::string(400, '0'), &v));
  EXPECT_EQ(v, std::numeric_limits<double>::infinity());
  ASSERT_TRUE(ParseNumber("-1" + std::string(400, '0'), &v));
  EXPECT_EQ(v, -std::numeric_limits<double>::infinity());
  v = 1.0;
  ASSERT_TRUE(ParseNumber("0." + std::string(400, '0') + "1", &v));
  EXPECT_EQ(v, 0.0);
  EXPECT_FALSE(std::signbit(v));
  ASSERT_TRUE(ParseNumber("-." + std::string(400, '0') + "1", &v));
  EXPECT_EQ(v, 0.0);
  EXPECT_TRUE(std::signbit(v));
}

// A sign followed by '+' is not a number either way round.
TEST(SchemaEdges, SignThenPlus) {
  double v = 0.0;
  EXPECT_FALSE(ParseNumber("-+1", &v));
  EXPECT_FALSE(ParseNumber("++1", &v));
}

// Trailing tabs are trimmed like spaces.
TEST(SchemaEdges, TrailingTabsAreTrimmed) {
  EXPECT_EQ(TrimCell("\t 7 \t\t"), "7");
  EXPECT_EQ(TrimCell("\t\t"), "");
}

// The sentinel FieldType::kCount prints as "?", never as a real type.
TEST(SchemaEdges, SentinelTypeName) { EXPECT_STREQ(Name(FieldType::kCount), "?"); }

}  // namespace
}  // namespace ming
