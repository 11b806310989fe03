// Global explanations over a CSV: mean |Shapley contribution| per field (rows spread over
// threads, one Explainer each), permutation importance (drop in accuracy or R^2 when one
// field's columns are shuffled across rows) and the rule of thumb.
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "explain/coalition_memo.h"
#include "explain/rule.h"
#include "explain/shapley.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"
#include "train/metrics.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace ming {
namespace {

// Memo slots per thread for the Shapley pass: 2^20 keys and outputs, 12 MiB.
constexpr int kMemoLog2Slots = 20;

// Accuracy (classification, with the model's calibration and threshold) or R^2.
double Metric(const ModelData& m, const float* out, const std::vector<float>& y, int64_t N) {
  const int O = m.net.outputs;
  if (m.pre.label().task == Task::kRegression) {
    std::vector<double> p(static_cast<size_t>(N)), t(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) {
      p[static_cast<size_t>(i)] = m.pre.DecodeValue(out[i]);
      t[static_cast<size_t>(i)] = m.pre.DecodeValue(y[static_cast<size_t>(i)]);
    }
    return ComputeRegression(p.data(), t.data(), N).r2;
  }
  std::vector<float> probs(m.pre.label().classes.size());
  int64_t right = 0;
  for (int64_t i = 0; i < N; ++i) {
    double v;
    int cls;
    OutputsToPrediction(m, out + i * O, probs.data(), &v, &cls);
    right += cls == static_cast<int>(y[static_cast<size_t>(i)]);
  }
  return static_cast<double>(right) / static_cast<double>(N);
}

std::vector<int> Ranking(const std::vector<double>& v) {
  std::vector<int> r(v.size());
  std::iota(r.begin(), r.end(), 0);
  std::stable_sort(r.begin(), r.end(), [&](int a, int b) {
    return v[static_cast<size_t>(a)] > v[static_cast<size_t>(b)];
  });
  return r;
}

Status ShapleyImportance(const std::shared_ptr<const Model>& model, const float* X, int64_t N,
                         const GlobalOptions& o, int T, GlobalExplanation* g) {
  const size_t F = g->fields.size();
  const int W = model->impl().data.net.inputs;
  std::vector<std::unique_ptr<Explainer>> ex;
  for (int t = 0; t < T; ++t) {
    MING_ASSIGN_OR_RETURN(auto e, Explainer::Create(model, o.explain));
    ex.push_back(std::move(e));
  }
  // Coalition rows recur across the explained rows; each thread remembers the ones it ran.
  const std::vector<float>& bg = BackgroundOf(*ex[0]);
  const std::optional<FieldValueIds> ids = FieldValueIds::Build(
      FieldColumnsOf(model->impl().data.pre), W,
      {{X, N}, {bg.data(), static_cast<int64_t>(bg.size()) / W}}, model->impl().data.net.outputs);
  if (ids) {
    for (auto& e : ex) UseCoalitionMemo(*e, &*ids, kMemoLog2Slots);
  }
  constexpr int64_t kRowsPerTask = 16;
  const int tasks = static_cast<int>((N + kRowsPerTask - 1) / kRowsPerTask);
  std::vector<double> sums(static_cast<size_t>(tasks) * F, 0.0);
  std::vector<int> exact(static_cast<size_t>(tasks), 1);
  std::vector<int64_t> coalitions(static_cast<size_t>(tasks), 0);
  std::vector<Explanation> last(static_cast<size_t>(T));
  ThreadPool pool(T);
  pool.ParallelFor(tasks, [&](int task, int thread) {
    Explanation& e = last[static_cast<size_t>(thread)];
    for (int64_t i = task * kRowsPerTask; i < std::min(N, (task + 1) * kRowsPerTask); ++i) {
      ex[static_cast<size_t>(thread)]->ExplainEncoded(X + i * W, &e);
      for (size_t f = 0; f < F; ++f)
        sums[static_cast<size_t>(task) * F + f] += std::fabs(e.contributions[f]);
      exact[static_cast<size_t>(task)] &= e.method == "exact";
      coalitions[static_cast<size_t>(task)] += e.evaluations;
    }
  });
  g->mean_abs.assign(F, 0.0);
  for (int task = 0; task < tasks; ++task)  // fixed order: independent of thread count
    for (size_t f = 0; f < F; ++f)
      g->mean_abs[f] += sums[static_cast<size_t>(task) * F + f] / static_cast<double>(N);
  g->method =
      std::all_of(exact.begin(), exact.end(), [](int v) { return v == 1; }) ? "exact" : "sampling";
  for (const auto& e : ex) {
    const auto [hits, misses] = MemoCounts(*e);
    g->memo_hits += hits;
    g->network_rows += ids ? misses : 0;
  }
  for (int64_t c : coalitions) g->coalition_rows += c;
  if (!ids) g->network_rows = g->coalition_rows;
  g->target = last[0].target;
  if (model->task() == ModelTask::kMulticlass && o.explain.class_index < 0)
    g->target = "logit of the predicted class";
  return Status::Ok();
}

void PermutationImportance(const ModelData& m, const Plan& plan, const std::vector<float>& X,
                           const std::vector<float>& y, int64_t N, const std::vector<float>& out,
                           const GlobalOptions& o, int T, GlobalExplanation* g) {
  const int W = m.net.inputs;
  g->metric = m.pre.label().task == Task::kRegression ? "r2" : "accuracy";
  g->metric_value = Metric(m, out.data(), y, N);
  std::vector<float> Xp = X, outp(out.size());
  std::vector<int64_t> perm(static_cast<size_t>(N));
  const auto& fields = m.pre.fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    const int off = fields[f].offset, wd = fields[f].width;
    std::vector<double> drops;
    for (int rep = 0; rep < o.repeats; ++rep) {
      std::iota(perm.begin(), perm.end(), int64_t{0});
      Rng rng = Rng(o.seed).Split(f * 1000 + static_cast<uint64_t>(rep));
      rng.Shuffle(perm.data(), perm.size());
      for (int64_t i = 0; i < N; ++i)
        std::copy_n(&X[static_cast<size_t>(perm[static_cast<size_t>(i)] * W + off)], wd,
                    &Xp[static_cast<size_t>(i * W + off)]);
      RunPlan(plan, Xp.data(), N, outp.data(), T);
      drops.push_back(g->metric_value - Metric(m, outp.data(), y, N));
    }
    for (int64_t i = 0; i < N; ++i)
      std::copy_n(&X[static_cast<size_t>(i * W + off)], wd, &Xp[static_cast<size_t>(i * W + off)]);
    const double mean =
        std::accumulate(drops.begin(), drops.end(), 0.0) / static_cast<double>(drops.size());
    double var = 0;
    for (double d : drops) var += (d - mean) * (d - mean) / static_cast<double>(drops.size());
    g->permutation.push_back(mean);
    g->permutation_std.push_back(std::sqrt(var));
  }
  g->permutation_ranking = Ranking(g->permutation);
}

}  // namespace

