// int8 layers: quantisation worked by hand, calibration, every kernel path bit-identical to
// the reference over odd shapes and batches, the error against the float layer within the
// quantisation bound, and the section format's round trip and rejection of corruption.
#include "compress/int8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "compress/kernels.h"
#include "util/rng.h"

namespace ming {
namespace {

using compress_internal::KernelPath;

std::vector<KernelPath> Paths() {
  std::vector<KernelPath> p;
  for (KernelPath k : {KernelPath::kPortable, KernelPath::kAvx512}) {
    if (compress_internal::Int8Has(k)) p.push_back(k);
  }
  return p;
}

TEST(Int8, BothPathsExist) {
  EXPECT_TRUE(compress_internal::Int8Has(KernelPath::kPortable));
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  EXPECT_TRUE(compress_internal::Int8Has(KernelPath::kAvx512));
#endif
}

TEST(Int8, QuantizeByHand) {
  // W = [[1, 0], [-0.5, 0]]: column 0 has scale 1/127, q = 127 and round(-63.5) = -64 (half
  // to even); column 1 is all zero: scale 1, q 0. Inputs in [-1, 3]: scale 4/255, zero
  // point round(63.75) = 64.
  const float W[] = {1.0f, 0.0f, -0.5f, 0.0f};
  const Int8Weights w = QuantizeLinear(W, 2, 2, {-1.0f, 3.0f});
  EXPECT_EQ(w.scale[0], 1.0f / 127.0f);
  EXPECT_EQ(w.scale[1], 1.0f);
  EXPECT_EQ(w.q, (std::vector<int8_t>{127, 0, -64, 0}));
  EXPECT_EQ(w.in_scale, 4.0f / 255.0f);
  EXPECT_EQ(w.in_zero, 64);
  EXPECT_EQ(w.zero_sum, (std::vector<int32_t>{64 * 63, 0}));
  // x = [1, 0.5]: xq = [64 + round(63.75) = 128, 64 + round(31.875) = 96];
  // acc0 = 64 * 127 + 32 * -64 = 6080; out0 = 6080 * (4/255) / 127 + 1.
  const float x[] = {1.0f, 0.5f}, b[] = {1.0f, -2.0f};
  float ref[2];
  Int8LinearReference(ref, x, w, b, 1);
  EXPECT_EQ(ref[0], std::fma(6080.0f, (4.0f / 255.0f) * (1.0f / 127.0f), 1.0f));
  EXPECT_EQ(ref[1], -2.0f);
}

TEST(Int8, InputRangeIsWidenedToZeroAndNeverDividesByZero) {
  const float W[] = {0.25f};
  Int8Weights w = QuantizeLinear(W, 1, 1, {2.0f, 5.0f});
  EXPECT_EQ(w.in_zero, 0);
  EXPECT_EQ(w.in_scale, static_cast<float>(5.0 / 255.0));
  w = QuantizeLinear(W, 1, 1, {-4.0f, -1.0f});
  EXPECT_EQ(w.in_zero, 255);
  w = QuantizeLinear(W, 1, 1, {0.0f, 0.0f});
  EXPECT_EQ(w.in_scale, 1.0f);
  EXPECT_EQ(w.in_zero, 0);
  w = QuantizeLinear(W, 1, 1, {std::nanf(""), std::numeric_limits<float>::infinity()});
  EXPECT_TRUE(std::isfinite(w.in_scale) && w.in_scale > 0.0f);
  const float x = 0.0f, b = 0.0f;
  float out = 1.0f;
  Int8LinearReference(&out, &x, w, &b, 1);
  EXPECT_EQ(out, 0.0f);  // zero is exact
}

TEST(Int8, CalibrateRangeSkipsNonFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const float X[] = {1.0f, std::nanf(""), -2.5f, inf, 4.0f, -inf};
  const QuantRange r = CalibrateRange(X, 2, 3);
  EXPECT_EQ(r.min, -2.5f);
  EXPECT_EQ(r.max, 4.0f);
  const QuantRange none = CalibrateRange(X + 1, 1, 1);
  EXPECT_EQ(none.min, 0.0f);
  EXPECT_EQ(none.max, 0.0f);
}

struct Layer {
  std::vector<float> W, b;
  Int8Weights w;
};

Layer RandomLayer(int IC, int OC, QuantRange range, Rng& rng) {
  Layer l;
  l.W.resize(static_cast<size_t>(IC) * OC);
  for (float& v : l.W) v = static_cast<float>(rng.Normal()) * 0.3f;
  for (int i = 0; i < IC; ++i)
    l.W[static_cast<size_t>(i) * OC + (OC > 2 ? 2 : 0)] = 0.0f;  // a zero column
  l.b.resize(static_cast<size_t>(OC));
  for (float& v : l.b) v = static_cast<float>(rng.Normal());
  l.w = QuantizeLinear(l.W.data(), IC, OC, range);
  return l;
}

// X[B, IC] mostly inside [lo, hi], with exact zeros, out-of-range values, NaN and infinities.
std::vector<float> Inputs(int B, int IC, float lo, float hi, bool specials, Rng& rng) {
  std::vector<float> X(static_cast<size_t>(B) * IC);
  for (float& x : X) {
    const uint64_t k = rng.UniformInt(20);
    x = k < 5 ? 0.0f : lo + (hi - lo) * rng.Uniform();
    if (!specials) continue;
    if (k == 5) x = hi + 3.0f;
    if (k == 6) x = lo - 3.0f;
    if (k == 7) x = std::nanf("");
    if (k == 8)
      x = rng.Uniform() < 0.5f ? std::numeric_limits<float>::infinity()
                               : -std::numeric_limits<float>::infinity();
  }
  return X;
}

TEST(Int8, EveryPathIsBitIdenticalToTheReference) {
  const int shapes[][2] = {{1, 1},  {3, 5},     {4, 16},  {5, 17},   {63, 31}, {64, 256},
                           {65, 1}, {256, 256}, {256, 1}, {130, 47}, {7, 100}, {300, 33}};
  Rng rng(21);
  for (KernelPath path : Paths()) {
    for (const auto& s : shapes) {
      for (int B : {1, 2, 3, 5, 17, 256}) {
        if (static_cast<int64_t>(s[0]) * s[1] * B > 4'000'000) continue;  // keep ASan fast
        const QuantRange range{-1.5f + rng.Uniform(), 2.0f * rng.Uniform()};
        const Layer l = RandomLayer(s[0], s[1], range, rng);
        const std::vector<float> X = Inputs(B, s[0], range.min, range.max, true, rng);
        std::vector<float> want(static_cast<size_t>(B) * s[1]), got(want.size(), -1.0f);
        Int8LinearReference(want.data(), X.data(), l.w, l.b.data(), B);
        std::vector<unsigned char> scratch(Int8ScratchBytes(B, s[0], s[1]));
        compress_internal::Int8LinearWith(path, got.data(), X.data(), l.w, l.b.data(), B,
                                          scratch.data());
        for (size_t k = 0; k < want.size(); ++k) {
          ASSERT_EQ(got[k], want[k]) << "path " << static_cast<int>(path) << " IC=" << s[0]
                                     << " OC=" << s[1] << " B=" << B << " at " << k;
        }
      }
    }
  }
}

TEST(Int8, PublicCallEqualsTheReference) {
  Rng rng(22);
  const Layer l = RandomLayer(37, 29, {0.0f, 3.0f}, rng);  // ReLU-like inputs: zero point 0
  EXPECT_EQ(l.w.in_zero, 0);
  const int B = 19;
  const std::vector<float> X = Inputs(B, 37, 0.0f, 3.0f, false, rng);
  std::vector<float> want(static_cast<size_t>(B) * 29), got(want.size());
  Int8LinearReference(want.data(), X.data(), l.w, l.b.data(), B);
  std::vector<unsigned char> scratch(Int8ScratchBytes(B, 37, 29));
  Int8Linear(got.data(), X.data(), l.w, l.b.data(), B, scratch.data());
  EXPECT_EQ(got, want);
}

// |out - float out| <= sum_i |x_i| scale[o] / 2 (weight rounding) + sum_i |w^_io| in_scale
// (input rounding, plus up to half a step where the rounded zero point shifts the range's
// ends) + float rounding, for inputs inside the calibrated range.
TEST(Int8, ApproximatesTheFloatLayerWithinTheQuantisationBound) {
  Rng rng(23);
  for (auto [IC, OC] : {std::pair{64, 256}, std::pair{256, 256}, std::pair{13, 7}}) {
    const QuantRange range{-2.0f, 3.0f};
    const Layer l = RandomLayer(IC, OC, range, rng);
    const int B = 20;
    const std::vector<float> X = Inputs(B, IC, range.min, range.max, false, rng);
    std::vector<float> got(static_cast<size_t>(B) * OC);
    std::vector<unsigned char> scratch(Int8ScratchBytes(B, IC, OC));
    Int8Linear(got.data(), X.data(), l.w, l.b.data(), B, scratch.data());
    double worst = 0.0;
    for (int r = 0; r < B; ++r) {
      for (int o = 0; o < OC; ++o) {
        double ref = l.b[static_cast<size_t>(o)], bound = 0.0, mag = std::fabs(ref);
        for (int i = 0; i < IC; ++i) {
          const double x = X[static_cast<size_t>(r) * IC + i];
          const size_t k = static_cast<size_t>(i) * OC + o;
          ref += x * l.W[k];
          mag += std::fabs(x * l.W[k]);
          bound += std::fabs(x) * l.w.scale[static_cast<size_t>(o)] / 2 +
                   std::fabs(l.w.q[k] * double{l.w.scale[static_cast<size_t>(o)]}) * l.w.in_scale;
        }
        const double err = std::fabs(got[static_cast<size_t>(r) * OC + o] - ref);
        ASSERT_LE(err, bound + 1e-5 * mag) << "IC=" << IC << " OC=" << OC;
        worst = std::max(worst, err / (bound + 1e-12));
      }
    }
    EXPECT_GT(worst, 0.0);  // the layer is quantised, not passed through
  }
}

// --- the section format ---

TEST(Int8Format, RoundTrip) {
  Rng rng(24);
  const Layer l = RandomLayer(45, 21, {-1.0f, 2.0f}, rng);
  const std::string bytes = EncodeInt8(l.w);
  EXPECT_EQ(bytes.size(), 16 + 4 * 21 + 45 * 21u);
  auto back = DecodeInt8(bytes, 45, 21, "m.ming: layer 1");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->q, l.w.q);
  EXPECT_EQ(back->scale, l.w.scale);
  EXPECT_EQ(back->in_scale, l.w.in_scale);
  EXPECT_EQ(back->in_zero, l.w.in_zero);
  EXPECT_EQ(back->packed, l.w.packed);
  EXPECT_EQ(back->zero_sum, l.w.zero_sum);
  EXPECT_EQ(back->mult, l.w.mult);
  EXPECT_EQ(EncodeInt8(*back), bytes);
}

Int8Weights SmallInt8() {
  const float W[] = {1.0f, -2.0f, 0.5f, 0.25f, 0.0f, 3.0f};  // IC 3, OC 2
  return QuantizeLinear(W, 3, 2, {-1.0f, 1.0f});
}

void ExpectRejected(const std::string& bytes, int IC, int OC, const std::string& what) {
  auto r = DecodeInt8(bytes, IC, OC, "model.ming: layer 3");
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find("model.ming: layer 3"), std::string::npos)
      << r.status().message();
}

