// Exact (coalition enumeration) and sampled (antithetic permutations) Shapley values over
// fields, batched through Plan::Run. See shapley.h for the definition.
#include "explain/shapley.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "util/rng.h"

namespace ming {
namespace {

constexpr int kChunk = 256;  // coalition rows per Plan::Run

}  // namespace

std::vector<FieldColumns> FieldColumnsOf(const Preprocessor& pre) {
  std::vector<FieldColumns> f;
  for (const FieldEncoding& e : pre.fields()) f.push_back({e.offset, e.width});
  return f;
}

ShapleyEngine::ShapleyEngine(const Plan& plan, std::vector<FieldColumns> fields,
                             const float* background, int K, const ShapleyOptions& opts)
    : plan_(plan),
      fields_(std::move(fields)),
      background_(background),
      K_(K),
      W_(plan.inputs()),
      O_(plan.outputs()),
      opts_(opts),
      scratch_(plan, kChunk),
      in_(static_cast<size_t>(kChunk) * static_cast<size_t>(plan.inputs())),
      out_(static_cast<size_t>(kChunk) * static_cast<size_t>(plan.outputs())),
      cur_(static_cast<size_t>(plan.inputs())) {
  pending_.reserve(kChunk);
}

void ShapleyEngine::SetField(float* row, const float* src, int f) const {
  const FieldColumns& c = fields_[static_cast<size_t>(f)];
  std::memcpy(row + c.offset, src + c.offset, static_cast<size_t>(c.width) * sizeof(float));
}

void ShapleyEngine::Append(const float* row, int64_t slot) {
  std::memcpy(in_.data() + pending_.size() * static_cast<size_t>(W_), row,
              static_cast<size_t>(W_) * sizeof(float));
  pending_.push_back(slot);
  if (pending_.size() == static_cast<size_t>(kChunk)) Flush();
}

void ShapleyEngine::Flush() {
  if (pending_.empty()) return;
  const int n = static_cast<int>(pending_.size());
  plan_.Run(in_.data(), n, out_.data(), scratch_);
  for (int r = 0; r < n; ++r) {
    v_[static_cast<size_t>(pending_[static_cast<size_t>(r)])] =
        out_[static_cast<size_t>(r) * O_ + output_];
  }
  pending_.clear();
}

// All 2^m coalitions of the differing fields; slot base_slot + mask, bit j = diff[j] from x.
void ShapleyEngine::ExactRows(const float* x, const float* b, const std::vector<int>& diff,
                              int64_t base_slot) {
  std::memcpy(cur_.data(), b, static_cast<size_t>(W_) * sizeof(float));
  Append(cur_.data(), base_slot);
  const uint32_t n = 1u << diff.size();
  for (uint32_t i = 1; i < n; ++i) {
    const uint32_t gray = i ^ (i >> 1);
    const int j = __builtin_ctz(i);  // the one field that changes at step i
    SetField(cur_.data(), (gray >> j) & 1u ? x : b, diff[static_cast<size_t>(j)]);
    Append(cur_.data(), base_slot + gray);
  }
}

// Slots: base_slot = f(b), +1 = f(x), then walk w's row after j fields at 2 + w*(m-1) + j-1.
void ShapleyEngine::SampledRows(const float* x, const float* b, const std::vector<int>& diff,
                                int64_t base_slot, uint64_t stream, std::vector<int>* order) {
  const int m = static_cast<int>(diff.size()), P = opts_.permutations;
  Append(b, base_slot);
  Append(x, base_slot + 1);
  Rng rng = Rng(opts_.seed).Split(stream);
  order->resize(static_cast<size_t>(P) * static_cast<size_t>(m));
  for (int p = 0; p < P; ++p) {
    int* perm = order->data() + static_cast<size_t>(p) * m;
    std::iota(perm, perm + m, 0);
    rng.Shuffle(perm, static_cast<size_t>(m));
    for (int dir = 0; dir < 2; ++dir) {
      const int64_t w = 2 * p + dir;
      std::memcpy(cur_.data(), b, static_cast<size_t>(W_) * sizeof(float));
      for (int j = 1; j < m; ++j) {
        const int pos = dir == 0 ? perm[j - 1] : perm[m - j];
        SetField(cur_.data(), x, diff[static_cast<size_t>(pos)]);
        Append(cur_.data(), base_slot + 2 + w * (m - 1) + (j - 1));
      }
    }
  }
}

void ShapleyEngine::ExactValues(const std::vector<int>& diff, int64_t base_slot, double weight,
                                ShapleyValues* out) const {
  const int m = static_cast<int>(diff.size());
  const double* v = v_.data() + base_slot;
  const uint32_t n = 1u << m;
  out->base += weight * v[0];
  out->output += weight * v[n - 1];
  if (m == 0) return;
  // w[s] = s! (m-1-s)! / m! = 1 / (m * C(m-1, s)).
  double w[32];
  double c = 1;  // C(m-1, s)
  for (int s = 0; s < m; ++s) {
    w[s] = 1.0 / (m * c);
    c = c * (m - 1 - s) / (s + 1);
  }
  for (int j = 0; j < m; ++j) {
    const uint32_t bit = 1u << j;
    double phi = 0;
    for (uint32_t S = 0; S < n; ++S) {
      if (S & bit) continue;
      phi += w[__builtin_popcount(S)] * (v[S | bit] - v[S]);
    }
    out->phi[static_cast<size_t>(diff[static_cast<size_t>(j)])] += weight * phi;
  }
}

void ShapleyEngine::SampledValues(const std::vector<int>& diff, const std::vector<int>& order,
                                  int64_t base_slot, double weight, ShapleyValues* out) const {
  const int m = static_cast<int>(diff.size()), P = opts_.permutations;
  const double* v = v_.data() + base_slot;
  out->base += weight * v[0];
  out->output += weight * v[1];
  const double share = weight / (2.0 * P);
  for (int p = 0; p < P; ++p) {
    const int* perm = order.data() + static_cast<size_t>(p) * m;
    for (int dir = 0; dir < 2; ++dir) {
      const int64_t w = 2 * p + dir;
      double prev = v[0];
      for (int j = 1; j <= m; ++j) {
        const double val = j == m ? v[1] : v[2 + w * (m - 1) + (j - 1)];
        const int pos = dir == 0 ? perm[j - 1] : perm[m - j];
        out->phi[static_cast<size_t>(diff[static_cast<size_t>(pos)])] += share * (val - prev);
        prev = val;
      }
    }
  }
}

void ShapleyEngine::Explain(const float* x, int output, ShapleyValues* out) {
  const size_t F = fields_.size();
  output_ = output;
  *out = ShapleyValues{};
  out->phi.assign(F, 0.0);
  std::vector<std::vector<int>> diffs(static_cast<size_t>(K_));
  std::vector<int64_t> slots(static_cast<size_t>(K_) + 1, 0);
  for (int k = 0; k < K_; ++k) {
    const float* b = background_ + static_cast<size_t>(k) * W_;
    auto& d = diffs[static_cast<size_t>(k)];
    for (size_t f = 0; f < F; ++f) {
      const FieldColumns& c = fields_[f];
      if (std::memcmp(x + c.offset, b + c.offset, static_cast<size_t>(c.width) * sizeof(float)) !=
          0) {
        d.push_back(static_cast<int>(f));
      }
    }
    const int m = static_cast<int>(d.size());
    out->max_differing = std::max(out->max_differing, m);
    const int64_t n = m <= opts_.max_exact_fields ? (int64_t{1} << m)
                                                  : 2 + int64_t{2} * opts_.permutations * (m - 1);
    slots[static_cast<size_t>(k) + 1] = slots[static_cast<size_t>(k)] + n;
  }
  v_.assign(static_cast<size_t>(slots.back()), 0.0);
  std::vector<std::vector<int>> orders(static_cast<size_t>(K_));
  for (int k = 0; k < K_; ++k) {
    const float* b = background_ + static_cast<size_t>(k) * W_;
    const auto& d = diffs[static_cast<size_t>(k)];
    if (static_cast<int>(d.size()) <= opts_.max_exact_fields) {
      ExactRows(x, b, d, slots[static_cast<size_t>(k)]);
    } else {
      SampledRows(x, b, d, slots[static_cast<size_t>(k)], static_cast<uint64_t>(k),
                  &orders[static_cast<size_t>(k)]);
    }
  }
  Flush();
  out->evaluations = slots.back();
  const double weight = 1.0 / K_;
  for (int k = 0; k < K_; ++k) {
    const auto& d = diffs[static_cast<size_t>(k)];
    if (static_cast<int>(d.size()) <= opts_.max_exact_fields) {
      ExactValues(d, slots[static_cast<size_t>(k)], weight, out);
    } else {
      out->exact = false;
      SampledValues(d, orders[static_cast<size_t>(k)], slots[static_cast<size_t>(k)], weight, out);
    }
  }
}

}  // namespace ming
