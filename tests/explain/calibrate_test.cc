// Threshold choice, Platt and temperature scaling and ECE against scikit-learn 1.2 / SciPy
// (fixtures/sklearn_explain.json, made by fixtures/make_sklearn_explain.py), plus small
// cases worked out by hand.
#include "explain/calibrate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "explain/threshold.h"

namespace ming {
namespace {

nlohmann::json LoadFixture() {
  const std::string here = MING_TEST_SOURCE_DIR "/explain/";  // absolute, whatever the build
  const std::string path = here + "fixtures/sklearn_explain.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

struct Binary {
  std::vector<float> z;
  std::vector<int32_t> y;
  std::vector<double> p;
};

Binary LoadBinary(const nlohmann::json& fx) {
  Binary b;
  for (double v : fx["z"]) b.z.push_back(static_cast<float>(v));
  for (int v : fx["y"]) b.y.push_back(v);
  for (float v : b.z) b.p.push_back(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  return b;
}

TEST(Threshold, MatchesScikitLearnForEveryCriterion) {
  const auto fx = LoadFixture()["binary"];
  const Binary b = LoadBinary(fx);
  const int64_t N = static_cast<int64_t>(b.y.size());
  for (const char* name : {"f1", "youden", "accuracy", "cost"}) {
    auto c = ParseThresholdCriterion(name);
    ASSERT_TRUE(c.ok());
    const ThresholdChoice t =
        ChooseThreshold(b.p.data(), b.y.data(), N, *c, fx["cost_false_yes"], fx["cost_false_no"]);
    EXPECT_NEAR(t.threshold, fx["thresholds"][name]["threshold"].get<double>(), 1e-12) << name;
    EXPECT_NEAR(t.value, fx["thresholds"][name]["value"].get<double>(), 1e-12) << name;
  }
}

TEST(Threshold, HandWorkedCase) {
  // p: 0.9(1) 0.8(0) 0.7(1) 0.3(0). At t=0.7: TP 2, FP 1, FN 0 -> F1 = 4/5; t=0.9: 2/3.
  const double p[] = {0.9, 0.8, 0.7, 0.3};
  const int32_t y[] = {1, 0, 1, 0};
  const ThresholdChoice f1 = ChooseThreshold(p, y, 4, ThresholdCriterion::kF1);
  EXPECT_DOUBLE_EQ(f1.threshold, 0.7);
  EXPECT_DOUBLE_EQ(f1.value, 0.8);
  // Accuracy 3/4 at 0.9 and at 0.7: ties go to the larger threshold.
  EXPECT_DOUBLE_EQ(ChooseThreshold(p, y, 4, ThresholdCriterion::kAccuracy).threshold, 0.9);
  // A false "no" costing 10: predict everything down to 0.7 positive (cost 1).
  const ThresholdChoice c = ChooseThreshold(p, y, 4, ThresholdCriterion::kCost, 1, 10);
  EXPECT_DOUBLE_EQ(c.threshold, 0.7);
  EXPECT_DOUBLE_EQ(c.value, 1.0);
  EXPECT_FALSE(ParseThresholdCriterion("auc").ok());
}

TEST(Calibration, PlattMatchesScikitLearn) {
  const auto fx = LoadFixture()["binary"];
  const Binary b = LoadBinary(fx);
  auto fit = FitPlatt(b.z.data(), b.y.data(), static_cast<int64_t>(b.y.size()));
  ASSERT_TRUE(fit.ok()) << fit.status().message();
  // sklearn stops BFGS at gtol 1e-5; our Newton solution is the exact optimum.
  EXPECT_NEAR(fit->scale, fx["platt"]["scale"].get<double>(), 1e-4);
  EXPECT_NEAR(fit->shift, fx["platt"]["shift"].get<double>(), 1e-4);
}

TEST(Calibration, TemperatureMatchesScipyBinaryAndMulticlass) {
  const auto fx = LoadFixture();
  const Binary b = LoadBinary(fx["binary"]);
  auto a = FitTemperature(b.z.data(), b.y.data(), static_cast<int64_t>(b.y.size()), 1);
  ASSERT_TRUE(a.ok());
  EXPECT_NEAR(*a, fx["binary"]["temperature_scale"].get<double>(), 1e-6);
  const auto& mc = fx["multiclass"];
  std::vector<float> z;
  std::vector<int32_t> y;
  for (double v : mc["z"]) z.push_back(static_cast<float>(v));
  for (int v : mc["y"]) y.push_back(v);
  auto am = FitTemperature(z.data(), y.data(), static_cast<int64_t>(y.size()), mc["C"]);
  ASSERT_TRUE(am.ok());
  EXPECT_NEAR(*am, mc["temperature_scale"].get<double>(), 1e-6);
}

TEST(Calibration, ExpectedCalibrationErrorMatchesNumpy) {
  const auto fx = LoadFixture()["binary"];
  const Binary b = LoadBinary(fx);
  const int64_t N = static_cast<int64_t>(b.y.size());
  std::vector<float> probs;
  for (double p : b.p)
    probs.insert(probs.end(), {static_cast<float>(1 - p), static_cast<float>(p)});
  EXPECT_NEAR(ExpectedCalibrationError(probs.data(), b.y.data(), N, 2),
              fx["ece_before"].get<double>(), 1e-6);
  auto fit = FitPlatt(b.z.data(), b.y.data(), N);
  ASSERT_TRUE(fit.ok());
  probs.clear();
  for (float z : b.z) {
    const double p = 1 / (1 + std::exp(-(fit->scale * z + fit->shift)));
    probs.insert(probs.end(), {static_cast<float>(1 - p), static_cast<float>(p)});
  }
  const double after = ExpectedCalibrationError(probs.data(), b.y.data(), N, 2);
  EXPECT_NEAR(after, fx["ece_platt"].get<double>(), 1e-3);  // fits agree to 1e-4
  EXPECT_LT(after, fx["ece_before"].get<double>());
}

TEST(Calibration, HandWorkedEce) {
  // Two rows at confidence 0.9 (one right), one at 0.6 (right): bins 9 and 6.
  const float probs[] = {0.1f, 0.9f, 0.9f, 0.1f, 0.4f, 0.6f};
  const int32_t y[] = {1, 1, 1};
  // bin 9: |1 - 1.8| / 3; bin 6: |1 - 0.6| / 3.
  EXPECT_NEAR(ExpectedCalibrationError(probs, y, 3, 2), (0.8 + 0.4) / 3, 1e-6);
}

TEST(Calibration, AntiCorrelatedScoresAreRejected) {
  const float z[] = {2, 1, -1, -2};
  const int32_t y[] = {0, 0, 1, 1};
  EXPECT_FALSE(FitPlatt(z, y, 4).ok());
}

}  // namespace
}  // namespace ming
