// The int8 linear kernels. Rows are first quantised to uint8 (padded to a multiple of 4
// inputs). The AVX-512 VNNI kernel then holds a tile of up to 6 rows x 32 outputs in int32
// accumulators: for each group of 4 inputs it broadcasts the row's 4 input bytes (unsigned)
// and multiplies them with 16 outputs' 4 weights (signed, the packed layout) by vpdpbusd.
// The zero point is removed with the precomputed per-output sums, and the result is turned
// into float with the reference's expression. The portable kernel computes the same
// integers with plain loops.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "compress/int8.h"
#include "compress/int8_quant.h"
#include "compress/kernels.h"
#include "util/check.h"

// GCC 12 reports the intentionally undefined pass-through operand inside intrinsics such as
// _mm512_cvtepi32_ps (_mm512_undefined_ps) as uninitialised: a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // a GCC-only warning (clang warns about the unknown name)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace ming {
namespace compress_internal {
namespace {

int PaddedInputs(int IC) { return (IC + 3) / 4 * 4; }

uint8_t* Aligned(void* p) {
  return reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(p) + 63) & ~uintptr_t{63});
}

// xq[ICp] for one row x[IC]; the padding inputs are 0 (their weights are 0).
void QuantizeRowPortable(uint8_t* xq, const float* x, const Int8Weights& w) {
  const float inv = 1.0f / w.in_scale;
  for (int i = 0; i < w.IC; ++i) xq[i] = static_cast<uint8_t>(QuantizeInput(x[i], inv, w.in_zero));
  for (int i = w.IC; i < PaddedInputs(w.IC); ++i) xq[i] = 0;
}

// out[B, OC] with int32 sums over the input-major q (portable loops); acc is scratch [OC].
void LinearPortable(float* out, const float* X, const Int8Weights& w, const float* b, int B,
                    uint8_t* xq, int32_t* acc) {
  for (int r = 0; r < B; ++r) {
    QuantizeRowPortable(xq, X + static_cast<size_t>(r) * w.IC, w);
    std::fill_n(acc, w.OC, 0);
    for (int i = 0; i < w.IC; ++i) {
      const int32_t x = xq[i];
      const int8_t* q = w.q.data() + static_cast<size_t>(i) * w.OC;
      for (int o = 0; o < w.OC; ++o) acc[o] += x * q[o];
    }
    float* y = out + static_cast<size_t>(r) * w.OC;
    for (int o = 0; o < w.OC; ++o) {
      y[o] = std::fma(static_cast<float>(acc[o] - w.zero_sum[static_cast<size_t>(o)]),
                      w.mult[static_cast<size_t>(o)], b[o]);
    }
  }
}

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
__mmask16 Mask(int n) {
  return n >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}

// As QuantizeRowPortable, 16 inputs at a time.
void QuantizeRowVnni(uint8_t* xq, const float* x, const Int8Weights& w) {
  const __m512 inv = _mm512_set1_ps(1.0f / w.in_scale);
  const __m512 lo = _mm512_set1_ps(static_cast<float>(-w.in_zero));
  const __m512 hi = _mm512_set1_ps(static_cast<float>(255 - w.in_zero));
  const __m512i zero = _mm512_set1_epi32(w.in_zero);
  const int ICp = PaddedInputs(w.IC);
  for (int i = 0; i < ICp; i += 16) {
    const __mmask16 m = Mask(w.IC - i);
    __m512 t = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv);
    t = _mm512_min_ps(_mm512_max_ps(t, lo), hi);  // vmaxps returns lo where t is NaN
    __m512i q = _mm512_add_epi32(
        _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zero);
    q = _mm512_maskz_mov_epi32(m, q);  // padding inputs are 0
    _mm_mask_storeu_epi8(xq + i, Mask(ICp - i), _mm512_cvtepi32_epi8(q));
  }
}

// Tile shape: kTileRows rows x kTileBlocks blocks of 16 outputs in int32 accumulators.
// Measured on the medium model's int8 layers (batch 1024, one thread, rows/s): 6x2 2.23 M,
// 7x2 2.21 M, 8x2 2.15 M, 16x1 2.08 M, 4x2 1.81 M, 6x3 1.79 M, 10x2 1.63 M, 4x4 1.41 M
// (the previous shape), 12x2 1.3 M, 6x4 1.1 M: past 16 accumulators the tile spills.
constexpr int kTileRows = 6, kTileBlocks = 2;

// out rows r0..r0+R, output blocks ob0..ob0+N (16 outputs each) from xq [B][ICp].
template <int R, int N>
void Tile(float* out, const uint8_t* xq, const Int8Weights& w, const float* b, int r0, int ob0) {
  const int ICp = PaddedInputs(w.IC), K4 = ICp / 4;
  __m512i acc[R][N];
  const int8_t* wp[N];
  for (int n = 0; n < N; ++n) wp[n] = w.packed.data() + static_cast<size_t>(ob0 + n) * K4 * 64;
  for (int r = 0; r < R; ++r) {
    for (int n = 0; n < N; ++n) acc[r][n] = _mm512_setzero_si512();
  }
  const uint8_t* x = xq + static_cast<size_t>(r0) * ICp;
  for (int k = 0; k < K4; ++k) {
    __m512i wv[N];
    for (int n = 0; n < N; ++n) wv[n] = _mm512_loadu_si512(wp[n] + static_cast<size_t>(k) * 64);
    for (int r = 0; r < R; ++r) {
      int32_t four;
      std::memcpy(&four, x + static_cast<size_t>(r) * ICp + 4 * k, 4);
      const __m512i xb = _mm512_set1_epi32(four);
      for (int n = 0; n < N; ++n) acc[r][n] = _mm512_dpbusd_epi32(acc[r][n], xb, wv[n]);
    }
  }
  for (int n = 0; n < N; ++n) {
    const int o = (ob0 + n) * 16;
    const __mmask16 m = Mask(w.OC - o);
    const __m512i zs = _mm512_maskz_loadu_epi32(m, w.zero_sum.data() + o);
    const __m512 mult = _mm512_maskz_loadu_ps(m, w.mult.data() + o);
    const __m512 bias = _mm512_maskz_loadu_ps(m, b + o);
    for (int r = 0; r < R; ++r) {
      const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][n], zs));
      _mm512_mask_storeu_ps(out + static_cast<size_t>(r0 + r) * w.OC + o, m,
                            _mm512_fmadd_ps(v, mult, bias));
    }
  }
}

