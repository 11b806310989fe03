// Preprocessor::Fit, encodings worked out by hand, label encodings, InferTask, and errors
// that name file, line and column.
#include "data/preprocess.h"
#include "table_util.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ming {
namespace {

using testutil::AllRows;
using testutil::Parse;

Preprocessor MustFit(const CsvTable& t, const FitOptions& opts) {
  Result<Preprocessor> p = Preprocessor::Fit(t, AllRows(t), opts);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? std::move(p).value() : Preprocessor{};
}

std::string FitError(std::string_view text, const FitOptions& opts) {
  CsvTable t = Parse(text);
  Result<Preprocessor> p = Preprocessor::Fit(t, AllRows(t), opts);
  if (p.ok()) return "(fitted)";
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput);
  return p.status().message();
}

FitOptions Label(const std::string& name) {
  FitOptions o;
  o.label = name;
  return o;
}

// age: 30 40 NA 50 40 -> mean 40, population std sqrt(50), has missing.
// city: paris x3, london, rome -> with max 2 kept: paris, london; rome goes to "other".
// member: yes no yes no NA -> 1 0 1 0: mean 0.5, std 0.5, has missing.
constexpr std::string_view kTiny =
    "age,city,member,label\n"
    "30,paris,yes,no\n"
    "40,london,no,yes\n"
    "NA,paris,yes,yes\n"
    "50,rome,no,no\n"
    "40,paris,,yes\n";

TEST(Preprocess, TinyTableStatistics) {
  FitOptions o = Label("label");
  o.max_categories = 2;
  o.embed_auto = false;  // one-hot with "other" (embedding: preprocess_embed_test.cc)
  Preprocessor p = MustFit(Parse(kTiny), o);
  ASSERT_EQ(p.fields().size(), 3u);
  const FieldEncoding& age = p.fields()[0];
  EXPECT_EQ(age.name, "age");
  EXPECT_EQ(age.type, FieldType::kNumeric);
  EXPECT_DOUBLE_EQ(age.mean, 40.0);
  EXPECT_DOUBLE_EQ(age.std, std::sqrt(50.0));
  EXPECT_TRUE(age.has_missing);
  EXPECT_EQ(age.offset, 0);
  EXPECT_EQ(age.width, 2);
  const FieldEncoding& city = p.fields()[1];
  EXPECT_EQ(city.type, FieldType::kCategorical);
  EXPECT_EQ(city.categories, (std::vector<std::string>{"paris", "london"}));
  EXPECT_FALSE(city.has_missing);
  EXPECT_EQ(city.offset, 2);
  EXPECT_EQ(city.width, 3);
  const FieldEncoding& member = p.fields()[2];
  EXPECT_EQ(member.type, FieldType::kBoolean);
  EXPECT_DOUBLE_EQ(member.mean, 0.5);
  EXPECT_DOUBLE_EQ(member.std, 0.5);
  EXPECT_EQ(member.offset, 5);
  EXPECT_EQ(member.width, 2);
  EXPECT_EQ(p.encoded_width(), 7);
  EXPECT_EQ(p.field_index("city"), 1);
  EXPECT_EQ(p.field_index("label"), -1);
  EXPECT_EQ(p.label().task, Task::kBinary);
  EXPECT_EQ(p.label().classes, (std::vector<std::string>{"no", "yes"}));
  EXPECT_EQ(p.num_outputs(), 1);
}

TEST(Preprocess, TinyTableEncoding) {
  FitOptions o = Label("label");
  o.max_categories = 2;
  o.embed_auto = false;  // one-hot with "other" (embedding: preprocess_embed_test.cc)
  CsvTable t = Parse(kTiny);
  Preprocessor p = MustFit(t, o);
  std::vector<float> X(5 * 7, -9.0f);
  ASSERT_TRUE(p.EncodeInputs(t, AllRows(t), X.data()).ok());
  const float r2 = static_cast<float>(10.0 / std::sqrt(50.0));
  const std::vector<float> want = {
      -r2, 0, 1, 0, 0, 1,  0,  // 30, paris, yes
      0,   0, 0, 1, 0, -1, 0,  // 40, london, no
      0,   1, 1, 0, 0, 1,  0,  // NA -> mean + indicator
      r2,  0, 0, 0, 1, -1, 0,  // rome -> other slot
      0,   0, 1, 0, 0, 0,  1,  // member missing -> mean + indicator
  };
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(X[i], want[i]) << "at " << i;
  std::vector<float> y(5, -1.0f);
  ASSERT_TRUE(p.EncodeLabels(t, AllRows(t), y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{0, 1, 1, 0, 1}));
  // A subset of rows, in the given order.
  std::vector<float> x1(7);
  ASSERT_TRUE(p.EncodeInputs(t, {3}, x1.data()).ok());
  EXPECT_FLOAT_EQ(x1[0], r2);
}

