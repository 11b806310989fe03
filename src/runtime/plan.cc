// Inference plan construction (folding) and execution.
#include "runtime/plan.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "nn/layers.h"
#include "nn/network.h"
#include "util/thread_pool.h"

namespace ming {

PlanScratch::PlanScratch(int rows, int width)
    : max_rows(rows),
      a(static_cast<size_t>(rows) * static_cast<size_t>(width)),
      b(static_cast<size_t>(rows) * static_cast<size_t>(width)),
      c(static_cast<size_t>(rows) * static_cast<size_t>(width)),
      mean(static_cast<size_t>(rows)),
      rstd(static_cast<size_t>(rows)) {}

Plan::Plan(const NetConfig& net, const float* params, const float* buffers)
    : act_(net.activation), slope_(net.leaky_slope), eps_(net.norm_eps),
      inputs_(net.inputs), outputs_(net.outputs) {
  NetLayout layout(net);
  max_width_ = layout.max_width();
  for (const LayerLayout& l : layout.layers()) {
    Layer L;
    L.IC = l.IC;
    L.OC = l.OC;
    L.output = l.is_output;
    L.W.assign(params + l.W, params + l.W + static_cast<int64_t>(l.IC) * l.OC);
    L.b.assign(params + l.b, params + l.b + l.OC);
    if (!l.is_output && net.norm == Norm::kBatch) {
      for (int o = 0; o < l.OC; ++o) {
        const float s = params[l.gamma + o] / std::sqrt(buffers[l.run_var + o] + net.norm_eps);
        for (int i = 0; i < l.IC; ++i) L.W[static_cast<size_t>(i) * l.OC + o] *= s;
        L.b[o] = (L.b[o] - buffers[l.run_mean + o]) * s + params[l.beta + o];
      }
    } else if (!l.is_output && net.norm == Norm::kLayer) {
      L.gamma.assign(params + l.gamma, params + l.gamma + l.OC);
      L.beta.assign(params + l.beta, params + l.beta + l.OC);
    }
    layers_.push_back(std::move(L));
  }
}

namespace {

// out[OC] = b + x[IC] @ W[IC, OC], skipping zero inputs.
void MatVec(float* __restrict out, const float* __restrict x, const float* __restrict W,
            const float* __restrict b, int IC, int OC) {
  std::copy_n(b, OC, out);
  for (int i = 0; i < IC; ++i) {
    const float xi = x[i];
    if (xi == 0.0f) continue;
    const float* __restrict w = W + static_cast<size_t>(i) * OC;
    for (int o = 0; o < OC; ++o) out[o] += xi * w[o];
  }
}

}  // namespace

void Plan::RunLayer(const Layer& L, const float* in, int B, float* out, PlanScratch& s) const {
  const bool layer_norm = !L.gamma.empty();
  float* lin = layer_norm ? s.c.data() : out;  // layer norm reads the product from scratch
  Linear(L, in, B, lin);
  if (L.output) return;
  if (layer_norm) {
    layernorm_forward(out, s.mean.data(), s.rstd.data(), lin, L.gamma.data(), L.beta.data(), B,
                      L.OC, eps_);
  }
  activation_forward(out, out, static_cast<int64_t>(B) * L.OC, act_, slope_);
}

void Plan::Linear(const Layer& L, const float* in, int B, float* out) {
  if (B == 1) {
    MatVec(out, in, L.W.data(), L.b.data(), L.IC, L.OC);
  } else {
    for (int r = 0; r < B; ++r) std::copy_n(L.b.data(), L.OC, out + static_cast<size_t>(r) * L.OC);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L.OC, L.IC, 1.0f, in, L.IC,
                L.W.data(), L.OC, 1.0f, out, L.OC);
  }
}

void Plan::Run(const float* X, int B, float* out, PlanScratch& s) const {
  const float* in = X;
  float* bufs[2] = {s.a.data(), s.b.data()};
  for (size_t l = 0; l < layers_.size(); ++l) {
    float* dst = layers_[l].output ? out : bufs[l % 2];
    RunLayer(layers_[l], in, B, dst, s);
    in = dst;
  }
}

void RunPlan(const Plan& plan, const float* X, int64_t rows, float* out, int threads) {
  constexpr int kChunk = 256;
  const int64_t chunks = (rows + kChunk - 1) / kChunk;
  const int T = static_cast<int>(std::min<int64_t>(threads > 0 ? threads : ThreadPool::HardwareThreads(), chunks));
  ThreadPool pool(T);
  std::vector<PlanScratch> scratch;
  for (int t = 0; t < pool.size(); ++t) scratch.emplace_back(kChunk, plan.max_width());
  const int64_t F = plan.inputs(), O = plan.outputs();
  pool.ParallelFor(static_cast<int>(chunks), [&](int c, int t) {
    const int64_t r = static_cast<int64_t>(c) * kChunk;
    const int n = static_cast<int>(std::min<int64_t>(kChunk, rows - r));
    plan.Run(X + r * F, n, out + r * O, scratch[static_cast<size_t>(t)]);
  });
}

}  // namespace ming