template <int R>
void TileRow(float* out, const uint8_t* xq, const Int8Weights& w, const float* b, int r0) {
  const int OB = (w.OC + 15) / 16;
  int ob = 0;
  for (; ob + kTileBlocks <= OB; ob += kTileBlocks) Tile<R, kTileBlocks>(out, xq, w, b, r0, ob);
  for (; ob < OB; ++ob) Tile<R, 1>(out, xq, w, b, r0, ob);
}

using TileRowFn = void (*)(float*, const uint8_t*, const Int8Weights&, const float*, int);
// The last B % kTileRows rows.
constexpr TileRowFn kTileRowsFns[] = {nullptr, TileRow<1>, TileRow<2>, TileRow<3>, TileRow<4>, TileRow<5>};
static_assert(std::size(kTileRowsFns) == kTileRows);

// Few outputs: each output is a dot product over 64 inputs per vpdpbusd (by_output layout).
void FewOutputs(float* out, const uint8_t* xq, const Int8Weights& w, const float* b, int B) {
  const int ICp = PaddedInputs(w.IC);
  const size_t ld = (static_cast<size_t>(w.IC) + 63) / 64 * 64;
  for (int r = 0; r < B; ++r) {
    const uint8_t* x = xq + static_cast<size_t>(r) * ICp;
    for (int o = 0; o < w.OC; ++o) {
      const int8_t* q = w.by_output.data() + o * ld;
      __m512i acc = _mm512_setzero_si512();
      for (int i = 0; i < ICp; i += 64) {
        const int n = ICp - i;
        const __mmask64 m = n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1;
        acc =
            _mm512_dpbusd_epi32(acc, _mm512_maskz_loadu_epi8(m, x + i), _mm512_loadu_si512(q + i));
      }
      const int32_t s = _mm512_reduce_add_epi32(acc) - w.zero_sum[static_cast<size_t>(o)];
      out[static_cast<size_t>(r) * w.OC + o] =
          std::fma(static_cast<float>(s), w.mult[static_cast<size_t>(o)], b[o]);
    }
  }
}

void LinearVnni(float* out, const float* X, const Int8Weights& w, const float* b, int B,
                uint8_t* xq) {
  const int ICp = PaddedInputs(w.IC);
  for (int r = 0; r < B; ++r) {
    QuantizeRowVnni(xq + static_cast<size_t>(r) * ICp, X + static_cast<size_t>(r) * w.IC, w);
  }
  if (w.OC < kInt8FewOutputs) {
    FewOutputs(out, xq, w, b, B);
    return;
  }
  int r = 0;
  for (; r + kTileRows <= B; r += kTileRows) TileRow<kTileRows>(out, xq, w, b, r);
  if (r < B) kTileRowsFns[B - r](out, xq, w, b, r);
}
#endif

}  // namespace

bool Int8Has(KernelPath path) {
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  (void)path;
  return true;
#else
  return path == KernelPath::kPortable;
#endif
}

void Int8LinearWith(KernelPath path, float* out, const float* X, const Int8Weights& w,
                    const float* b, int B, void* scratch) {
  MING_CHECK(Int8Has(path));
  MING_CHECK(w.mult.size() == static_cast<size_t>(w.OC) &&
             w.packed.size() == static_cast<size_t>((w.OC + 15) / 16) * PaddedInputs(w.IC) * 16);
  uint8_t* xq = Aligned(scratch);
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  if (path == KernelPath::kAvx512) {
    LinearVnni(out, X, w, b, B, xq);
    return;
  }
#endif
  int32_t* acc =
      reinterpret_cast<int32_t*>(xq + (static_cast<size_t>(PaddedInputs(w.IC)) + 63) / 64 * 64);
  LinearPortable(out, X, w, b, B, xq, acc);
}

}  // namespace compress_internal

size_t Int8ScratchBytes(int B, int IC, int OC) {
  // VNNI: xq [B][ICp]; portable: xq [ICp] then acc [OC]; both 64-byte aligned inside.
  const size_t row = (static_cast<size_t>(IC) + 3) / 4 * 4;
  const size_t vnni = static_cast<size_t>(B) * row;
  const size_t portable = (row + 63) / 64 * 64 + 4 * static_cast<size_t>(OC);
  return std::max(vnni, portable) + 64;
}

void Int8Linear(float* out, const float* X, const Int8Weights& w, const float* b, int B,
                void* scratch) {
  using compress_internal::KernelPath;
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  compress_internal::Int8LinearWith(KernelPath::kAvx512, out, X, w, b, B, scratch);
#else
  compress_internal::Int8LinearWith(KernelPath::kPortable, out, X, w, b, B, scratch);
#endif
}

const char* Int8KernelName() {
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  return "int8: AVX-512 VNNI (vpdpbusd)";
#else
  return "int8: portable integer loops";
#endif
}

}  // namespace ming
