// Model size summaries and their printing.
#include "model_summary.h"

#include <cstdio>

#include "compress/int8.h"
#include "compress/prune_magnitude.h"
#include "compress/sparse.h"
#include "nn/network.h"
#include "runtime/model_impl.h"
#include "runtime/panel_gemm.h"

namespace ming::cli {
namespace {
// The kernels the plan runs for a layer of this form (runtime/plan.cc).
std::string KernelName(const std::string& form, int OC) {
  if (form == "sparse") return SparseKernelName();
  if (form == "int8") return Int8KernelName();
  return std::string("dense: register-blocked matvec (1 row), ") +
         (PanelGemmRuns(OC) ? "packed-panel AVX-512 kernel (batches)" : "OpenBLAS sgemm (batches)");
}
}  // namespace

ModelSummary Summarise(const ModelData& m, uint64_t file_bytes) {
  ModelSummary s;
  s.file_bytes = file_bytes;
  s.form = m.frozen ? "frozen" : "trained";
  if (m.frozen) {
    const Plan plan = MakePlan(m);  // the plan decides each sparse layer's one-row kernel
    for (const FrozenLayer& L : plan.layers()) {
      const int64_t extra = L.OC + 2 * static_cast<int64_t>(L.gamma.size());
      s.layers.push_back({L.IC, L.OC, L.num_weights() + extra, L.num_weights(), L.nonzeros(), Name(L.form),
                          L.form == WeightForm::kSparse ? SingleRowKernel(L) : ""});
    }
  } else {
    const NetLayout layout(m.net);
    const std::vector<WeightCount> counts = CountWeights(layout, m.params.data());
    for (size_t l = 0; l < counts.size(); ++l) {
      const LayerLayout& L = layout.layers()[l];
      s.layers.push_back({L.IC, L.OC, counts[l].params, counts[l].weights, counts[l].nonzero, "trained", ""});
    }
  }
  for (const LayerSummary& l : s.layers) {
    s.params += l.params;
    s.nonzeros += l.nonzeros;
  }
  return s;
}

nlohmann::json ToJson(const ModelSummary& s) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerSummary& l : s.layers) {
    layers.push_back({{"in", l.in}, {"out", l.out}, {"params", l.params}, {"weights", l.weights},
                      {"nonzeros", l.nonzeros}, {"form", l.form},
                      {"kernel", KernelName(l.form, l.out) + (l.single_row.empty() ? "" : "; one row: " + l.single_row)}});
  }
  return {{"form", s.form}, {"params", s.params}, {"nonzero_weights", s.nonzeros},
          {"file_bytes", s.file_bytes}, {"layers", layers}};
}

namespace {
double Percent(int64_t part, int64_t whole) { return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0; }
}  // namespace

void PrintComparison(const ModelSummary& before, const ModelSummary& after) {
  std::printf("%-7s %-11s %21s %23s  %s\n", "layer", "shape", "params", "nonzero weights", "form");
  for (size_t l = 0; l < after.layers.size(); ++l) {
    const LayerSummary& a = after.layers[l];
    const LayerSummary* b = l < before.layers.size() ? &before.layers[l] : nullptr;
    char shape[32];
    std::snprintf(shape, sizeof shape, "%dx%d", a.in, a.out);
    std::printf("%-7zu %-11s %9lld -> %-9lld %9lld -> %-9lld  %s -> %s (%.1f%% dense)\n", l + 1, shape,
                static_cast<long long>(b ? b->params : 0), static_cast<long long>(a.params),
                static_cast<long long>(b ? b->nonzeros : 0), static_cast<long long>(a.nonzeros),
                b ? b->form.c_str() : "-", a.form.c_str(), Percent(a.nonzeros, a.weights));
  }
  std::printf("total   %-11s %9lld -> %-9lld %9lld -> %-9lld\n", "", static_cast<long long>(before.params),
              static_cast<long long>(after.params), static_cast<long long>(before.nonzeros),
              static_cast<long long>(after.nonzeros));
  std::printf("file    %llu -> %llu bytes (%.2fx smaller)\n", static_cast<unsigned long long>(before.file_bytes),
              static_cast<unsigned long long>(after.file_bytes),
              after.file_bytes ? static_cast<double>(before.file_bytes) / static_cast<double>(after.file_bytes) : 0.0);
}

void PrintLayers(const ModelSummary& s) {
  for (size_t l = 0; l < s.layers.size(); ++l) {
    const LayerSummary& a = s.layers[l];
    std::printf("  layer %zu  %d -> %d  %lld params, %lld/%lld weights nonzero (%.1f%%), %s\n", l + 1, a.in, a.out,
                static_cast<long long>(a.params), static_cast<long long>(a.nonzeros), static_cast<long long>(a.weights),
                Percent(a.nonzeros, a.weights), a.form.c_str());
  }
}

}  // namespace ming::cli
