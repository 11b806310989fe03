// Metrics against scikit-learn 1.2 (fixtures/sklearn_metrics.json, made by
// fixtures/make_sklearn_metrics.py) and against small cases worked out by hand.
#include "train/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

namespace ming {
namespace {

constexpr double kTol = 1e-6;

std::string FixturePath() {
  const std::string here = MING_TEST_SOURCE_DIR "/train/";  // absolute, whatever the build
  return here + "fixtures/sklearn_metrics.json";
}

nlohmann::json LoadFixture() {
  std::ifstream in(FixturePath());
  EXPECT_TRUE(in.good()) << FixturePath();
  return nlohmann::json::parse(in);
}

// Rows [1 - s, s] for binary scores s.
std::vector<float> BinaryProbs(const std::vector<float>& s) {
  std::vector<float> p;
  for (float x : s) {
    p.push_back(1.0f - x);
    p.push_back(x);
  }
  return p;
}

TEST(MetricsSklearn, ClassificationMatchesReference) {
  const nlohmann::json fx = LoadFixture();
  ASSERT_EQ(fx["classification"].size(), 3u);
  for (const auto& c : fx["classification"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const int C = c["C"].get<int>();
    const std::vector<int32_t> y = c["y"].get<std::vector<int32_t>>();
    std::vector<float> probs;
    for (const auto& v : c["probs"]) probs.push_back(static_cast<float>(v.get<double>()));
    ASSERT_EQ(probs.size(), y.size() * C);
    const ClassificationMetrics m =
        ComputeClassification(probs.data(), y.data(), static_cast<int64_t>(y.size()), C);
    const auto& e = c["expected"];
    EXPECT_NEAR(m.accuracy, e["accuracy"].get<double>(), kTol);
    EXPECT_NEAR(m.log_loss, e["log_loss"].get<double>(), kTol);
    EXPECT_NEAR(m.f1, e["f1"].get<double>(), kTol);
    EXPECT_NEAR(m.auc, e["auc"].get<double>(), kTol);
  }
}

TEST(MetricsSklearn, RegressionMatchesReference) {
  const nlohmann::json fx = LoadFixture();
  ASSERT_EQ(fx["regression"].size(), 2u);
  for (const auto& c : fx["regression"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const std::vector<double> y = c["y"].get<std::vector<double>>();
    const std::vector<double> pred = c["pred"].get<std::vector<double>>();
    ASSERT_EQ(y.size(), pred.size());
    const RegressionMetrics m =
        ComputeRegression(pred.data(), y.data(), static_cast<int64_t>(y.size()));
    const auto& e = c["expected"];
    EXPECT_NEAR(m.rmse, e["rmse"].get<double>(), kTol);
    EXPECT_NEAR(m.mae, e["mae"].get<double>(), kTol);
    EXPECT_NEAR(m.r2, e["r2"].get<double>(), kTol);
  }
}

// Scores 0.1, 0.4, 0.4, 0.8 with labels 0, 0, 1, 1.
// AUC: of the 4 (positive, negative) pairs, (0.4, 0.1), (0.8, 0.1), (0.8, 0.4) are ordered
// right and (0.4, 0.4) is a tie worth 1/2: 3.5 / 4 = 0.875. (Ranks: 1, 2.5, 2.5, 4;
// positives 2.5 + 4 = 6.5; (6.5 - 2·3/2) / (2·2) = 0.875.)
// Predictions (argmax, ties to class 0): 0, 0, 0, 1 -> accuracy 3/4; for class 1 tp = 1,
// fp = 0, fn = 1 -> F1 = 2/3. Log loss: -(ln 0.9 + ln 0.6 + ln 0.4 + ln 0.8) / 4.
TEST(MetricsHand, BinaryWithTie) {
  const std::vector<float> p = BinaryProbs({0.1f, 0.4f, 0.4f, 0.8f});
  const int32_t y[] = {0, 0, 1, 1};
  const ClassificationMetrics m = ComputeClassification(p.data(), y, 4, 2);
  EXPECT_NEAR(m.auc, 0.875, 1e-12);
  EXPECT_NEAR(m.accuracy, 0.75, 1e-12);
  EXPECT_NEAR(m.f1, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.log_loss,
              -(std::log(0.9) + std::log(0.6) + std::log(0.4) + std::log(0.8)) / 4, 1e-6);
}

// All scores tied: every pair counts 1/2.
TEST(MetricsHand, AllTiedScoresGiveHalf) {
  const std::vector<float> p = BinaryProbs({0.3f, 0.3f, 0.3f, 0.3f, 0.3f});
  const int32_t y[] = {1, 0, 1, 0, 0};
  EXPECT_NEAR(ComputeClassification(p.data(), y, 5, 2).auc, 0.5, 1e-12);
}

// A certain wrong answer costs -ln(1e-15) = 34.5388 after clipping (row [1e-15, 1 - 1e-15]
// already sums to 1); the other row is right with certainty and costs -ln(1 - 1e-15).
TEST(MetricsHand, LogLossClipsCertainMistakes) {
  const float p[] = {0.0f, 1.0f, 0.0f, 1.0f};
  const int32_t y[] = {0, 1};
  const ClassificationMetrics m = ComputeClassification(p, y, 2, 2);
  EXPECT_NEAR(m.log_loss, (-std::log(1e-15) - std::log1p(-1e-15)) / 2, 1e-9);
  EXPECT_NEAR(m.auc, 0.5, 1e-12);  // both rows score P(1) = 1: one tied pair
}

// Rows that do not sum to 1 are renormalised: [0.2, 0.6] is [0.25, 0.75].
TEST(MetricsHand, LogLossRenormalisesRows) {
  const float p[] = {0.2f, 0.6f};
  const int32_t y[] = {1};
  EXPECT_NEAR(ComputeClassification(p, y, 1, 2).log_loss, -std::log(0.75), 1e-7);
}

TEST(MetricsHand, OneClassHasNoAucAndNoPositiveF1) {
  const std::vector<float> p = BinaryProbs({0.1f, 0.2f, 0.3f});
  const int32_t y[] = {0, 0, 0};
  const ClassificationMetrics m = ComputeClassification(p.data(), y, 3, 2);
  EXPECT_EQ(m.auc, -1);
  EXPECT_EQ(m.f1, 0);  // sklearn: no positives at all, zero_division -> 0
  EXPECT_EQ(m.accuracy, 1);
}

// y = 0, 1, 2, 2; pred = 0, 2, 2, 2. Class 0: tp 1 -> F1 1. Class 1: fn 1 -> F1 0.
// Class 2: tp 2, fp 1 -> 4/5. Macro over the classes present: (1 + 0 + 0.8) / 3 = 0.6.
// With a fourth column that is neither true nor predicted the macro average is unchanged.
TEST(MetricsHand, MacroF1OverPresentClasses) {
  const float p3[] = {0.8f, 0.1f, 0.1f, 0.1f, 0.3f, 0.6f, 0, 0, 1, 0.2f, 0.2f, 0.6f};
  const int32_t y[] = {0, 1, 2, 2};
  ClassificationMetrics m = ComputeClassification(p3, y, 4, 3);
  EXPECT_NEAR(m.f1, 0.6, 1e-12);
  EXPECT_NEAR(m.accuracy, 0.75, 1e-12);
  EXPECT_EQ(m.auc, -1);
  std::vector<float> p4;
  for (int i = 0; i < 4; ++i) {
    p4.insert(p4.end(), p3 + 3 * i, p3 + 3 * i + 3);
    p4.push_back(0.0f);
  }
  m = ComputeClassification(p4.data(), y, 4, 4);
  EXPECT_NEAR(m.f1, 0.6, 1e-12);
}

TEST(MetricsHand, EmptyInputGivesDefaults) {
  const ClassificationMetrics c = ComputeClassification(nullptr, nullptr, 0, 2);
  EXPECT_EQ(c.accuracy, 0);
  EXPECT_EQ(c.auc, -1);
  const RegressionMetrics r = ComputeRegression(nullptr, nullptr, 0);
  EXPECT_EQ(r.rmse, 0);
}

// y = 1, 2, 3; pred = 1, 2, 5: errors 0, 0, 2. MSE 4/3, MAE 2/3; mean(y) = 2, SStot = 2,
// SSres = 4, R² = 1 - 4/2 = -1.
TEST(MetricsHand, Regression) {
  const double y[] = {1, 2, 3}, pred[] = {1, 2, 5};
  const RegressionMetrics m = ComputeRegression(pred, y, 3);
  EXPECT_NEAR(m.rmse, std::sqrt(4.0 / 3.0), 1e-12);
  EXPECT_NEAR(m.mae, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.r2, -1.0, 1e-12);
}

// Constant y: sklearn's force_finite gives 1 for a perfect fit and 0 otherwise; one sample
// is not enough for R² (sklearn returns nan).
TEST(MetricsHand, RegressionDegenerateR2) {
  const double y[] = {2, 2}, exact[] = {2, 2}, off[] = {1, 2};
  EXPECT_EQ(ComputeRegression(exact, y, 2).r2, 1.0);
  EXPECT_EQ(ComputeRegression(off, y, 2).r2, 0.0);
  EXPECT_TRUE(std::isnan(ComputeRegression(off, y, 1).r2));
  EXPECT_EQ(ComputeRegression(off, y, 1).mae, 1.0);
}

}  // namespace
}  // namespace ming
