// Sparse linear layers: every kernel path against a naive dense reference over many shapes,
// densities and batch sizes; construction and dense round trips; the section format's round
// trip, size, and rejection of every kind of corruption.
#include "compress/sparse.h"

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

// W[IC, OC] with each entry nonzero with probability `density`; every 7th output is empty.
std::vector<float> RandomWeights(int IC, int OC, double density, Rng& rng) {
  std::vector<float> W(static_cast<size_t>(IC) * OC, 0.0f);
  for (int i = 0; i < IC; ++i) {
    for (int o = 0; o < OC; ++o) {
      if (o % 7 == 3 || rng.UniformDouble() >= density) continue;
      W[static_cast<size_t>(i) * OC + o] = static_cast<float>(rng.Normal());
    }
  }
  return W;
}

// X[B, IC]: a third exact zeros, the rest normal.
std::vector<float> RandomInputs(int B, int IC, Rng& rng) {
  std::vector<float> X(static_cast<size_t>(B) * IC);
  for (float& x : X) x = rng.UniformInt(3) == 0 ? 0.0f : static_cast<float>(rng.Normal());
  return X;
}

void ExpectMatchesReference(KernelPath path, int IC, int OC, double density, int B, Rng& rng) {
  const std::vector<float> W = RandomWeights(IC, OC, density, rng);
  const std::vector<float> X = RandomInputs(B, IC, rng);
  std::vector<float> b(static_cast<size_t>(OC));
  for (float& v : b) v = static_cast<float>(rng.Normal());
  const SparseWeights w = MakeSparse(W.data(), IC, OC);
  std::vector<float> scratch(SparseScratchFloats(B, IC, OC));
  std::vector<float> out(static_cast<size_t>(B) * OC, std::nanf(""));
  compress_internal::SparseLinearWith(path, out.data(), X.data(), w, b.data(), B, scratch.data());
  for (int r = 0; r < B; ++r) {
    for (int o = 0; o < OC; ++o) {
      double ref = b[static_cast<size_t>(o)], mag = std::fabs(ref);
      for (int i = 0; i < IC; ++i) {
        const double p =
            double{X[static_cast<size_t>(r) * IC + i]} * W[static_cast<size_t>(i) * OC + o];
        ref += p;
        mag += std::fabs(p);
      }
      ASSERT_NEAR(out[static_cast<size_t>(r) * OC + o], ref, 1e-5 * mag + 1e-5 * std::fabs(ref))
          << "path " << static_cast<int>(path) << " IC=" << IC << " OC=" << OC
          << " density=" << density << " B=" << B << " row " << r << " output " << o;
    }
  }
}

std::vector<KernelPath> Paths() {
  std::vector<KernelPath> p;
  for (KernelPath k : {KernelPath::kPortable, KernelPath::kAvx512}) {
    if (compress_internal::SparseHas(k)) p.push_back(k);
  }
  return p;
}

TEST(SparseLinear, BothPathsExist) {
  EXPECT_TRUE(compress_internal::SparseHas(KernelPath::kPortable));
#ifdef __AVX512F__
  EXPECT_TRUE(compress_internal::SparseHas(KernelPath::kAvx512));
#endif
}

TEST(SparseLinear, MatchesDenseReferenceOverShapesDensitiesAndBatches) {
  const int shapes[][2] = {{1, 1},   {1, 300}, {300, 1}, {17, 33}, {64, 256}, {256, 256},
                           {256, 1}, {5, 16},  {16, 15}, {3, 17},  {31, 47},  {33, 2}};
  Rng rng(11);
  for (KernelPath path : Paths()) {
    for (const auto& s : shapes) {
      for (double density : {0.0, 0.05, 0.3, 1.0}) {
        for (int B : {1, 2, 3, 17, 256}) {
          if (static_cast<int64_t>(s[0]) * s[1] * B > 4'000'000) continue;  // keep ASan fast
          ExpectMatchesReference(path, s[0], s[1], density, B, rng);
        }
      }
    }
  }
}

TEST(SparseLinear, RandomOddShapes) {
  Rng rng(12);
  for (KernelPath path : Paths()) {
    for (int t = 0; t < 40; ++t) {
      const int IC = 1 + static_cast<int>(rng.UniformInt(300));
      const int OC = 1 + static_cast<int>(rng.UniformInt(300));
      const int B = 1 + static_cast<int>(rng.UniformInt(70));
      ExpectMatchesReference(path, IC, OC, rng.UniformDouble(), B, rng);
    }
  }
}

