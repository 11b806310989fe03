// Inference plan construction (folding) and execution.
#include "runtime/plan.h"

#include <cblas.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nn/layers.h"
#include "nn/network.h"
#include "runtime/panel_gemm.h"
#include "util/thread_pool.h"

namespace ming {

namespace {
// Kernel scratch a plan needs for up to `rows` rows: sparse floats and int8 bytes.
std::pair<size_t, size_t> KernelScratch(const Plan& plan, int rows) {
  size_t sparse_floats = 0, quant_bytes = 0;
  for (const FrozenLayer& L : plan.layers()) {
    if (L.form == WeightForm::kSparse) {
      sparse_floats = std::max({sparse_floats, SparseScratchFloats(rows, L.IC, L.OC), SparseScratchFloats(1, L.IC, L.OC)});
    }
    if (L.form == WeightForm::kInt8) {
      quant_bytes = std::max({quant_bytes, Int8ScratchBytes(rows, L.IC, L.OC), Int8ScratchBytes(1, L.IC, L.OC)});
    }
  }
  return {sparse_floats, quant_bytes};
}
}  // namespace

PlanScratch::PlanScratch(const Plan& plan, int rows) : max_rows(rows) {
  const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(plan.max_width());
  a.resize(n);
  b.resize(n);
  c.resize(n);
  idx.resize(static_cast<size_t>(plan.max_width()));
  mean.resize(static_cast<size_t>(rows));
  rstd.resize(static_cast<size_t>(rows));
  const auto [sparse_floats, quant_bytes] = KernelScratch(plan, rows);
  sparse.resize(sparse_floats);
  quant.resize(quant_bytes);
}

bool PlanScratch::Fits(const Plan& plan, int rows) const {
  const auto [sparse_floats, quant_bytes] = KernelScratch(plan, rows);
  return rows <= max_rows && idx.size() >= static_cast<size_t>(plan.max_width()) &&
         a.size() >= static_cast<size_t>(max_rows) * static_cast<size_t>(plan.max_width()) &&
         sparse.size() >= sparse_floats && quant.size() >= quant_bytes;
}

Plan::Plan(const NetConfig& net, const float* params, const float* buffers)
    : Plan(net, FoldNetwork(net, params, buffers)) {}

Plan::Plan(const NetConfig& net, std::vector<FrozenLayer> layers)
    : layers_(std::move(layers)), act_(net.activation), slope_(net.leaky_slope), eps_(net.norm_eps),
      inputs_(layers_.front().IC), outputs_(layers_.back().OC), max_width_(inputs_) {
  // Batches are parallel over row chunks (RunPlan, the server's workers), so each SGEMM runs
  // on its caller's thread: OpenBLAS's own threads would only oversubscribe the cores.
  openblas_set_num_threads(1);
  for (FrozenLayer& L : layers_) {
    max_width_ = std::max({max_width_, L.IC, L.OC});
    // Dense batches run through weights packed once, here (panel_gemm.h).
    if (L.form == WeightForm::kDense && PanelGemmRuns(L.OC)) {
      L.panels = PackPanels(L.W.data(), L.IC, L.OC);
    }
    // A sparse layer that is chosen for batches but loses to the dense zero-skipping loop on
    // one row keeps a dense copy for single rows (memory only; the file stays sparse).
    if (L.form != WeightForm::kSparse) continue;
    BlockRows rows = MakeBlockRows(L.sparse);
    if (PreferBlockRows(rows)) {
      L.blocks = std::move(rows);
      L.single_row_blocks = true;
    } else if (!PreferSparseSingleRow(L.IC, L.OC, L.sparse.nnz())) {
      L.W = L.DenseWeights();
    }
  }
}

namespace {

#ifdef __AVX512F__
// out[o, o + 16*NB) = b + sum over the listed inputs of x[i] * W[i, o, o + 16*NB).
template <int NB>
void RowBlock(float* __restrict out, const float* __restrict x, const float* __restrict W,
              const float* __restrict b, int OC, int o, const int* __restrict idx, int nnz) {
  __m512 acc[NB];
#pragma GCC unroll 16
  for (int j = 0; j < NB; ++j) acc[j] = _mm512_loadu_ps(b + o + 16 * j);
  for (int k = 0; k < nnz; ++k) {
    const int i = idx[k];
    const __m512 xv = _mm512_set1_ps(x[i]);
    const float* w = W + static_cast<size_t>(i) * OC + o;
#pragma GCC unroll 16
    for (int j = 0; j < NB; ++j) acc[j] = _mm512_fmadd_ps(xv, _mm512_loadu_ps(w + 16 * j), acc[j]);
  }
#pragma GCC unroll 16
  for (int j = 0; j < NB; ++j) _mm512_storeu_ps(out + o + 16 * j, acc[j]);
}
#endif

// Writes the indices of the nonzero x[i] to idx; returns their count.
int NonzeroInputs(const float* x, int IC, int* idx) {
  int nnz = 0;
  for (int i = 0; i < IC; ++i) {
    idx[nnz] = i;
    nnz += x[i] != 0.0f;
  }
  return nnz;
}

// out[OC] = b[OC] + sum over the nonzero x[i] of x[i] * W[i, :]. Outputs are processed in
// blocks held in vector registers across the whole input loop; idx is scratch [IC].
void MatVec(float* __restrict out, const float* __restrict x, const float* __restrict W,
            const float* __restrict b, int IC, int OC, int* __restrict idx) {
#ifdef __AVX512F__
  if (OC == 1) {  // a dot product: W is contiguous, dense is faster than gathering
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    int i = 0;
    for (; i + 32 <= IC; i += 32) {
      a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i), _mm512_loadu_ps(W + i), a0);
      a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(W + i + 16), a1);
    }
    for (; i < IC; i += 16) {
      const __mmask16 m = IC - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (IC - i)) - 1);
      a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, W + i), a0);
    }
    alignas(64) float lanes[16];
    _mm512_store_ps(lanes, _mm512_add_ps(a0, a1));
    float s = b[0];
    for (float v : lanes) s += v;
    out[0] = s;
    return;
  }
  const int nnz = NonzeroInputs(x, IC, idx);
  int o = 0;
  // Up to 256 outputs at a time in 16 registers, so each weight row streams once.
  for (; o + 256 <= OC; o += 256) RowBlock<16>(out, x, W, b, OC, o, idx, nnz);
  switch ((OC - o) / 16) {
#define MING_BLOCK(n) \
    case n: RowBlock<n>(out, x, W, b, OC, o, idx, nnz); break;
    MING_BLOCK(1) MING_BLOCK(2) MING_BLOCK(3) MING_BLOCK(4) MING_BLOCK(5) MING_BLOCK(6)
    MING_BLOCK(7) MING_BLOCK(8) MING_BLOCK(9) MING_BLOCK(10) MING_BLOCK(11) MING_BLOCK(12)
    MING_BLOCK(13) MING_BLOCK(14) MING_BLOCK(15)
#undef MING_BLOCK
    default: break;
  }
  o += (OC - o) / 16 * 16;
  for (; o < OC; o += 16) {
    const __mmask16 m = OC - o >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (OC - o)) - 1);
    __m512 a = _mm512_maskz_loadu_ps(m, b + o);
    for (int k = 0; k < nnz; ++k) {
      const int i = idx[k];
      a = _mm512_fmadd_ps(_mm512_set1_ps(x[i]), _mm512_maskz_loadu_ps(m, W + static_cast<size_t>(i) * OC + o), a);
    }
    _mm512_mask_storeu_ps(out + o, m, a);
  }
