// Internal entry points of the compressed-layer kernels, so that tests can run every code
// path the build contains (the vector path and the portable one) against the references.
// Not part of the library's interface; the public calls pick the fastest available path.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "compress/int8.h"
#include "compress/sparse.h"

namespace ming::compress_internal {

enum class KernelPath { kPortable, kAvx512 };
// Whether this build contains `path` (kAvx512: compiled with AVX-512F; for int8, VNNI too).
bool SparseHas(KernelPath path);
bool Int8Has(KernelPath path);

// SparseLinear / Int8Linear through one path. REQUIRES: SparseHas(path) / Int8Has(path).
void SparseLinearWith(KernelPath path, float* out, const float* X, const SparseWeights& w,
                      const float* b, int B, float* scratch);
void Int8LinearWith(KernelPath path, float* out, const float* X, const Int8Weights& w,
                    const float* b, int B, void* scratch);

// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols (kAvx512: 16x16 tiles in
// registers). Exposed for its test.
void Transpose(KernelPath path, float* dst, int ld_dst, const float* src, int ld_src, int rows,
               int cols);

}  // namespace ming::compress_internal
