// int8 linear layers: post-training quantisation with per-output-channel symmetric weight
// scales (int8 in [-127, 127]) and a per-layer asymmetric uint8 input quantiser calibrated
// on sample activations. The product is accumulated exactly in int32 and turned back into
// float once per output; the kernel uses the CPU's integer dot-product instructions
// (AVX-512 VNNI) where the build targets them and a portable loop otherwise.
// Thread-safety: an Int8Weights is immutable after construction; the kernels are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ming/status.h"

namespace ming {

// The range of a layer's inputs seen on calibration data.
struct QuantRange {
  float min = 0.0f, max = 0.0f;
};

struct Int8Weights {
  int IC = 0, OC = 0;
  std::vector<int8_t> q;      // [IC, OC] quantised weights, input-major like ming's float weights
  std::vector<float> scale;   // [OC] W[i, o] ~= q[i, o] * scale[o]
  float in_scale = 1.0f;      // x ~= (xq - in_zero) * in_scale, xq = clamp(round(x / in_scale) + in_zero, 0, 255)
  int32_t in_zero = 0;        // in [0, 255]
  // Derived layout for the kernels (not serialised), built by PackInt8:
  std::vector<int8_t> packed;  // [ceil(OC/16)][ceil(IC/4)][16][4]: for 16 outputs, 4
                               // consecutive inputs per 32-bit lane (zero padded)
  std::vector<int8_t> by_output;  // [OC][ceil(IC/64)*64]: q transposed, zero padded (used
                                  // when OC is small: one dot product per output)
  std::vector<int32_t> zero_sum;  // [OC] in_zero * sum_i q[i, o]: removes the zero point
  std::vector<float> mult;        // [OC] in_scale * scale[o]
};

// Builds the derived layout from q/scale/in_scale/in_zero. QuantizeLinear and DecodeInt8
// call it; call it yourself after changing those fields by hand. REQUIRES: the fields
// valid as DecodeInt8 checks them.
void PackInt8(Int8Weights& w);

// Quantises W[IC, OC] for inputs in `range` (widened to include 0, so that 0 is exact;
// non-finite bounds count as 0). Weights: scale[o] = max_i |W[i, o]| / 127 (1 for an
// all-zero column), q = round-to-nearest-even(W / scale). Inputs: in_scale =
// (max - min) / 255 (1 for an empty range), in_zero = round(-min / in_scale).
// REQUIRES: W finite, 0 <= IC <= 65536 (so that int32 sums cannot overflow).
Int8Weights QuantizeLinear(const float* W, int IC, int OC, QuantRange range);
// The range of X[rows, IC] (all finite entries; {0, 0} if there are none), for calibration.
QuantRange CalibrateRange(const float* X, int64_t rows, int IC);

// Little-endian bytes for a model file section, and back, validated like DecodeSparse.
std::string EncodeInt8(const Int8Weights& w);
Result<Int8Weights> DecodeInt8(std::string_view bytes, int IC, int OC, const std::string& where);

// out[B, OC] = b[OC] + dequantised(quantised(X[B, IC]) * q), row-major. `scratch` holds
// Int8ScratchBytes(B, IC, OC) bytes. Allocates nothing. Equal, bit for bit, to
// Int8LinearReference on every input. Each input is quantised as
//   t = x * (1.0f / in_scale), clamped to [-in_zero, 255 - in_zero] (NaN -> -in_zero),
//   xq = nearbyint(t) + in_zero (round half to even),
// acc[o] = sum_i (xq[i] - in_zero) * q[i, o] exactly in int32, and
//   out[o] = fma(float(acc[o]), in_scale * scale[o], b[o]).
// REQUIRES: PackInt8(w) done (as QuantizeLinear/DecodeInt8 do); default rounding mode.
size_t Int8ScratchBytes(int B, int IC, int OC);
void Int8Linear(float* out, const float* X, const Int8Weights& w, const float* b, int B,
                void* scratch);
// The straightforward loops the kernel is tested against.
void Int8LinearReference(float* out, const float* X, const Int8Weights& w, const float* b, int B);

// What Int8Linear runs on this build, for `ming info` (e.g. "int8: AVX-512 VNNI").
const char* Int8KernelName();

}  // namespace ming
