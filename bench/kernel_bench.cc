// Microbenchmark of the compressed-layer kernels against ming's dense paths, one thread.
//   kernel_bench [--json] [--reps N]
// For the "small" (16-64-32-1) and "medium" (64-256-256-1) ReLU networks, with inputs that
// look like ming's encoded rows (standardised numbers plus one-hot groups, so many exact
// zeros), prints medians over N interleaved repetitions of:
//   single row:  dense Plan::Run (B = 1), the sparse stack at densities 1 .. 0.05, int8;
//   1024 rows in chunks of 256: dense (bias copy + cblas_sgemm + ReLU, as the Plan does),
//                sparse at each density, int8;
// and, per layer shape, dense vs sparse at each density (the PreferSparse crossover), and
// for one 256x256 layer pruned in 16-output blocks, the dense loop vs the block rows at
// each share of kept blocks (the PreferBlockRows crossover).
// Every stack applies bias and ReLU the same way (activation_forward). OpenBLAS is limited
// to one thread. --json prints one JSON object per line instead of tables.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compress/block_rows.h"
#include "compress/int8.h"
#include "compress/sparse.h"
#include "nn/layers.h"
#include "nn/network.h"
#include "runtime/panel_gemm.h"
#include "runtime/plan.h"
#include "util/rng.h"

extern "C" void openblas_set_num_threads(int);

namespace {

using namespace ming;
using Clock = std::chrono::steady_clock;

constexpr int kRows = 1024, kChunk = 256;
const double kDensities[] = {1.0, 0.5, 0.3, 0.2, 0.1, 0.05};
int g_reps = 7;
bool g_json = false;

struct Net {
  const char* name;
  int inputs, numeric;  // inputs = numeric + one-hot groups of 8
  std::vector<int> hidden;
};

struct DenseLayer {
  int IC, OC;
  std::vector<float> W, b;
};

// Random weights at `density` (kept entries ~ N(0, 2/IC)), the same mask for every kernel.
std::vector<DenseLayer> MakeLayers(const Net& n, double density, uint64_t seed) {
  std::vector<int> widths = {n.inputs};
  widths.insert(widths.end(), n.hidden.begin(), n.hidden.end());
  widths.push_back(1);
  Rng rng(seed);
  std::vector<DenseLayer> layers;
  for (size_t l = 0; l + 1 < widths.size(); ++l) {
    DenseLayer d{widths[l], widths[l + 1], {}, {}};
    d.W.resize(static_cast<size_t>(d.IC) * d.OC);
    const double sd = std::sqrt(2.0 / d.IC);
    for (float& w : d.W)
      w = rng.UniformDouble() < density ? static_cast<float>(sd * rng.Normal()) : 0.0f;
    d.b.resize(static_cast<size_t>(d.OC));
    for (float& b : d.b) b = static_cast<float>(0.1 * rng.Normal());
    layers.push_back(std::move(d));
  }
  return layers;
}

// kRows encoded rows: `numeric` standardised values, then one-hot groups of 8.
std::vector<float> MakeInputs(const Net& n, int rows, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> X(static_cast<size_t>(rows) * n.inputs, 0.0f);
  for (int r = 0; r < rows; ++r) {
    float* x = &X[static_cast<size_t>(r) * n.inputs];
    for (int i = 0; i < n.numeric; ++i) x[i] = static_cast<float>(rng.Normal());
    for (int g = n.numeric; g < n.inputs; g += 8)
      x[g + rng.UniformInt(std::min(8, n.inputs - g))] = 1.0f;
  }
  return X;
}

Plan MakePlan(const Net& n, const std::vector<DenseLayer>& layers) {
  NetConfig cfg;
  cfg.inputs = n.inputs;
  cfg.hidden = n.hidden;
  cfg.outputs = 1;
  NetLayout layout(cfg);
  std::vector<float> params(static_cast<size_t>(layout.num_params()));
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerLayout& ll = layout.layers()[l];
    std::copy(layers[l].W.begin(), layers[l].W.end(), params.begin() + ll.W);
    std::copy(layers[l].b.begin(), layers[l].b.end(), params.begin() + ll.b);
  }
  return Plan(cfg, params.data(), nullptr);
}

