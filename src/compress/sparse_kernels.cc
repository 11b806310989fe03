// The sparse linear kernels. One row: the entries of each nonzero input are scattered into
// the outputs (input-major layout), or for layers with few outputs each output is a sparse
// dot product (compressed rows). Several rows: panels of kPanel rows are transposed so that
// one input's values over the panel's rows are contiguous; each stored weight is then
// broadcast and multiplied into all the panel's rows at once, and the results are
// transposed back, 16 outputs at a time. Both the AVX-512 and the portable panel loops are
// always compiled where the target allows, so tests can check each.
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "compress/kernels.h"
#include "compress/sparse.h"
#include "util/check.h"

// GCC 12 reports the intentionally undefined pass-through operand inside intrinsics such as
// _mm512_cvtepi32_ps (_mm512_undefined_ps) as uninitialised: a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ming {
namespace compress_internal {
namespace {

constexpr int kPanel = 32;        // rows per panel (two AVX-512 vectors)
constexpr int kMinPanelRows = 4;  // fewer rows go one at a time
constexpr int kFewOutputs = 16;   // below this, one row uses sparse dot products

// out[OC] = b + x W through the input-major layout. The nonzero inputs are listed first
// without branches (a branch per input mispredicts on ReLU outputs); each input's entries
// come in fours, the padding adding 0 into acc[OC..OC+16). nz [IC], acc [OC + 16] are scratch;
// nz holds input indices as the bits of floats (bit_cast: plain moves, no type punning).
void RowScatter(float* __restrict out, const float* __restrict x, const SparseWeights& w,
                const float* __restrict b, float* __restrict nz, float* __restrict acc) {
  std::copy_n(b, w.OC, acc);
  int n = 0;
  for (int i = 0; i < w.IC; ++i) {
    nz[n] = std::bit_cast<float>(static_cast<uint32_t>(i));
    n += x[i] != 0.0f;
  }
  const uint32_t* ptr = w.in_ptr.data();
  const uint16_t* oi = w.in_out.data();
  const float* v = w.in_val.data();
  for (int j = 0; j < n; ++j) {
    const uint32_t i = std::bit_cast<uint32_t>(nz[j]);
    const float xi = x[i];
    for (uint32_t k = ptr[i]; k < ptr[i + 1]; k += 4) {  // outputs of one input are distinct
      acc[oi[k]] += xi * v[k];
      acc[oi[k + 1]] += xi * v[k + 1];
      acc[oi[k + 2]] += xi * v[k + 2];
      acc[oi[k + 3]] += xi * v[k + 3];
    }
  }
  std::copy_n(acc, w.OC, out);
}

// out[OC] = b + x W as one sparse dot product per output (compressed rows).
void RowDot(float* __restrict out, const float* __restrict x, const SparseWeights& w,
            const float* __restrict b) {
  const uint16_t* idx = w.idx.data();
  const float* v = w.val.data();
  for (int o = 0; o < w.OC; ++o) {
    float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    const uint32_t end = w.ptr[o + size_t{1}];
    uint32_t k = w.ptr[static_cast<size_t>(o)];
    for (; k + 4 <= end; k += 4) {
      for (int j = 0; j < 4; ++j) s[j] += v[k + j] * x[idx[k + j]];
    }
    for (; k < end; ++k) s[0] += v[k] * x[idx[k]];
    out[o] = b[o] + ((s[0] + s[1]) + (s[2] + s[3]));
  }
}

void Row(float* out, const float* x, const SparseWeights& w, const float* b, float* nz,
         float* acc) {
  if (w.OC < kFewOutputs) {
    RowDot(out, x, w, b);
  } else {
    RowScatter(out, x, w, b, nz, acc);
  }
}

// tile[j * kPanel + r] = b[o] + sum_k val[k] * xt[idx[k] * kPanel + r] for the outputs
// o = o0 + j, j < n, over the panel's rows (portable loops).
void OutputsPortable(float* __restrict tile, const float* __restrict xt, const SparseWeights& w,
                     const float* __restrict b, int o0, int n) {
  for (int j = 0; j < n; ++j) {
    const int o = o0 + j;
    float acc[kPanel];
    for (int r = 0; r < kPanel; ++r) acc[r] = b[o];
    for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[o + size_t{1}]; ++k) {
      const float v = w.val[k];
      const float* row = xt + static_cast<size_t>(w.idx[k]) * kPanel;
      for (int r = 0; r < kPanel; ++r) acc[r] += v * row[r];
    }
    std::copy_n(acc, kPanel, tile + static_cast<size_t>(j) * kPanel);
  }
}

#ifdef __AVX512F__
// As OutputsPortable. Four partial sums per vector hide the FMA latency (8 chains).
void OutputsAvx512(float* __restrict tile, const float* __restrict xt, const SparseWeights& w,
                   const float* __restrict b, int o0, int n) {
  static_assert(kPanel == 32);
  const uint16_t* idx = w.idx.data();
  const float* val = w.val.data();
  for (int j = 0; j < n; ++j) {
    const int o = o0 + j;
    __m512 a0 = _mm512_set1_ps(b[o]), a1 = a0;
    __m512 c0 = _mm512_setzero_ps(), c1 = c0, d0 = c0, d1 = c0, e0 = c0, e1 = c0;
    const uint32_t end = w.ptr[o + size_t{1}];
    uint32_t k = w.ptr[static_cast<size_t>(o)];
    for (; k + 4 <= end; k += 4) {
      const float* r0 = xt + size_t{idx[k]} * kPanel;
      const float* r1 = xt + size_t{idx[k + 1]} * kPanel;
      const float* r2 = xt + size_t{idx[k + 2]} * kPanel;
      const float* r3 = xt + size_t{idx[k + 3]} * kPanel;
      const __m512 v0 = _mm512_set1_ps(val[k]), v1 = _mm512_set1_ps(val[k + 1]);
      const __m512 v2 = _mm512_set1_ps(val[k + 2]), v3 = _mm512_set1_ps(val[k + 3]);
      a0 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0), a0);
      a1 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0 + 16), a1);
      c0 = _mm512_fmadd_ps(v1, _mm512_load_ps(r1), c0);
      c1 = _mm512_fmadd_ps(v1, _mm512_load_ps(r1 + 16), c1);
      d0 = _mm512_fmadd_ps(v2, _mm512_load_ps(r2), d0);
      d1 = _mm512_fmadd_ps(v2, _mm512_load_ps(r2 + 16), d1);
      e0 = _mm512_fmadd_ps(v3, _mm512_load_ps(r3), e0);
      e1 = _mm512_fmadd_ps(v3, _mm512_load_ps(r3 + 16), e1);
    }
    for (; k < end; ++k) {
      const float* r0 = xt + size_t{idx[k]} * kPanel;
      const __m512 v0 = _mm512_set1_ps(val[k]);
      a0 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0), a0);
      a1 = _mm512_fmadd_ps(v0, _mm512_load_ps(r0 + 16), a1);
    }
    float* t = tile + static_cast<size_t>(j) * kPanel;
    _mm512_store_ps(t, _mm512_add_ps(_mm512_add_ps(a0, c0), _mm512_add_ps(d0, e0)));
    _mm512_store_ps(t + 16, _mm512_add_ps(_mm512_add_ps(a1, c1), _mm512_add_ps(d1, e1)));
  }
}

