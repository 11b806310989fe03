// NaN/Inf in a loss, gradient or optimiser state is caught in the step that produced it;
// no checkpoint or model file is ever written with non-finite values, and the previous
// checkpoint stays as it was, byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "fault_util.h"
#include "runtime/model_file.h"
#include "train/checkpoint.h"
#include "train/trainer.h"
#include "util/rng.h"

namespace ming::fault {
namespace {

// Two features, y = [x0 + x1 > 0]; feature 0 multiplied by `scale0`.
Dataset Data(int64_t rows, float scale0) {
  Dataset d;
  d.rows = rows;
  d.features = 2;
  Rng rng(5);
  for (int64_t r = 0; r < rows; ++r) {
    const float a = static_cast<float>(rng.Normal()), b = static_cast<float>(rng.Normal());
    d.X.push_back(a * scale0);
    d.X.push_back(b);
    d.y.push_back(a + b > 0 ? 1.0f : 0.0f);
  }
  return d;
}

TrainOptions Options(const std::string& ckpt) {
  TrainOptions o;
  o.net.inputs = 2;
  o.net.hidden = {};
  o.net.outputs = 1;
  o.net.loss = LossKind::kBce;
  o.optim.kind = OptimizerKind::kAdam;
  o.optim.lr = 1e-2f;
  o.epochs = 2;
  o.batch_size = 64;
  o.patience = 0;
  o.threads = 2;
  o.checkpoint_path = ckpt;
  return o;
}

TEST(Divergence, AnOverflowingGradientStopsTheStepThatMadeIt) {
  // Feature 0 of size ~1e30: the logit (~1e29) and the BCE loss (~|logit|) are finite, the
  // gradient of w0 (~1e30 / 64 per row) is finite, but Adam's second moment (1 - beta2) g^2
  // overflows float in step 1. Caught there, before any checkpoint.
  const std::string dir = TempDir("overflow"), ckpt = dir + "/ck.ming";
  auto r = Train(Data(256, 1e30f), {}, Options(ckpt), false, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kRuntime);
  EXPECT_NE(r.status().message().find(
                "training diverged at epoch 1, step 1: a gradient or weight became non-finite"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no checkpoint was written"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(Exists(ckpt));
  EXPECT_TRUE(TempFiles(dir).empty());
}

TEST(Divergence, ANaNAfterAGoodEpochLeavesThatCheckpointUntouched) {
  const std::string dir = TempDir("nan"), ckpt = dir + "/ck.ming";
  TrainOptions o = Options(ckpt);
  const Dataset good = Data(256, 1.0f);
  ASSERT_TRUE(Train(good, {}, o, false, {}).ok());
  const std::string before = Slurp(ckpt);
  ASSERT_EQ(InspectCheckpoint(ckpt).epoch, 2);
  // Resume for two more epochs on data with one NaN label: the first step of epoch 3
  // that meets it fails; at most 4 steps per epoch.
  Dataset bad = good;
  bad.y[100] = std::numeric_limits<float>::quiet_NaN();
  o.epochs = 4;
  auto r = Train(bad, {}, o, true, {});
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  int epoch = 0, step = 0;
  ASSERT_EQ(
      std::sscanf(msg.c_str(), "training diverged at epoch %d, step %d: loss is", &epoch, &step), 2)
      << msg;
  EXPECT_EQ(epoch, 3) << msg;
  EXPECT_TRUE(step >= 1 && step <= 4) << msg;
  EXPECT_NE(msg.find("nan; the checkpoint of epoch 2 is kept in " + ckpt), std::string::npos)
      << msg;
  EXPECT_EQ(Slurp(ckpt), before);
  EXPECT_TRUE(InspectCheckpoint(ckpt).valid);
}

TEST(Divergence, WritersRefuseNonFiniteValues) {
  const std::string dir = TempDir("writers");
  TrainOptions o = Options(dir + "/ck.ming");
  const NetLayout layout(o.net);
  TrainState st;
  st.params.assign(static_cast<size_t>(layout.num_params()), 0.5f);
  st.buffers.assign(static_cast<size_t>(layout.num_buffers()), 0.0f);
  st.m = st.v = st.best_params = st.params;
  st.best_buffers = st.buffers;
  st.v[1] = std::numeric_limits<float>::infinity();  // only the optimiser state is bad
  Status w = WriteCheckpoint(o.checkpoint_path, o, st);
  EXPECT_EQ(w.code(), StatusCode::kRuntime);
  EXPECT_NE(w.message().find("non-finite values (section OPTV)"), std::string::npos) << w.message();
  EXPECT_FALSE(Exists(o.checkpoint_path));

  ModelData m;
  m.net = o.net;
  m.params = st.params;
  m.buffers = st.buffers;
  m.params[0] = std::numeric_limits<float>::quiet_NaN();
  Status s = SaveModel(dir + "/m.ming", m);
  EXPECT_EQ(s.code(), StatusCode::kRuntime);
  EXPECT_NE(s.message().find("m.ming: refusing to save non-finite weights (PARM)"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(Exists(dir + "/m.ming"));
  EXPECT_TRUE(TempFiles(dir).empty());
}

TEST(Divergence, CliRunThatDivergesKeepsTheOldModelAndTheLastCheckpoint) {
  // SGD with momentum 0.99 and a learning rate warming up to 9.9 over 3 epochs: epoch 1 is
  // fine, a later one explodes.
  const std::string d = TempDir("cli");
  ASSERT_EQ(Ming("generate invitations --rows 3000 --seed 5 -o inv.csv", d).rc, 0);
  Write(d + "/d.ming", "the previous model");
  const CliRun r = Ming(
      "train inv.csv --label distance_km --epochs 20 --patience 0 --hidden 32,16 --threads 2 -q "
      "--optimizer sgd --momentum 0.99 --lr 9.9 --warmup-epochs 3 --norm none --checkpoint ck -o "
      "d.ming",
      d);
  EXPECT_EQ(r.rc, 1) << r.err;
  int epoch = 0, step = 0;
  ASSERT_EQ(
      std::sscanf(r.err.c_str(), "ming: training diverged at epoch %d, step %d: ", &epoch, &step),
      2)
      << r.err;
  ASSERT_GE(step, 1);
  ASSERT_GE(epoch, 2) << "the run must diverge after a good checkpoint: " << r.err;
  EXPECT_NE(r.err.find("the checkpoint of epoch " + std::to_string(epoch - 1) +
                       " is kept in ck/checkpoint.ming"),
            std::string::npos)
      << r.err;
  const CheckpointCheck c = InspectCheckpoint(d + "/ck/checkpoint.ming");
  EXPECT_TRUE(c.valid) << c.error;
  EXPECT_EQ(c.epoch, epoch - 1);
  EXPECT_EQ(Slurp(d + "/d.ming"), "the previous model");
  EXPECT_TRUE(TempFiles(d).empty());
}

}  // namespace
}  // namespace ming::fault