// A Plan of the one dense layer d (no activation on an output layer).
Plan OneLayerPlan(const DenseLayer& d) {
  NetConfig cfg;
  cfg.inputs = d.IC;
  cfg.outputs = d.OC;
  cfg.loss = LossKind::kMse;
  NetLayout layout(cfg);
  std::vector<float> params(static_cast<size_t>(layout.num_params()));
  std::copy(d.W.begin(), d.W.end(), params.begin() + layout.layers()[0].W);
  std::copy(d.b.begin(), d.b.end(), params.begin() + layout.layers()[0].b);
  return Plan(cfg, params.data(), nullptr);
}

// The compressed stacks: each layer's kernel, then ReLU on hidden layers.
struct Stack {
  std::vector<DenseLayer> dense;
  std::vector<std::vector<float>> panels;  // PackPanels of each dense layer
  std::vector<SparseWeights> sparse;
  std::vector<Int8Weights> int8;
  std::vector<float> a, c, fscratch;
  std::vector<unsigned char> bscratch;
};

enum class Kind { kDense, kPanels, kSparse, kInt8 };

void RunStack(Stack& s, Kind kind, const float* X, int B, float* out) {
  const float* in = X;
  for (size_t l = 0; l < s.dense.size(); ++l) {
    const DenseLayer& d = s.dense[l];
    const bool last = l + 1 == s.dense.size();
    float* dst = last ? out : (l % 2 ? s.c.data() : s.a.data());
    if (kind == Kind::kSparse) {
      SparseLinear(dst, in, s.sparse[l], d.b.data(), B, s.fscratch.data());
    } else if (kind == Kind::kInt8) {
      Int8Linear(dst, in, s.int8[l], d.b.data(), B, s.bscratch.data());
    } else if (kind == Kind::kPanels && d.OC >= 16) {  // as Plan::Linear does for B > 1
      PanelGemm(dst, in, B, s.panels[l].data(), d.b.data(), d.IC, d.OC);
    } else {  // OpenBLAS SGEMM: the Plan's batches before packed panels (and its output layer)
      for (int r = 0; r < B; ++r)
        std::copy_n(d.b.data(), d.OC, dst + static_cast<size_t>(r) * d.OC);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, d.OC, d.IC, 1.0f, in, d.IC,
                  d.W.data(), d.OC, 1.0f, dst, d.OC);
    }
    if (!last)
      activation_forward(dst, dst, static_cast<int64_t>(B) * d.OC, Activation::kRelu, 0.0f);
    in = dst;
  }
}

Stack MakeStack(const Net& n, std::vector<DenseLayer> layers, const std::vector<float>& calib) {
  Stack s;
  s.dense = std::move(layers);
  int width = n.inputs;
  size_t fs = 0, bs = 0;
  for (const DenseLayer& d : s.dense) {
    width = std::max(width, d.OC);
    s.panels.push_back(PackPanels(d.W.data(), d.IC, d.OC));
    s.sparse.push_back(MakeSparse(d.W.data(), d.IC, d.OC));
    fs = std::max(fs, SparseScratchFloats(kChunk, d.IC, d.OC));
    bs = std::max(bs, Int8ScratchBytes(kChunk, d.IC, d.OC));
  }
  s.a.resize(static_cast<size_t>(kChunk) * width);
  s.c.resize(s.a.size());
  s.fscratch.resize(fs);
  s.bscratch.resize(bs);
  // Calibrate each layer's input range on the float activations of the calibration rows.
  std::vector<float> in = calib, next;
  const int rows = static_cast<int>(calib.size() / n.inputs);
  for (const DenseLayer& d : s.dense) {
    s.int8.push_back(QuantizeLinear(d.W.data(), d.IC, d.OC, CalibrateRange(in.data(), rows, d.IC)));
    next.assign(static_cast<size_t>(rows) * d.OC, 0.0f);
    for (int r = 0; r < rows; ++r) {
      for (int o = 0; o < d.OC; ++o) {
        float v = d.b[static_cast<size_t>(o)];
        for (int i = 0; i < d.IC; ++i)
          v += in[static_cast<size_t>(r) * d.IC + i] * d.W[static_cast<size_t>(i) * d.OC + o];
        next[static_cast<size_t>(r) * d.OC + o] = std::max(v, 0.0f);
      }
    }
    in.swap(next);
  }
  return s;
}

