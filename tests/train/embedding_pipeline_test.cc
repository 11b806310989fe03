// Learned embeddings end to end: a high-cardinality field whose every value matters is
// learned through its embedding far better than through one-hot of the top categories;
// the model file carries the tables (EMBD) and predicts raw rows exactly as training
// evaluated them, frozen or not; training is bit-identical for any thread count and
// resumes exactly from a checkpoint.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "../test_files.h"
#include "format/container.h"
#include "ming/ming.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"
#include "train/pipeline.h"
#include "util/file.h"
#include "util/rng.h"

namespace ming {
namespace {

// shop: 300 values, each with its own effect ~ N(0, 2) on the log-odds, uniformly drawn
// (so the top 64 cover about a fifth of the rows); x: a number with effect 1; 2% of shops
// missing; label "yes" when effect + x + noise > 0.
std::string ShopCsv(int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> effect(300);
  Rng fx(99);  // the same shops in every file
  for (double& e : effect) e = 2.0 * fx.Normal();
  std::string csv = "x,shop,bought\n";
  for (int r = 0; r < rows; ++r) {
    const int s = static_cast<int>(rng.UniformInt(300));
    const double x = rng.Normal();
    const bool missing = rng.Uniform() < 0.02f;
    const double score = (missing ? 0.0 : effect[static_cast<size_t>(s)]) + x + 0.3 * rng.Normal();
    csv += std::to_string(x) + "," + (missing ? std::string("NA") : "shop" + std::to_string(s)) + "," +
           (score > 0 ? "yes" : "no") + "\n";
  }
  return csv;
}

class EmbeddingPipeline : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testutil::TempDir("ming_embed", "pipeline"));
    ASSERT_TRUE(WriteFileAtomic(*dir_ + "/shops.csv", ShopCsv(8000, 1)).ok());
  }
  static void TearDownTestSuite() { delete dir_; }

  static PipelineOptions Options(int threads) {
    PipelineOptions o = DefaultPipelineOptions();
    o.data_path = *dir_ + "/shops.csv";
    o.fit.label = "bought";
    o.train.net.hidden = {32};
    o.train.net.dropout = 0.0f;
    o.train.optim.lr = 1e-2f;
    o.train.optim.weight_decay = 0.0f;
    o.train.epochs = 12;
    o.train.batch_size = 128;
    o.train.patience = 0;
    o.train.threads = threads;
    o.train.seed = 5;
    return o;
  }
  static PipelineResult Run(const PipelineOptions& o) {
    Result<PipelineResult> r = RunPipeline(o, {});
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r).value() : PipelineResult{};
  }
  static std::string* dir_;
};
std::string* EmbeddingPipeline::dir_ = nullptr;

TEST_F(EmbeddingPipeline, LearnsEveryCategoryWhereOneHotKeepsTheTop64) {
  const PipelineResult emb = Run(Options(2));
  PipelineOptions onehot_opts = Options(2);
  onehot_opts.fit.embed_auto = false;
  const PipelineResult onehot = Run(onehot_opts);
  const FieldEncoding& shop = emb.model.pre.fields()[1];
  EXPECT_EQ(shop.embed_dim, 16);
  EXPECT_GT(shop.categories.size(), 290u);  // ~16 training rows per shop: nearly all kept
  EXPECT_EQ(onehot.model.pre.fields()[1].categories.size(), 64u);
  const double acc_emb = emb.metrics["test"]["accuracy"].get<double>();
  const double acc_onehot = onehot.metrics["test"]["accuracy"].get<double>();
  // Knowing x alone gives about 0.65; knowing each shop, about 0.95.
  EXPECT_GT(acc_emb, 0.85);
  EXPECT_GT(acc_emb, acc_onehot + 0.08) << "embedding " << acc_emb << ", one-hot " << acc_onehot;
  EXPECT_TRUE(emb.model.net.embeddings.empty());
  EXPECT_EQ(emb.model.params.size(), static_cast<size_t>(NetLayout(emb.model.net).num_params()));
  EXPECT_EQ(CountParams(emb.model), NetLayout(emb.model.net).num_params() + shop.slots() * 16);
}