#else
  const int nnz = NonzeroInputs(x, IC, idx);
  int o = 0;
  for (; o < OC; ++o) out[o] = b[o];
  for (int k = 0; k < nnz; ++k) {
    const int i = idx[k];
    const float xi = x[i];
    const float* w = W + static_cast<size_t>(i) * OC;
    for (int j = 0; j < OC; ++j) out[j] += xi * w[j];
  }
#endif
}

}  // namespace

void Plan::RunLayer(const FrozenLayer& L, const float* in, int B, float* out, PlanScratch& s) const {
  // Layer norm reads the product from scratch; the activation runs in place.
  float* lin = L.gamma.empty() ? out : s.c.data();
  Linear(L, in, B, lin, s);
  AfterProduct(L, lin, B, out, s);
}

void Plan::AfterProduct(const FrozenLayer& L, const float* lin, int B, float* out,
                        PlanScratch& s) const {
  const int64_t n = static_cast<int64_t>(B) * L.OC;
  if (L.output) {
    if (lin != out) std::memcpy(out, lin, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  if (!L.gamma.empty()) {
    layernorm_forward(out, s.mean.data(), s.rstd.data(), lin, L.gamma.data(), L.beta.data(), B,
                      L.OC, eps_);
    lin = out;
  }
  activation_forward(out, lin, n, act_, slope_);
}

void Plan::Linear(const FrozenLayer& L, const float* in, int B, float* out, PlanScratch& s) const {
  switch (L.form) {
    case WeightForm::kSparse:
      if (B == 1 && L.single_row_blocks) {
        BlockRowsMatVec(out, in, L.blocks, L.b.data());
        return;
      }
      if (B > 1 || L.W.empty()) {
        SparseLinear(out, in, L.sparse, L.b.data(), B, s.sparse.data());
        return;
      }
      break;  // one row through the dense copy
    case WeightForm::kInt8:
      Int8Linear(out, in, L.int8, L.b.data(), B, s.quant.data());
      return;
    default: break;
  }
  if (B == 1) {
    MatVec(out, in, L.W.data(), L.b.data(), L.IC, L.OC, s.idx.data());
  } else if (!L.panels.empty()) {
    PanelGemm(out, in, B, L.panels.data(), L.b.data(), L.IC, L.OC);
  } else {
    for (int r = 0; r < B; ++r) std::copy_n(L.b.data(), L.OC, out + static_cast<size_t>(r) * L.OC);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, L.OC, L.IC, 1.0f, in, L.IC,
                L.W.data(), L.OC, 1.0f, out, L.OC);
  }
}

void Plan::Run(const float* X, int B, float* out, PlanScratch& s) const {
  RunLayers(X, B, 0, static_cast<int>(layers_.size()), out, s);
}

void Plan::RunLayers(const float* X, int B, int first, int last, float* out, PlanScratch& s) const {
  const float* in = X;
  float* bufs[2] = {s.a.data(), s.b.data()};
  for (int l = first; l < last; ++l) {
    float* dst = l == last - 1 ? out : bufs[l % 2];
    RunLayer(layers_[static_cast<size_t>(l)], in, B, dst, s);
    in = dst;
  }
}

void Plan::RunFromFirstProduct(const float* P, int B, float* out, PlanScratch& s) const {
  const int n = static_cast<int>(layers_.size());
  float* dst = n == 1 ? out : s.a.data();  // where RunLayers puts layer 0's output
  AfterProduct(layers_[0], P, B, dst, s);
  if (n > 1) RunLayers(dst, B, 1, n, out, s);
}

const char* SingleRowKernel(const FrozenLayer& L) {
  if (L.single_row_blocks) return "16-output block rows";
  return L.W.empty() ? "sparse rows" : "dense copy";
}

void RunPlan(const Plan& plan, const float* X, int64_t rows, float* out, int threads) {
  constexpr int kChunk = 256;
  const int64_t chunks = (rows + kChunk - 1) / kChunk;
  const int T = static_cast<int>(std::min<int64_t>(threads > 0 ? threads : ThreadPool::HardwareThreads(), chunks));
  ThreadPool pool(std::max(T, 1));
  std::vector<PlanScratch> scratch;
  for (int t = 0; t < pool.size(); ++t) scratch.emplace_back(plan, kChunk);
  const int64_t F = plan.inputs(), O = plan.outputs();
  pool.ParallelFor(static_cast<int>(chunks), [&](int c, int t) {
    const int64_t r = static_cast<int64_t>(c) * kChunk;
    const int n = static_cast<int>(std::min<int64_t>(kChunk, rows - r));
    plan.Run(X + r * F, n, out + r * O, scratch[static_cast<size_t>(t)]);
  });
}

}  // namespace ming