// In place: r[j] becomes column j of the 16x16 block whose rows were r[0..15].
void Transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4g + c], lane l: column c + 4l of rows 4g..4g+3.
  for (int g = 0; g < 4; ++g) {
    u[4 * g] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    const __m512 v = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x88);
    const __m512 v2 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xDD);
    const __m512 x = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x88);
    const __m512 x2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xDD);
    r[c] = _mm512_shuffle_f32x4(v, x, 0x88);
    r[c + 8] = _mm512_shuffle_f32x4(v, x, 0xDD);
    r[c + 4] = _mm512_shuffle_f32x4(v2, x2, 0x88);
    r[c + 12] = _mm512_shuffle_f32x4(v2, x2, 0xDD);
  }
}

__mmask16 Mask(int n) {
  return n >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

void TransposeAvx512(float* dst, int ld_dst, const float* src, int ld_src, int rows, int cols) {
  for (int r0 = 0; r0 < rows; r0 += 16) {
    const int nr = std::min(16, rows - r0);
    for (int c0 = 0; c0 < cols; c0 += 16) {
      const int nc = std::min(16, cols - c0);
      const __mmask16 mc = Mask(nc), mr = Mask(nr);
      __m512 t[16];
      for (int i = 0; i < 16; ++i) {
        t[i] = i < nr ? _mm512_maskz_loadu_ps(mc, src + size_t(r0 + i) * ld_src + c0)
                      : _mm512_setzero_ps();
      }
      Transpose16(t);
      for (int j = 0; j < nc; ++j)
        _mm512_mask_storeu_ps(dst + size_t(c0 + j) * ld_dst + r0, mr, t[j]);
    }
  }
}
#endif

}  // namespace

