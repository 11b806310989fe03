// Inference-latency driver for bench/predict_bench.sh.
//   predict_bench CONFIG DIR [CALLS]
// Builds a model file DIR/CONFIG.ming (numeric fields x0..x{N-1}, a binary label, He-random
// weights), writes DIR/CONFIG.json (the architecture, for the peers), loads it with
// Model::Load and times, on one thread (OpenBLAS limited to 1 thread):
//   - Session::Predict on raw string cells (the product API: parsing and scaling included),
//   - Plan::Run on an already-encoded float row (the network alone),
// each call timed with steady_clock (p50/p99) plus an untimed loop for the mean, and
// batches of 1024 rows through Session::PredictBatch and Plan::Run (rows/s); and the memory
// floor of one row (reading the weight bytes the single-row loop reads).
// Prints one JSON line per measurement.
#include <cblas.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ming/ming.h"
#include "nn/network.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"
#include "util/rng.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kRows = 1024;  // distinct input rows, cycled through; also the batch size

struct Arch {
  const char* name;
  int inputs;
  std::vector<int> hidden;
};
const Arch kArchs[] = {{"small", 16, {64, 64}}, {"medium", 64, {256, 256}}};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "predict_bench: %s\n", msg.c_str());
  std::exit(1);
}

// A table of kRows rows of numeric cells plus a 0/1 label, as a CSV would give it.
ming::CsvTable MakeTable(int F) {
  ming::CsvTable t;
  t.source = "synthetic";
  char buf[32];
  for (int i = 0; i < F; ++i) {
    std::snprintf(buf, sizeof buf, "x%d", i);
    t.header.emplace_back(buf);
  }
  t.header.push_back("y");
  ming::Rng rng(7);
  for (int r = 0; r < kRows; ++r) {
    double s = 0;
    for (int i = 0; i < F; ++i) {
      const double x = rng.Normal();
      s += (i % 2 ? x : -x);
      std::snprintf(buf, sizeof buf, "%.4f", x);
      t.cells.emplace_back(buf);
    }
    t.cells.emplace_back(s > 0 ? "1" : "0");
    t.line.push_back(r + 2);
  }
  return t;
}

std::string BuildModel(const Arch& a, const ming::CsvTable& t, const std::string& dir) {
  std::vector<size_t> rows(t.rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  ming::FitOptions fit;
  fit.label = "y";
  fit.task = ming::Task::kBinary;
  auto pre = ming::Preprocessor::Fit(t, rows, fit);
  if (!pre.ok()) Die(pre.status().message());
  ming::ModelData m;
  m.pre = std::move(*pre);
  m.net.inputs = m.pre.encoded_width();
  m.net.hidden = a.hidden;
  m.net.outputs = 1;
  ming::NetLayout layout(m.net);
  m.params.resize(static_cast<size_t>(layout.num_params()));
  m.buffers.resize(static_cast<size_t>(layout.num_buffers()));
  ming::Rng rng(11);
  ming::InitParams(layout, m.params.data(), m.buffers.data(), rng);
  const std::string path = dir + "/" + a.name + ".ming";
  if (auto st = ming::SaveModel(path, m); !st.ok()) Die(st.message());
  return path;
}

// Times `calls` calls of f(i) one by one; returns {p50, p99} in microseconds.
template <class F>
std::pair<double, double> Percentiles(int calls, F&& f) {
  std::vector<int64_t> ns(static_cast<size_t>(calls));
  for (int i = 0; i < calls; ++i) {
    const auto t0 = Clock::now();
    f(i);
    ns[static_cast<size_t>(i)] = (Clock::now() - t0).count();
  }
  std::sort(ns.begin(), ns.end());
  return {static_cast<double>(ns[ns.size() / 2]) / 1e3,
          static_cast<double>(ns[ns.size() * 99 / 100]) / 1e3};
}

// Mean microseconds per call over an untimed loop of `calls` calls.
template <class F>
double MeanUs(int calls, F&& f) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) f(i);
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / calls;
}