TEST(Preprocess, EncodeRowUnseenAndMissing) {
  FitOptions o = Label("label");
  o.max_categories = 2;
  o.embed_auto = false;  // one-hot with "other" (embedding: preprocess_embed_test.cc)
  Preprocessor p = MustFit(Parse(kTiny), o);
  std::vector<float> x(7);
  std::string_view unseen[] = {" 45 ", "madrid", "TRUE"};
  ASSERT_TRUE(p.EncodeRow(unseen, x.data()).ok());
  EXPECT_EQ(x, (std::vector<float>{static_cast<float>(5.0 / std::sqrt(50.0)), 0, 0, 0, 1, 1, 0}));
  // city had no missing value in training: a missing city also goes to "other".
  std::string_view missing[] = {"", "N/A", "?"};
  ASSERT_TRUE(p.EncodeRow(missing, x.data()).ok());
  EXPECT_EQ(x, (std::vector<float>{0, 1, 0, 0, 1, 0, 1}));
}

TEST(Preprocess, MissingSlotForCategories) {
  CsvTable t = Parse("c,y\na,1\n,0\nb,1\na,0\n");
  Preprocessor p = MustFit(t, Label("y"));
  const FieldEncoding& c = p.fields()[0];
  EXPECT_EQ(c.categories, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(c.has_missing);
  EXPECT_EQ(c.width, 4);  // a, b, other, missing
  std::vector<float> x(4);
  std::string_view missing[] = {"NA"};
  ASSERT_TRUE(p.EncodeRow(missing, x.data()).ok());
  EXPECT_EQ(x, (std::vector<float>{0, 0, 0, 1}));
  std::string_view other[] = {"zzz"};
  ASSERT_TRUE(p.EncodeRow(other, x.data()).ok());
  EXPECT_EQ(x, (std::vector<float>{0, 0, 1, 0}));
}

TEST(Preprocess, TopCategoriesByFrequencyThenName) {
  // counts: e 5, c 3, b 3, a 1, d 1
  std::string text = "v,y\n";
  int i = 0;
  for (const char* v : {"e", "c", "b", "e", "a", "c", "e", "b", "d", "e", "c", "b", "e"}) {
    text += std::string(v) + "," + (i++ % 2 ? "p" : "q") + "\n";
  }
  CsvTable t = Parse(text);
  FitOptions o = Label("y");
  o.embed_auto = false;
  o.max_categories = 3;
  EXPECT_EQ(MustFit(t, o).fields()[0].categories, (std::vector<std::string>{"e", "b", "c"}));
  o.max_categories = 64;
  Preprocessor all = MustFit(t, o);
  EXPECT_EQ(all.fields()[0].categories, (std::vector<std::string>{"e", "b", "c", "a", "d"}));
  EXPECT_EQ(all.fields()[0].width, 6);
  o.max_categories = 0;
  EXPECT_EQ(MustFit(t, o).fields()[0].width, 1);
}

TEST(Preprocess, ConstantColumnHasUnitStd) {
  Preprocessor p = MustFit(Parse("k,y\n3,a\n3,b\n3,a\n"), Label("y"));
  EXPECT_EQ(p.fields()[0].mean, 3.0);
  EXPECT_EQ(p.fields()[0].std, 1.0);
  EXPECT_FALSE(p.fields()[0].has_missing);
  EXPECT_EQ(p.fields()[0].width, 1);
}

TEST(Preprocess, StatisticsUseOnlyTrainingRows) {
  CsvTable t = Parse("x,c,y\n1,a,0\n3,a,1\n100,b,0\nNA,,1\n");
  Result<Preprocessor> p = Preprocessor::Fit(t, {0, 1}, Label("y"));
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->fields()[0].mean, 2.0);
  EXPECT_DOUBLE_EQ(p->fields()[0].std, 1.0);
  EXPECT_FALSE(p->fields()[0].has_missing);
  EXPECT_EQ(p->fields()[1].categories, (std::vector<std::string>{"a"}));
}

