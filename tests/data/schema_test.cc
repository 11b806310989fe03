// Cell parsing and type inference: missing tokens, booleans, strict locale-free numbers.
#include "data/schema.h"

#include <gtest/gtest.h>

#include <clocale>
#include <cmath>
#include <limits>

namespace ming {
namespace {

TEST(Schema, TypeNames) {
  for (FieldType t : {FieldType::kNumeric, FieldType::kBoolean, FieldType::kCategorical}) {
    FieldType back = FieldType::kCount;
    ASSERT_TRUE(Parse(Name(t), &back));
    EXPECT_EQ(back, t);
  }
  FieldType t = FieldType::kCount;
  EXPECT_TRUE(Parse("num", &t) && t == FieldType::kNumeric);
  EXPECT_TRUE(Parse("bool", &t) && t == FieldType::kBoolean);
  EXPECT_TRUE(Parse("cat", &t) && t == FieldType::kCategorical);
  EXPECT_FALSE(Parse("text", &t));
  EXPECT_EQ(t, FieldType::kCategorical);  // unchanged on failure
}

TEST(Schema, MissingTokens) {
  for (const char* s : {"", " ", "NA", "na", "N/A", "n/a", "NaN", "nan", "?", "null", "NULL",
                        "None", "none", " NA ", "\tnull"}) {
    EXPECT_TRUE(IsMissing(s)) << "'" << s << "'";
  }
  for (const char* s : {"0", "n", "no", "nil", "-", "NAN1", "nana", "missing"}) {
    EXPECT_FALSE(IsMissing(s)) << "'" << s << "'";
  }
}

TEST(Schema, BoolTokens) {
  for (const char* s : {"true", "TRUE", "yes", "Yes", "y", "Y", "t", "1", " yes "}) {
    EXPECT_EQ(ParseBool(s), std::optional<bool>(true)) << s;
  }
  for (const char* s : {"false", "False", "no", "NO", "n", "f", "0", "\tno"}) {
    EXPECT_EQ(ParseBool(s), std::optional<bool>(false)) << s;
  }
  for (const char* s : {"", "2", "yess", "on", "off", "1.0", "-1"}) {
    EXPECT_FALSE(ParseBool(s).has_value()) << s;
  }
}

double Num(const char* s) {
  double v = -12345.0;
  EXPECT_TRUE(ParseNumber(s, &v)) << s;
  return v;
}

bool NotNum(const char* s) {
  double v = -12345.0;
  bool ok = ParseNumber(s, &v);
  EXPECT_EQ(v, -12345.0) << "output changed on failure for " << s;
  return !ok;
}

TEST(Schema, Numbers) {
  EXPECT_EQ(Num("0"), 0.0);
  EXPECT_EQ(Num("42"), 42.0);
  EXPECT_EQ(Num("-3.25"), -3.25);
  EXPECT_EQ(Num("+7.5"), 7.5);
  EXPECT_EQ(Num(" 1.5 "), 1.5);
  EXPECT_EQ(Num("1e3"), 1000.0);
  EXPECT_EQ(Num("-2.5E-2"), -0.025);
  EXPECT_EQ(Num(".5"), 0.5);
  EXPECT_EQ(Num("5."), 5.0);
  EXPECT_EQ(Num("0.1"), 0.1);
  EXPECT_EQ(Num("1e-400"), 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Num("inf"), inf);
  EXPECT_EQ(Num("-Inf"), -inf);
  EXPECT_EQ(Num("+INFINITY"), inf);
  EXPECT_EQ(Num("1e999"), inf);
  EXPECT_EQ(Num("-1e999"), -inf);
  for (const char* s : {"", " ", "1,5", "0x10", "0x1p3", "1e", "e5", "--1", "+-1", "+", "-",
                        "1 000", "12abc", "abc", "nan", "NaN", "infinite", "1.2.3", "٣"}) {
    EXPECT_TRUE(NotNum(s)) << s;
  }
}

TEST(Schema, NumbersIgnoreTheLocale) {
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  std::string saved = old ? old : "C";
  // Where a comma-decimal locale exists, strtod would read "1.5" as 1 under it.
  bool switched = std::setlocale(LC_NUMERIC, "de_DE.UTF-8") != nullptr ||
                  std::setlocale(LC_NUMERIC, "fr_FR.UTF-8") != nullptr;
  EXPECT_EQ(Num("1.5"), 1.5);
  EXPECT_TRUE(NotNum("1,5"));
  std::setlocale(LC_NUMERIC, saved.c_str());
  if (!switched) GTEST_LOG_(INFO) << "no comma-decimal locale installed; checked in " << saved;
}

CsvTable Table(std::vector<std::string> cells) {
  CsvTable t;
  t.source = "t.csv";
  t.header = {"x"};
  t.cells = std::move(cells);
  for (size_t i = 0; i < t.cells.size(); ++i) t.line.push_back(static_cast<int64_t>(i) + 2);
  return t;
}

TEST(Schema, InferType) {
  EXPECT_EQ(InferType(Table({"yes", "no", "", "YES"}), 0, {}), FieldType::kBoolean);
  EXPECT_EQ(InferType(Table({"1", "0", "NA", "1"}), 0, {}), FieldType::kBoolean);
  EXPECT_EQ(InferType(Table({"1", "0", "2"}), 0, {}), FieldType::kNumeric);
  EXPECT_EQ(InferType(Table({"1.5", "-2", "inf"}), 0, {}), FieldType::kNumeric);
  EXPECT_EQ(InferType(Table({"1.5", "x"}), 0, {}), FieldType::kCategorical);
  EXPECT_EQ(InferType(Table({"yes", "2"}), 0, {}), FieldType::kCategorical);
  EXPECT_EQ(InferType(Table({"", "NA", "?"}), 0, {}), FieldType::kNumeric);
  // Only the given rows count.
  CsvTable t = Table({"1.5", "2", "hot", "yes"});
  EXPECT_EQ(InferType(t, 0, {0, 1}), FieldType::kNumeric);
  EXPECT_EQ(InferType(t, 0, {2}), FieldType::kCategorical);
  EXPECT_EQ(InferType(t, 0, {3}), FieldType::kBoolean);
}

}  // namespace
}  // namespace ming