TEST(SparseLinear, PublicCallEqualsAPath) {
  Rng rng(13);
  const int IC = 40, OC = 24, B = 37;
  const std::vector<float> W = RandomWeights(IC, OC, 0.2, rng);
  const std::vector<float> X = RandomInputs(B, IC, rng);
  const std::vector<float> b(OC, 0.5f);
  const SparseWeights w = MakeSparse(W.data(), IC, OC);
  std::vector<float> scratch(SparseScratchFloats(B, IC, OC));
  std::vector<float> a(static_cast<size_t>(B) * OC), c(a.size());
  SparseLinear(a.data(), X.data(), w, b.data(), B, scratch.data());
  const KernelPath best = compress_internal::SparseHas(KernelPath::kAvx512) ? KernelPath::kAvx512
                                                                            : KernelPath::kPortable;
  compress_internal::SparseLinearWith(best, c.data(), X.data(), w, b.data(), B, scratch.data());
  EXPECT_EQ(a, c);
}

TEST(SparseLinear, HandWorkedExample) {
  // W = [[1, 0], [0, 0], [2, -3]] (IC 3, OC 2); x = [1, 5, 2]; b = [0.5, 1].
  const float W[] = {1, 0, 0, 0, 2, -3};
  const SparseWeights w = MakeSparse(W, 3, 2);
  EXPECT_EQ(w.ptr, (std::vector<uint32_t>{0, 2, 3}));
  EXPECT_EQ(w.idx, (std::vector<uint16_t>{0, 2, 2}));
  EXPECT_EQ(w.val, (std::vector<float>{1, 2, -3}));
  const float x[] = {1, 5, 2}, b[] = {0.5f, 1.0f};
  for (KernelPath path : Paths()) {
    float out[2];
    float scratch[3 + 2 + 16];
    compress_internal::SparseLinearWith(path, out, x, w, b, 1, scratch);
    EXPECT_EQ(out[0], 5.5f);
    EXPECT_EQ(out[1], -5.0f);
  }
}

TEST(SparseTranspose, MatchesScalarForOddSizes) {
  Rng rng(14);
  for (KernelPath path : Paths()) {
    for (int rows : {1, 5, 16, 17, 33}) {
      for (int cols : {1, 15, 16, 31, 40}) {
        std::vector<float> src(static_cast<size_t>(rows) * (cols + 3));
        for (float& v : src) v = rng.Uniform();
        std::vector<float> dst(static_cast<size_t>(cols) * (rows + 2), -1.0f);
        compress_internal::Transpose(path, dst.data(), rows + 2, src.data(), cols + 3, rows, cols);
        for (int r = 0; r < rows; ++r) {
          for (int c = 0; c < cols; ++c) {
            ASSERT_EQ(dst[static_cast<size_t>(c) * (rows + 2) + r],
                      src[static_cast<size_t>(r) * (cols + 3) + c]);
          }
        }
        for (int c = 0; c < cols; ++c) {  // the padding columns are untouched
          ASSERT_EQ(dst[static_cast<size_t>(c) * (rows + 2) + rows], -1.0f);
        }
      }
    }
  }
}

TEST(SparseWeights, DenseRoundTripIsExact) {
  Rng rng(15);
  for (double density : {0.0, 0.1, 0.5, 1.0}) {
    const int IC = 37, OC = 29;
    const std::vector<float> W = RandomWeights(IC, OC, density, rng);
    const SparseWeights w = MakeSparse(W.data(), IC, OC);
    int64_t nonzero = 0;
    for (float v : W) nonzero += v != 0.0f;
    EXPECT_EQ(w.nnz(), nonzero);
    std::vector<float> back(W.size(), 7.0f);
    SparseToDense(w, back.data());
    EXPECT_EQ(back, W);
  }
}