TEST(Preprocess, OverridesAndIgnore) {
  CsvTable t = Parse("id,zip,flag,y\n1,75001,1,a\n2,10115,0,b\n3,75001,1,a\n");
  FitOptions o = Label("y");
  o.ignore = {"id"};
  o.overrides = {{"zip", FieldType::kCategorical}, {"flag", FieldType::kNumeric}};
  Preprocessor p = MustFit(t, o);
  ASSERT_EQ(p.fields().size(), 2u);
  EXPECT_EQ(p.fields()[0].name, "zip");
  EXPECT_EQ(p.fields()[0].type, FieldType::kCategorical);
  EXPECT_EQ(p.fields()[0].categories, (std::vector<std::string>{"75001", "10115"}));
  EXPECT_EQ(p.fields()[1].type, FieldType::kNumeric);
  EXPECT_DOUBLE_EQ(p.fields()[1].mean, 2.0 / 3.0);
}

TEST(Preprocess, LabelEncodings) {
  CsvTable t = Parse("x,y\n1,dog\n2,cat\n3,bird\n4,cat\n");
  Preprocessor p = MustFit(t, Label("y"));
  EXPECT_EQ(p.label().task, Task::kMulticlass);
  EXPECT_EQ(p.label().classes, (std::vector<std::string>{"bird", "cat", "dog"}));
  EXPECT_EQ(p.num_outputs(), 3);
  std::vector<float> y(4);
  ASSERT_TRUE(p.EncodeLabels(t, AllRows(t), y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{2, 1, 0, 1}));

  // Numeric classes sort as numbers: 1 < 2 < 10.
  CsvTable n = Parse("x,y\n1,10\n2,2\n3,1\n4,2\n");
  Preprocessor pn = MustFit(n, Label("y"));
  EXPECT_EQ(pn.label().classes, (std::vector<std::string>{"1", "2", "10"}));
  ASSERT_TRUE(pn.EncodeLabels(n, AllRows(n), y.data()).ok());
  EXPECT_EQ(y, (std::vector<float>{2, 1, 0, 1}));

  // Binary: the second sorted class is positive.
  CsvTable b = Parse("x,y\n1,true\n2,false\n3,true\n");
  Preprocessor pb = MustFit(b, Label("y"));
  EXPECT_EQ(pb.label().classes, (std::vector<std::string>{"false", "true"}));
  ASSERT_TRUE(pb.EncodeLabels(b, AllRows(b), y.data()).ok());
  EXPECT_EQ(std::vector<float>(y.begin(), y.begin() + 3), (std::vector<float>{1, 0, 1}));
}

TEST(Preprocess, RegressionLabel) {
  CsvTable t = Parse("x,price\n1,1.5\n2,2.5\n3,3.5\n4,4.5\n5,10\n");
  Preprocessor p = MustFit(t, Label("price"));
  EXPECT_EQ(p.label().task, Task::kRegression);
  EXPECT_TRUE(p.label().classes.empty());
  // values 1.5 2.5 3.5 4.5 10: mean 4.4, population variance 44.2 / 5 = 8.84
  EXPECT_NEAR(p.label().mean, 4.4, 1e-12);
  EXPECT_NEAR(p.label().std, std::sqrt(8.84), 1e-12);
  std::vector<float> y(5);
  ASSERT_TRUE(p.EncodeLabels(t, AllRows(t), y.data()).ok());
  EXPECT_FLOAT_EQ(y[4], static_cast<float>(5.6 / std::sqrt(8.84)));
  EXPECT_NEAR(p.DecodeValue(y[4]), 10.0, 1e-5);
  EXPECT_EQ(p.num_outputs(), 1);
}

