// Element-wise activations and inverted dropout, forward and backward.
// Transcendentals use branch-free float approximations (exp by Cody-Waite reduction and a
// Taylor polynomial; erfc by a fitted polynomial in t = 1/(1 + 0.4 a)) so that the loops
// auto-vectorise; relative error is below ~1e-6 (tests compare with the std:: functions).
#include <bit>
#include <cmath>
#include <cstdint>

#include "nn/layers.h"

namespace ming {
namespace {

constexpr float kLog2e = 1.44269502f;
constexpr float kLn2Hi = 0.693145751953125f;      // ln 2 with 16 significant bits
constexpr float kLn2Lo = 1.428606765330187e-06f;  // ln 2 - kLn2Hi
constexpr float kRound = 12582912.0f;             // 1.5 * 2^23: adding it rounds to integer
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// e^x for x in [-87, 88] (clamped outside), about 2 ulp; NaN gives NaN.
inline float ExpApprox(float in) {
  // NaN fails both comparisons and takes the lower clamp, so that converting n to an
  // integer below is defined (a NaN there is undefined behaviour); it is returned at the end.
  const float x = in > -87.0f ? (in < 88.0f ? in : 88.0f) : -87.0f;
  const float n = (x * kLog2e + kRound) - kRound;  // nearest integer to x / ln 2
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;   // |r| <= ln2 / 2
  // Taylor to r^7: truncation error < 0.35^8 / 8! ~ 6e-9.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t e = static_cast<int32_t>(n) + 127;  // n in [-126, 127]
  const float y = p * std::bit_cast<float>(e << 23);
  return in != in ? in : y;
}

// erfc(a) = Q(t) e^{-a^2} for a >= 0, t = 1/(1 + 0.4a). Q: degree-9 polynomial fitted to
// erfc(a) e^{a^2} on [0, 10] (relative error 3e-8 in double, ~3e-7 evaluated in float).
// Returns Q; the caller multiplies by e^{-a^2}, which it may share with a derivative.
inline float ErfcScaled(float a) {
  const float t = 1.0f / (1.0f + 0.4f * a);
  float q = 0.028695406392216682f;
  q = q * t - 0.07474564760923386f;
  q = q * t - 0.0636977106332779f;
  q = q * t + 0.27580833435058594f;
  q = q * t - 0.06858754903078079f;
  q = q * t + 0.26865091919898987f;
  q = q * t + 0.1774110198020935f;
  q = q * t + 0.2313564270734787f;
  q = q * t + 0.2250824123620987f;
  q = q * t + 2.641471837705467e-05f;
  return q;
}

// Standard normal CDF Phi(x) and, through *pdf, phi(x).
inline float NormalCdf(float x, float* pdf) {
  const float a = std::fabs(x) * kInvSqrt2;
  const float am = a < 10.0f ? a : 10.0f;
  const float e = ExpApprox(-am * am);           // e^{-x^2/2}
  const float tail = 0.5f * ErfcScaled(am) * e;  // Phi(-|x|)
  *pdf = kInvSqrt2Pi * e;
  return x < 0.0f ? tail : 1.0f - tail;
}

inline float TanhApprox(float x) {
  const float a = std::fabs(x);
  // Small |x|: Taylor x - x^3/3 + 2x^5/15 - 17x^7/315 + 62x^9/2835 - 1382x^11/155925
  // (next term < 4e-9 relative at |x| = 0.25). Else 1 - 2 / (e^{2a} + 1), no cancellation.
  const float s = x * x;
  float p = -1382.0f / 155925.0f;
  p = p * s + 62.0f / 2835.0f;
  p = p * s - 17.0f / 315.0f;
  p = p * s + 2.0f / 15.0f;
  p = p * s - 1.0f / 3.0f;
  const float small = x + x * s * p;
  const float big = std::copysign(1.0f - 2.0f / (ExpApprox(2.0f * a) + 1.0f), x);
  return a < 0.25f ? small : big;
}

inline float SigmoidApprox(float x) { return 1.0f / (1.0f + ExpApprox(-x)); }

template <Activation A>
inline float Forward(float x, float slope) {
  if constexpr (A == Activation::kRelu) {
    return x < 0.0f ? 0.0f : x;  // NaN passes through
  } else if constexpr (A == Activation::kLeakyRelu) {
    return x > 0.0f ? x : x * slope;
  } else if constexpr (A == Activation::kGelu) {
    float pdf;
    return x * NormalCdf(x, &pdf);
  } else if constexpr (A == Activation::kTanh) {
    return TanhApprox(x);
  } else {
    return SigmoidApprox(x);
  }
}

// act'(.) from the pre-activation x or the output y, whichever the activation needs.
template <Activation A>
inline float Derivative(float x, float y, float slope) {
  if constexpr (A == Activation::kRelu) {
    return y > 0.0f ? 1.0f : 0.0f;
  } else if constexpr (A == Activation::kLeakyRelu) {
    return x > 0.0f ? 1.0f : slope;
  } else if constexpr (A == Activation::kGelu) {
    float pdf;
    const float cdf = NormalCdf(x, &pdf);
    return cdf + x * pdf;
  } else if constexpr (A == Activation::kTanh) {
    return 1.0f - y * y;
  } else {
    return y * (1.0f - y);
  }
}

// The pointer Derivative<A> reads at index i (the other argument is a dummy).
template <Activation A>
constexpr bool kNeedsInput = A == Activation::kLeakyRelu || A == Activation::kGelu;

template <Activation A>
void ForwardLoop(float* out, const float* in, int64_t n, float slope) {
  for (int64_t i = 0; i < n; ++i) out[i] = Forward<A>(in[i], slope);
}

template <Activation A>
void BackwardLoop(float* din, const float* dout, const float* in, const float* out, int64_t n,
                  float slope) {
  const float* src = kNeedsInput<A> ? in : out;
  for (int64_t i = 0; i < n; ++i) {
    const float v = src[i];
    din[i] = dout[i] * Derivative<A>(v, v, slope);
  }
}

// One row at a time so that db stays in L1 and the loop over channels vectorises.
template <Activation A, bool kMask, bool kBias>
void BackwardBiasLoop(float* dz, float* db, const float* dy, const float* mask, const float* in,
                      const float* out, int B, int OC, float slope) {
  const float* src = kNeedsInput<A> ? in : out;
  for (int64_t r = 0; r < B; ++r) {
    const int64_t o = r * OC;
    for (int j = 0; j < OC; ++j) {
      const float v = src[o + j];
      float g = dy[o + j] * Derivative<A>(v, v, slope);
      if constexpr (kMask) g *= mask[o + j];
      dz[o + j] = g;
      if constexpr (kBias) db[j] += g;
    }
  }
}

template <Activation A>
void BackwardBiasDispatch(float* dz, float* db, const float* dy, const float* mask, const float* in,
                          const float* out, int B, int OC, float slope) {
  if (mask != nullptr) {
    if (db != nullptr) {
      BackwardBiasLoop<A, true, true>(dz, db, dy, mask, in, out, B, OC, slope);
    } else {
      BackwardBiasLoop<A, true, false>(dz, db, dy, mask, in, out, B, OC, slope);
    }
  } else if (db != nullptr) {
    BackwardBiasLoop<A, false, true>(dz, db, dy, mask, in, out, B, OC, slope);
  } else {
    BackwardBiasLoop<A, false, false>(dz, db, dy, mask, in, out, B, OC, slope);
  }
}

}  // namespace

void activation_forward(float* out, const float* in, int64_t n, Activation act, float slope) {
  switch (act) {
    case Activation::kRelu:
      return ForwardLoop<Activation::kRelu>(out, in, n, slope);
    case Activation::kLeakyRelu:
      return ForwardLoop<Activation::kLeakyRelu>(out, in, n, slope);
    case Activation::kGelu:
      return ForwardLoop<Activation::kGelu>(out, in, n, slope);
    case Activation::kTanh:
      return ForwardLoop<Activation::kTanh>(out, in, n, slope);
    case Activation::kSigmoid:
      return ForwardLoop<Activation::kSigmoid>(out, in, n, slope);
    case Activation::kCount:
      break;
  }
}

void activation_backward(float* din, const float* dout, const float* in, const float* out,
                         int64_t n, Activation act, float slope) {
  switch (act) {
    case Activation::kRelu:
      return BackwardLoop<Activation::kRelu>(din, dout, in, out, n, slope);
    case Activation::kLeakyRelu:
      return BackwardLoop<Activation::kLeakyRelu>(din, dout, in, out, n, slope);
    case Activation::kGelu:
      return BackwardLoop<Activation::kGelu>(din, dout, in, out, n, slope);
    case Activation::kTanh:
      return BackwardLoop<Activation::kTanh>(din, dout, in, out, n, slope);
    case Activation::kSigmoid:
      return BackwardLoop<Activation::kSigmoid>(din, dout, in, out, n, slope);
    case Activation::kCount:
      break;
  }
}

bool activation_backward_needs_input(Activation act) {
  return act == Activation::kLeakyRelu || act == Activation::kGelu;
}

void activation_backward_bias(float* dz, float* db, const float* dy, const float* mask,
                              const float* in, const float* out, int B, int OC, Activation act,
                              float slope) {
  switch (act) {
    case Activation::kRelu:
      return BackwardBiasDispatch<Activation::kRelu>(dz, db, dy, mask, in, out, B, OC, slope);
    case Activation::kLeakyRelu:
      return BackwardBiasDispatch<Activation::kLeakyRelu>(dz, db, dy, mask, in, out, B, OC, slope);
    case Activation::kGelu:
      return BackwardBiasDispatch<Activation::kGelu>(dz, db, dy, mask, in, out, B, OC, slope);
    case Activation::kTanh:
      return BackwardBiasDispatch<Activation::kTanh>(dz, db, dy, mask, in, out, B, OC, slope);
    case Activation::kSigmoid:
      return BackwardBiasDispatch<Activation::kSigmoid>(dz, db, dy, mask, in, out, B, OC, slope);
    case Activation::kCount:
      break;
  }
}

void dropout_forward(float* out, float* mask, const float* in, int64_t n, float p, Rng& rng) {
  if (p <= 0.0f) {
    for (int64_t i = 0; i < n; ++i) {
      out[i] = in[i];
      mask[i] = 1.0f;
    }
    return;
  }
  const float keep_scale = 1.0f / (1.0f - p);
  for (int64_t i = 0; i < n; ++i) mask[i] = rng.Uniform() >= p ? keep_scale : 0.0f;
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] * mask[i];
}

void dropout_backward(float* din, const float* dout, const float* mask, int64_t n) {
  for (int64_t i = 0; i < n; ++i) din[i] = dout[i] * mask[i];
}

}  // namespace ming
