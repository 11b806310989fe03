// Block rows: a single-row layout for sparse weights whose nonzeros come in runs of 16
// outputs (what block pruning, `ming prune --block 16`, leaves). Each stored block is the
// piece of one input's weight row over 16 outputs that holds any nonzero, stored whole;
// blocks are grouped by output block, so one row costs one vector FMA per stored block
// into a register accumulator, where unstructured sparse entries cost a scalar
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
  std::vector<uint32_t> ptr;  // [blocks_per_row() + 1]: output block j's blocks are ptr[j] .. ptr[j + 1]
  std::vector<uint32_t> row;  // [blocks] the input each block belongs to, ascending within j
  std::vector<float> val;     // [blocks * 16] weights, zero where W is zero or past OC
  int64_t blocks() const { return static_cast<int64_t>(row.size()); }
  int blocks_per_row() const { return (OC + kBlock - 1) / kBlock; }
};

BlockRows MakeBlockRows(const SparseWeights& w);
// Stored blocks / all blocks: the share of the dense work the block kernel still does.
double BlockDensity(const BlockRows& r);
// Whether one row runs faster through the block rows than through the dense loop (a
// measured crossover, docs/benchmarks.md).
bool PreferBlockRows(const BlockRows& r);

// out[OC] = b[OC] + x[IC] W for one row. Every stored block is applied, zero inputs
// included: with the blocks in registers that is faster than listing the nonzero inputs
// first. Allocates nothing.
void BlockRowsMatVec(float* out, const float* x, const BlockRows& r, const float* b);

}  // namespace ming
