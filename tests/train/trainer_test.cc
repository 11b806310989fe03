// The training loop: learning, restore-best, determinism, exact resume, divergence.
#include "tests/test_files.h"
#include "train/trainer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "format/container.h"
#include "train/checkpoint.h"
#include "util/file.h"
#include "util/rng.h"

namespace ming {
namespace {

// y = 1 when a fixed linear rule of 6 features is positive, with 5% flips.
Dataset MakeData(int64_t rows, uint64_t seed) {
  Dataset d;
  d.rows = rows;
  d.features = 6;
  Rng rng(seed);
  const double w[6] = {1.5, -2.0, 0.7, 0.0, 1.0, -0.5};
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0.2;
    for (int f = 0; f < 6; ++f) {
      const float x = static_cast<float>(rng.Normal());
      d.X.push_back(x);
      s += w[f] * x;
    }
    bool y = s > 0;
    if (rng.Uniform() < 0.05f) y = !y;
    d.y.push_back(y ? 1.0f : 0.0f);
  }
  return d;
}

TrainOptions Options(int threads) {
  TrainOptions o;
  o.net.inputs = 6;
  o.net.hidden = {16, 8};
  o.net.outputs = 1;
  o.net.loss = LossKind::kBce;
  o.net.dropout = 0.1f;
  o.optim.kind = OptimizerKind::kAdam;
  o.optim.lr = 1e-2f;
  o.epochs = 8;
  o.batch_size = 64;
  o.patience = 0;
  o.threads = threads;
  o.seed = 11;
  return o;
}

TEST(Trainer, LearnsALinearRule) {
  Dataset train = MakeData(2000, 1), val = MakeData(500, 2);
  auto r = Train(train, val, Options(2), false, {});
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->history.size(), 8u);
  EXPECT_LT(r->history.back().train_loss, 0.5 * r->history.front().train_loss + 0.2);
  EXPECT_LT(r->best_val_loss, 0.35);  // 5% label noise: the best possible is about 0.2
}

TEST(Trainer, RestoresTheBestEpoch) {
  Dataset train = MakeData(300, 3), val = MakeData(300, 4);
  TrainOptions o = Options(1);
  o.net.hidden = {64, 64};
  o.net.dropout = 0;
  o.optim.lr = 3e-2f;
  o.epochs = 40;
  o.patience = 5;
  auto r = Train(train, val, o, false, {});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stopped_early);
  EXPECT_EQ(r->epochs_run, r->best_epoch + 5);
  NetLayout layout(o.net);
  const double loss = EvaluateLoss(layout, r->params.data(), r->buffers.data(), val, 1);
  EXPECT_NEAR(loss, r->history[static_cast<size_t>(r->best_epoch - 1)].val_loss, 1e-9);
  EXPECT_NEAR(loss, r->best_val_loss, 1e-9);
}

TEST(Trainer, SameSeedGivesIdenticalWeightsWithAnyThreadCount) {
  Dataset train = MakeData(1000, 5), val = MakeData(200, 6);
  TrainOptions bn = Options(1);
  bn.net.norm = Norm::kBatch;
  bn.batch_size = 256;  // 4 chunks
  auto ref = Train(train, val, Options(1), false, {});
  auto ref_bn = Train(train, val, bn, false, {});
  ASSERT_TRUE(ref.ok() && ref_bn.ok());
  for (int threads : {1, 2, 3, 5}) {
    auto a = Train(train, val, Options(threads), false, {});
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->params, ref->params) << threads << " threads";
    bn.threads = threads;
    auto b = Train(train, val, bn, false, {});
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->params, ref_bn->params) << threads << " threads, batch norm";
    EXPECT_EQ(b->buffers, ref_bn->buffers) << threads << " threads, batch norm";
  }
  TrainOptions other = Options(2);
  other.seed = 12;
  auto a = Train(train, val, Options(2), false, {});
  auto c = Train(train, val, other, false, {});
  EXPECT_NE(a->params, c->params);
}