// The model file, loaded through the public API, predicts raw rows exactly as the
// pipeline's evaluation did (same outputs from the tables in EMBD), frozen or not; an
// unseen shop takes the unknown row.
TEST_F(EmbeddingPipeline, ModelFilePredictsRawRowsWithTheTables) {
  const PipelineResult r = Run(Options(2));
  const std::string path = *dir_ + "/shops.ming", frozen_path = *dir_ + "/shops_frozen.ming";
  ASSERT_TRUE(SaveModel(path, r.model).ok());
  ASSERT_TRUE(SaveModel(frozen_path, FreezeModel(r.model)).ok());
  Result<std::string> bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  Result<Container> c = ParseContainer(*bytes, path);
  ASSERT_TRUE(c.ok());
  ASSERT_NE(c->Find("EMBD"), nullptr);
  EXPECT_EQ(c->Find("EMBD")->bytes.size(), static_cast<size_t>(r.model.pre.embedding_params()) * 4);
  Result<ModelData> back = LoadModel(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->pre.EmbeddingTables(), r.model.pre.EmbeddingTables());

  const std::vector<std::vector<std::string>> rows = {
      {"0.5", "shop17"}, {"-1.25", "shop230"}, {"0", "NA"}, {"0.1", "never-seen"}};
  std::string csv = "x,shop,bought\n";
  for (const auto& row : rows) csv += row[0] + "," + row[1] + ",no\n";
  Result<CsvTable> t = ParseCsv(csv, "rows.csv");
  ASSERT_TRUE(t.ok());
  Result<Dataset> d = EncodeDataset(r.model.pre, *t, {0, 1, 2, 3});
  ASSERT_TRUE(d.ok());
  std::vector<float> want(4);
  RunPlan(MakePlan(r.model), d->X.data(), 4, want.data(), 1);
  // The unknown row differs from every known shop's row (it was trained by shops seen once).
  const FieldEncoding& shop = r.model.pre.fields()[1];
  EXPECT_NE(std::vector<float>(d->X.begin() + 7, d->X.begin() + 7 + 16),
            std::vector<float>(shop.table.begin(), shop.table.begin() + 16));
  for (const std::string& p : {path, frozen_path}) {
    auto model = Model::Load(p);
    ASSERT_TRUE(model.ok()) << model.status().message();
    Session s(*model);
    for (size_t i = 0; i < rows.size(); ++i) {
      std::string_view cells[] = {rows[i][0], rows[i][1]};
      Prediction pred;
      ASSERT_TRUE(s.Predict(cells, &pred).ok());
      const double p_yes = 1.0 / (1.0 + std::exp(-static_cast<double>(want[i])));
      EXPECT_NEAR(pred.probabilities[1], p_yes, 1e-5) << p << " row " << i;
    }
  }
}

TEST_F(EmbeddingPipeline, BitIdenticalForAnyThreadCount) {
  const PipelineResult one = Run(Options(1)), two = Run(Options(2));
  EXPECT_EQ(one.model.params, two.model.params);
  EXPECT_EQ(one.model.pre.EmbeddingTables(), two.model.pre.EmbeddingTables());
  EXPECT_FALSE(one.model.pre.EmbeddingTables().empty());
}

TEST_F(EmbeddingPipeline, ResumesExactlyFromACheckpoint) {
  PipelineOptions whole = Options(2);
  whole.train.epochs = 4;
  const PipelineResult uninterrupted = Run(whole);
  PipelineOptions first = whole;
  first.train.epochs = 2;
  first.train.checkpoint_path = *dir_ + "/checkpoint.ming";
  Run(first);
  PipelineOptions rest = whole;
  rest.train.checkpoint_path = first.train.checkpoint_path;
  rest.resume = true;
  const PipelineResult resumed = Run(rest);
  EXPECT_EQ(resumed.train.epochs_run, 4);
  EXPECT_EQ(resumed.model.params, uninterrupted.model.params);
  EXPECT_EQ(resumed.model.pre.EmbeddingTables(), uninterrupted.model.pre.EmbeddingTables());
}

}  // namespace
}  // namespace ming