// Median over g_reps of f()'s seconds per unit, where one f() call does `units` units.
template <class F>
double TimeOnce(F&& f, int calls) {
  const auto t0 = Clock::now();
  for (int k = 0; k < calls; ++k) f(k);
  return std::chrono::duration<double>(Clock::now() - t0).count() / calls;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Row {
  std::string net, what, path;
  double density;
  double value;  // median: us per row for single rows, us per 1024 rows for batches
  double best;   // the fastest repetition (less sensitive to a busy machine)
};
std::vector<Row> g_rows;

void Emit(const std::string& net, const std::string& what, const std::string& path, double density,
          double value, double best) {
  g_rows.push_back({net, what, path, density, value, best});
  if (g_json) {
    nlohmann::json j = {{"net", net},         {"what", what},    {"path", path},
                        {"density", density}, {"median", value}, {"best", best}};
    std::printf("%s\n", j.dump().c_str());
  }
}

}  // namespace

namespace {

// Times `fn(k)` (one unit of work per call) in g_reps interleaved rounds; see Bench().
struct Case {
  std::string net, what, path;
  double density;
  int calls;
  double scale;  // microseconds per reported unit = seconds per call * scale
  std::function<void(int)> fn;
  std::vector<double> t;
};

void RunCases(std::vector<Case>& cases) {
  for (Case& c : cases) TimeOnce(c.fn, std::max(1, c.calls / 10));  // warm up
  for (int rep = 0; rep < g_reps; ++rep) {
    for (Case& c : cases) c.t.push_back(TimeOnce(c.fn, c.calls) * c.scale);
  }
  for (Case& c : cases)
    Emit(c.net, c.what, c.path, c.density, Median(c.t), *std::min_element(c.t.begin(), c.t.end()));
}

std::string Dens(double d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

void BenchNet(const Net& n) {
  const std::vector<float> X = MakeInputs(n, kRows, 1), calib = MakeInputs(n, kRows, 2);
  std::vector<Stack> stacks;
  for (double d : kDensities) stacks.push_back(MakeStack(n, MakeLayers(n, d, 3), calib));
  const Plan plan = MakePlan(n, stacks[0].dense);
  PlanScratch ps(plan, 1);
  std::vector<float> out(kRows), ref(kRows);
  const int F = n.inputs;
  const double per_row = 1e6, per_1024 = 1e6;
  const int row_calls = 20000, batch_calls = 10;
  std::vector<Case> cases;
  auto row = [&](int k) { return X.data() + static_cast<size_t>(k % kRows) * F; };
  cases.push_back({n.name,
                   "row",
                   "dense_plan",
                   1.0,
                   row_calls,
                   per_row,
                   [&](int k) { plan.Run(row(k), 1, out.data(), ps); },
                   {}});
  for (size_t i = 0; i < stacks.size(); ++i) {
    Stack* st = &stacks[i];
    cases.push_back({n.name,
                     "row",
                     "sparse",
                     kDensities[i],
                     row_calls,
                     per_row,
                     [&, st](int k) { RunStack(*st, Kind::kSparse, row(k), 1, out.data()); },
                     {}});
  }
  cases.push_back({n.name,
                   "row",
                   "int8",
                   1.0,
                   row_calls,
                   per_row,
                   [&](int k) { RunStack(stacks[0], Kind::kInt8, row(k), 1, out.data()); },
                   {}});
  auto batch = [&](Stack& st, Kind kind) {
    for (int r = 0; r < kRows; r += kChunk)
      RunStack(st, kind, X.data() + static_cast<size_t>(r) * F, kChunk, out.data() + r);
  };
  cases.push_back({n.name,
                   "batch1024",
                   "dense_sgemm",
                   1.0,
                   batch_calls,
                   per_1024,
                   [&](int) { batch(stacks[0], Kind::kDense); },
                   {}});
  cases.push_back({n.name,
                   "batch1024",
                   "dense_panels",
                   1.0,
                   batch_calls,
                   per_1024,
                   [&](int) { batch(stacks[0], Kind::kPanels); },
                   {}});
  for (size_t i = 0; i < stacks.size(); ++i) {
    Stack* st = &stacks[i];
    cases.push_back({n.name,
                     "batch1024",
                     "sparse",
                     kDensities[i],
                     batch_calls,
                     per_1024,
                     [&, st](int) { batch(*st, Kind::kSparse); },
                     {}});
  }
  cases.push_back({n.name,
                   "batch1024",
                   "int8",
                   1.0,
                   batch_calls,
                   per_1024,
                   [&](int) { batch(stacks[0], Kind::kInt8); },
                   {}});
  RunCases(cases);
  // Accuracy of the int8 stack against the float stack on the timing rows.
  batch(stacks[0], Kind::kDense);
  ref = out;
  batch(stacks[0], Kind::kInt8);
  double err = 0.0, sd = 0.0, mean = 0.0;
  for (int r = 0; r < kRows; ++r) mean += ref[static_cast<size_t>(r)] / kRows;
  for (int r = 0; r < kRows; ++r) {
    err =
        std::max(err, std::fabs(double{out[static_cast<size_t>(r)]} - ref[static_cast<size_t>(r)]));
    sd += (ref[static_cast<size_t>(r)] - mean) * (ref[static_cast<size_t>(r)] - mean) / kRows;
  }
  Emit(n.name, "int8_max_abs_error", "int8", 1.0, err, err);
  Emit(n.name, "output_sd", "dense", 1.0, std::sqrt(sd), std::sqrt(sd));
}

// Dense vs sparse per layer shape (inputs: the net's real activations into that layer).
void BenchLayers(const Net& n) {
  const std::vector<float> calib = MakeInputs(n, kRows, 2);
  std::vector<Stack> stacks;
  for (double d : kDensities) stacks.push_back(MakeStack(n, MakeLayers(n, d, 3), calib));
  // Activations into each layer for kChunk rows of the dense net.
  std::vector<std::vector<float>> acts = {
      std::vector<float>(calib.begin(), calib.begin() + kChunk * n.inputs)};
  for (const DenseLayer& d : stacks[0].dense) {
    std::vector<float> next(static_cast<size_t>(kChunk) * d.OC);
    for (int r = 0; r < kChunk; ++r)
      std::copy_n(d.b.data(), d.OC, &next[static_cast<size_t>(r) * d.OC]);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kChunk, d.OC, d.IC, 1.0f,
                acts.back().data(), d.IC, d.W.data(), d.OC, 1.0f, next.data(), d.OC);
    activation_forward(next.data(), next.data(), static_cast<int64_t>(next.size()),
                       Activation::kRelu, 0.0f);
    acts.push_back(std::move(next));
  }
  std::vector<Case> cases;
  std::vector<float> out(static_cast<size_t>(kChunk) * 256 * 4);
  std::vector<Plan> plans;
  std::vector<PlanScratch> pss;
  plans.reserve(stacks[0].dense.size());
  for (const DenseLayer& d : stacks[0].dense) {
    plans.push_back(OneLayerPlan(d));
    pss.emplace_back(plans.back(), 1);
  }
  for (size_t l = 0; l < stacks[0].dense.size(); ++l) {
    const DenseLayer& d0 = stacks[0].dense[l];
    const std::string shape = std::to_string(d0.IC) + "x" + std::to_string(d0.OC);
    const float* A = acts[l].data();
    auto row = [A, IC = d0.IC](int k) { return A + static_cast<size_t>(k % kChunk) * IC; };
    cases.push_back({n.name,
                     "layer_row " + shape,
                     "dense_plan",
                     1.0,
                     20000,
                     1e6,
                     [&, l, row](int k) { plans[l].Run(row(k), 1, out.data(), pss[l]); },
                     {}});
    cases.push_back({n.name,
                     "layer_batch256 " + shape,
                     "dense_sgemm",
                     1.0,
                     50,
                     1e6,
                     [&, l, A](int) {
                       const DenseLayer& d = stacks[0].dense[l];
                       for (int r = 0; r < kChunk; ++r)
                         std::copy_n(d.b.data(), d.OC, &out[static_cast<size_t>(r) * d.OC]);
                       cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kChunk, d.OC, d.IC,
                                   1.0f, A, d.IC, d.W.data(), d.OC, 1.0f, out.data(), d.OC);
                     },
                     {}});
    if (d0.OC >= 16) {
      cases.push_back({n.name,
                       "layer_batch256 " + shape,
                       "dense_panels",
                       1.0,
                       50,
                       1e6,
                       [&, l, A](int) {
                         const DenseLayer& d = stacks[0].dense[l];
                         PanelGemm(out.data(), A, kChunk, stacks[0].panels[l].data(), d.b.data(), d.IC, d.OC);
                       },
                       {}});
    }
    for (size_t i = 0; i < stacks.size(); ++i) {
      Stack* st = &stacks[i];
      cases.push_back({n.name,
                       "layer_row " + shape,
                       "sparse",
                       kDensities[i],
                       20000,
                       1e6,
                       [&, st, l, row](int k) {
                         SparseLinear(out.data(), row(k), st->sparse[l], st->dense[l].b.data(), 1,
                                      st->fscratch.data());
                       },
                       {}});
      cases.push_back({n.name,
                       "layer_batch256 " + shape,
                       "sparse",
                       kDensities[i],
                       50,
                       1e6,
                       [&, st, l, A](int) {
                         SparseLinear(out.data(), A, st->sparse[l], st->dense[l].b.data(), kChunk,
                                      st->fscratch.data());
                       },
                       {}});
    }
  }
  RunCases(cases);
}

