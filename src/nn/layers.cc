// The dense (linear) layer: products through OpenBLAS sgemm, with plain loops for a single
// output column (the usual binary/regression head), where sgemm's packing costs more than
// the arithmetic.
#include "nn/layers.h"

#include <cstdint>

#include "tensor/gemm.h"

namespace ming {
namespace {

// Sum of x[i] * y[i] with 16 independent accumulators (a reduction the compiler may
// vectorise without reassociating floating-point adds).
inline float Dot(const float* x, const float* y, int n) {
  float acc[16] = {};
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    for (int k = 0; k < 16; ++k) acc[k] += x[i + k] * y[i + k];
  }
  float s = 0.0f;
  for (; i < n; ++i) s += x[i] * y[i];
  for (int k = 0; k < 16; ++k) s += acc[k];
  return s;
}

}  // namespace

void linear_forward(float* out, const float* in, const float* W, const float* b, int B, int IC,
                    int OC) {
  if (B <= 0 || OC <= 0) return;
  if (OC == 1) {  // W[IC,1] is a contiguous column: one dot product per row
    for (int64_t r = 0; r < B; ++r) out[r] = Dot(in + r * IC, W, IC) + b[0];
    return;
  }
  // Initialise every row with the bias, then accumulate the product with beta = 1: the
  // bias costs no extra pass (sgemm with beta = 0 would clear C in a pass of its own).
  for (int64_t r = 0; r < B; ++r) {
    float* o = out + r * OC;
    for (int j = 0; j < OC; ++j) o[j] = b[j];
  }
  sgemm(false, false, B, OC, IC, 1.0f, in, W, 1.0f, out);
}

void linear_backward(float* din, float* dW, float* db, const float* dout, const float* in,
                     const float* W, int B, int IC, int OC) {
  if (B <= 0) return;
  if (db != nullptr) {
    for (int64_t r = 0; r < B; ++r) {
      const float* g = dout + r * OC;
      for (int j = 0; j < OC; ++j) db[j] += g[j];
    }
  }
  if (OC == 1) {
    // dW[i] += sum_r in[r,i] * dout[r];  din[r,i] = dout[r] * W[i]
    for (int64_t r = 0; r < B; ++r) {
      const float g = dout[r];
      const float* x = in + r * IC;
      for (int i = 0; i < IC; ++i) dW[i] += x[i] * g;
    }
    if (din != nullptr) {
      for (int64_t r = 0; r < B; ++r) {
        const float g = dout[r];
        float* d = din + r * IC;
        for (int i = 0; i < IC; ++i) d[i] = g * W[i];
      }
    }
    return;
  }
  sgemm(true, false, IC, OC, B, 1.0f, in, dout, 1.0f, dW);  // dW[IC,OC] += in^T @ dout
  if (din != nullptr) sgemm(false, true, B, IC, OC, 1.0f, dout, W, 0.0f, din);  // dout @ W^T
}

}  // namespace ming
