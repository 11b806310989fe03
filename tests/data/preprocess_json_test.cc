// Preprocessor JSON: exact round trips, and corrupted documents rejected with InvalidInput.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>

#include "data/invitations.h"
#include "data/preprocess.h"

namespace ming {
namespace {

using nlohmann::json;

Preprocessor FitOn(std::string_view text, const std::string& label) {
  Result<CsvTable> t = ParseCsv(text, "data.csv");
  EXPECT_TRUE(t.ok()) << t.status().message();
  std::vector<size_t> rows(t->rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  FitOptions o;
  o.label = label;
  Result<Preprocessor> p = Preprocessor::Fit(*t, rows, o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return std::move(p).value();
}

void ExpectSame(const Preprocessor& a, const Preprocessor& b) {
  ASSERT_EQ(a.fields().size(), b.fields().size());
  for (size_t i = 0; i < a.fields().size(); ++i) {
    const FieldEncoding &x = a.fields()[i], &y = b.fields()[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.mean, y.mean);  // bit-exact, not near
    EXPECT_EQ(x.std, y.std);
    EXPECT_EQ(x.has_missing, y.has_missing);
    EXPECT_EQ(x.categories, y.categories);
    EXPECT_EQ(x.offset, y.offset);
    EXPECT_EQ(x.width, y.width);
  }
  EXPECT_EQ(a.label().name, b.label().name);
  EXPECT_EQ(a.label().task, b.label().task);
  EXPECT_EQ(a.label().classes, b.label().classes);
  EXPECT_EQ(a.label().mean, b.label().mean);
  EXPECT_EQ(a.label().std, b.label().std);
  EXPECT_EQ(a.encoded_width(), b.encoded_width());
  EXPECT_EQ(a.num_outputs(), b.num_outputs());
}

Preprocessor RoundTrip(const Preprocessor& p) {
  std::string text = p.ToJson().dump();
  Result<Preprocessor> back = Preprocessor::FromJson(json::parse(text));
  EXPECT_TRUE(back.ok()) << back.status().message();
  return std::move(back).value();
}

TEST(PreprocessJson, RoundTripInvitations) {
  std::string text = GenerateInvitations(500, 3);
  Preprocessor p = FitOn(text, "accepted");
  Preprocessor q = RoundTrip(p);
  ExpectSame(p, q);
  EXPECT_EQ(q.field_index("venue"), p.field_index("venue"));
  // Same encodings, bit for bit.
  Result<CsvTable> t = ParseCsv(text, "inv.csv");
  std::vector<size_t> rows = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const size_t w = static_cast<size_t>(p.encoded_width());
  std::vector<float> xa(rows.size() * w), xb(rows.size() * w), ya(rows.size()), yb(rows.size());
  ASSERT_TRUE(p.EncodeInputs(*t, rows, xa.data()).ok());
  ASSERT_TRUE(q.EncodeInputs(*t, rows, xb.data()).ok());
  ASSERT_TRUE(p.EncodeLabels(*t, rows, ya.data()).ok());
  ASSERT_TRUE(q.EncodeLabels(*t, rows, yb.data()).ok());
  EXPECT_EQ(xa, xb);
  EXPECT_EQ(ya, yb);
  // And the JSON of the copy is the same document.
  EXPECT_EQ(q.ToJson(), p.ToJson());
}

TEST(PreprocessJson, RoundTripRegressionAndMulticlass) {
  Preprocessor r = FitOn("a,b,y\n0.1,x,1.25\n0.7,y,2.5\n1.3,,0.3\n0.2,x,7.75\n", "y");
  ASSERT_EQ(r.label().task, Task::kRegression);
  ExpectSame(r, RoundTrip(r));
  Preprocessor m = FitOn("a,y\n1,red\n2,green\n3,blue\n", "y");
  ASSERT_EQ(m.label().task, Task::kMulticlass);
  ExpectSame(m, RoundTrip(m));
}

// Applies `corrupt` to a valid document and expects FromJson to refuse it.
void ExpectRejected(const std::function<void(json&)>& corrupt, const std::string& why) {
  static const json good =
      FitOn("n,c,b,y\n1.5,red,yes,no\n2.5,blue,no,yes\n,red,,yes\n", "y").ToJson();
  json j = good;
  corrupt(j);
  Result<Preprocessor> p = Preprocessor::FromJson(j);
  ASSERT_FALSE(p.ok()) << why;
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidInput) << why;
  EXPECT_FALSE(p.status().message().empty()) << why;
}

TEST(PreprocessJson, RejectsCorruption) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ExpectRejected([](json& j) { j = json::array(); }, "not an object");
  ExpectRejected([](json& j) { j.erase("fields"); }, "no fields");
  ExpectRejected([](json& j) { j["fields"] = json::array(); }, "empty fields");
  ExpectRejected([](json& j) { j["fields"] = "n"; }, "fields not an array");
  ExpectRejected([](json& j) { j.erase("label"); }, "no label");
  ExpectRejected([](json& j) { j["label"] = 3; }, "label not an object");
  ExpectRejected([](json& j) { j["fields"][0] = 7; }, "field not an object");
  ExpectRejected([](json& j) { j["fields"][0].erase("name"); }, "field without name");
  ExpectRejected([](json& j) { j["fields"][0]["name"] = ""; }, "empty name");
  ExpectRejected([](json& j) { j["fields"][0]["type"] = "text"; }, "unknown type");
  ExpectRejected([](json& j) { j["fields"][0]["type"] = 1; }, "type not a string");
  ExpectRejected([](json& j) { j["fields"][0]["std"] = 0.0; }, "zero std");
  ExpectRejected([](json& j) { j["fields"][0]["std"] = -1.0; }, "negative std");
  ExpectRejected([&](json& j) { j["fields"][0]["mean"] = nan; }, "NaN mean");
  ExpectRejected([&](json& j) { j["fields"][0]["std"] = inf; }, "infinite std");
  ExpectRejected([](json& j) { j["fields"][0]["mean"] = "1"; }, "mean as a string");
  ExpectRejected([](json& j) { j["fields"][0]["has_missing"] = 1; }, "has_missing not bool");
  ExpectRejected([](json& j) { j["fields"][0]["offset"] = 1; }, "wrong offset");
  ExpectRejected([](json& j) { j["fields"][0]["width"] = 1.5; }, "fractional width");
  ExpectRejected([](json& j) { j["fields"][1]["width"] = 9; }, "wrong width");
  ExpectRejected([](json& j) { j["encoded_width"] = 99; }, "wrong total width");
  ExpectRejected([](json& j) { j["fields"][1]["name"] = "n"; }, "duplicate field name");
  ExpectRejected([](json& j) { j["fields"][0]["name"] = "y"; }, "field named like the label");
  ExpectRejected([](json& j) { j["fields"][1]["categories"].push_back("red"); },
                 "duplicate category");
  ExpectRejected([](json& j) { j["fields"][1]["categories"] = {"red", 5}; }, "category number");
  ExpectRejected([](json& j) { j["fields"][1].erase("categories"); }, "no categories");
  ExpectRejected([](json& j) { j["fields"][0]["categories"] = {"a"}; }, "numeric categories");
  ExpectRejected(
      [](json& j) {
        json many = json::array();
        for (int i = 0; i <= (1 << 16); ++i) many.push_back(std::to_string(i) + "c");
        j["fields"][1]["categories"] = many;
      },
      "too many categories");
  ExpectRejected([](json& j) { j["label"]["classes"].push_back("maybe"); }, "3 binary classes");
  ExpectRejected([](json& j) { j["label"]["classes"] = {"yes", "yes"}; }, "duplicate classes");
  ExpectRejected(
      [](json& j) {
        j["label"]["task"] = "multiclass";
        j["label"]["classes"] = {"only"};
      },
      "one multiclass class");
  ExpectRejected([](json& j) { j["label"]["task"] = "regression"; }, "regression with classes");
  ExpectRejected(
      [](json& j) {
        j["label"]["task"] = "regression";
        j["label"].erase("classes");
        j["label"]["mean"] = 1.0;
      },
      "regression without std");
  ExpectRejected([](json& j) { j["label"]["task"] = "ranking"; }, "unknown task");
  ExpectRejected([](json& j) { j["label"].erase("name"); }, "label without name");
}

TEST(PreprocessJson, AcceptsTheUncorruptedDocument) {
  json j = FitOn("n,c,b,y\n1.5,red,yes,no\n2.5,blue,no,yes\n,red,,yes\n", "y").ToJson();
  Result<Preprocessor> p = Preprocessor::FromJson(j);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->encoded_width(), 2 + 3 + 2);
  // A regression label made valid by hand loads too.
  j["label"] = {{"name", "y"}, {"task", "regression"}, {"mean", 1.0}, {"std", 2.0}};
  p = Preprocessor::FromJson(j);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_DOUBLE_EQ(p->DecodeValue(1.5f), 4.0);
}

}  // namespace
}  // namespace ming