const Row& Find(const std::string& net, const std::string& what, const std::string& path,
                double d) {
  static const Row kNone{};
  for (const Row& r : g_rows) {
    if (r.net == net && r.what == what && r.path == path && r.density == d) return r;
  }
  return kNone;
}

// "median (best)" and the dense/this ratios of both.
void Cell(const Row& dense, const Row& r, bool ratio) {
  std::printf(" %.3f (%.3f) |", r.value, r.best);
  if (ratio) std::printf(" %.2fx (%.2fx) |", dense.value / r.value, dense.best / r.best);
}

const double kBlockDensities[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7};

// One row through a 256x256 layer whose weights are whole 16-output blocks kept with
// probability d, inputs half zero (as after a ReLU): the dense zero-skipping Plan against
// BlockRowsMatVec.
void BenchBlockRows() {
  constexpr int IC = 256, OC = 256;
  Rng rng(5);
  std::vector<float> X(static_cast<size_t>(kChunk) * IC);
  for (float& v : X) v = rng.UniformDouble() < 0.5 ? 0.0f : static_cast<float>(std::fabs(rng.Normal()));
  std::vector<Plan> plans;
  std::vector<PlanScratch> pss;
  std::vector<BlockRows> rows;
  std::vector<std::vector<float>> biases;
  plans.reserve(std::size(kBlockDensities));
  for (double d : kBlockDensities) {
    DenseLayer layer{IC, OC, std::vector<float>(static_cast<size_t>(IC) * OC, 0.0f), std::vector<float>(OC, 0.0f)};
    for (int i = 0; i < IC; ++i) {
      for (int o0 = 0; o0 < OC; o0 += BlockRows::kBlock) {
        if (rng.UniformDouble() >= d) continue;
        for (int o = o0; o < o0 + BlockRows::kBlock; ++o) layer.W[static_cast<size_t>(i) * OC + o] = static_cast<float>(rng.Normal() * 0.09);
      }
    }
    rows.push_back(MakeBlockRows(MakeSparse(layer.W.data(), IC, OC)));
    biases.push_back(layer.b);
    plans.push_back(OneLayerPlan(layer));  // dense: the Plan's own single-row loop
    pss.emplace_back(plans.back(), 1);
  }
  std::vector<float> out(OC);
  std::vector<Case> cases;
  auto row = [&X](int k) { return X.data() + static_cast<size_t>(k % kChunk) * IC; };
  for (size_t i = 0; i < std::size(kBlockDensities); ++i) {
    const double d = BlockDensity(rows[i]);
    cases.push_back({"layer256", "block_row", "dense_plan", d, 20000, 1e6,
                     [&, i, row](int k) { plans[i].Run(row(k), 1, out.data(), pss[i]); }, {}});
    cases.push_back({"layer256", "block_row", "block_rows", d, 20000, 1e6,
                     [&, i, row](int k) { BlockRowsMatVec(out.data(), row(k), rows[i], biases[i].data()); }, {}});
  }
  RunCases(cases);
}

