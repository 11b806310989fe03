// Frozen models: folding, the dense/sparse/int8 weight forms, their file sections (round
// trips and damaged descriptions), and whole-model quantisation.
#include "runtime/frozen.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "compress/prune_magnitude.h"
#include "compress/quantize.h"
#include "data/invitations.h"
#include "format/container.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"
#include "train/pipeline.h"
#include "util/file.h"

namespace ming {
namespace {

class FrozenTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir() + "/ming_frozen_" + std::to_string(::getpid()));
    ASSERT_TRUE(MakeDirs(*dir_).ok());
    const std::string csv = *dir_ + "/inv.csv";
    ASSERT_TRUE(WriteFileAtomic(csv, GenerateInvitations(3000, 5)).ok());
    for (Norm norm : {Norm::kBatch, Norm::kLayer}) {
      PipelineOptions o = DefaultPipelineOptions();
      o.data_path = csv;
      o.fit.label = "accepted";
      o.train.epochs = 4;
      o.train.net.hidden = {64, 32};
      o.train.net.norm = norm;
      o.train.threads = 2;
      auto r = RunPipeline(o, {});
      ASSERT_TRUE(r.ok()) << r.status().message();
      (norm == Norm::kBatch ? bn_ : ln_) = new ModelData(r->model);
    }
    auto table = ReadCsv(csv);
    ASSERT_TRUE(table.ok());
    auto data = EncodeDataset(bn_->pre, *table, AllRows(*table));
    ASSERT_TRUE(data.ok());
    data_ = new Dataset(std::move(data).value());
  }

  static void TearDownTestSuite() { std::filesystem::remove_all(*dir_); }

  static std::vector<float> Outputs(const ModelData& m) {
    std::vector<float> out(static_cast<size_t>(data_->rows * m.net.outputs));
    RunPlan(MakePlan(m), data_->X.data(), data_->rows, out.data(), 1);
    return out;
  }
  static ModelData Reload(const ModelData& m) {
    auto r = ParseModel(SerializeModel(m), "mem.ming");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : ModelData();
  }
  // Zeroes the smallest `fraction` of each weight matrix of a trained model.
  static ModelData Pruned(ModelData m, double fraction) {
    const NetLayout layout(m.net);
    for (const LayerLayout& l : layout.layers()) {
      float* W = m.params.data() + l.W;
      const size_t n = static_cast<size_t>(l.IC) * l.OC;
      std::vector<float> mag(W, W + n);
      for (float& v : mag) v = std::fabs(v);
      const size_t k = static_cast<size_t>(fraction * static_cast<double>(n));
      std::nth_element(mag.begin(), mag.begin() + static_cast<ptrdiff_t>(k), mag.end());
      const float cut = mag[k];
      for (size_t j = 0; j < n; ++j) W[j] = std::fabs(W[j]) < cut ? 0.0f : W[j];
    }
    return m;
  }
  static std::string* dir_;
  static ModelData *bn_, *ln_;
  static Dataset* data_;
};
std::string* FrozenTest::dir_ = nullptr;
ModelData* FrozenTest::bn_ = nullptr;
ModelData* FrozenTest::ln_ = nullptr;
Dataset* FrozenTest::data_ = nullptr;

// Bytes of the weight sections (W###) of a serialised model.
uint64_t WeightBytes(const ModelData& m) {
  auto c = ParseContainer(SerializeModel(m), "x");
  EXPECT_TRUE(c.ok());
  uint64_t n = 0;
  for (const Section& s : c->sections) n += s.tag[0] == 'W' ? s.bytes.size() : 0;
  return n;
}

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b, double rtol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], rtol * (1 + std::fabs(b[i]))) << i;
}

TEST_F(FrozenTest, FreezingChangesNoOutputAndRoundTrips) {
  for (const ModelData* m : {bn_, ln_}) {
    const ModelData frozen = FreezeModel(*m);
    EXPECT_TRUE(frozen.frozen);
    EXPECT_TRUE(frozen.params.empty());
    EXPECT_EQ(Outputs(frozen), Outputs(*m));  // the same folded layers either way
    const ModelData back = Reload(frozen);
    ASSERT_TRUE(back.frozen);
    ASSERT_EQ(back.layers.size(), frozen.layers.size());
    for (size_t l = 0; l < back.layers.size(); ++l) {
      EXPECT_EQ(back.layers[l].W, frozen.layers[l].W);
      EXPECT_EQ(back.layers[l].gamma, frozen.layers[l].gamma);
    }
    EXPECT_EQ(Outputs(back), Outputs(frozen));
    EXPECT_EQ(FreezeModel(back).layers.size(), back.layers.size());  // freezing twice is a no-op
  }
  // Batch norm folds away (fewer parameters); layer norm stays.
  EXPECT_LT(CountParams(FreezeModel(*bn_)), CountParams(*bn_));
  EXPECT_FALSE(FreezeModel(*ln_).layers[0].gamma.empty());
}

