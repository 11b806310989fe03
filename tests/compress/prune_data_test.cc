// EncodeForModel: a model trained by the pipeline gets back exactly its train/validation/
// test rows from the original CSV (same metrics as recorded), and a CSV whose schema does
// not match the model is a clear InvalidInput naming file and column.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "compress/model_data.h"
#include "data/invitations.h"
#include "train/evaluate.h"
#include "train/pipeline.h"

namespace ming {
namespace {

std::filesystem::path TempFileDir() {
  return std::filesystem::temp_directory_path() / ("ming_prune_data_" + std::to_string(::getpid()));
}

// Removes TempFileDir once every test has run.
struct TempFileCleanup : testing::Environment {
  void TearDown() override { std::filesystem::remove_all(TempFileDir()); }
};
testing::Environment* const g_temp_file_cleanup = testing::AddGlobalTestEnvironment(new TempFileCleanup);

std::string TempFile(const std::string& name, const std::string& text) {
  const auto dir = TempFileDir();
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

// Replaces the `column`-th field of every data row (not the header) with `value`, or
// drops the column everywhere when value is null.
std::string EditColumn(const std::string& csv, size_t column, const char* value) {
  std::string out;
  size_t pos = 0;
  for (int line = 0; pos < csv.size(); ++line) {
    const size_t end = csv.find('\n', pos);
    std::string row = csv.substr(pos, end - pos);
    pos = end + 1;
    size_t b = 0;
    for (size_t c = 0; c < column; ++c) b = row.find(',', b) + 1;
    const size_t e = row.find(',', b);
    if (!value && e == std::string::npos)
      row.erase(b - 1);  // the last column and its comma
    else if (!value)
      row.erase(b, e - b + 1);
    else if (line > 0)
      row.replace(b, e - b, value);
    out += row + "\n";
  }
  return out;
}

TEST(EncodeForModel, ReproducesTheTrainingSplit) {
  const std::string csv = GenerateInvitations(1200, 4);
  const std::string path = TempFile("inv.csv", csv);
  PipelineOptions p = DefaultPipelineOptions();
  p.data_path = path;
  p.fit.label = "accepted";
  p.val_fraction = 0.2;
  p.test_fraction = 0.1;
  p.class_weight = "balanced";
  p.train.net.hidden = {8};
  p.train.epochs = 2;
  p.train.seed = 77;
  p.config = {{"val_fraction", p.val_fraction},
              {"test_fraction", p.test_fraction},
              {"class_weight", p.class_weight},
              {"val", ""},
              {"test", ""}};
  auto res = RunPipeline(p, {});
  ASSERT_TRUE(res.ok()) << res.status().message();
  const std::string model_path = TempFile("m.ming", "");
  ASSERT_TRUE(SaveModel(model_path, res->model).ok());
  auto m = LoadModel(model_path);
  ASSERT_TRUE(m.ok());
  auto d = EncodeForModel(*m, path, "", "", {});
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->train.rows, res->train_rows);
  EXPECT_EQ(d->val.rows, res->val_rows);
  EXPECT_EQ(d->test.rows, res->test_rows);
  EXPECT_EQ(d->val.rows, 240);
  EXPECT_EQ(EvaluateEncoded(*m, d->train, 1), res->metrics["train"]);
  EXPECT_EQ(EvaluateEncoded(*m, d->val, 1), res->metrics["validation"]);
  EXPECT_EQ(EvaluateEncoded(*m, d->test, 1), res->metrics["test"]);
  EXPECT_EQ(d->train.w.size(), static_cast<size_t>(d->train.rows));  // balanced weights

  // Separate validation/test files replace the held-out parts: all rows go to training.
  auto all = EncodeForModel(*m, path, path, path, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->train.rows, 1200);
  EXPECT_EQ(all->val.rows, 1200);
}

TEST(EncodeForModel, SchemaMismatchNamesFileAndColumn) {
  const std::string csv = GenerateInvitations(300, 5);
  const std::string path = TempFile("inv2.csv", csv);
  PipelineOptions p = DefaultPipelineOptions();
  p.data_path = path;
  p.fit.label = "accepted";
  p.train.net.hidden = {4};
  p.train.epochs = 1;
  auto res = RunPipeline(p, {});
  ASSERT_TRUE(res.ok()) << res.status().message();
  struct Case {
    std::string file, text, want;
  };
  // Columns: holiday,weather,temperature,...,accepted (11 = the label).
  const Case cases[] = {
      {"nolabel.csv", EditColumn(csv, 11, nullptr), "'accepted'"},
      {"noweather.csv", EditColumn(csv, 1, nullptr), "'weather'"},
      {"badtemp.csv", EditColumn(csv, 2, "hot"), "'temperature'"},
  };
  for (const Case& c : cases) {
    const std::string bad = TempFile(c.file, c.text);
    auto d = EncodeForModel(res->model, bad, "", "", {});
    ASSERT_FALSE(d.ok()) << c.file;
    EXPECT_EQ(d.status().exit_code(), 2);
    EXPECT_NE(d.status().message().find(c.file), std::string::npos) << d.status().message();
    EXPECT_NE(d.status().message().find(c.want), std::string::npos) << d.status().message();
    // The same file as a validation set.
    auto v = EncodeForModel(res->model, path, bad, "", {});
    ASSERT_FALSE(v.ok()) << c.file;
    EXPECT_NE(v.status().message().find(c.file), std::string::npos) << v.status().message();
  }
}

}  // namespace
}  // namespace ming
