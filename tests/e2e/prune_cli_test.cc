// `ming prune` end to end: report shape (human and --json), the pruned file loads and
// evaluates, and bad input (sparsity outside [0, 1), schema mismatch, unreadable model)
// exits 2 without writing the output.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli_util.h"

namespace ming::e2e {
namespace {

using nlohmann::json;

class PruneCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(TempDir("prune"));
    ASSERT_EQ(Ming("generate invitations --rows 2000 --seed 3 -o inv.csv", *dir_).rc, 0);
    Result t =
        Ming("train inv.csv --label accepted -o m.ming --epochs 4 --hidden 32,16 --quiet", *dir_);
    ASSERT_EQ(t.rc, 0) << t.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string* dir_;
};
std::string* PruneCli::dir_ = nullptr;

TEST_F(PruneCli, JsonReportAndLoadablePrunedModel) {
  const std::string& d = *dir_;
  Result r =
      Ming("prune m.ming --data inv.csv -o p.ming --sparsity 0.8 --fine-tune-epochs 3 --json", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["layers"].size(), 3u);
  EXPECT_EQ(j["layers"][0]["units_before"], 32);
  EXPECT_EQ(j["layers"][2]["layer"], "output");
  EXPECT_NEAR(j["sparsity"]["achieved"].get<double>(), 0.8, 0.001);
  EXPECT_EQ(j["fine_tune"]["schedule"].size(), 3u);
  EXPECT_LT(j["total"]["nonzero_after"].get<int64_t>(),
            j["total"]["nonzero_before"].get<int64_t>() / 2);
  EXPECT_EQ(j["file_bytes"]["after"].get<int64_t>(),
            static_cast<int64_t>(std::filesystem::file_size(d + "/p.ming")));
  for (const char* when : {"before", "after"}) {
    for (const char* split : {"validation", "test"})
      EXPECT_TRUE(j["metrics"][when][split].contains("accuracy"));
  }
  // Before = the model's own recorded metrics (the training split is reproduced).
  json info = json::parse(Ming("info m.ming --json", d).out);
  EXPECT_EQ(j["metrics"]["before"]["test"]["accuracy"], info["metrics"]["test"]["accuracy"]);
  Result ev = Ming("eval p.ming inv.csv --json", d);
  ASSERT_EQ(ev.rc, 0) << ev.err;
  EXPECT_GT(json::parse(ev.out)["accuracy"].get<double>(), 0.6);

  Result h = Ming("prune m.ming --data inv.csv -o p2.ming --remove-fraction 0.25", d);
  ASSERT_EQ(h.rc, 0) << h.err;
  EXPECT_NE(h.out.find("hidden1"), std::string::npos);
  EXPECT_NE(h.out.find("32 -> 24"), std::string::npos) << h.out;
  json pinfo = json::parse(Ming("info p2.ming --json", d).out);
  EXPECT_EQ(pinfo["network"]["hidden"], json({24, 12}));
}

TEST_F(PruneCli, BadInputExits2WithoutOutput) {
  const std::string& d = *dir_;
  std::string csv = Slurp(d + "/inv.csv");
  // Rename the 'weather' column: the model needs it.
  Write(d + "/renamed.csv", "holiday,climate" + csv.substr(csv.find(',', csv.find(',') + 1)));
  Write(d + "/garbage.ming", "not a model");
  struct Case {
    std::string args, want;
  };
  const Case cases[] = {
      {"m.ming --data inv.csv -o out.ming --sparsity 1", "--sparsity"},
      {"m.ming --data inv.csv -o out.ming --sparsity -0.2", "--sparsity"},
      {"m.ming --data inv.csv -o out.ming --scope everywhere", "--scope"},
      {"m.ming --data renamed.csv -o out.ming", "weather"},
      {"m.ming --data inv.csv --test renamed.csv -o out.ming", "renamed.csv"},
      {"garbage.ming --data inv.csv -o out.ming", "garbage.ming"},
      {"missing.ming --data inv.csv -o out.ming", "missing.ming"},
  };
  for (const Case& c : cases) {
    Result r = Ming("prune " + c.args, d);
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.want), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(d + "/out.ming")) << c.args;
  }
}

}  // namespace
}  // namespace ming::e2e