TEST(Trainer, ResumeAfterACrashEqualsAnUninterruptedRun) {
  Dataset train = MakeData(800, 7), val = MakeData(200, 8);
  TrainOptions o = Options(2);
  o.net.norm = Norm::kBatch;
  o.schedule.kind = ScheduleKind::kCosine;
  o.checkpoint_path = testutil::TempFilePath("ming_trainer", "resume.ckpt");
  std::remove(o.checkpoint_path.c_str());
  auto full = Train(train, val, o, false, {});
  ASSERT_TRUE(full.ok());
  std::remove(o.checkpoint_path.c_str());
  TrainCallbacks crash;
  crash.on_epoch = [](const EpochReport& e, const float*, const float*) {
    if (e.epoch == 5) throw std::runtime_error("simulated crash");
  };
  EXPECT_THROW((void)Train(train, val, o, false, crash), std::runtime_error);
  auto resumed = Train(train, val, o, true, {});
  ASSERT_TRUE(resumed.ok()) << resumed.status().message();
  EXPECT_EQ(resumed->params, full->params);
  EXPECT_EQ(resumed->buffers, full->buffers);
  EXPECT_EQ(resumed->best_epoch, full->best_epoch);
  EXPECT_EQ(resumed->history.size(), full->history.size());
  std::remove(o.checkpoint_path.c_str());
}

TEST(Trainer, ResumeRefusesOtherSettings) {
  Dataset train = MakeData(200, 9), val = MakeData(50, 10);
  TrainOptions o = Options(1);
  o.epochs = 2;
  o.checkpoint_path = testutil::TempFilePath("ming_trainer", "other.ckpt");
  ASSERT_TRUE(Train(train, val, o, false, {}).ok());
  o.optim.lr = 5e-3f;
  auto r = Train(train, val, o, true, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find("other settings"), std::string::npos) << r.status().message();
  std::remove(o.checkpoint_path.c_str());
}

TEST(Trainer, ResumeRefusesImpossibleStatesAndOtherData) {
  Dataset train = MakeData(200, 9), val = MakeData(50, 10);
  TrainOptions o = Options(1);
  o.epochs = 2;
  o.checkpoint_path = testutil::TempFilePath("ming_trainer", "state.ckpt");
  ASSERT_TRUE(Train(train, val, o, false, {}).ok());
  auto bytes = ReadFile(o.checkpoint_path);
  ASSERT_TRUE(bytes.ok());
  const NetLayout layout(o.net);
  TrainState st;
  ASSERT_TRUE(ParseCheckpoint(*bytes, "c.ckpt", o, layout, &st).ok());
  EXPECT_EQ(st.epoch, 2);
  // A negative epoch would have made a resumed run loop for ~2^31 epochs; a float count
  // was converted with undefined behaviour.
  for (const char* bad : {R"("epoch":-5)", R"("epoch":1e300)", R"("step":-1)", R"("bad_epochs":3)"}) {
    auto parsed = ParseContainer(*bytes, "c.ckpt");
    ASSERT_TRUE(parsed.ok());
    Container c = parsed.value();
    for (Section& s : c.sections) {
      if (s.tag != "TRST") continue;
      const std::string key = std::string(bad).substr(0, std::string(bad).find(':') + 1);
      const size_t at = s.bytes.find(key);
      ASSERT_NE(at, std::string::npos);
      s.bytes.replace(at, s.bytes.find_first_of(",}", at) - at, bad);
    }
    TrainState t;
    const Status r = ParseCheckpoint(SerializeContainer(c), "c.ckpt", o, layout, &t);
    EXPECT_EQ(r.code(), StatusCode::kInvalidInput) << bad;
    EXPECT_NE(r.message().find("c.ckpt: bad training state"), std::string::npos) << r.message();
  }
  // Resuming on more rows is not the same run: the step count tells.
  o.epochs = 3;
  auto r = Train(MakeData(300, 9), val, o, true, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("resume with the same training data"), std::string::npos) << r.status().message();
  std::remove(o.checkpoint_path.c_str());
}

