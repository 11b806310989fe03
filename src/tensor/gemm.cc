// sgemm: row-major C = alpha op(A) op(B) + beta C through OpenBLAS, and its naive twin.
#include "tensor/gemm.h"

#include <cblas.h>

#include <cstdint>

namespace ming {

void sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
           const float* B, float beta, float* C) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // empty sum: C = beta * C
    for (int64_t i = 0; i < int64_t{M} * N; ++i) C[i] = beta == 0.0f ? 0.0f : beta * C[i];
    return;
  }
  const int lda = trans_a ? M : K;  // row length of A as stored
  const int ldb = trans_b ? K : N;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, N);
}

void sgemm_naive(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                 const float* B, float beta, float* C) {
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const float a = trans_a ? A[k * M + i] : A[i * K + k];
        const float b = trans_b ? B[j * K + k] : B[k * N + j];
        acc += static_cast<double>(a) * b;
      }
      const double old = beta == 0.0f ? 0.0 : static_cast<double>(beta) * C[i * N + j];
      C[i * N + j] = static_cast<float>(alpha * acc + old);
    }
  }
}

}  // namespace ming