TEST(SparseWeights, InputMajorLayoutHoldsTheSameEntries) {
  Rng rng(16);
  const int IC = 23, OC = 19;
  const std::vector<float> W = RandomWeights(IC, OC, 0.4, rng);
  const SparseWeights w = MakeSparse(W.data(), IC, OC);
  ASSERT_EQ(w.in_ptr.size(), static_cast<size_t>(IC) + 1);
  std::vector<float> back(W.size(), 0.0f);
  for (int i = 0; i < IC; ++i) {
    const uint32_t begin = w.in_ptr[static_cast<size_t>(i)], end = w.in_ptr[i + size_t{1}];
    EXPECT_EQ((end - begin) % 4, 0u);
    for (uint32_t k = begin; k < end; ++k) {
      if (w.in_out[k] >= OC) {  // padding
        EXPECT_LT(w.in_out[k], OC + 16);
        EXPECT_EQ(w.in_val[k], 0.0f);
        continue;
      }
      if (k > begin) {
        EXPECT_LT(w.in_out[k - 1], w.in_out[k]);
      }
      back[static_cast<size_t>(i) * OC + w.in_out[k]] = w.in_val[k];
    }
  }
  EXPECT_EQ(back, W);
}

// --- the section format ---

SparseWeights Small() {
  // IC 4, OC 3: output 0 has inputs {1, 3}, output 1 none, output 2 has {0}.
  const float W[] = {0, 0, 4, 1, 0, 0, 0, 0, 0, 2, 0, 0};
  return MakeSparse(W, 4, 3);
}

TEST(SparseFormat, RoundTrip) {
  Rng rng(17);
  const std::vector<float> W = RandomWeights(50, 70, 0.3, rng);
  const SparseWeights w = MakeSparse(W.data(), 50, 70);
  const std::string bytes = EncodeSparse(w);
  EXPECT_EQ(bytes.size(), 12 + 4 * 71 + 6 * static_cast<size_t>(w.nnz()));
  auto back = DecodeSparse(bytes, 50, 70, "m.ming: layer 1");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ptr, w.ptr);
  EXPECT_EQ(back->idx, w.idx);
  EXPECT_EQ(back->val, w.val);
  EXPECT_EQ(back->in_ptr, w.in_ptr);
  EXPECT_EQ(back->in_out, w.in_out);
  EXPECT_EQ(back->in_val, w.in_val);
  EXPECT_EQ(EncodeSparse(*back), bytes);
}

TEST(SparseFormat, HandEncodedBytes) {
  const std::string bytes = EncodeSparse(Small());
  const unsigned char want[] = {4, 0, 0,    0,    3, 0, 0, 0,    3, 0, 0,    0,  // IC OC nnz
                                0, 0, 0,    0,    2, 0, 0, 0,    2, 0, 0,    0,
                                3, 0, 0,    0,                                       // ptr
                                1, 0, 3,    0,    0, 0,                              // idx
                                0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x80, 0x40};  // 1 2 4
  ASSERT_EQ(bytes.size(), sizeof want);
  for (size_t i = 0; i < sizeof want; ++i) {
    EXPECT_EQ(static_cast<unsigned char>(bytes[i]), want[i]) << i;
  }
}

TEST(SparseFormat, NinetyPercentSparseMediumModelIsFiveTimesSmaller) {
  Rng rng(18);
  const int shapes[][2] = {{64, 256}, {256, 256}, {256, 1}};
  size_t dense = 0, sparse = 0;
  for (const auto& s : shapes) {
    std::vector<float> W(static_cast<size_t>(s[0]) * s[1], 0.0f);
    for (float& v : W) v = rng.UniformDouble() < 0.1 ? static_cast<float>(rng.Normal()) : 0.0f;
    dense += 4 * (W.size() + s[1]);  // weights and biases as float32
    sparse += EncodeSparse(MakeSparse(W.data(), s[0], s[1])).size() + 4 * s[1];
  }
  EXPECT_GE(static_cast<double>(dense) / static_cast<double>(sparse), 5.0)
      << dense << " vs " << sparse;
}

void ExpectRejected(const std::string& bytes, int IC, int OC, const std::string& what) {
  auto r = DecodeSparse(bytes, IC, OC, "model.ming: layer 2");
  ASSERT_FALSE(r.ok()) << what;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(r.status().message().find("model.ming: layer 2"), std::string::npos)
      << r.status().message();
}

