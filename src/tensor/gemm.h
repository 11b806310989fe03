// Single-precision matrix products over contiguous row-major buffers: a thin wrapper over
// OpenBLAS cblas_sgemm, and a naive loop twin that tests use as the reference.
// Threading is the caller's business (this file never changes OpenBLAS's thread count).
// Thread-safety: pure functions of their arguments.
#pragma once

namespace ming {

// C[M,N] = alpha * op(A) @ op(B) + beta * C, all row-major with no padding:
//   A is [M,K], or [K,M] when trans_a (op(A) = A^T);
//   B is [K,N], or [N,K] when trans_b.
// beta == 0 ignores the old contents of C (NaN/Inf there do not leak). Any size may be 0.
// C must not alias A or B.
void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
           const float* B, float beta, float* C);

// Same contract as sgemm, computed with plain loops accumulating in double.
void sgemm_naive(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 const float* B, float beta, float* C);

}  // namespace ming
