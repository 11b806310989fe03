// Explanation speed: per-row exact Shapley contributions at one thread (median over rows)
// and global importance (Shapley + permutation + rule of thumb) over a CSV.
// Usage: explain_bench MODEL.ming DATA.csv [single_rows=300] [global_rows=10000] [threads=1]
//                      [background_rows=8 (the default)]
// Prints one JSON object.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"

using namespace ming;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(
        stderr, "usage: explain_bench MODEL.ming DATA.csv [single_rows] [global_rows] [threads]\n");
    return 2;
  }
  const int single = argc > 3 ? std::atoi(argv[3]) : 300;
  const int64_t global_rows = argc > 4 ? std::atoll(argv[4]) : 10000;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 1;
  ExplainOptions eo;
  if (argc > 6) eo.background_rows = std::atoi(argv[6]);
  auto model = Model::Load(argv[1]);
  auto table = ReadCsv(argv[2]);
  if (!model.ok() || !table.ok()) {
    std::fprintf(stderr, "%s\n", (model.ok() ? table.status() : model.status()).message().c_str());
    return 1;
  }
  auto ex = Explainer::Create(*model, eo);
  if (!ex.ok()) {
    std::fprintf(stderr, "%s\n", ex.status().message().c_str());
    return 1;
  }
  const Preprocessor& pre = (*model)->impl().data.pre;
  const int W = pre.encoded_width();
  const int n = std::max(1, std::min<int>(single, static_cast<int>(table->rows())));
  std::vector<size_t> rows(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = static_cast<size_t>(i);
  std::vector<float> X(static_cast<size_t>(n) * static_cast<size_t>(W));
  if (Status st = pre.EncodeInputs(*table, rows, X.data()); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.message().c_str());
    return 1;
  }
  std::vector<double> us;
  double evals = 0;
  Explanation e;
  (*ex)->ExplainEncoded(X.data(), &e);  // warm-up
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    (*ex)->ExplainEncoded(X.data() + static_cast<size_t>(i) * W, &e);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    evals += static_cast<double>(e.evaluations);
  }
  std::sort(us.begin(), us.end());
  nlohmann::json out = {{"fields", pre.fields().size()},
                        {"background_rows", (*ex)->background_rows()},
                        {"method", e.method},
                        {"row_us_median", us[us.size() / 2]},
                        {"row_us_p90", us[us.size() * 9 / 10]},
                        {"evaluations_mean", evals / n}};
  if (global_rows > 0) {
    GlobalOptions g;
    g.max_rows = global_rows;
    g.threads = threads;
    g.explain = eo;
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();  // process CPU time: honest on a shared machine
    auto res = ExplainGlobal(*model, argv[2], g);
    if (!res.ok()) {
      std::fprintf(stderr, "%s\n", res.status().message().c_str());
      return 1;
    }
    out["global_rows"] = res->rows;
    out["global_threads"] = threads;
    out["global_s"] = std::chrono::duration<double>(Clock::now() - t0).count();
    out["global_cpu_s"] = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
    out["rule_fidelity"] = res->rule.fidelity;
    out["coalition_rows"] = res->coalition_rows;
    out["network_rows"] = res->network_rows;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
