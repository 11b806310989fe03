// `ming explain` and `ming calibrate` end to end: output shapes, additivity in the JSON,
// the stored threshold and calibration, and bad input exiting 2 with the place named.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "cli_util.h"

namespace ming::e2e {
namespace {

using nlohmann::json;

TEST(ExplainCli, RowsGlobalAndCalibrate) {
  const std::string d = TempDir("explain");
  ASSERT_EQ(Ming("generate invitations --rows 3000 --seed 3 -o inv.csv", d).rc, 0);
  ASSERT_EQ(Ming("train inv.csv --label accepted -o m.ming --epochs 5 --hidden 32,16 -q", d).rc, 0);
  Result r = Ming("explain m.ming inv.csv --rows 1,5,9 --json", d);
  ASSERT_EQ(r.rc, 0) << r.err;
  json rows = json::parse(r.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1]["row"], 5);
  for (const json& row : rows) {
    double sum = row["base"].get<double>();
    for (auto& [field, c] : row["contributions"].items()) sum += c.get<double>();
    EXPECT_NEAR(sum, row["output"].get<double>(), 1e-6);
    EXPECT_EQ(row["contributions"].size(), 11u);
    EXPECT_EQ(row["method"], "exact");
  }
  Result text = Ming("explain m.ming inv.csv --rows 2", d);
  ASSERT_EQ(text.rc, 0) << text.err;
  EXPECT_NE(text.out.find("log-odds of accepted = yes"), std::string::npos) << text.out;

  Result g = Ming("explain m.ming --global inv.csv --max-rows 300 --json", d);
  ASSERT_EQ(g.rc, 0) << g.err;
  json gj = json::parse(g.out);
  EXPECT_EQ(gj["rows"], 300);
  EXPECT_EQ(gj["ranking"].size(), 11u);
  EXPECT_EQ(gj["permutation"]["metric"], "accuracy");
  EXPECT_TRUE(gj["rule_of_thumb"]["available"].get<bool>());
  EXPECT_GT(gj["rule_of_thumb"]["fidelity"].get<double>(), 0.7);

  Result c = Ming("calibrate m.ming inv.csv -o cal.ming --threshold-by youden --json", d);
  ASSERT_EQ(c.rc, 0) << c.err;
  json cj = json::parse(c.out);
  EXPECT_EQ(cj["method"], "platt");
  json info = json::parse(Ming("info cal.ming --json", d).out);
  EXPECT_NEAR(info["threshold"].get<double>(), cj["threshold"].get<double>(), 1e-12);
}

TEST(ExplainCli, BadInputExitsTwo) {
  const std::string d = TempDir("explain_bad");
  ASSERT_EQ(Ming("generate invitations --rows 600 --seed 4 -o inv.csv", d).rc, 0);
  ASSERT_EQ(Ming("train inv.csv --label accepted -o m.ming --epochs 2 --hidden 8 -q", d).rc, 0);
  Write(d + "/reg.csv",
        "a,b,y\n1,2,1.5\n3,4,2.5\n1,3,0.1\n4,4,7.2\n2,2,3.3\n5,1,9.9\n1,1,0.5\n2,5,4.4\n");
  ASSERT_EQ(Ming("train reg.csv --label y --task regression -o reg.ming --epochs 2 --hidden 4 -q "
                 "--val-fraction 0 --test-fraction 0",
                 d)
                .rc,
            0);
  Write(d + "/other.csv", "x,z\n1,2\n");
  struct Case {
    const char* args;
    const char* expect;
  } cases[] = {
      {"explain m.ming inv.csv --rows 601", "out of range"},
      {"explain m.ming inv.csv --rows 0", "not a row number"},
      {"explain m.ming other.csv", "other.csv"},
      {"explain m.ming --global other.csv", "other.csv"},
      {"calibrate reg.ming reg.csv -o x.ming --threshold-by f1", "regression"},
      {"calibrate m.ming inv.csv -o x.ming --threshold-by auc", "--threshold-by"},
      {"calibrate m.ming inv.csv -o x.ming --method magic", "--method"},
      {"explain m.ming inv.csv --class yes", "--class"},
  };
  for (const Case& c : cases) {
    Result r = Ming(c.args, d);
    EXPECT_EQ(r.rc, 2) << c.args << ": " << r.err;
    EXPECT_NE(r.err.find(c.expect), std::string::npos) << c.args << ": " << r.err;
  }
}

}  // namespace
}  // namespace ming::e2e