void Transpose(KernelPath path, float* dst, int ld_dst, const float* src, int ld_src, int rows,
               int cols) {
#ifdef __AVX512F__
  if (path == KernelPath::kAvx512) {
    TransposeAvx512(dst, ld_dst, src, ld_src, rows, cols);
    return;
  }
#endif
  (void)path;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) dst[size_t(c) * ld_dst + r] = src[size_t(r) * ld_src + c];
  }
}

namespace {

// out[rows, OC] for rows <= kPanel rows of X, through a panel: xt [IC][kPanel] and
// tile [16][kPanel] come from scratch.
void Panel(KernelPath path, float* out, const float* X, const SparseWeights& w, const float* b,
           int rows, float* xt, float* tile) {
  if (rows < kPanel) std::fill_n(xt, static_cast<size_t>(w.IC) * kPanel, 0.0f);
  Transpose(path, xt, kPanel, X, w.IC, rows, w.IC);
  for (int o0 = 0; o0 < w.OC; o0 += 16) {
    const int n = std::min(16, w.OC - o0);
#ifdef __AVX512F__
    if (path == KernelPath::kAvx512) {
      OutputsAvx512(tile, xt, w, b, o0, n);
    } else {
      OutputsPortable(tile, xt, w, b, o0, n);
    }
#else
    OutputsPortable(tile, xt, w, b, o0, n);
#endif
    Transpose(path, out + o0, w.OC, tile, kPanel, n, rows);
  }
}

}  // namespace

bool SparseHas(KernelPath path) {
#ifdef __AVX512F__
  (void)path;
  return true;
#else
  return path == KernelPath::kPortable;
#endif
}

void SparseLinearWith(KernelPath path, float* out, const float* X, const SparseWeights& w,
                      const float* b, int B, float* scratch) {
  MING_CHECK(SparseHas(path));
  MING_CHECK(w.in_ptr.size() == static_cast<size_t>(w.IC) + 1 && w.in_val.size() >= w.val.size());
  if (B < kMinPanelRows || w.OC < kFewOutputs) {  // few outputs: transposing costs more
    float* nz = scratch;
    float* acc = scratch + w.IC;
    for (int r = 0; r < B; ++r) {
      Row(out + static_cast<size_t>(r) * w.OC, X + static_cast<size_t>(r) * w.IC, w, b, nz, acc);
    }
    return;
  }
  // Panels are 64-byte aligned inside scratch for aligned vector loads.
  float* xt =
      reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(scratch) + 63) & ~uintptr_t{63});
  float* tile = xt + static_cast<size_t>(w.IC) * kPanel;
  for (int r0 = 0; r0 < B; r0 += kPanel) {
    const int rows = std::min(kPanel, B - r0);
    Panel(path, out + static_cast<size_t>(r0) * w.OC, X + static_cast<size_t>(r0) * w.IC, w, b,
          rows, xt, tile);
  }
}

}  // namespace compress_internal

size_t SparseScratchFloats(int B, int IC, int OC) {
  // One row at a time: the nonzero inputs' indices [IC] and the sums [OC + 16].
  if (B < compress_internal::kMinPanelRows || OC < compress_internal::kFewOutputs) {
    return static_cast<size_t>(IC) + OC + 16;
  }
  return (static_cast<size_t>(IC) + 16) * compress_internal::kPanel + 16;  // + alignment
}

void SparseLinear(float* out, const float* X, const SparseWeights& w, const float* b, int B,
                  float* scratch) {
  using compress_internal::KernelPath;
#ifdef __AVX512F__
  compress_internal::SparseLinearWith(KernelPath::kAvx512, out, X, w, b, B, scratch);
#else
  compress_internal::SparseLinearWith(KernelPath::kPortable, out, X, w, b, B, scratch);
#endif
}

const char* SparseKernelName() {
#ifdef __AVX512F__
  return "sparse: input-major rows (1 row), 32-row AVX-512 panels (batches)";
#else
  return "sparse: input-major rows (1 row), 32-row portable panels (batches)";
#endif
}

}  // namespace ming