TEST(Preprocess, ForcedTask) {
  CsvTable t = Parse("x,y\n1,1\n2,2\n3,3\n");
  FitOptions o = Label("y");
  o.task = Task::kRegression;
  EXPECT_EQ(MustFit(t, o).label().task, Task::kRegression);
  o.task = Task::kBinary;
  EXPECT_EQ(FitError("x,y\n1,1\n2,2\n3,3\n", o),
            "data.csv: label 'y' has 3 classes; a binary task needs exactly 2");
  o.task = Task::kRegression;
  EXPECT_EQ(FitError("x,y\n1,1\n2,inf\n", o), "data.csv:3: column 'y': infinite value 'inf'");
  EXPECT_EQ(FitError("x,y\n1,1\n2,lots\n", o), "data.csv:3: column 'y': 'lots' is not a number");
}

CsvTable LabelColumn(const std::vector<std::string>& values) {
  CsvTable t;
  t.source = "data.csv";
  t.header = {"y"};
  t.cells = values;
  for (size_t i = 0; i < values.size(); ++i) t.line.push_back(static_cast<int64_t>(i) + 2);
  return t;
}

Result<Task> Infer(const std::vector<std::string>& values, int max_classes = 100) {
  return InferTask(LabelColumn(values), 0, {}, max_classes);
}

Task TaskOf(const std::vector<std::string>& values, int max_classes = 100) {
  Result<Task> r = Infer(values, max_classes);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? r.value() : Task::kCount;
}

TEST(Preprocess, InferTask) {
  EXPECT_EQ(TaskOf({"yes", "no", "yes"}), Task::kBinary);
  EXPECT_EQ(TaskOf({"3", "7", "3"}), Task::kBinary);
  EXPECT_EQ(TaskOf({"0", "1", "2", "4", "1"}), Task::kMulticlass);
  EXPECT_EQ(TaskOf({"a", "b", "c"}), Task::kMulticlass);
  EXPECT_EQ(TaskOf({"0.5", "1", "2"}), Task::kRegression);
  EXPECT_EQ(TaskOf({"1", "2", "3", "4"}, 3), Task::kRegression);  // too many integer classes
  Result<Task> one = Infer({"yes", "yes", " yes "});
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().message(), "data.csv: label 'y' has a single class 'yes'");
  Result<Task> many = Infer({"a", "b", "c", "d"}, 3);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().message(),
            "data.csv: label 'y' has 4 distinct text values, more than max_classes (3)");
  // Only the given rows count.
  EXPECT_EQ(InferTask(LabelColumn({"a", "b", "c"}), 0, {0, 1}, 100).value(), Task::kBinary);
}

TEST(Preprocess, FitErrors) {
  EXPECT_EQ(FitError("a,b,c\n1,2,3\n", Label("accepted")),
            "data.csv: no column 'accepted' (columns: a, b, c)");
  EXPECT_EQ(FitError("x,y\n1,a\n2,\n3,b\n", Label("y")), "data.csv:3: column 'y': missing label");
  EXPECT_EQ(FitError("temperature,y\n1,a\ninf,b\n", Label("y")),
            "data.csv:3: column 'temperature': infinite value 'inf'");
  EXPECT_EQ(FitError("x,y\n1,a\n2,a\n", Label("y")), "data.csv: label 'y' has a single class 'a'");
  FitOptions o = Label("y");
  o.overrides = {{"age", FieldType::kNumeric}};
  EXPECT_EQ(FitError("age,y\n1,a\nold,b\n", o), "data.csv:3: column 'age': 'old' is not a number");
  o.overrides = {{"ill", FieldType::kBoolean}};
  EXPECT_EQ(FitError("ill,y\nyes,a\nmaybe,b\n", o),
            "data.csv:3: column 'ill': 'maybe' is not a boolean (expected yes/no, true/false or "
            "1/0)");
  o.overrides = {{"nope", FieldType::kBoolean}};
  EXPECT_EQ(FitError("x,y\n1,a\n2,b\n", o),
            "data.csv: no column 'nope' to give a type (columns: x, y)");
  o = Label("y");
  o.ignore = {"x"};
  EXPECT_EQ(FitError("x,y\n1,a\n2,b\n", o), "data.csv: no input columns left");
  o.ignore = {"z"};
  EXPECT_EQ(FitError("x,y\n1,a\n2,b\n", o), "data.csv: no column 'z' to ignore (columns: x, y)");
}

