// ParseNumber's fast path for plain decimals must agree bit for bit with from_chars.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "data/schema.h"
#include "util/rng.h"

namespace ming {
namespace {

double Reference(const std::string& s) {
  double v = 0;
  const char* b = s.data();
  bool neg = false;
  if (*b == '-' || *b == '+') neg = *b++ == '-';
  std::from_chars(b, s.data() + s.size(), v, std::chars_format::general);
  return neg ? -v : v;
}

TEST(NumberFastPath, AgreesWithFromCharsBitForBit) {
  Rng rng(42);
  for (int i = 0; i < 200000; ++i) {
    const int digits = 1 + static_cast<int>(rng.UniformInt(17));
    std::string s = rng.Uniform() < 0.3f ? "-" : "";
    const int dot = static_cast<int>(rng.UniformInt(static_cast<uint64_t>(digits) + 2));
    for (int k = 0; k <= digits; ++k) {
      if (k == dot) s.push_back('.');
      if (k < digits) s.push_back(static_cast<char>('0' + rng.UniformInt(10)));
    }
    double got = -1;
    ASSERT_TRUE(ParseNumber(s, &got)) << s;
    const double want = Reference(s);
    ASSERT_EQ(std::memcmp(&got, &want, sizeof got), 0) << s << ": " << got << " vs " << want;
  }
}

TEST(NumberFastPath, EdgeCases) {
  double v;
  EXPECT_TRUE(ParseNumber("1.", &v));
  EXPECT_EQ(v, 1.0);
  EXPECT_TRUE(ParseNumber(".5", &v));
  EXPECT_EQ(v, 0.5);
  EXPECT_TRUE(ParseNumber("-0", &v));
  EXPECT_TRUE(std::signbit(v));
  EXPECT_FALSE(ParseNumber(".", &v));
  EXPECT_FALSE(ParseNumber("1.2.3", &v));
  EXPECT_FALSE(ParseNumber("1,5", &v));
  EXPECT_TRUE(ParseNumber("123456789012345678", &v));  // 18 digits: the slow path
  EXPECT_EQ(v, 123456789012345678.0);
}

// The inline parser EncodeRow tries first takes plain decimals only, and gives exactly
// ParseNumber's value for them; everything else is left to ParseNumber.
TEST(NumberFastPath, PlainDecimalTakesOnlyPlainDecimals) {
  double v = 0;
  for (const char* s : {"", "-", ".", "-.", " 1", "1 ", "+1", "1e3", "1.2.3", "--1", "1-", "nan",
                        "inf", "0x10", "1,5", "1234567890123456", "-0.000000000000001"}) {
    EXPECT_FALSE(ParsePlainDecimal(s, &v)) << "'" << s << "'";
  }
  Rng rng(7);
  for (int i = 0; i < 20000; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(rng.UniformInt(7)), (rng.Uniform() - 0.5) * 2e4);
    double fast = -1, slow = -2;
    ASSERT_TRUE(ParsePlainDecimal(buf, &fast)) << buf;
    ASSERT_TRUE(ParseNumber(buf, &slow)) << buf;
    ASSERT_EQ(std::memcmp(&fast, &slow, sizeof fast), 0) << buf;
  }
  ASSERT_TRUE(ParsePlainDecimal("-0", &v));
  EXPECT_TRUE(std::signbit(v));
  ASSERT_TRUE(ParsePlainDecimal("123456789012345", &v));  // 15 digits: still exact
  EXPECT_EQ(v, 123456789012345.0);
}

}  // namespace
}  // namespace ming

#include "data/preprocess.h"

namespace ming {
namespace {

TEST(InferTaskIntegers, ManyIntegerValuesAreARegression) {
  std::string few = "y\n", many = "y\n";
  for (int i = 0; i < 200; ++i) {
    few += std::to_string(i % 5) + "\n";
    many += std::to_string(18 + i % 60) + "\n";  // ages: 60 distinct integers
  }
  auto a = ParseCsv(few, "few.csv"), b = ParseCsv(many, "many.csv");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(InferTask(*a, 0, {}, 100).value(), Task::kMulticlass);
  EXPECT_EQ(InferTask(*b, 0, {}, 100).value(), Task::kRegression);
}

}  // namespace
}  // namespace ming
