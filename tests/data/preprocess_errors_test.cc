// Preprocessing on input no other test gives it: options out of range, forced tasks that
// the labels cannot satisfy, labels with missing or infinite values, regression labels that
// are not numbers, long UTF-8 cells in messages, and stored JSON whose lists hold the wrong
// things. Every refusal is InvalidInput naming the file, field or option at fault.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <functional>
#include <string>

#include "data/preprocess.h"
#include "tests/expect_status.h"

namespace ming {
namespace {

CsvTable Table(std::string_view text) {
  Result<CsvTable> t = ParseCsv(text, "data.csv");
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

std::vector<size_t> Rows(size_t n) {
  std::vector<size_t> r(n);
  for (size_t i = 0; i < n; ++i) r[i] = i;
  return r;
}

// The status of fitting `opts` on every row of `text` (the label is column 'y').
Status FitStatus(std::string_view text, FitOptions opts) {
  const CsvTable t = Table(text);
  if (opts.label.empty()) opts.label = "y";
  return Preprocessor::Fit(t, Rows(t.rows()), opts).status();
}

// The task InferTask gives column 0 of `text` (all rows), or its error message.
std::string Inferred(std::string_view text, int max_classes = 100) {
  const Result<Task> task = InferTask(Table(text), 0, {}, max_classes);
  return task.ok() ? Name(task.value()) : task.status().message();
}

#define EXPECT_INVALID(st, text) EXPECT_STATUS(st, StatusCode::kInvalidInput, text)

constexpr std::string_view kTwoClasses = "a,y\n1,no\n2,yes\n3,no\n";

// The label column cannot also be given an input type.
TEST(PreprocessErrors, OverrideOnTheLabel) {
  FitOptions o;
  o.overrides = {{"y", FieldType::kCategorical}};
  EXPECT_INVALID(FitStatus(kTwoClasses, o),
                 "data.csv: column 'y' is the label; it cannot be given an input type");
}

// FieldType::kCount is a sentinel, not a type a caller may force.
TEST(PreprocessErrors, OverrideWithTheSentinelType) {
  FitOptions o;
  o.overrides = {{"a", FieldType::kCount}};
  EXPECT_INVALID(FitStatus(kTwoClasses, o), "invalid type for 'a'");
}

// max_categories outside [0, 65536] and max_classes below 2 are refused by name.
TEST(PreprocessErrors, OptionsOutOfRange) {
  for (int bad : {-1, (1 << 16) + 1}) {
    FitOptions o;
    o.max_categories = bad;
    EXPECT_INVALID(FitStatus(kTwoClasses, o), "max_categories must be in [0, 65536]");
  }
  FitOptions o;
  o.max_categories = 0;  // the edge of the range is allowed: every value goes to "other"
  EXPECT_TRUE(FitStatus("c,y\nred,no\nblue,yes\n", o).ok());
  o.max_classes = 1;
  EXPECT_INVALID(FitStatus(kTwoClasses, o), "max_classes must be at least 2");
}

// Fit refuses an empty row set instead of fitting statistics on nothing.
TEST(PreprocessErrors, NoTrainingRows) {
  const CsvTable t = Table(kTwoClasses);
  FitOptions o;
  o.label = "y";
  EXPECT_INVALID(Preprocessor::Fit(t, {}, o).status(), "data.csv: no training rows");
}

// A forced classification task on a label with one value names that value.
TEST(PreprocessErrors, ForcedMulticlassWithASingleClass) {
  FitOptions o;
  o.task = Task::kMulticlass;
  EXPECT_INVALID(FitStatus("a,y\n1,same\n2,same\n", o), "data.csv: label 'y' has a single class 'same'");
}

// A forced multiclass task with more than 65536 classes is refused with the count.
TEST(PreprocessErrors, ForcedMulticlassWithTooManyClasses) {
  std::string text = "a,y\n";
  const int n = (1 << 16) + 1;
  for (int i = 0; i < n; ++i) text += "1,c" + std::to_string(i) + "\n";
  FitOptions o;
  o.task = Task::kMulticlass;
  EXPECT_INVALID(FitStatus(text, o), "data.csv: label 'y' has 65537 classes, more than 65536");
}

// InferTask skips missing labels, and a label with nothing but missing values has none.
TEST(PreprocessErrors, InferTaskIgnoresMissingLabels) {
  EXPECT_EQ(Inferred("y\nyes\nNA\nno\n?\nyes\n"), "binary");
  EXPECT_INVALID(InferTask(Table("y\nNA\n\n?\n"), 0, {}, 100).status(),
                 "data.csv: label 'y' has no values");
}

// Numbers with an infinite one among them are not integer class codes: a regression.
TEST(PreprocessErrors, InferTaskInfiniteLabelIsNotAClassCode) {
  EXPECT_EQ(Inferred("y\n1\n2\ninf\n"), "regression");
  EXPECT_EQ(Inferred("y\n1\n2\n3\n"), "multiclass");
}

// A negative max_classes allows no text classes (it is not cast to a huge unsigned).
TEST(PreprocessErrors, InferTaskNegativeMaxClasses) {
  const CsvTable t = Table("y\nred\ngreen\nblue\n");
  EXPECT_INVALID(InferTask(t, 0, {}, -1).status(),
                 "data.csv: label 'y' has 3 distinct text values, more than max_classes (-1)");
  EXPECT_EQ(Inferred("y\nred\ngreen\nblue\n", 3), "multiclass");
}

// A regression label that is not a number when encoding names the line and the column.
TEST(PreprocessErrors, RegressionLabelThatIsNotANumber) {
  const CsvTable train = Table("a,y\n1,0.5\n2,1.5\n3,2.5\n");
  FitOptions o;
  o.label = "y";
  o.task = Task::kRegression;
  auto p = Preprocessor::Fit(train, Rows(3), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const CsvTable serve = Table("a,y\n1,2\n2,lots\n");
  std::vector<float> y(2);
  EXPECT_INVALID(p->EncodeLabels(serve, Rows(2), y.data()),
                 "data.csv:3: column 'y': 'lots' is not a number");
}

// A long cell is cut at 60 bytes in messages, backing up to a whole UTF-8 character.
TEST(PreprocessErrors, LongCellIsCutAtACharacterBoundary) {
  const CsvTable train = Table(kTwoClasses);
  FitOptions o;
  o.label = "y";
  auto p = Preprocessor::Fit(train, Rows(3), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  // 59 ASCII bytes then "é" (2 bytes): byte 60 is the middle of the "é".
  const std::string cell = std::string(59, 'x') + "\xC3\xA9" + "tail";
  const CsvTable serve = Table("a,y\n1," + cell + "\n");
  std::vector<float> y(1);
  const Status st = p->EncodeLabels(serve, Rows(1), y.data());
  EXPECT_INVALID(st, "class '" + std::string(59, 'x') + "... (65 bytes)' was not seen in training");
}

// A one-column table whose header holds no delimiter gets no delimiter hint.
TEST(PreprocessErrors, NoDelimiterHintWithoutADelimiterInTheHeader) {
  FitOptions o;
  o.label = "y";
  const Status st = FitStatus("x\n1\n2\n", o);
  EXPECT_INVALID(st, "data.csv: no column 'y' (columns: x)");
  EXPECT_EQ(st.message().find("--delimiter"), std::string::npos) << st.message();
}

// Stored JSON: category and class lists must be arrays of non-empty strings, and the
// label needs a name; each message names the field or the label.
TEST(PreprocessErrors, StoredListsAndNames) {
  const CsvTable t = Table("c,y\nred,no\nblue,yes\n");
  FitOptions o;
  o.label = "y";
  auto p = Preprocessor::Fit(t, Rows(2), o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  const nlohmann::json good = p->ToJson();
  ASSERT_TRUE(Preprocessor::FromJson(good).ok());
  auto edited = [&](const std::function<void(nlohmann::json&)>& fn) {
    nlohmann::json j = good;
    fn(j);
    return Preprocessor::FromJson(j).status();
  };
  EXPECT_INVALID(edited([](nlohmann::json& j) { j["fields"][0]["categories"] = "red"; }),
                 "preprocessing: field 1: 'categories' must be an array of strings");
  EXPECT_INVALID(edited([](nlohmann::json& j) { j["fields"][0]["categories"] = {"red", ""}; }),
                 "preprocessing: field 1: 'categories' must hold non-empty strings");
  EXPECT_INVALID(edited([](nlohmann::json& j) { j["label"]["classes"] = nullptr; }),
                 "preprocessing: label: 'classes' must be an array of strings");
  EXPECT_INVALID(edited([](nlohmann::json& j) { j["label"]["name"] = ""; }),
                 "preprocessing: label: empty name");
}

}  // namespace
}  // namespace ming