std::string With(std::string bytes, size_t at, std::initializer_list<unsigned char> v) {
  for (unsigned char c : v) bytes[at++] = static_cast<char>(c);
  return bytes;
}

TEST(Int8Format, RejectsTruncationAtEveryByteAndExtraBytes) {
  const std::string bytes = EncodeInt8(SmallInt8());
  ASSERT_EQ(bytes.size(), 16 + 8 + 6u);
  ASSERT_TRUE(DecodeInt8(bytes, 3, 2, "x").ok());
  for (size_t n = 0; n < bytes.size(); ++n)
    ExpectRejected(bytes.substr(0, n), 3, 2, "cut " + std::to_string(n));
  ExpectRejected(bytes + '\0', 3, 2, "extra byte");
}

TEST(Int8Format, RejectsEachKindOfCorruption) {
  // Offsets: IC 0, OC 4, in_scale 8, in_zero 12, scale[2] 16, q[6] 24.
  const std::string ok = EncodeInt8(SmallInt8());
  ExpectRejected(ok, 4, 2, "wrong IC");
  ExpectRejected(ok, 3, 3, "wrong OC");
  ExpectRejected(With(ok, 8, {0, 0, 0xc0, 0x7f}), 3, 2, "in_scale NaN");
  ExpectRejected(With(ok, 8, {0, 0, 0, 0}), 3, 2, "in_scale 0");
  ExpectRejected(With(ok, 8, {0, 0, 0x80, 0xbf}), 3, 2, "in_scale -1");
  ExpectRejected(With(ok, 8, {0, 0, 0x80, 0x7f}), 3, 2, "in_scale inf");
  ExpectRejected(With(ok, 12, {0, 1, 0, 0}), 3, 2, "in_zero 256");
  ExpectRejected(With(ok, 12, {0xff, 0xff, 0xff, 0xff}), 3, 2, "in_zero -1");
  ExpectRejected(With(ok, 16, {0, 0, 0xc0, 0x7f}), 3, 2, "scale NaN");
  ExpectRejected(With(ok, 20, {0, 0, 0, 0}), 3, 2, "scale 0");
  ExpectRejected(With(ok, 20, {0, 0, 0x80, 0xbf}), 3, 2, "scale -1");
  ExpectRejected(With(ok, 16, {0, 0, 0x80, 0x7f}), 3, 2, "scale inf");
  ExpectRejected(With(ok, 27, {0x80}), 3, 2, "q -128");
  auto r = DecodeInt8(With(ok, 20, {0, 0, 0, 0}), 3, 2, "model.ming: layer 3");
  EXPECT_NE(r.status().message().find("output 1"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace ming
