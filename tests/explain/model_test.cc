// Explanations of trained models: on data from a known linear-logistic rule the
// contributions rank the fields in the rule's order and the rule of thumb has the rule's
// signs; the public API adds up, matches Session's probabilities, and calibration and the
// background round-trip through the model file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "explain/background.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"
#include "train/pipeline.h"
#include "util/file.h"
#include "util/rng.h"

namespace ming {
namespace {

const double kCoef[] = {2.5, -2.0, 1.5, -1.0, 0.5, 0.0};  // fields a..f; f is ignored
const char* kNames[] = {"a", "b", "c", "d", "e", "f"};

// A temporary directory removed when the test binary exits.
struct TempDir {
  std::string path;
  TempDir() {
    auto p = std::filesystem::temp_directory_path() /
             ("ming_explain_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    path = p.string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string Dir() {
  static const TempDir d;
  return d.path;
}

std::string LinearCsv(int rows, uint64_t seed) {
  Rng rng(seed);
  std::string s = "a,b,c,d,e,f,y\n";
  char buf[64];
  for (int r = 0; r < rows; ++r) {
    double z = 0.3;
    for (int j = 0; j < 6; ++j) {
      const double v = rng.Normal();
      z += kCoef[j] * v;
      std::snprintf(buf, sizeof buf, "%.4f,", v);
      s += buf;
    }
    s += rng.UniformDouble() < 1 / (1 + std::exp(-z)) ? "yes\n" : "no\n";
  }
  return s;
}

// The pipeline's defaults with one hidden layer of 32, one thread, label "y".
PipelineOptions SmallNet(const std::string& csv, int epochs) {
  PipelineOptions o = DefaultPipelineOptions();
  o.data_path = csv;
  o.fit.label = "y";
  o.train.net.hidden = {32};
  o.train.epochs = epochs;
  o.train.threads = 1;
  return o;
}

// Trains once for all tests in this file.
const std::string& TrainedModel() {
  static const std::string path = [] {
    const std::string csv = Dir() + "/linear.csv", model = Dir() + "/linear.ming";
    EXPECT_TRUE(WriteFileAtomic(csv, LinearCsv(4000, 1)).ok());
    EXPECT_TRUE(WriteFileAtomic(Dir() + "/linear_val.csv", LinearCsv(1500, 2)).ok());
    auto res = RunPipeline(SmallNet(csv, 40), {});
    EXPECT_TRUE(res.ok()) << res.status().message();
    EXPECT_FALSE(res->model.background.empty());
    EXPECT_TRUE(SaveModel(model, res->model).ok());
    return model;
  }();
  return path;
}

double Spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<double> r(v.size());
    for (size_t i = 0; i < v.size(); ++i)
      for (size_t j = 0; j < v.size(); ++j) r[i] += v[j] < v[i];
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  double d2 = 0;
  const double n = static_cast<double>(a.size());
  for (size_t i = 0; i < a.size(); ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  return 1 - 6 * d2 / (n * (n * n - 1));
}

TEST(ExplainModel, ContributionsRankFieldsInTheRulesOrderAndTheRuleHasItsSigns) {
  auto model = Model::Load(TrainedModel());
  ASSERT_TRUE(model.ok()) << model.status().message();
  GlobalOptions g;
  g.threads = 2;
  auto res = ExplainGlobal(*model, Dir() + "/linear_val.csv", g);
  ASSERT_TRUE(res.ok()) << res.status().message();
  std::vector<double> truth, got;
  for (int j = 0; j < 6; ++j) {
    truth.push_back(std::fabs(kCoef[j]));
    got.push_back(res->mean_abs[static_cast<size_t>((*model)->field_index(kNames[j]))]);
  }
  EXPECT_GE(Spearman(truth, got), 0.9);
  EXPECT_EQ(res->metric, "accuracy");
  EXPECT_GE(Spearman(truth, res->permutation), 0.9);
  ASSERT_TRUE(res->rule.available) << res->rule.note;
  EXPECT_GT(res->rule.fidelity, 0.9);
  for (const RuleTerm& t : res->rule.terms) {
    for (int j = 0; j < 5; ++j) {
      if (t.text == kNames[j]) {
        EXPECT_EQ(t.weight > 0, kCoef[j] > 0) << t.text << " " << t.weight;
      }
    }
  }
  EXPECT_NE(res->rule.text.find("y = yes when"), std::string::npos) << res->rule.text;
}

TEST(ExplainModel, PublicApiAddsUpAndMatchesTheSession) {
  auto model = Model::Load(TrainedModel());
  ASSERT_TRUE(model.ok());
  auto ex = Explainer::Create(*model);
  ASSERT_TRUE(ex.ok()) << ex.status().message();
  Session session(*model);
  std::pair<std::string_view, std::string_view> row[] = {{"a", "1.2"}, {"b", "-0.3"}, {"c", "0.5"},
                                                         {"d", "2"},   {"e", ""},     {"f", "0.1"}};
  Explanation e;
  ASSERT_TRUE((*ex)->ExplainNamed(row, &e).ok());
  Prediction p;
  ASSERT_TRUE(session.PredictNamed(row, &p).ok());
  double sum = e.base;
  for (double c : e.contributions) sum += c;
  EXPECT_NEAR(sum, e.output, 1e-6);
  EXPECT_NEAR(1 / (1 + std::exp(-e.output)), p.probabilities[1], 1e-5);
  EXPECT_EQ(e.method, "exact");
  EXPECT_EQ(e.target, "log-odds of y = yes");
  std::pair<std::string_view, std::string_view> bad[] = {{"zzz", "1"}};
  EXPECT_FALSE((*ex)->ExplainNamed(bad, &e).ok());
}

TEST(ExplainModel, CalibrationAndBackgroundRoundTripAndApplyAtPrediction) {
  auto loaded = LoadModel(TrainedModel());
  ASSERT_TRUE(loaded.ok());
  ModelData m = *loaded;
  EXPECT_EQ(m.background.size(),
            static_cast<size_t>(kBackgroundRows) * static_cast<size_t>(m.net.inputs));
  m.calibration.method = CalibrationMethod::kPlatt;
  m.calibration.scale = 2.0;
  m.calibration.shift = -1.0;
  auto back = ParseModel(SerializeModel(m), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->background, m.background);
  EXPECT_EQ(back->calibration.method, CalibrationMethod::kPlatt);
  const float z = 0.3f;
  float probs[2];
  double v;
  int cls;
  OutputsToPrediction(*back, &z, probs, &v, &cls);
  EXPECT_NEAR(probs[1], 1 / (1 + std::exp(-(2.0 * 0.3 - 1.0))), 1e-6);  // sigmoid(-0.4)
  EXPECT_EQ(cls, 0);
  // A background that is not whole rows, and a bad calibration, are rejected.
  ModelData bad = m;
  bad.background.push_back(1.0f);
  EXPECT_FALSE(ParseModel(SerializeModel(bad), "mem").ok());
  bad = m;
  bad.calibration.scale = -1;
  EXPECT_FALSE(ParseModel(SerializeModel(bad), "mem").ok());
}

TEST(ExplainModel, ModelWithoutBackgroundNeedsACsv) {
  auto loaded = LoadModel(TrainedModel());
  ASSERT_TRUE(loaded.ok());
  ModelData m = *loaded;
  m.background.clear();
  const std::string path = Dir() + "/nobg.ming";
  ASSERT_TRUE(SaveModel(path, m).ok());
  auto model = Model::Load(path);
  ASSERT_TRUE(model.ok());
  auto ex = Explainer::Create(*model);
  ASSERT_FALSE(ex.ok());
  EXPECT_NE(ex.status().message().find("--background"), std::string::npos);
  ExplainOptions o;
  o.background_csv = Dir() + "/linear_val.csv";
  auto ex2 = Explainer::Create(*model, o);
  ASSERT_TRUE(ex2.ok()) << ex2.status().message();
  EXPECT_EQ((*ex2)->background_rows(), 8);
}

TEST(ExplainModel, CalibrateFileChoosesThresholdAndRejectsBadRequests) {
  const std::string out = Dir() + "/cal.ming";
  CalibrateOptions o;
  o.threshold_by = "cost";
  o.cost_false_no = 5;
  auto r = CalibrateModelFile(TrainedModel(), Dir() + "/linear_val.csv", out, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->method, "platt");
  EXPECT_LT(r->threshold_after, 0.5);  // missing a "yes" costs 5x: the threshold drops
  auto m = LoadModel(out);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->threshold, r->threshold_after);
  EXPECT_EQ(m->calibration.method, CalibrationMethod::kPlatt);
  EXPECT_EQ(m->calibration.ece_after, r->ece_after);
  o.threshold_by = "auc";
  EXPECT_FALSE(CalibrateModelFile(TrainedModel(), Dir() + "/linear_val.csv", out, o).ok());
}

}  // namespace
}  // namespace ming

namespace ming {
namespace {

// A field of 80 values (embedded: more than 64) whose even values raise the odds and odd
// values lower them, next to one number. The rule of thumb weighs each value by its
// embedding row: against the reference value (the most frequent), values of the other
// parity get the sign of their true difference, and the field ranks first.
TEST(ExplainModel, EmbeddedFieldGetsATermPerValueWithTheRightSign) {
  const std::string csv = Dir() + "/embedded.csv", model_path = Dir() + "/embedded.ming";
  Rng rng(7);
  std::string s = "a,g,y\n";
  char buf[64];
  for (int r = 0; r < 6000; ++r) {
    const double a = rng.Normal();
    const int g = static_cast<int>(rng.UniformInt(80));
    const double z = 0.5 * a + (g % 2 == 0 ? 1.5 : -1.5);
    std::snprintf(buf, sizeof buf, "%.4f,g%d,", a, g);
    s += buf;
    s += rng.UniformDouble() < 1 / (1 + std::exp(-z)) ? "yes\n" : "no\n";
  }
  ASSERT_TRUE(WriteFileAtomic(csv, s).ok());
  auto res = RunPipeline(SmallNet(csv, 30), {});
  ASSERT_TRUE(res.ok()) << res.status().message();
  const FieldEncoding& g = res->model.pre.fields()[1];
  ASSERT_GT(g.embed_dim, 0);
  ASSERT_TRUE(SaveModel(model_path, res->model).ok());
  auto model = Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  GlobalOptions opts;
  opts.threads = 2;
  auto ex = ExplainGlobal(*model, csv, opts);
  ASSERT_TRUE(ex.ok()) << ex.status().message();
  EXPECT_GT(ex->mean_abs[1], ex->mean_abs[0]);
  ASSERT_TRUE(ex->rule.available) << ex->rule.note;
  const int ref_parity = std::stoi(g.categories[0].substr(1)) % 2;
  int value_terms = 0, other_parity = 0, right_sign = 0;
  for (const RuleTerm& t : ex->rule.terms) {
    if (t.text.rfind("g = g", 0) != 0) continue;
    ++value_terms;
    const int parity = std::stoi(t.text.substr(5)) % 2;
    if (parity == ref_parity) continue;
    ++other_parity;
    // Even values raise the odds: against an odd reference their weight is positive.
    right_sign += (t.weight > 0) == (parity == 0);
  }
  EXPECT_EQ(value_terms, static_cast<int>(g.categories.size()) - 1);  // every value but the reference
  EXPECT_GT(other_parity, 30);
  EXPECT_GE(right_sign, other_parity * 9 / 10) << ex->rule.text;
}

}  // namespace
}  // namespace ming
