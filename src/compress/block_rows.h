// Block rows: a single-row layout for sparse weights whose nonzeros come in runs of 16
// outputs (what block pruning, `ming prune --block 16`, leaves). For each input, the
// 16-output blocks holding any nonzero are stored whole, so one row costs one vector FMA
// per stored block of a nonzero input, where unstructured sparse entries cost a scalar
// read-modify-write each. Derived from SparseWeights at load time; not serialised.
// Thread-safety: immutable after construction; BlockRowsMatVec is pure.
#pragma once

#include <cstdint>
#include <vector>

#include "compress/sparse.h"

namespace ming {

struct BlockRows {
  static constexpr int kBlock = 16;
  int IC = 0, OC = 0;
  std::vector<uint32_t> ptr;  // [IC + 1]: blocks of input i are ptr[i] .. ptr[i + 1]
  std::vector<uint16_t> col;  // [blocks] output block index (outputs 16*col .. 16*col + 15)
  std::vector<float> val;     // [blocks * 16] weights, zero where W is zero or past OC
  int64_t blocks() const { return static_cast<int64_t>(col.size()); }
  int blocks_per_row() const { return (OC + kBlock - 1) / kBlock; }
};

BlockRows MakeBlockRows(const SparseWeights& w);
// Stored blocks / all blocks: the share of the dense work the block kernel still does.
double BlockDensity(const BlockRows& r);
// Whether one row runs faster through the block rows than through the dense loop (a
// measured crossover, docs/benchmarks.md).
bool PreferBlockRows(const BlockRows& r);

// out[OC] = b[OC] + x[IC] W for one row. `idx` holds IC ints, `acc` blocks_per_row() * 16
// floats (scratch). Allocates nothing.
void BlockRowsMatVec(float* out, const float* x, const BlockRows& r, const float* b, int* idx, float* acc);

}  // namespace ming