Result<GlobalExplanation> ExplainGlobal(std::shared_ptr<const Model> model,
                                        const std::string& csv_path, const GlobalOptions& o) {
  const ModelData& m = model->impl().data;
  openblas_set_num_threads(1);  // coalition batches are small; parallelism is ours
  if (o.repeats < 1) return Status::InvalidInput("permutation repeats must be at least 1");
  MING_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(csv_path));
  const int64_t N = o.max_rows > 0 ? std::min<int64_t>(o.max_rows, static_cast<int64_t>(t.rows()))
                                   : static_cast<int64_t>(t.rows());
  if (N == 0) return Status::InvalidInput(csv_path + ": no rows to explain");
  std::vector<size_t> rows(static_cast<size_t>(N));
  std::iota(rows.begin(), rows.end(), size_t{0});
  const int W = m.net.inputs;
  std::vector<float> X(static_cast<size_t>(N) * static_cast<size_t>(W)), y;
  MING_RETURN_IF_ERROR(m.pre.EncodeInputs(t, rows, X.data()));
  if (t.column_index(m.pre.label().name) >= 0) {
    y.resize(static_cast<size_t>(N));
    MING_RETURN_IF_ERROR(m.pre.EncodeLabels(t, rows, y.data()));
  }
  const int T = std::max(1, o.threads > 0 ? o.threads : ThreadPool::HardwareThreads());
  GlobalExplanation g;
  g.fields = model->fields();
  g.rows = N;
  MING_RETURN_IF_ERROR(ShapleyImportance(model, X.data(), N, o, T, &g));
  g.ranking = Ranking(g.mean_abs);
  std::vector<float> out(static_cast<size_t>(N) * static_cast<size_t>(m.net.outputs));
  RunPlan(model->impl().plan, X.data(), N, out.data(), T);
  if (!y.empty()) PermutationImportance(m, model->impl().plan, X, y, N, out, o, T, &g);
  g.rule = FitRuleOfThumb(m, X.data(), out.data(), N, o.seed);
  return g;
}

}  // namespace ming
