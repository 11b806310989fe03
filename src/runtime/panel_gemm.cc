// Packed-panel batch product (see panel_gemm.h).
#include "runtime/panel_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>

namespace ming {

std::vector<float> PackPanels(const float* W, int IC, int OC) {
  const int panels = (OC + 31) / 32;
  std::vector<float> P(static_cast<size_t>(panels) * static_cast<size_t>(IC) * 32, 0.0f);
  for (int p = 0; p < panels; ++p) {
    const int width = std::min(32, OC - 32 * p);
    for (int i = 0; i < IC; ++i) {
      std::copy_n(W + static_cast<size_t>(i) * OC + 32 * p, width,
                  &P[(static_cast<size_t>(p) * IC + i) * 32]);
    }
  }
  return P;
}

#ifdef __AVX512F__
namespace {

// R rows of one panel: out[r, 0..32) (masked to the panel's outputs) = b + in[r, :] . panel.
template <int R>
void Tile(float* out, int ldo, const float* in, int IC, const float* panel, const float* b,
          __mmask16 m0, __mmask16 m1) {
  __m512 acc0[R], acc1[R];
  const __m512 b0 = _mm512_maskz_loadu_ps(m0, b), b1 = _mm512_maskz_loadu_ps(m1, b + 16);
  for (int r = 0; r < R; ++r) {
    acc0[r] = b0;
    acc1[r] = b1;
  }
  for (int k = 0; k < IC; ++k) {
    const __m512 w0 = _mm512_loadu_ps(panel + static_cast<size_t>(k) * 32);
    const __m512 w1 = _mm512_loadu_ps(panel + static_cast<size_t>(k) * 32 + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 x = _mm512_set1_ps(in[static_cast<size_t>(r) * IC + k]);
      acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
    }
  }
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(out + static_cast<size_t>(r) * ldo, m0, acc0[r]);
    _mm512_mask_storeu_ps(out + static_cast<size_t>(r) * ldo + 16, m1, acc1[r]);
  }
}

using TileFn = void (*)(float*, int, const float*, int, const float*, const float*, __mmask16, __mmask16);
constexpr TileFn kTiles[] = {nullptr, Tile<1>, Tile<2>, Tile<3>, Tile<4>,  Tile<5>,  Tile<6>,
                             Tile<7>, Tile<8>, Tile<9>, Tile<10>, Tile<11>, Tile<12>};
constexpr int kRows = 12;

__mmask16 Mask(int n) { return n >= 16 ? __mmask16(0xffff) : n <= 0 ? __mmask16(0) : static_cast<__mmask16>((1u << n) - 1); }

}  // namespace

void PanelGemm(float* out, const float* in, int B, const float* panels, const float* b, int IC,
               int OC) {
  const int np = (OC + 31) / 32;
  for (int p = 0; p < np; ++p) {
    const int o = 32 * p;
    const __mmask16 m0 = Mask(OC - o), m1 = Mask(OC - o - 16);
    const float* panel = panels + static_cast<size_t>(p) * IC * 32;
    int r = 0;
    for (; r + kRows <= B; r += kRows) {
      Tile<kRows>(out + static_cast<size_t>(r) * OC + o, OC, in + static_cast<size_t>(r) * IC, IC,
                  panel, b + o, m0, m1);
    }
    if (r < B) {
      kTiles[B - r](out + static_cast<size_t>(r) * OC + o, OC, in + static_cast<size_t>(r) * IC, IC,
                    panel, b + o, m0, m1);
    }
  }
}
#else
// The same product in plain loops (the Plan uses SGEMM instead in such builds).
void PanelGemm(float* out, const float* in, int B, const float* panels, const float* b, int IC,
               int OC) {
  for (int r = 0; r < B; ++r) {
    float* o = out + static_cast<size_t>(r) * OC;
    std::copy_n(b, OC, o);
    for (int k = 0; k < IC; ++k) {
      const float x = in[static_cast<size_t>(r) * IC + k];
      for (int j = 0; j < OC; ++j) o[j] += x * panels[(static_cast<size_t>(j / 32) * IC + k) * 32 + j % 32];
    }
  }
}
#endif

}  // namespace ming
