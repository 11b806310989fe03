// The public API: load, predict one row / named / batch, errors, no allocation per row,
// concurrent sessions over one shared model, and clean errors on damaged files.
#include "ming/ming.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <thread>

#include "data/invitations.h"
#include "runtime/model_file.h"
#include "train/pipeline.h"
#include "util/file.h"

// Counts heap allocations made by this test binary (for the no-allocation check). The
// replacement new/delete pair both use malloc/free, which GCC cannot see across inlining.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<int64_t> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace ming {
namespace {

class SessionTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir() + "/ming_session_" + std::to_string(::getpid()));
    ASSERT_TRUE(MakeDirs(*dir_).ok());
    const std::string csv = *dir_ + "/inv.csv";
    ASSERT_TRUE(WriteFileAtomic(csv, GenerateInvitations(2000, 3)).ok());
    PipelineOptions o = DefaultPipelineOptions();
    o.data_path = csv;
    o.fit.label = "accepted";
    o.train.epochs = 5;
    o.train.net.hidden = {32, 16};
    o.train.net.norm = Norm::kBatch;
    o.train.threads = 2;
    auto r = RunPipeline(o, {});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_TRUE(SaveModel(*dir_ + "/m.ming", r->model).ok());
    auto table = ReadCsv(csv);
    ASSERT_TRUE(table.ok());
    table_ = new CsvTable(std::move(table).value());
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(*dir_); }
  static std::string* dir_;
  static CsvTable* table_;

  std::vector<std::string_view> Row(const Model& m, size_t r) {
    std::vector<std::string_view> row;
    for (const auto& f : m.fields()) row.push_back(table_->cell(r, static_cast<size_t>(table_->column_index(f))));
    return row;
  }
};
std::string* SessionTest::dir_ = nullptr;
CsvTable* SessionTest::table_ = nullptr;

TEST_F(SessionTest, PredictAgreesAcrossEntryPoints) {
  auto model = Model::Load(*dir_ + "/m.ming");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const Model& m = **model;
  EXPECT_EQ(m.task(), ModelTask::kBinary);
  EXPECT_EQ(m.label_name(), "accepted");
  ASSERT_EQ(m.classes(), (std::vector<std::string>{"no", "yes"}));
  Session s(*model, 16);
  const size_t F = m.fields().size(), rows = 40;
  std::vector<std::string_view> cells;
  for (size_t r = 0; r < rows; ++r) {
    auto row = Row(m, r);
    cells.insert(cells.end(), row.begin(), row.end());
  }
  std::vector<float> batch(rows * 2);
  ASSERT_TRUE(s.PredictBatch(cells, static_cast<int64_t>(rows), batch.data()).ok());
  for (size_t r = 0; r < rows; ++r) {
    Prediction p;
    ASSERT_TRUE(s.Predict(std::span(cells).subspan(r * F, F), &p).ok());
    EXPECT_NEAR(p.probabilities[0] + p.probabilities[1], 1.0f, 1e-6);
    EXPECT_NEAR(p.probabilities[1], batch[r * 2 + 1], 1e-5);
    EXPECT_EQ(p.label, p.probabilities[1] >= 0.5f ? "yes" : "no");
    std::vector<std::pair<std::string_view, std::string_view>> named;
    for (size_t f = F; f-- > 0;) named.emplace_back(m.fields()[f], cells[r * F + f]);
    Prediction q;
    ASSERT_TRUE(s.PredictNamed(named, &q).ok());
    EXPECT_EQ(q.probabilities[1], p.probabilities[1]);
  }
}

TEST_F(SessionTest, BadRowsGetClearErrors) {
  auto model = Model::Load(*dir_ + "/m.ming");
  ASSERT_TRUE(model.ok());
  Session s(*model);
  Prediction p;
  std::vector<std::string_view> shortrow = {"yes"};
  Status st = s.Predict(shortrow, &p);
  EXPECT_EQ(st.code(), StatusCode::kInvalidInput);
  EXPECT_NE(st.message().find("model expects"), std::string::npos);
  auto row = Row(**model, 0);
  row[static_cast<size_t>((*model)->field_index("temperature"))] = "hot";
  st = s.Predict(row, &p);
  EXPECT_NE(st.message().find("temperature"), std::string::npos) << st.message();
  std::vector<std::pair<std::string_view, std::string_view>> named = {{"no_such_field", "1"}};
  st = s.PredictNamed(named, &p);
  EXPECT_NE(st.message().find("no_such_field"), std::string::npos);
  // Unseen categories and missing values are not errors.
  row = Row(**model, 0);
  row[static_cast<size_t>((*model)->field_index("weather"))] = "hailstorm";
  row[static_cast<size_t>((*model)->field_index("her_mood"))] = "";
  EXPECT_TRUE(s.Predict(row, &p).ok());
}

TEST_F(SessionTest, PredictAllocatesNothingAfterWarmUp) {
  auto model = Model::Load(*dir_ + "/m.ming");
  ASSERT_TRUE(model.ok());
  Session s(*model);
  auto row = Row(**model, 1);
  Prediction p;
  ASSERT_TRUE(s.Predict(row, &p).ok());
  std::vector<std::pair<std::string_view, std::string_view>> named;
  for (size_t f = 0; f < row.size(); ++f) named.emplace_back((*model)->fields()[f], row[f]);
  const int64_t before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(s.Predict(row, &p).ok());
    ASSERT_TRUE(s.PredictNamed(named, &p).ok());
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
}

TEST_F(SessionTest, ConcurrentSessionsShareOneModel) {
  auto model = Model::Load(*dir_ + "/m.ming");
  ASSERT_TRUE(model.ok());
  std::shared_ptr<const Model> shared = *model;
  Session ref(shared);
  std::vector<float> want(200);
  for (size_t r = 0; r < want.size(); ++r) {
    Prediction p;
    ASSERT_TRUE(ref.Predict(Row(*shared, r), &p).ok());
    want[r] = p.probabilities[1];
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Session s(shared);
      for (int rep = 0; rep < 20; ++rep) {
        for (size_t r = static_cast<size_t>(t); r < want.size(); r += 2) {
          Prediction p;
          if (!s.Predict(Row(*shared, r), &p).ok() || p.probabilities[1] != want[r]) mismatches++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(SessionTest, DamagedFilesAreRejectedCleanly) {
  auto bytes = ReadFile(*dir_ + "/m.ming");
  ASSERT_TRUE(bytes.ok());
  const std::string& b = *bytes;
  const std::string bad = *dir_ + "/bad.ming";
  // Truncations at many points, and single-bit flips spread over the file.
  for (size_t cut = 0; cut < b.size(); cut += b.size() / 150 + 1) {
    ASSERT_TRUE(WriteFileAtomic(bad, std::string_view(b).substr(0, cut)).ok());
    auto m = Model::Load(bad);
    ASSERT_FALSE(m.ok()) << "cut at " << cut;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidInput);
    EXPECT_NE(m.status().message().find(bad), std::string::npos);
  }
  for (size_t bit = 0; bit < b.size() * 8; bit += b.size() * 8 / 300 + 1) {
    std::string f = b;
    f[bit / 8] = static_cast<char>(f[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_TRUE(WriteFileAtomic(bad, f).ok());
    ASSERT_FALSE(Model::Load(bad).ok()) << "bit " << bit;
  }
  auto missing = Model::Load(*dir_ + "/nope.ming");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace ming
