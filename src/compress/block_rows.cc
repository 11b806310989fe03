// Building block rows from compressed sparse weights, and the one-row kernel.
#include "compress/block_rows.h"

#include <immintrin.h>

#include <algorithm>

namespace ming {

BlockRows MakeBlockRows(const SparseWeights& w) {
  BlockRows r;
  r.IC = w.IC;
  r.OC = w.OC;
  const int nb = r.blocks_per_row();
  // Dense input-major staging of the nonzeros, one row of blocks per input.
  std::vector<float> row(static_cast<size_t>(nb) * BlockRows::kBlock);
  std::vector<std::vector<std::pair<int, float>>> by_input(static_cast<size_t>(w.IC));
  for (int o = 0; o < w.OC; ++o) {
    for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[static_cast<size_t>(o) + 1]; ++k) {
      by_input[w.idx[k]].push_back({o, w.val[k]});
    }
  }
  r.ptr.push_back(0);
  for (int i = 0; i < w.IC; ++i) {
    std::fill(row.begin(), row.end(), 0.0f);
    std::vector<uint8_t> used(static_cast<size_t>(nb), 0);
    for (const auto& [o, v] : by_input[static_cast<size_t>(i)]) {
      row[static_cast<size_t>(o)] = v;
      used[static_cast<size_t>(o / BlockRows::kBlock)] = 1;
    }
    for (int j = 0; j < nb; ++j) {
      if (!used[static_cast<size_t>(j)]) continue;
      r.col.push_back(static_cast<uint16_t>(j));
      r.val.insert(r.val.end(), row.begin() + j * BlockRows::kBlock, row.begin() + (j + 1) * BlockRows::kBlock);
    }
    r.ptr.push_back(static_cast<uint32_t>(r.col.size()));
  }
  return r;
}

double BlockDensity(const BlockRows& r) {
  const double all = static_cast<double>(r.IC) * r.blocks_per_row();
  return all > 0 ? static_cast<double>(r.blocks()) / all : 0.0;
}

bool PreferBlockRows(const BlockRows& r) {
  // A stored block costs a load, an FMA and a store on the accumulator row, against one
  // register FMA per block in the dense loop; below about a third of the blocks it wins.
  return r.OC >= BlockRows::kBlock && BlockDensity(r) <= 0.3;
}

void BlockRowsMatVec(float* out, const float* x, const BlockRows& r, const float* b, int* idx, float* acc) {
  constexpr int K = BlockRows::kBlock;
  const int padded = r.blocks_per_row() * K;
  std::copy_n(b, r.OC, acc);
  std::fill(acc + r.OC, acc + padded, 0.0f);
  int nnz = 0;
  for (int i = 0; i < r.IC; ++i) {  // nonzero inputs, listed without branches
    idx[nnz] = i;
    nnz += x[i] != 0.0f;
  }
  for (int k = 0; k < nnz; ++k) {
    const int i = idx[k];
    const float xi = x[i];
    const uint16_t* col = r.col.data();
    const float* val = r.val.data();
#ifdef __AVX512F__
    const __m512 xv = _mm512_set1_ps(xi);
    for (uint32_t e = r.ptr[static_cast<size_t>(i)]; e < r.ptr[static_cast<size_t>(i) + 1]; ++e) {
      float* a = acc + col[e] * K;
      _mm512_storeu_ps(a, _mm512_fmadd_ps(xv, _mm512_loadu_ps(val + static_cast<size_t>(e) * K), _mm512_loadu_ps(a)));
    }
#else
    for (uint32_t e = r.ptr[static_cast<size_t>(i)]; e < r.ptr[static_cast<size_t>(i) + 1]; ++e) {
      float* a = acc + col[e] * K;
      const float* v = val + static_cast<size_t>(e) * K;
      for (int j = 0; j < K; ++j) a[j] += xi * v[j];
    }
#endif
  }
  std::copy_n(acc, r.OC, out);
}

}  // namespace ming