TEST(Trainer, DivergenceStopsWithEpochAndStep) {
  Dataset train = MakeData(500, 11), val = MakeData(100, 12);
  TrainOptions o = Options(2);
  o.optim.kind = OptimizerKind::kSgd;
  o.optim.lr = 1e30f;
  o.optim.momentum = 0;
  auto r = Train(train, val, o, false, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRuntime);
  EXPECT_NE(r.status().message().find("diverged at epoch 1"), std::string::npos) << r.status().message();
}

TEST(Trainer, DivergenceKeepsTheLastGoodCheckpoint) {
  Dataset train = MakeData(500, 13), val = MakeData(100, 14);
  TrainOptions o = Options(1);
  o.epochs = 3;
  o.checkpoint_path = testutil::TempFilePath("ming_trainer", "good.ckpt");
  ASSERT_TRUE(Train(train, val, o, false, {}).ok());
  // Poison the data so that the loss becomes NaN, then resume with more epochs.
  Dataset bad = train;
  bad.X[7] = std::nanf("");
  o.epochs = 6;
  auto r = Train(bad, val, o, true, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("epoch 4"), std::string::npos) << r.status().message();
  NetLayout layout(o.net);
  TrainState st;
  o.epochs = 3;
  ASSERT_TRUE(ReadCheckpoint(o.checkpoint_path, o, layout, &st).ok());
  EXPECT_EQ(st.epoch, 3);
  for (float p : st.params) ASSERT_TRUE(std::isfinite(p));
  std::remove(o.checkpoint_path.c_str());
}

TEST(Trainer, RegressionAndMulticlassTrain) {
  Dataset reg = MakeData(1000, 15);
  for (int64_t r = 0; r < reg.rows; ++r) reg.y[static_cast<size_t>(r)] = reg.X[static_cast<size_t>(r * 6)] * 2 - reg.X[static_cast<size_t>(r * 6 + 1)];
  TrainOptions o = Options(2);
  o.net.loss = LossKind::kMse;
  o.net.dropout = 0;
  o.epochs = 20;
  auto r = Train(reg, reg, o, false, {});
  ASSERT_TRUE(r.ok());
  EXPECT_LT(r->best_val_loss, 0.05);  // target variance is 5
  Dataset mc = MakeData(1000, 16);
  for (int64_t i = 0; i < mc.rows; ++i) {
    const float a = mc.X[static_cast<size_t>(i * 6)], b = mc.X[static_cast<size_t>(i * 6 + 1)];
    mc.y[static_cast<size_t>(i)] = a > 0 ? (b > 0 ? 2.0f : 1.0f) : 0.0f;
  }
  o.net.loss = LossKind::kCrossEntropy;
  o.net.outputs = 3;
  auto m = Train(mc, mc, o, false, {});
  ASSERT_TRUE(m.ok());
  EXPECT_LT(m->best_val_loss, 0.2);
}

}  // namespace
}  // namespace ming

namespace ming {
namespace {

// A network with an embedding needs one valid slot per row and embedding, in the training
// and the validation rows; anything else is refused before training starts.
TEST(Trainer, EmbeddingSlotsAreChecked) {
  Dataset train = MakeData(64, 4), val = MakeData(16, 5);
  TrainOptions o = Options(1);
  o.epochs = 1;
  o.net.embeddings = {{2, 2, 3}};  // columns 2-3 come from a 3-row table
  train.slots.assign(64, 1);
  val.slots.assign(16, 2);
  EXPECT_TRUE(Train(train, val, o, false, {}).ok());
  auto error = [&](const Dataset& t, const Dataset& v) {
    Result<TrainResult> r = Train(t, v, o, false, {});
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string("(trained)") : r.status().message();
  };
  Dataset bad = train;
  bad.slots.pop_back();
  EXPECT_EQ(error(bad, val), "training rows have 63 category slots; the network's 1 embeddings need one per row each");
  bad = train;
  bad.slots[10] = 3;
  EXPECT_EQ(error(bad, val), "training row 11: category slot 3 is outside embedding 1's 3 rows");
  Dataset bad_val = val;
  bad_val.slots[0] = -1;
  EXPECT_EQ(error(train, bad_val), "validation row 1: category slot -1 is outside embedding 1's 3 rows");
}

}  // namespace
}  // namespace ming