TEST_F(FrozenTest, PrunedLayersAreStoredSparseAndGiveTheSameOutputs) {
  const ModelData pruned = Pruned(*bn_, 0.9);
  ModelData dense = pruned;
  dense.layers = FoldNetwork(dense.net, dense.params.data(), dense.buffers.data());
  dense.frozen = true;
  const ModelData sparse = FreezeModel(pruned);
  int sparse_layers = 0;
  for (const FrozenLayer& L : sparse.layers) sparse_layers += L.form == WeightForm::kSparse;
  EXPECT_GE(sparse_layers, 1);
  ExpectClose(Outputs(sparse), Outputs(dense), 1e-5);
  const ModelData back = Reload(sparse);
  EXPECT_EQ(Outputs(back), Outputs(sparse));
  EXPECT_EQ(CountNonzeroWeights(back), CountNonzeroWeights(pruned));
  EXPECT_LT(WeightBytes(sparse) * 5, WeightBytes(dense));  // 10% of the weights at 6 bytes each
}

TEST_F(FrozenTest, BlockPrunedLayersRunOneRowThroughBlockRows) {
  ModelData m = *bn_;
  const NetLayout layout(m.net);
  const auto keep = MagnitudeMask(layout, m.params.data(), 0.9, PruneScope::kLayer, 16);
  for (size_t k = 0; k < keep.size(); ++k) m.params[k] = keep[k] ? m.params[k] : 0.0f;
  const ModelData frozen = FreezeModel(m);
  const Plan plan = MakePlan(frozen);
  ASSERT_EQ(plan.layers()[1].form, WeightForm::kSparse);
  EXPECT_TRUE(plan.layers()[1].single_row_blocks);
  const std::vector<float> batch = Outputs(frozen);  // batches: the sparse panel kernel
  PlanScratch s(plan, 1);
  for (int64_t r = 0; r < 200; ++r) {
    float one = 0;
    plan.Run(&data_->X[static_cast<size_t>(r * data_->features)], 1, &one, s);
    ASSERT_NEAR(one, batch[static_cast<size_t>(r)], 1e-5 * (1 + std::fabs(one))) << r;
  }
}

TEST_F(FrozenTest, QuantisedModelAgreesWithTheFloatModel) {
  const std::vector<float> ref = Outputs(*bn_);
  auto q = QuantizeModel(*bn_, data_->X.data(), std::min<int64_t>(data_->rows, 1000), data_->features);
  ASSERT_TRUE(q.ok()) << q.status().message();
  EXPECT_TRUE(IsQuantized(*q));
  EXPECT_EQ(q->layers.back().form, WeightForm::kDense);  // the output layer stays float
  const std::vector<float> got = Outputs(*q);
  int64_t agree = 0;
  for (size_t i = 0; i < got.size(); ++i) agree += (got[i] >= 0) == (ref[i] >= 0);
  EXPECT_GE(static_cast<double>(agree), 0.99 * static_cast<double>(got.size()));
  const ModelData back = Reload(*q);
  EXPECT_EQ(Outputs(back), got);
  EXPECT_LT(WeightBytes(*q) * 3, WeightBytes(FreezeModel(*bn_)));
  auto again = QuantizeModel(*q, data_->X.data(), 10, data_->features);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("already quantised"), std::string::npos);
  EXPECT_FALSE(QuantizeModel(*bn_, data_->X.data(), 0, data_->features).ok());
  EXPECT_FALSE(QuantizeModel(*bn_, data_->X.data(), 10, data_->features + 1).ok());
}

// Rewrites META's description of layer 0 and expects ParseModel to name the problem.
void ExpectBadLayer(const ModelData& frozen, const std::function<void(nlohmann::json&)>& edit,
                    const std::string& want, const char* drop = nullptr) {
  auto c = ParseContainer(SerializeModel(frozen), "x");
  ASSERT_TRUE(c.ok());
  Container out;
  out.kind = c->kind;
  for (const Section& s : c->sections) {
    if (drop && s.tag == drop) continue;
    if (s.tag != "META") {
      out.sections.push_back(s);
      continue;
    }
    nlohmann::json meta = nlohmann::json::parse(s.bytes);
    edit(meta["layers"][0]);
    out.sections.push_back({"META", meta.dump()});
  }
  auto m = ParseModel(SerializeContainer(out), "bad.ming");
  ASSERT_FALSE(m.ok()) << want;
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(m.status().message().find(want), std::string::npos) << m.status().message();
}

TEST_F(FrozenTest, DamagedLayerDescriptionsAreRejected) {
  const ModelData frozen = FreezeModel(*ln_);
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l["in"] = 7; }, "layer 1");
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l["weights"] = "fp4"; }, "unknown weight form");
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l["weights"] = "sparse"; }, "W000");
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l["weights"] = "int8"; }, "W000");
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l.erase("layer_norm"); }, "layer 1");
  ExpectBadLayer(frozen, [](nlohmann::json&) {}, "missing section W000", "W000");
  ExpectBadLayer(frozen, [](nlohmann::json&) {}, "missing section N000", "N000");
  ExpectBadLayer(frozen, [](nlohmann::json& l) { l["layer_norm"] = false; }, "N000 present");
}

TEST_F(FrozenTest, EveryTruncationOfAFrozenModelFailsCleanly) {
  const std::string b = SerializeModel(FreezeModel(Pruned(*bn_, 0.8)));
  for (size_t cut = 0; cut < b.size(); cut += 7) {
    auto m = ParseModel(std::string_view(b).substr(0, cut), "cut.ming");
    ASSERT_FALSE(m.ok()) << cut;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidInput);
  }
}

}  // namespace
}  // namespace ming
