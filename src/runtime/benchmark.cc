// Timing loops for BenchmarkModel: per-call steady_clock timestamps (about 20 ns of
// overhead each), a warm-up before every measurement, percentiles over all samples.
#include "runtime/benchmark.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>

#include "runtime/model_impl.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace ming {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

LatencyStats Summarise(std::vector<double>& us) {
  LatencyStats s;
  s.samples = static_cast<int64_t>(us.size());
  if (us.empty()) return s;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))]; };
  s.p50_us = at(0.50);
  s.p90_us = at(0.90);
  s.p99_us = at(0.99);
  double sum = 0;
  for (double v : us) sum += v;
  s.mean_us = sum / static_cast<double>(us.size());
  return s;
}

// Calls fn(i) for i = 0, 1, ... : a warm-up of a tenth of the budget, then timed calls until
// the budget or max_samples is spent.
LatencyStats TimeCalls(double seconds, int max_samples, const std::function<void(int64_t)>& fn) {
  const auto warm_end = Clock::now() + std::chrono::duration<double>(seconds / 10);
  int64_t i = 0;
  while (Clock::now() < warm_end) fn(i++);
  std::vector<double> us;
  us.reserve(static_cast<size_t>(max_samples));
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (static_cast<int>(us.size()) < max_samples) {
    const auto t0 = Clock::now();
    fn(i++);
    const auto t1 = Clock::now();
    us.push_back(Micros(t1 - t0));
    if (t1 >= end) break;
  }
  return Summarise(us);
}

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

}  // namespace

std::vector<std::vector<std::string>> SyntheticRows(const Model& model, int rows, uint64_t seed) {
  Rng rng(seed);
  const auto& fields = model.impl().data.pre.fields();
  std::vector<std::vector<std::string>> out(static_cast<size_t>(rows));
  for (auto& row : out) {
    for (const FieldEncoding& f : fields) {
      switch (f.type) {
        case FieldType::kCategorical:
          row.push_back(f.categories.empty() ? "" : f.categories[rng.UniformInt(f.categories.size())]);
          break;
        case FieldType::kBoolean:
          row.push_back(rng.UniformDouble() < f.mean ? "true" : "false");
          break;
        default:
          row.push_back(FormatNumber(f.mean + f.std * rng.Normal()));
      }
    }
  }
  return out;
}

Result<BenchResult> BenchmarkModel(const std::shared_ptr<const Model>& model,
                                   const std::vector<std::vector<std::string>>& rows,
                                   const BenchOptions& opts) {
  if (opts.batch < 1 || opts.threads < 1 || !(opts.seconds > 0) || opts.max_samples < 1) {
    return Status::InvalidInput("bench: --batch and --threads must be >= 1, --seconds > 0");
  }
  if (rows.empty()) return Status::InvalidInput("bench: no rows to run");
  const ModelImpl& m = model->impl();
  const Plan& plan = m.plan;
  const size_t F = m.field_names.size();
  const int W = plan.inputs();
  // Encode every row once (the plan measurements start from encoded rows).
  std::vector<std::string_view> cells(rows.size() * F);
  std::vector<float> X(rows.size() * static_cast<size_t>(W));
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != F) return Status::InvalidInput("bench: row " + std::to_string(r + 1) + " has the wrong number of fields");
    for (size_t f = 0; f < F; ++f) cells[r * F + f] = rows[r][f];
    Status st = m.data.pre.EncodeRow(&cells[r * F], &X[r * static_cast<size_t>(W)]);
    if (!st.ok()) return st.Prefixed("bench: row " + std::to_string(r + 1));
  }
  const int64_t n = static_cast<int64_t>(rows.size());
  BenchResult res;
  res.batch_size = opts.batch;
  res.threads = opts.threads;

  Session session(model, 1);
  Prediction p;
  res.predict = TimeCalls(opts.seconds, opts.max_samples, [&](int64_t i) {
    (void)session.Predict(std::span<const std::string_view>(&cells[static_cast<size_t>(i % n) * F], F), &p);
  });

  PlanScratch one(plan, 1);
  std::vector<float> out1(static_cast<size_t>(plan.outputs()));
  res.plan = TimeCalls(opts.seconds, opts.max_samples, [&](int64_t i) {
    plan.Run(&X[static_cast<size_t>(i % n) * W], 1, out1.data(), one);
  });

  // A batch of opts.batch rows (cycling through the data), cut into chunks of 256 rows that
  // the threads claim, as RunPlan does, with the pool and scratch made once.
  constexpr int kChunk = 256;
  std::vector<float> XB(static_cast<size_t>(opts.batch) * W), outB(static_cast<size_t>(opts.batch) * plan.outputs());
  for (int r = 0; r < opts.batch; ++r) {
    std::copy_n(&X[static_cast<size_t>(r % n) * W], W, &XB[static_cast<size_t>(r) * W]);
  }
  ThreadPool pool(opts.threads);
  std::vector<PlanScratch> scratch;
  for (int t = 0; t < pool.size(); ++t) scratch.emplace_back(plan, kChunk);
  const int chunks = (opts.batch + kChunk - 1) / kChunk;
  res.batch = TimeCalls(opts.seconds, std::max(1, opts.max_samples / 100), [&](int64_t) {
    pool.ParallelFor(chunks, [&](int c, int t) {
      const int r = c * kChunk, B = std::min(kChunk, opts.batch - r);
      plan.Run(&XB[static_cast<size_t>(r) * W], B, &outB[static_cast<size_t>(r) * plan.outputs()], scratch[static_cast<size_t>(t)]);
    });
  });
  res.batch_rows_per_s = res.batch.p50_us > 0 ? opts.batch / (res.batch.p50_us * 1e-6) : 0;
  return res;
}

nlohmann::json ToJson(const BenchResult& r) {
  auto stats = [](const LatencyStats& s) {
    return nlohmann::json{{"p50_us", s.p50_us}, {"p90_us", s.p90_us}, {"p99_us", s.p99_us},
                          {"mean_us", s.mean_us}, {"samples", s.samples}};
  };
  return {{"single_row_predict", stats(r.predict)},
          {"single_row_plan", stats(r.plan)},
          {"batch", stats(r.batch)},
          {"batch_size", r.batch_size},
          {"threads", r.threads},
          {"batch_rows_per_s", r.batch_rows_per_s}};
}

}  // namespace ming