TEST(SparseFormat, RejectsTruncationAtEveryByteAndExtraBytes) {
  const std::string bytes = EncodeSparse(Small());
  ASSERT_TRUE(DecodeSparse(bytes, 4, 3, "x").ok());
  for (size_t n = 0; n < bytes.size(); ++n)
    ExpectRejected(bytes.substr(0, n), 4, 3, "cut " + std::to_string(n));
  ExpectRejected(bytes + '\0', 4, 3, "extra byte");
}

// Offsets in Small()'s encoding: ptr at 12, idx at 28, val at 34.
std::string With(std::string bytes, size_t at, std::initializer_list<unsigned char> v) {
  for (unsigned char c : v) bytes[at++] = static_cast<char>(c);
  return bytes;
}

TEST(SparseFormat, RejectsEachKindOfCorruption) {
  const std::string ok = EncodeSparse(Small());
  ExpectRejected(ok, 5, 3, "wrong IC");
  ExpectRejected(ok, 4, 2, "wrong OC");
  ExpectRejected(ok, 70000, 3, "IC too large");
  ExpectRejected(ok, 4, kSparseMaxOutputs + 1, "OC too large");
  ExpectRejected(With(ok, 28, {3, 0, 1, 0}), 4, 3, "unsorted idx");
  ExpectRejected(With(ok, 28, {3, 0, 3, 0}), 4, 3, "duplicate idx");
  ExpectRejected(With(ok, 32, {4, 0}), 4, 3, "idx == IC");
  ExpectRejected(With(ok, 12, {1, 0, 0, 0}), 4, 3, "ptr[0] != 0");
  ExpectRejected(With(ok, 16, {3, 0, 0, 0}), 4, 3, "ptr not monotone");
  ExpectRejected(With(ok, 20, {1, 0, 0, 0}), 4, 3, "ptr not monotone (decreasing)");
  ExpectRejected(With(ok, 24, {2, 0, 0, 0}), 4, 3, "ptr[OC] != nnz");
  ExpectRejected(With(ok, 34, {0, 0, 0xc0, 0x7f}), 4, 3, "NaN value");
  ExpectRejected(With(ok, 38, {0, 0, 0x80, 0x7f}), 4, 3, "infinite value");
  ExpectRejected(With(ok, 8, {0xff, 0xff, 0xff, 0xff}), 4, 3, "huge nnz");
  auto r = DecodeSparse(With(ok, 28, {3, 0, 1, 0}), 4, 3, "model.ming: layer 2");
  EXPECT_NE(r.status().message().find("output 0"), std::string::npos) << r.status().message();
}

TEST(SparseFormat, EmptyLayers) {
  for (auto [IC, OC] : {std::pair{0, 0}, std::pair{0, 5}, std::pair{5, 0}, std::pair{3, 4}}) {
    std::vector<float> W(static_cast<size_t>(IC) * OC, 0.0f);
    const SparseWeights w = MakeSparse(W.data(), IC, OC);
    auto back = DecodeSparse(EncodeSparse(w), IC, OC, "x");
    ASSERT_TRUE(back.ok()) << back.status().message();
    EXPECT_EQ(back->nnz(), 0);
  }
}

TEST(PreferSparse, FollowsTheMeasuredCrossovers) {
  EXPECT_TRUE(PreferSparse(256, 256, 0));
  EXPECT_TRUE(PreferSparse(256, 256, 256 * 256 / 10));
  EXPECT_TRUE(PreferSparse(64, 256, 64 * 256 * 3 / 10));
  EXPECT_FALSE(PreferSparse(256, 256, 256 * 256));
  EXPECT_FALSE(PreferSparse(64, 256, 64 * 256 * 6 / 10));
  EXPECT_TRUE(PreferSparse(256, 1, 256 / 20));
  EXPECT_FALSE(PreferSparse(256, 1, 256 / 5));
  EXPECT_TRUE(PreferSparseSingleRow(256, 256, 256 * 256 / 20));
  EXPECT_FALSE(PreferSparseSingleRow(256, 256, 256 * 256 / 10));
  EXPECT_FALSE(PreferSparseSingleRow(16, 64, 16 * 64 / 20));  // small layers: dense wins
  EXPECT_TRUE(PreferSparseSingleRow(256, 1, 256 / 5));
  EXPECT_TRUE(PreferSparse(0, 0, 0));
}

}  // namespace
}  // namespace ming