// Rows/s of the fastest kRows-row batch call over about half a second of calls (the fastest,
// not the median: a call of several ms is often preempted on a busy machine).
template <class F>
double BatchRowsPerS(F&& f) {
  for (int i = 0; i < 3; ++i) f();
  std::vector<double> secs;
  const auto end = Clock::now() + std::chrono::milliseconds(500);
  while (secs.size() < 5 || Clock::now() < end) {
    const auto t0 = Clock::now();
    f();
    secs.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return kRows / *std::min_element(secs.begin(), secs.end());
}

void Emit(const char* config, const char* setting, std::pair<double, double> p, double mean,
          double batch, double timer_ns) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  nlohmann::json j = {{"tool", "ming"}, {"config", config}, {"setting", setting},
                      {"p50_us", p.first}, {"p99_us", p.second}, {"mean_us", mean},
                      {"batch_rows_per_s", batch > 0 ? nlohmann::json(batch) : nlohmann::json()},
                      {"timer_overhead_ns", timer_ns},
                      {"maxrss_kb", ru.ru_maxrss}};
  std::printf("%s\n", j.dump().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) Die("usage: predict_bench small|medium DIR [CALLS]");
  const Arch* arch = nullptr;
  for (const auto& a : kArchs)
    if (argv[1] == std::string(a.name)) arch = &a;
  if (!arch) Die(std::string("unknown config '") + argv[1] + "'");
  const std::string dir = argv[2];
  const int calls = argc > 3 ? std::atoi(argv[3]) : 200000;
  openblas_set_num_threads(1);

  const ming::CsvTable table = MakeTable(arch->inputs);
  auto model = ming::Model::Load(BuildModel(*arch, table, dir));
  if (!model.ok()) Die(model.status().message());
  if (FILE* f = std::fopen((dir + "/" + arch->name + ".json").c_str(), "w")) {
    nlohmann::json j = {{"inputs", arch->inputs}, {"hidden", arch->hidden}, {"outputs", 1}};
    std::fputs(j.dump().c_str(), f);
    std::fclose(f);
  }
  const size_t F = table.cols() - 1;
  std::vector<std::string_view> cells;  // kRows x F, without the label
  for (size_t r = 0; r < kRows; ++r)
    for (size_t c = 0; c < F; ++c) cells.emplace_back(table.cell(r, c));

  ming::Session session(*model, kRows);
  ming::Prediction pred;
  double sink = 0;
  auto predict = [&](int i) {
    const std::span<const std::string_view> row(&cells[static_cast<size_t>(i % kRows) * F], F);
    if (!session.Predict(row, &pred).ok()) Die("Predict failed");
    sink += pred.value;
  };
  const ming::ModelImpl& impl = (*model)->impl();
  const ming::Plan& plan = impl.plan;
  const size_t W = static_cast<size_t>(plan.inputs());
  // PredictBatch writes one probability per class (2 for a binary model).
  std::vector<float> X(kRows * W), out(kRows * std::max<size_t>(2, plan.outputs()));
  for (size_t r = 0; r < kRows; ++r) {
    if (!impl.data.pre.EncodeRow(&cells[r * F], &X[r * W]).ok()) Die("EncodeRow failed");
  }
  ming::PlanScratch scratch(plan, kRows);
  auto run = [&](int i) {
    plan.Run(&X[static_cast<size_t>(i % kRows) * W], 1, out.data(), scratch);
    sink += out[0];
  };
  const double timer_ns = Percentiles(100000, [](int) {}).first * 1e3;

  MeanUs(calls / 10, predict);  // warm-up
  auto p = Percentiles(calls, predict);
  double batch = BatchRowsPerS([&] {
    if (!session.PredictBatch(cells, kRows, out.data()).ok()) Die("PredictBatch failed");
  });
  Emit(arch->name, "Session::Predict (raw strings)", p, MeanUs(calls, predict), batch, timer_ns);

  MeanUs(calls / 10, run);
  p = Percentiles(calls, run);
  batch = BatchRowsPerS([&] { plan.Run(X.data(), kRows, out.data(), scratch); });
  Emit(arch->name, "Plan::Run (encoded floats)", p, MeanUs(calls, run), batch, timer_ns);

  // The memory floor of one row: the single-row loop reads, per layer, the weight row of
  // every nonzero input (zero inputs, e.g. ReLU zeros, are skipped). Count those bytes over
  // the rows, then time reading that many bytes (the mean) from a buffer the size of all
  // the weights, as streaming loads with independent sums: no product runs faster than that.
  double row_bytes = 0;
  size_t all_bytes = 0;
  {
    std::vector<float> act(kRows * static_cast<size_t>(plan.max_width()));
    const auto& layers = plan.layers();
    for (size_t l = 0; l < layers.size(); ++l) {
      all_bytes += static_cast<size_t>(layers[l].IC) * static_cast<size_t>(layers[l].OC) * sizeof(float);
      const float* in = X.data();
      if (l > 0) {  // the inputs of layer l: the outputs of layers 0 .. l-1
        plan.RunLayers(X.data(), kRows, 0, static_cast<int>(l), act.data(), scratch);
        in = act.data();
      }
      int64_t nonzero = 0;
      for (size_t k = 0; k < kRows * static_cast<size_t>(layers[l].IC); ++k) nonzero += in[k] != 0.0f;
      // A one-output layer is a dense dot product: all of its weights are read.
      const double rows_read = layers[l].OC == 1 ? layers[l].IC : static_cast<double>(nonzero) / kRows;
      row_bytes += rows_read * layers[l].OC * sizeof(float);
    }
  }
  std::vector<float> weights(all_bytes / sizeof(float), 1.0f);
  const size_t floats = static_cast<size_t>(row_bytes / sizeof(float)) / 128 * 128;
  auto stream = [&](int) {
    alignas(64) float acc[128] = {};  // 128 independent sums: eight 16-float vectors
    for (size_t i = 0; i < floats; i += 128) {
      for (int m = 0; m < 128; ++m) acc[m] += weights[i + static_cast<size_t>(m)];
    }
    for (float a : acc) sink += a;
  };
  MeanUs(calls / 100, stream);
  p = Percentiles(calls / 10, stream);
  const std::string floor = "floor: read the " + std::to_string(static_cast<int>(row_bytes / 1024 + 0.5)) +
                            " KiB of weights a row needs (of " + std::to_string(all_bytes / 1024) + ")";
  Emit(arch->name, floor.c_str(), p, MeanUs(calls / 10, stream), 0, timer_ns);
  if (sink == 12345.678) std::puts("");  // keeps the calls observable
  return 0;
}
