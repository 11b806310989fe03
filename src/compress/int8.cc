// int8 quantisation: weights and input quantiser from float weights and a calibrated range,
// the derived VNNI layout, the reference kernel, and the section format with its validating
// decoder. The fast kernels are in int8_kernels.cc. Section layout (all little-endian):
//   u32 IC, u32 OC, f32 in_scale, u32 in_zero, f32 scale[OC], i8 q[IC * OC] (input-major)
// i.e. 16 + 4 OC + IC OC bytes.
#include "compress/int8.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "compress/bytes.h"
#include "compress/int8_quant.h"
#include "util/check.h"

namespace ming {

using compress_internal::ByteReader;

QuantRange CalibrateRange(const float* X, int64_t rows, int IC) {
  QuantRange r;
  bool any = false;
  const int64_t n = rows * IC;
  for (int64_t k = 0; k < n; ++k) {
    const float v = X[k];
    if (!std::isfinite(v)) continue;
    r.min = any ? std::min(r.min, v) : v;
    r.max = any ? std::max(r.max, v) : v;
    any = true;
  }
  return r;
}

namespace {

// in_scale and in_zero for inputs in [lo, hi] with lo <= 0 <= hi.
void InputQuantiser(float lo, float hi, Int8Weights& w) {
  const double span = static_cast<double>(hi) - static_cast<double>(lo);
  double s = span / 255.0;
  if (!(s > 0.0) || static_cast<float>(s) == 0.0f) s = 1.0;  // empty or vanishing range
  s = std::min(s, static_cast<double>(FLT_MAX));
  w.in_scale = static_cast<float>(s);
  const double z = std::nearbyint(-static_cast<double>(lo) / w.in_scale);
  w.in_zero = static_cast<int32_t>(std::clamp(z, 0.0, 255.0));
}

}  // namespace

Int8Weights QuantizeLinear(const float* W, int IC, int OC, QuantRange range) {
  MING_CHECK(IC >= 0 && OC >= 0 && IC <= 65536);
  Int8Weights w;
  w.IC = IC;
  w.OC = OC;
  const float lo = std::isfinite(range.min) ? std::min(range.min, 0.0f) : 0.0f;
  const float hi = std::isfinite(range.max) ? std::max(range.max, 0.0f) : 0.0f;
  InputQuantiser(lo, hi, w);
  w.scale.assign(static_cast<size_t>(OC), 1.0f);
  w.q.assign(static_cast<size_t>(IC) * OC, 0);
  for (int o = 0; o < OC; ++o) {
    float m = 0.0f;
    for (int i = 0; i < IC; ++i) m = std::max(m, std::fabs(W[static_cast<size_t>(i) * OC + o]));
    const float s = m / 127.0f;
    if (!(s > 0.0f)) continue;  // all-zero column (or one that underflows): q stays 0
    w.scale[static_cast<size_t>(o)] = s;
    for (int i = 0; i < IC; ++i) {
      const size_t k = static_cast<size_t>(i) * OC + o;
      const float t = std::nearbyint(W[k] / s);
      w.q[k] = static_cast<int8_t>(std::clamp(t, -127.0f, 127.0f));
    }
  }
  PackInt8(w);
  return w;
}

void PackInt8(Int8Weights& w) {
  const int K4 = (w.IC + 3) / 4, OB = (w.OC + 15) / 16;
  w.packed.assign(static_cast<size_t>(OB) * K4 * 64, 0);
  const size_t ld = (static_cast<size_t>(w.IC) + 63) / 64 * 64;
  w.by_output.assign(w.OC < compress_internal::kInt8FewOutputs ? w.OC * ld : 0, 0);
  w.zero_sum.assign(static_cast<size_t>(w.OC), 0);
  w.mult.assign(static_cast<size_t>(w.OC), 0.0f);
  for (int i = 0; i < w.IC; ++i) {
    for (int o = 0; o < w.OC; ++o) {
      const int8_t q = w.q[static_cast<size_t>(i) * w.OC + o];
      const size_t at = (static_cast<size_t>(o / 16) * K4 + i / 4) * 64 + (o % 16) * 4 + i % 4;
      w.packed[at] = q;
      if (!w.by_output.empty()) w.by_output[o * ld + i] = q;
      w.zero_sum[static_cast<size_t>(o)] += q;
    }
  }
  for (int o = 0; o < w.OC; ++o) {
    w.zero_sum[static_cast<size_t>(o)] *= w.in_zero;
    w.mult[static_cast<size_t>(o)] = w.in_scale * w.scale[static_cast<size_t>(o)];
  }
}

void Int8LinearReference(float* out, const float* X, const Int8Weights& w, const float* b, int B) {
  using compress_internal::QuantizeInput;
  std::vector<int> xq(static_cast<size_t>(w.IC));
  const float inv = 1.0f / w.in_scale;
  for (int r = 0; r < B; ++r) {
    const float* x = X + static_cast<size_t>(r) * w.IC;
    for (int i = 0; i < w.IC; ++i) xq[static_cast<size_t>(i)] = QuantizeInput(x[i], inv, w.in_zero);
    for (int o = 0; o < w.OC; ++o) {
      int64_t acc = 0;
      for (int i = 0; i < w.IC; ++i) {
        acc += int64_t{xq[static_cast<size_t>(i)] - w.in_zero} *
               w.q[static_cast<size_t>(i) * w.OC + o];
      }
      out[static_cast<size_t>(r) * w.OC + o] =
          std::fma(static_cast<float>(acc), w.in_scale * w.scale[static_cast<size_t>(o)], b[o]);
    }
  }
}

std::string EncodeInt8(const Int8Weights& w) {
  using namespace compress_internal;
  std::string out;
  out.reserve(16 + 4 * w.scale.size() + w.q.size());
  PutU32(out, static_cast<uint32_t>(w.IC));
  PutU32(out, static_cast<uint32_t>(w.OC));
  PutF32(out, w.in_scale);
  PutU32(out, static_cast<uint32_t>(w.in_zero));
  for (float s : w.scale) PutF32(out, s);
  for (int8_t q : w.q) out.push_back(static_cast<char>(q));
  return out;
}

namespace {

Status Bad(const std::string& where, const std::string& msg) {
  return Status::InvalidInput(where + ": int8 weights: " + msg);
}

Status CheckValues(const Int8Weights& w, const std::string& where) {
  if (!std::isfinite(w.in_scale) || !(w.in_scale > 0.0f)) {
    return Bad(where, "input scale " + std::to_string(w.in_scale) + " is not finite and > 0");
  }
  if (w.in_zero < 0 || w.in_zero > 255) {
    return Bad(where, "input zero point " + std::to_string(w.in_zero) + " is outside 0..255");
  }
  for (size_t o = 0; o < w.scale.size(); ++o) {
    if (!std::isfinite(w.scale[o]) || !(w.scale[o] > 0.0f)) {
      return Bad(where, "scale of output " + std::to_string(o) + " (" + std::to_string(w.scale[o]) +
                            ") is not finite and > 0");
    }
  }
  for (size_t k = 0; k < w.q.size(); ++k) {
    if (w.q[k] == -128) {
      return Bad(where, "weight (input " + std::to_string(k / w.scale.size()) + ", output " +
                            std::to_string(k % w.scale.size()) + ") is -128, outside -127..127");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Int8Weights> DecodeInt8(std::string_view bytes, int IC, int OC, const std::string& where) {
  if (IC < 0 || OC < 0 || IC > 65536) {
    return Bad(where, "layer shape " + std::to_string(IC) + "x" + std::to_string(OC) +
                          " is outside 0..65536 inputs");
  }
  ByteReader r(bytes);
  uint32_t ic = 0, oc = 0, zero = 0;
  Int8Weights w;
  if (!r.GetU32(&ic) || !r.GetU32(&oc) || !r.GetF32(&w.in_scale) || !r.GetU32(&zero)) {
    return Bad(where, "header needs 16 bytes, section has " + std::to_string(bytes.size()));
  }
  if (ic != static_cast<uint32_t>(IC) || oc != static_cast<uint32_t>(OC)) {
    return Bad(where, "shape " + std::to_string(ic) + "x" + std::to_string(oc) +
                          " does not match the layer's " + std::to_string(IC) + "x" +
                          std::to_string(OC));
  }
  const uint64_t need = 16 + 4 * uint64_t{oc} + uint64_t{ic} * oc;
  if (bytes.size() != need) {
    return Bad(where, "needs " + std::to_string(need) + " bytes, section has " +
                          std::to_string(bytes.size()));
  }
  w.IC = IC;
  w.OC = OC;
  w.in_zero = zero > 255 ? -1 : static_cast<int32_t>(zero);
  w.scale.resize(oc);
  for (float& s : w.scale) r.GetF32(&s);  // sizes checked above: cannot run out
  w.q.resize(size_t{ic} * oc);
  for (int8_t& q : w.q) {
    uint8_t u = 0;
    r.GetU8(&u);
    q = static_cast<int8_t>(u);
  }
  if (zero > 255)
    return Bad(where, "input zero point " + std::to_string(zero) + " is outside 0..255");
  MING_RETURN_IF_ERROR(CheckValues(w, where));
  PackInt8(w);
  return w;
}

}  // namespace ming
