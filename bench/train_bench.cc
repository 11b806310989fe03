// Training-throughput driver for bench/train_bench.sh.
//   train_bench write-data DIR         writes DIR/<config>.{X,y}.f32 (raw float32),
//                                      DIR/<config>.slots.i32 (configs with embeddings: each
//                                      row's category per embedded field) and
//                                      DIR/<config>.json for every config, from a fixed seed
//   train_bench run DIR CONFIG THREADS REPEATS EPOCHS
//                                      trains CONFIG with Train(): 1 warm-up epoch, then EPOCHS
//                                      timed ones, REPEATS times; one JSON line per repeat
// The PyTorch side (bench/torch_train.py) reads the same files.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/trainer.h"
#include "util/rng.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Embedded {
  int levels, dim;  // categories of the field, width of its learned rows
};

struct BenchConfig {
  const char* name;
  int inputs;  // numeric inputs (embedded columns follow them)
  std::vector<int> hidden;
  int outputs;  // 1: binary (BCE); > 1: classes (softmax cross-entropy)
  int batch;
  int64_t rows;
  std::vector<Embedded> embed = {};
};

const BenchConfig kConfigs[] = {
    {"small", 16, {64, 64}, 1, 256, 65536},
    {"medium", 64, {256, 256}, 1, 256, 65536},
    {"wide", 784, {512, 256}, 10, 128, 16384},
    // 16 numbers and two categorical fields (1,000 and 100 values) through learned
    // embeddings of 16 and 8: the network sees 40 inputs.
    {"embed", 16, {128, 64}, 1, 256, 65536, {{1000, 16}, {100, 8}}},
};

int NetInputs(const BenchConfig& c) {
  int n = c.inputs;
  for (const Embedded& e : c.embed) n += e.dim;
  return n;
}

const BenchConfig* Find(const std::string& name) {
  for (const auto& c : kConfigs)
    if (name == c.name) return &c;
  return nullptr;
}

// Multiply-accumulates of one forward pass for one row (embedding lookups excluded).
int64_t Macs(const BenchConfig& c) {
  int64_t macs = 0, in = NetInputs(c);
  for (int h : c.hidden) {
    macs += in * h;
    in = h;
  }
  return macs + in * c.outputs;
}

bool WriteFloats(const std::string& path, const std::vector<float>& v) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(v.data(), sizeof(float), v.size(), f) == v.size();
  return std::fclose(f) == 0 && ok;
}

template <class T>
std::vector<T> ReadRaw(const std::string& path, size_t n) {
  std::vector<T> v(n);
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f || std::fread(v.data(), sizeof(T), n, f) != n) {
    std::fprintf(stderr, "train_bench: cannot read %zu values from %s\n", n, path.c_str());
    std::exit(1);
  }
  std::fclose(f);
  return v;
}

std::vector<float> ReadFloats(const std::string& path, size_t n) { return ReadRaw<float>(path, n); }

bool WriteInts(const std::string& path, const std::vector<int32_t>& v) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(v.data(), sizeof(int32_t), v.size(), f) == v.size();
  return std::fclose(f) == 0 && ok;
}

// X ~ N(0, 1); the label follows a hidden linear rule plus noise: sign for binary, argmax of
// a random projection for classes. Embedded fields: uniform categories, each with its own
// effect ~ N(0, 1) added to every class's score.
void WriteData(const std::string& dir, const BenchConfig& c) {
  ming::Rng rng(42);
  const int F = c.inputs, K = c.outputs, E = static_cast<int>(c.embed.size());
  std::vector<float> W(static_cast<size_t>(F) * K), X(static_cast<size_t>(c.rows) * F), y(c.rows);
  std::vector<std::vector<float>> effect(static_cast<size_t>(E));
  std::vector<int32_t> slots(static_cast<size_t>(c.rows) * static_cast<size_t>(E));
  for (float& w : W) w = static_cast<float>(rng.Normal());
  for (float& x : X) x = static_cast<float>(rng.Normal());
  for (int e = 0; e < E; ++e) {
    for (int k = 0; k < c.embed[static_cast<size_t>(e)].levels; ++k) {
      effect[static_cast<size_t>(e)].push_back(static_cast<float>(rng.Normal()));
    }
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i] = static_cast<int32_t>(rng.UniformInt(static_cast<uint64_t>(c.embed[i % static_cast<size_t>(E)].levels)));
  }
  for (int64_t r = 0; r < c.rows; ++r) {
    const float* x = &X[static_cast<size_t>(r) * F];
    float shift = 0;
    for (int e = 0; e < E; ++e) shift += effect[static_cast<size_t>(e)][static_cast<size_t>(slots[static_cast<size_t>(r * E + e)])];
    int best = 0;
    float best_s = -1e30f;
    for (int k = 0; k < K; ++k) {
      float s = shift + 0.5f * std::sqrt(static_cast<float>(F)) * static_cast<float>(rng.Normal());
      for (int i = 0; i < F; ++i) s += x[i] * W[static_cast<size_t>(i) * K + k];
      if (s > best_s) {
        best_s = s;
        best = k;
      }
    }
    y[static_cast<size_t>(r)] = K == 1 ? (best_s > 0 ? 1.0f : 0.0f) : static_cast<float>(best);
  }
  const std::string base = dir + "/" + c.name;
  nlohmann::json embed = nlohmann::json::array();
  for (const Embedded& e : c.embed) embed.push_back({e.levels, e.dim});
  nlohmann::json meta = {{"name", c.name}, {"inputs", c.inputs}, {"hidden", c.hidden},
                         {"outputs", c.outputs}, {"batch", c.batch}, {"rows", c.rows},
                         {"macs", Macs(c)}, {"embed", embed}};
  FILE* f = std::fopen((base + ".json").c_str(), "w");
  if (!f || !WriteFloats(base + ".X.f32", X) || !WriteFloats(base + ".y.f32", y) ||
      (E > 0 && !WriteInts(base + ".slots.i32", slots))) {
    std::fprintf(stderr, "train_bench: cannot write %s.*\n", base.c_str());
    std::exit(1);
  }
  std::fputs(meta.dump().c_str(), f);
  std::fclose(f);
}

