// Building block rows from compressed sparse weights, and the one-row kernel.
#include "compress/block_rows.h"

#include <immintrin.h>

#include <algorithm>

namespace ming {

BlockRows MakeBlockRows(const SparseWeights& w) {
  constexpr int K = BlockRows::kBlock;
  BlockRows r;
  r.IC = w.IC;
  r.OC = w.OC;
  const int nb = r.blocks_per_row();
  // One output block at a time: its 16 outputs' compressed rows merged into a dense
  // [IC][16] staging table, then the inputs with any nonzero kept in ascending order. Only
  // the touched inputs are listed and cleared, so the work is the nonzeros, not IC x blocks.
  std::vector<float> stage(static_cast<size_t>(w.IC) * K, 0.0f);
  std::vector<uint8_t> used(static_cast<size_t>(w.IC), 0);
  std::vector<uint32_t> touched;
  r.ptr.push_back(0);
  for (int j = 0; j < nb; ++j) {
    touched.clear();
    for (int o = j * K; o < std::min(w.OC, (j + 1) * K); ++o) {
      for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[static_cast<size_t>(o) + 1]; ++k) {
        const uint32_t i = w.idx[k];
        stage[size_t{i} * K + static_cast<size_t>(o - j * K)] = w.val[k];
        if (!used[i]) touched.push_back(i);
        used[i] = 1;
      }
    }
    std::sort(touched.begin(), touched.end());
    for (const uint32_t i : touched) {
      r.row.push_back(i);
      float* v = stage.data() + size_t{i} * K;
      r.val.insert(r.val.end(), v, v + K);
      std::fill(v, v + K, 0.0f);
      used[i] = 0;
    }
    r.ptr.push_back(static_cast<uint32_t>(r.row.size()));
  }
  return r;
}

double BlockDensity(const BlockRows& r) {
  const double all = static_cast<double>(r.IC) * r.blocks_per_row();
  return all > 0 ? static_cast<double>(r.blocks()) / all : 0.0;
}

bool PreferBlockRows(const BlockRows& r) {
  // A stored block costs one register FMA, like a row block of the dense loop, but the
  // dense loop skips zero inputs (half of them after a ReLU) and streams whole weight rows
  // while this one broadcasts per block. Measured on 256 x 256 layers with half the inputs
  // zero, the two cross near 45% of the blocks (docs/benchmarks.md); 40% leaves a margin.
  return r.OC >= BlockRows::kBlock && BlockDensity(r) <= 0.4;
}

void BlockRowsMatVec(float* out, const float* x, const BlockRows& r, const float* b) {
  constexpr int K = BlockRows::kBlock;
  const uint32_t* __restrict row = r.row.data();
  const float* __restrict val = r.val.data();
  for (int j = 0; j < r.blocks_per_row(); ++j) {
    const int o = j * K, n = std::min(K, r.OC - o);
    uint32_t e = r.ptr[static_cast<size_t>(j)];
    const uint32_t end = r.ptr[static_cast<size_t>(j) + 1];
#ifdef __AVX512F__
    // Two accumulators halve the FMA latency chain of a block column.
    const __mmask16 m = static_cast<__mmask16>((1u << n) - 1);
    __m512 a0 = _mm512_maskz_loadu_ps(m, b + o), a1 = _mm512_setzero_ps();
    for (; e + 2 <= end; e += 2) {
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[row[e]]), _mm512_loadu_ps(val + size_t{e} * K), a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(x[row[e + 1]]), _mm512_loadu_ps(val + size_t{e} * K + K), a1);
    }
    if (e < end) a0 = _mm512_fmadd_ps(_mm512_set1_ps(x[row[e]]), _mm512_loadu_ps(val + size_t{e} * K), a0);
    _mm512_mask_storeu_ps(out + o, m, _mm512_add_ps(a0, a1));
#else
    float acc[K];
    for (int t = 0; t < n; ++t) acc[t] = b[o + t];
    for (; e < end; ++e) {
      const float xi = x[row[e]];
      for (int t = 0; t < n; ++t) acc[t] += xi * val[size_t{e} * K + static_cast<size_t>(t)];
    }
    std::copy_n(acc, n, out + o);
#endif
  }
}

}  // namespace ming
