// The CLI's model-compression commands end to end: freeze (same predictions, frozen form in
// info), bench (JSON shape, bad options), and their bad-input exits.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "cli_util.h"

namespace ming::e2e {
namespace {

using nlohmann::json;

class CompressCli : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("compress"));
    ASSERT_EQ(Ming("generate invitations --rows 2000 --seed 3 -o inv.csv", *dir_).rc, 0);
    Result t = Ming("train inv.csv --label accepted -o m.ming --epochs 3 --hidden 32,16", *dir_);
    ASSERT_EQ(t.rc, 0) << t.err;
  }
  static std::string* dir_;
};
std::string* CompressCli::dir_ = nullptr;

TEST_F(CompressCli, FreezeKeepsEveryPrediction) {
  const std::string& d = *dir_;
  Result f = Ming("freeze m.ming -o f.ming --json", d);
  ASSERT_EQ(f.rc, 0) << f.err;
  json j = json::parse(f.out);
  EXPECT_EQ(j["before"]["form"], "trained");
  EXPECT_EQ(j["after"]["form"], "frozen");
  EXPECT_LT(j["after"]["params"].get<int64_t>(), j["before"]["params"].get<int64_t>());  // batch norm folded
  Result a = Ming("predict m.ming inv.csv -o a.csv", d), b = Ming("predict f.ming inv.csv -o b.csv", d);
  ASSERT_EQ(a.rc, 0) << a.err;
  ASSERT_EQ(b.rc, 0) << b.err;
  EXPECT_EQ(Slurp(d + "/a.csv"), Slurp(d + "/b.csv"));
  json info = json::parse(Ming("info f.ming --json", d).out);
  EXPECT_EQ(info["form"], "frozen");
  ASSERT_EQ(info["layers"].size(), 3u);
  for (const json& l : info["layers"]) {
    EXPECT_EQ(l["form"], "dense");
    EXPECT_FALSE(l["kernel"].get<std::string>().empty());
  }
  // Freezing a frozen model, or writing into a missing directory, fails without output.
  Result again = Ming("freeze f.ming -o g.ming", d);
  EXPECT_EQ(again.rc, 2);
  EXPECT_NE(again.err.find("already frozen"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(d + "/g.ming"));
  EXPECT_NE(Ming("freeze m.ming -o nodir/g.ming", d).rc, 0);
}

TEST_F(CompressCli, BenchReportsLatencyAndThroughput) {
  const std::string& d = *dir_;
  Result r = Ming("bench m.ming --seconds 0.05 --batch 300 --json", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  json j = json::parse(r.out);
  for (const char* k : {"single_row_predict", "single_row_plan", "batch"}) {
    ASSERT_TRUE(j.contains(k)) << k;
    EXPECT_GT(j[k]["samples"].get<int64_t>(), 0);
    EXPECT_GT(j[k]["p50_us"].get<double>(), 0.0);
    EXPECT_LE(j[k]["p50_us"].get<double>(), j[k]["p99_us"].get<double>());
  }
  EXPECT_EQ(j["batch_size"], 300);
  EXPECT_GT(j["batch_rows_per_s"].get<double>(), 0.0);
  Result csv = Ming("bench m.ming --data inv.csv --seconds 0.05", d);
  EXPECT_EQ(csv.rc, 0) << csv.err;
  EXPECT_NE(csv.out.find("p99"), std::string::npos);
  Write(d + "/bad.csv", "holiday,weather\nyes,sunny\n");
  Result bad = Ming("bench m.ming --data bad.csv --seconds 0.05", d);
  EXPECT_EQ(bad.rc, 2);
  EXPECT_NE(bad.err.find("no column"), std::string::npos);
  EXPECT_EQ(Ming("bench m.ming --batch 0", d).rc, 2);
  EXPECT_EQ(Ming("bench missing.ming", d).rc, 2);
}

TEST_F(CompressCli, QuantizeWritesAnInt8ModelThatAgreesWithTheFloatOne) {
  const std::string& d = *dir_;
  Result q = Ming("quantize m.ming --data inv.csv -o q.ming --bench-seconds 0.02 --json", d);
  ASSERT_EQ(q.rc, 0) << q.err;
  json j = json::parse(q.out);
  EXPECT_EQ(j["before"]["form"], "frozen");
  for (size_t l = 0; l + 1 < j["after"]["layers"].size(); ++l) EXPECT_EQ(j["after"]["layers"][l]["form"], "int8");
  EXPECT_EQ(j["after"]["layers"].back()["form"], "dense");
  EXPECT_GE(j["agreement"]["test"]["same_class"].get<double>(), 0.97);
  EXPECT_LT(j["after"]["weight_bytes"].get<double>() * 3, j["before"]["weight_bytes"].get<double>());
  EXPECT_TRUE(j["after"]["metrics"].contains("test"));
  EXPECT_TRUE(j["after"]["bench"].contains("single_row_plan"));
  json info = json::parse(Ming("info q.ming --json", d).out);
  EXPECT_EQ(info["layers"][0]["form"], "int8");
  EXPECT_EQ(info["quantization"]["output_layer"], "float32");
  Result p = Ming("predict q.ming inv.csv -o q.csv", d);
  EXPECT_EQ(p.rc, 0) << p.err;
  // Already quantised, bad rows, a schema that does not match: exit 2, nothing written.
  Result again = Ming("quantize q.ming --data inv.csv -o q2.ming", d);
  EXPECT_EQ(again.rc, 2);
  EXPECT_NE(again.err.find("already quantised"), std::string::npos);
  Write(d + "/other.csv", "a,b,accepted\n1,2,yes\n3,4,no\n");
  Result schema = Ming("quantize m.ming --data other.csv -o q3.ming", d);
  EXPECT_EQ(schema.rc, 2);
  EXPECT_NE(schema.err.find("other.csv"), std::string::npos);
  EXPECT_EQ(Ming("quantize m.ming --data inv.csv -o q4.ming --calibration-rows 0", d).rc, 2);
  for (const char* f : {"q2.ming", "q3.ming", "q4.ming"}) EXPECT_FALSE(std::filesystem::exists(d + "/" + f)) << f;
}

}  // namespace
}  // namespace ming::e2e