void Run(const std::string& dir, const BenchConfig& c, int threads, int repeats, int epochs) {
  const std::string base = dir + "/" + c.name;
  ming::Dataset train, val;
  train.rows = c.rows;
  train.features = NetInputs(c);
  const std::vector<float> numeric = ReadFloats(base + ".X.f32", static_cast<size_t>(c.rows) * c.inputs);
  train.X.assign(static_cast<size_t>(c.rows) * static_cast<size_t>(train.features), 0.0f);
  for (int64_t r = 0; r < c.rows; ++r) {
    std::copy_n(&numeric[static_cast<size_t>(r * c.inputs)], c.inputs,
                &train.X[static_cast<size_t>(r * train.features)]);
  }
  train.y = ReadFloats(base + ".y.f32", static_cast<size_t>(c.rows));
  ming::TrainOptions opts;
  int column = c.inputs;
  for (const Embedded& e : c.embed) {
    opts.net.embeddings.push_back({column, e.dim, e.levels});
    column += e.dim;
  }
  if (!c.embed.empty()) {
    train.slots = ReadRaw<int32_t>(base + ".slots.i32", static_cast<size_t>(c.rows) * c.embed.size());
  }
  opts.net.inputs = train.features;
  opts.net.hidden = c.hidden;
  opts.net.outputs = c.outputs;
  opts.net.loss = c.outputs == 1 ? ming::LossKind::kBce : ming::LossKind::kCrossEntropy;
  opts.optim.kind = ming::OptimizerKind::kAdam;
  opts.optim.lr = 1e-3f;
  opts.epochs = 1 + epochs;
  opts.batch_size = c.batch;
  opts.patience = 0;
  opts.threads = threads;
  for (int rep = 0; rep < repeats; ++rep) {
    opts.seed = static_cast<uint64_t>(rep + 1);
    std::vector<Clock::time_point> marks;
    ming::TrainCallbacks cb;
    cb.on_epoch = [&](const ming::EpochReport&, const float*, const float*) {
      marks.push_back(Clock::now());
    };
    auto res = ming::Train(train, val, opts, false, cb);
    if (!res.ok()) {
      std::fprintf(stderr, "train_bench: %s\n", res.status().message().c_str());
      std::exit(1);
    }
    const double secs = std::chrono::duration<double>(marks.back() - marks.front()).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    nlohmann::json line = {{"tool", "ming"}, {"config", c.name},
                           {"setting", "threads=" + std::to_string(threads)},
                           {"samples_per_s", static_cast<double>(epochs * c.rows) / secs},
                           {"final_loss", res->history.back().train_loss},
                           {"macs", Macs(c)}, {"maxrss_kb", ru.ru_maxrss}};
    std::printf("%s\n", line.dump().c_str());
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "write-data" && argc == 3) {
    for (const auto& c : kConfigs) WriteData(argv[2], c);
    return 0;
  }
  if (mode == "run" && argc == 7) {
    const BenchConfig* c = Find(argv[3]);
    if (!c) {
      std::fprintf(stderr, "train_bench: unknown config '%s'\n", argv[3]);
      return 2;
    }
    Run(argv[2], *c, std::atoi(argv[4]), std::atoi(argv[5]), std::atoi(argv[6]));
    return 0;
  }
  std::fprintf(stderr,
               "usage: train_bench write-data DIR\n"
               "       train_bench run DIR CONFIG THREADS REPEATS EPOCHS\n");
  return 2;
}