TEST(Preprocess, EncodeErrorsNamePlaceAndColumn) {
  constexpr std::string_view kTrain = "temperature,ill,accepted\n20,yes,no\n25,no,yes\n";
  CsvTable train = Parse(kTrain);
  Preprocessor p = MustFit(train, Label("accepted"));
  CsvTable bad = Parse("ill,temperature,accepted\nno,21,yes\nno,hot,no\n");
  std::vector<float> X(2 * 2), y(2);
  Status st = p.EncodeInputs(bad, {0, 1}, X.data());
  EXPECT_EQ(st.message(), "data.csv:3: column 'temperature': 'hot' is not a number");
  st = p.EncodeInputs(Parse("temperature,ill\n1,maybe\n"), {0}, X.data());
  EXPECT_EQ(st.message(),
            "data.csv:2: column 'ill': 'maybe' is not a boolean (expected yes/no, true/false or "
            "1/0)");
  st = p.EncodeInputs(Parse("temperature,x\n1,2\n"), {0}, X.data());
  EXPECT_EQ(st.message(), "data.csv: no column 'ill', which the model needs");
  st = p.EncodeInputs(Parse("temperature,ill\n-inf,no\n"), {0}, X.data());
  EXPECT_EQ(st.message(), "data.csv:2: column 'temperature': infinite value '-inf'");

  std::string labels = "temperature,ill,accepted\n";
  for (int i = 0; i < 6; ++i) labels += "20,no,yes\n";
  labels += "20,no,maybe\n";
  CsvTable lt = Parse(labels);
  std::vector<float> y7(7);
  st = p.EncodeLabels(lt, AllRows(lt), y7.data());
  EXPECT_EQ(st.message(), "data.csv:8: column 'accepted': class 'maybe' was not seen in training");
  st = p.EncodeLabels(Parse("temperature,ill,accepted\n1,no,\n"), {0}, y.data());
  EXPECT_EQ(st.message(), "data.csv:2: column 'accepted': missing label");
  st = p.EncodeLabels(Parse("temperature,ill\n1,no\n"), {0}, y.data());
  EXPECT_EQ(st.message(), "data.csv: no column 'accepted', which the model needs");

  std::string_view raw[] = {"hot", "no"};
  st = p.EncodeRow(raw, X.data());
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(st.message(), "column 'temperature': 'hot' is not a number");
}

// A table made without ParseCsv (which refuses such text itself), as a library caller may.
CsvTable Table(std::vector<std::string> header, std::vector<std::string> cells) {
  CsvTable t;
  t.source = "data.csv";
  t.header = std::move(header);
  t.cells = std::move(cells);
  for (size_t r = 0; r < t.cells.size() / t.header.size(); ++r) t.line.push_back(static_cast<int64_t>(r) + 2);
  return t;
}

std::string FitError(const CsvTable& t, const FitOptions& opts) {
  Result<Preprocessor> p = Preprocessor::Fit(t, AllRows(t), opts);
  return p.ok() ? "(fitted)" : p.status().message();
}

TEST(PreprocessFit, RefusesNamesThatAreNotUtf8WithTheirPlace) {
  // Latin-1 'été' in a category: the model's META is UTF-8 JSON, so it cannot be stored.
  const std::string e = FitError(Table({"c", "y"}, {"hiver", "1", "\xe9t\xe9", "0"}), Label("y"));
  EXPECT_NE(e.find("data.csv:3: column 'c': '\\xE9t\\xE9' is not valid UTF-8"), std::string::npos) << e;
  EXPECT_NE(FitError(Table({"\xe9", "y"}, {"1", "1", "2", "0"}), Label("y")).find("data.csv:1: column '\\xE9'"),
            std::string::npos);
  EXPECT_NE(FitError(Table({"a", "y"}, {"1", "\xff", "2", "0"}), Label("y")).find("data.csv:2: column 'y'"),
            std::string::npos);
  // Valid UTF-8 (two- to four-byte forms) is kept as it is.
  const Preprocessor p = MustFit(Parse("c,y\n\xc3\xa9t\xc3\xa9,1\n\xf0\x9f\x8d\x90,0\n"), Label("y"));
  EXPECT_EQ(p.fields()[0].categories.size(), 2u);
}

}  // namespace
}  // namespace ming