void PrintTables(const std::vector<Net>& nets) {
  for (const Net& n : nets) {
    const std::string nm = n.name;
    std::printf("\n## %s (%d", n.name, n.inputs);
    for (int h : n.hidden) std::printf("-%d", h);
    std::printf("-1): median (fastest) of %d repetitions, one thread\n\n", g_reps);
    const Row& plan = Find(nm, "row", "dense_plan", 1.0);
    const Row& sg = Find(nm, "batch1024", "dense_sgemm", 1.0);
    std::printf(
        "| kernel | density | single row (us) | dense Plan / this | 1024 rows (us) | sgemm / this "
        "|\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    std::printf("| dense: Plan B=1; sgemm | 1 |");
    Cell(plan, plan, true);
    Cell(sg, sg, true);
    std::printf("\n| dense: packed panels (the Plan's batches) | 1 | | |");
    Cell(sg, Find(nm, "batch1024", "dense_panels", 1.0), true);
    std::printf("\n");
    for (double d : kDensities) {
      std::printf("| sparse | %s |", Dens(d).c_str());
      Cell(plan, Find(nm, "row", "sparse", d), true);
      Cell(sg, Find(nm, "batch1024", "sparse", d), true);
      std::printf("\n");
    }
    std::printf("| int8 | 1 |");
    Cell(plan, Find(nm, "row", "int8", 1.0), true);
    Cell(sg, Find(nm, "batch1024", "int8", 1.0), true);
    std::printf(
        "\n\nint8 stack vs float stack on the 1024 rows: max |error| %.4g (output sd %.4g)\n",
        Find(nm, "int8_max_abs_error", "int8", 1.0).value,
        Find(nm, "output_sd", "dense", 1.0).value);
  }
  std::printf(
      "\n## Per layer: dense time / sparse time, median (fastest); > 1: sparse is faster\n\n");
  std::printf("| net | layer | dense (us) |");
  for (double d : kDensities) std::printf(" %s |", Dens(d).c_str());
  std::printf("\n|---|---|---:|");
  for (size_t i = 0; i < std::size(kDensities); ++i) std::printf("---:|");
  std::printf("\n");
  for (const Row& r : g_rows) {
    if (r.path != "dense_plan" && r.path != "dense_sgemm") continue;
    if (r.what.rfind("layer_", 0) != 0) continue;
    std::printf("| %s | %s | %.3f |", r.net.c_str(), r.what.c_str(), r.value);
    for (double d : kDensities) {
      const Row& s = Find(r.net, r.what, "sparse", d);
      std::printf(" %.2f (%.2f) |", r.value / s.value, r.best / s.best);
    }
    std::printf("\n");
  }
  std::printf(
      "\n## A 256-row chunk through each dense layer: OpenBLAS SGEMM (bias copied in first) "
      "against packed panels (the Plan's batches)\n\n"
      "| net | layer | sgemm (us) | panels (us) | sgemm / panels |\n|---|---|---:|---:|---:|\n");
  for (const Row& r : g_rows) {
    if (r.path != "dense_panels" || r.what.rfind("layer_batch256", 0) != 0) continue;
    const Row& sg = Find(r.net, r.what, "dense_sgemm", 1.0);
    std::printf("| %s | %s | %.2f (%.2f) | %.2f (%.2f) | %.2fx (%.2fx) |\n", r.net.c_str(), r.what.c_str(),
                sg.value, sg.best, r.value, r.best, sg.value / r.value, sg.best / r.best);
  }
  std::printf(
      "\n## One row through a 256x256 layer pruned in 16-output blocks, inputs half zero\n\n"
      "| kept blocks | dense Plan (us) | block rows (us) | dense / block rows |\n|---:|---:|---:|---:|\n");
  for (const Row& r : g_rows) {
    if (r.what != "block_row" || r.path != "dense_plan") continue;
    const Row& b = Find(r.net, r.what, "block_rows", r.density);
    std::printf("| %.3f | %.3f (%.3f) | %.3f (%.3f) | %.2f (%.2f) |\n", r.density, r.value, r.best, b.value,
                b.best, r.value / b.value, r.best / b.best);
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      g_json = true;
    } else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
      g_reps = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: kernel_bench [--json] [--reps N]\n");
      return 2;
    }
  }
  openblas_set_num_threads(1);
  const std::vector<Net> nets = {{"small", 16, 8, {64, 32}}, {"medium", 64, 16, {256, 256}}};
  for (const Net& n : nets) BenchNet(n);
  for (const Net& n : nets) BenchLayers(n);
  BenchBlockRows();
  if (!g_json) PrintTables(nets);
  return 0;
}
