// SaveModel refuses non-finite weights wherever they sit (trained buffers, any frozen layer's
// weights in any form, bias or layer norm) and names the array; an int8 layer's dense view is
// its dequantised weights, and choosing weight forms leaves int8 layers as they are.
#include <gtest/gtest.h>
#include <unistd.h>

#include <limits>
#include <string>

#include "runtime/frozen.h"
#include "runtime/model_file.h"
#include "tests/expect_status.h"
#include "util/file.h"

namespace ming {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

std::string Target(const std::string& name) {
  return testing::TempDir() + "/ming_save_err_" + std::to_string(::getpid()) + "_" + name;
}

// A 2 x 3 int8 layer: q[i, o] row-major, one scale per output.
FrozenLayer Int8Layer() {
  FrozenLayer L;
  L.IC = 2;
  L.OC = 3;
  L.form = WeightForm::kInt8;
  L.int8.IC = 2;
  L.int8.OC = 3;
  L.int8.q = {1, -2, 3, 127, 0, -128};
  L.int8.scale = {0.5f, 2.0f, 0.25f};
  L.b = {0.0f, 0.0f, 0.0f};
  return L;
}

FrozenLayer DenseLayer(int IC, int OC) {
  FrozenLayer L;
  L.IC = IC;
  L.OC = OC;
  L.W.assign(static_cast<size_t>(IC) * OC, 0.5f);
  L.b.assign(static_cast<size_t>(OC), 0.1f);
  return L;
}

// The status of saving `m`, which must also leave no file behind.
Status SaveStatus(const ModelData& m, const std::string& name) {
  const std::string path = Target(name);
  const Status st = SaveModel(path, m);
  EXPECT_FALSE(FileExists(path)) << path;
  return st;
}

#define EXPECT_REFUSED_AT(st, where) \
  EXPECT_STATUS(st, StatusCode::kRuntime, "refusing to save non-finite weights (" where ")")

// int8 weights read back as q * scale of their output column (hand-computed).
TEST(ModelSaveErrors, Int8DenseWeightsAreDequantised) {
  const std::vector<float> want = {0.5f, -4.0f, 0.75f, 63.5f, 0.0f, -32.0f};
  EXPECT_EQ(Int8Layer().DenseWeights(), want);
}

// ChooseWeightForms keeps an int8 layer int8 (its weights untouched) and still picks a form
// for the float layers beside it.
TEST(ModelSaveErrors, ChoosingFormsLeavesInt8Layers) {
  std::vector<FrozenLayer> layers = {Int8Layer(), DenseLayer(3, 2)};
  ChooseWeightForms(layers);
  EXPECT_EQ(layers[0].form, WeightForm::kInt8);
  EXPECT_EQ(layers[0].int8.q, Int8Layer().int8.q);
  EXPECT_EQ(layers[1].form, WeightForm::kDense);
  EXPECT_EQ(layers[1].W, DenseLayer(3, 2).W);
}

// Trained form: a NaN among the buffers is named BUFS (parameters being finite).
TEST(ModelSaveErrors, NonFiniteBufferIsNamed) {
  ModelData m;
  m.params = {1.0f, 2.0f};
  m.buffers = {0.0f, kNaN};
  EXPECT_REFUSED_AT(SaveStatus(m, "bufs.ming"), "BUFS");
}

// Frozen form: the first layer holding a non-finite value is named, whichever array it is in.
TEST(ModelSaveErrors, NonFiniteFrozenLayerIsNamed) {
  ModelData m;
  m.frozen = true;
  m.layers = {DenseLayer(2, 3), DenseLayer(3, 1)};
  m.layers[1].output = true;
  ModelData w = m;
  w.layers[1].W[2] = kInf;
  EXPECT_REFUSED_AT(SaveStatus(w, "w1.ming"), "layer 1");
  ModelData b = m;
  b.layers[0].b[1] = kNaN;
  EXPECT_REFUSED_AT(SaveStatus(b, "b0.ming"), "layer 0");
  ModelData g = m;
  g.layers[0].gamma = {1.0f, 1.0f, 1.0f};
  g.layers[0].beta = {0.0f, -kInf, 0.0f};
  EXPECT_REFUSED_AT(SaveStatus(g, "n0.ming"), "layer 0");
  ModelData q = m;
  q.layers[0] = Int8Layer();
  q.layers[0].int8.scale[2] = kInf;
  EXPECT_REFUSED_AT(SaveStatus(q, "q0.ming"), "layer 0");
}

}  // namespace
}  // namespace ming
