// Sparse linear layers: the weights W[IC, OC] of a pruned layer with their zeros dropped,
// so that a pruned model is smaller on disk and faster to run. The serialised form is
// compressed rows over output units (for output o, entries ptr[o]..ptr[o+1] hold the
// ascending input indices idx and the values val); kernels may build other layouts from it
// when the weights are made or decoded.
// Thread-safety: a SparseWeights is immutable after construction; the kernels are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ming/status.h"

namespace ming {

// The most outputs a sparse layer may have (the single-row layout needs 16 spare indices).
constexpr int kSparseMaxOutputs = 65520;

struct SparseWeights {
  int IC = 0, OC = 0;
  std::vector<uint32_t> ptr;  // [OC + 1], ptr[0] = 0, non-decreasing, ptr[OC] = nnz
  std::vector<uint16_t> idx;  // [nnz] input indices, ascending within an output; IC <= 65536
  std::vector<float> val;     // [nnz] nonzero weights
  // Derived layout for the kernels (not serialised), built by PackSparse: the same entries
  // grouped by input, for single rows (which then skip zero inputs). For input i, entries
  // in_ptr[i]..in_ptr[i+1] hold the ascending output indices in_out and the values in_val,
  // padded to a multiple of 4 entries with (OC + s, 0.0f), s in 0..15.
  std::vector<uint32_t> in_ptr;  // [IC + 1]
  std::vector<uint16_t> in_out;  // [padded nnz]; OC <= kSparseMaxOutputs
  std::vector<float> in_val;     // [padded nnz]
  int64_t nnz() const { return static_cast<int64_t>(val.size()); }
};

// Builds the derived layout from ptr/idx/val. MakeSparse and DecodeSparse call it; call it
// yourself after filling ptr/idx/val by hand. REQUIRES: ptr/idx/val valid as DecodeSparse
// checks them, OC <= kSparseMaxOutputs.
void PackSparse(SparseWeights& w);

// Keeps exactly the nonzero entries of W[IC, OC] (row-major, input-major as ming stores
// weights; -0.0 counts as zero). REQUIRES: IC <= 65536, OC <= kSparseMaxOutputs.
SparseWeights MakeSparse(const float* W, int IC, int OC);
// W[IC, OC] with zeros where no entry is stored.
void SparseToDense(const SparseWeights& w, float* W);

// Little-endian bytes for a model file section, and back. Decoding validates everything
// (sizes against IC/OC and the byte count, ptr monotone, idx < IC and strictly ascending per
// output, finite values) and names `where` in its errors.
std::string EncodeSparse(const SparseWeights& w);
Result<SparseWeights> DecodeSparse(std::string_view bytes, int IC, int OC, const std::string& where);

// out[B, OC] = b[OC] + X[B, IC] W, row-major. `scratch` holds SparseScratchFloats(B, IC, OC)
// floats. Allocates nothing. Fewer than 4 rows go one at a time: each nonzero input's
// entries are scattered into the sums (zero inputs cost nothing), or, with fewer than 16
// outputs, each output is a sparse dot product (also for any B). Otherwise rows are cut
// into panels of 32, transposed, and each stored weight is broadcast against 32 rows at
// once. Sums run in another order than a dense product (float results differ in the last
// bits). REQUIRES: PackSparse(w) done (as MakeSparse/DecodeSparse do), out does not
// overlap X or scratch.
size_t SparseScratchFloats(int B, int IC, int OC);
void SparseLinear(float* out, const float* X, const SparseWeights& w, const float* b, int B,
                  float* scratch);

// Whether the sparse kernel beats the dense one for a layer of this shape and nonzero count
// (a measured crossover, see docs/benchmarks.md): PreferSparse for batches (chunks of 256
// rows, against cblas_sgemm), PreferSparseSingleRow for one row (against the Plan's
// zero-skipping matrix-vector loop, which is hard to beat: it needs about 5% density).
bool PreferSparse(int IC, int OC, int64_t nnz);
bool PreferSparseSingleRow(int IC, int OC, int64_t nnz);

// What SparseLinear runs on this build, for `ming info` (e.g. "sparse: ...").
const char* SparseKernelName();

}  // namespace ming
