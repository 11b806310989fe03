// Exact (coalition enumeration) and sampled (antithetic permutations) Shapley values over
// fields, batched through Plan::Run. See shapley.h for the definition.
#include "explain/shapley.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "explain/coalition_memo.h"
#include "util/rng.h"

namespace ming {
namespace {

constexpr int kChunk = 256;  // coalition rows per Plan::Run
// A field with more encodings than this is rare: coalition rows with x's value of such a
// field seldom recur, so they are run without consulting or filling the memo.
constexpr int64_t kRecurring = 64;

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
  // Layer 0 is linear in the input: with float weights, each coalition row's product is the
  // previous row's plus one field's share (int8 layers quantise the input first: not linear).
  const FrozenLayer& L0 = plan.layers().front();
  incremental_ = L0.form != WeightForm::kInt8;
  if (!incremental_) return;
  P0_ = L0.OC;
  w0_ = L0.DenseWeights();
  in_.assign(static_cast<size_t>(kChunk) * static_cast<size_t>(P0_), 0.0f);
  z_.resize(static_cast<size_t>(P0_));
  zb_.resize(static_cast<size_t>(K_) * static_cast<size_t>(P0_));
  for (int k = 0; k < K_; ++k) {
    double* z = zb_.data() + static_cast<size_t>(k) * P0_;
    for (int o = 0; o < P0_; ++o) z[o] = L0.b[static_cast<size_t>(o)];
    const float* b = background_ + static_cast<size_t>(k) * W_;
    for (int c = 0; c < W_; ++c) {
      const float* w = w0_.data() + static_cast<size_t>(c) * P0_;
      for (int o = 0; o < P0_; ++o) z[o] += static_cast<double>(b[c]) * w[o];
    }
  }
}

ShapleyEngine::~ShapleyEngine() = default;

bool ShapleyEngine::UseMemo(const FieldValueIds* ids, int log2_slots) {
  const size_t F = fields_.size();
  if (ids->fields() != static_cast<int>(F)) return false;
  std::vector<uint64_t> parts(static_cast<size_t>(K_) * F), keys(static_cast<size_t>(K_), 0);
  for (int k = 0; k < K_; ++k) {
    for (size_t f = 0; f < F; ++f) {
      auto p = ids->Part(static_cast<int>(f), background_ + static_cast<size_t>(k) * W_);
      if (!p) return false;
      parts[static_cast<size_t>(k) * F + f] = *p;
      keys[static_cast<size_t>(k)] |= *p;
    }
  }
  ids_ = ids;
  bg_parts_ = std::move(parts);
  bg_keys_ = std::move(keys);
  x_parts_.resize(F);
  rare_.resize(F);
  for (size_t f = 0; f < F; ++f) rare_[f] = ids->encodings(static_cast<int>(f)) > kRecurring;
  memo_ = std::make_unique<CoalitionMemo>(log2_slots);
  pending_keys_.reserve(kChunk);
  return true;
}

int64_t ShapleyEngine::memo_hits() const { return memo_ ? memo_->hits : 0; }
int64_t ShapleyEngine::memo_misses() const { return memo_ ? memo_->misses : 0; }

void ShapleyEngine::Begin(const float* x, int k, const std::vector<int>& diff, bool from_x) {
  if (incremental_) {
    const double* zb = zb_.data() + static_cast<size_t>(k) * P0_;
    std::copy(zb, zb + P0_, z_.begin());
    if (from_x) {
      for (size_t j = 0; j < diff.size(); ++j) {
        const double* d = delta_.data() + j * static_cast<size_t>(P0_);
        for (int o = 0; o < P0_; ++o) z_[static_cast<size_t>(o)] += d[o];
      }
    }
  } else {
    std::memcpy(cur_.data(), from_x ? x : background_ + static_cast<size_t>(k) * W_,
                static_cast<size_t>(W_) * sizeof(float));
  }
}

void ShapleyEngine::Switch(const float* x, int k, const std::vector<int>& diff, int j, bool to_x) {
  const int f = diff[static_cast<size_t>(j)];
  if (incremental_) {
    const double* d = delta_.data() + static_cast<size_t>(j) * P0_;
    if (to_x) {
      for (int o = 0; o < P0_; ++o) z_[static_cast<size_t>(o)] += d[o];
    } else {
      for (int o = 0; o < P0_; ++o) z_[static_cast<size_t>(o)] -= d[o];
    }
  } else {
    const FieldColumns& c = fields_[static_cast<size_t>(f)];
    const float* src = to_x ? x : background_ + static_cast<size_t>(k) * W_;
    std::memcpy(cur_.data() + c.offset, src + c.offset, static_cast<size_t>(c.width) * sizeof(float));
  }
}

// delta_[j] = what field diff[j] taken from x instead of background row k adds to layer 0's
// product.
void ShapleyEngine::Deltas(const float* x, int k, const std::vector<int>& diff) {
  const float* b = background_ + static_cast<size_t>(k) * W_;
  delta_.assign(diff.size() * static_cast<size_t>(P0_), 0.0);
  for (size_t j = 0; j < diff.size(); ++j) {
    double* d = delta_.data() + j * static_cast<size_t>(P0_);
    const FieldColumns& c = fields_[static_cast<size_t>(diff[j])];
    for (int col = c.offset; col < c.offset + c.width; ++col) {
      const double dx = static_cast<double>(x[col]) - static_cast<double>(b[col]);
      if (dx == 0) continue;
      const float* w = w0_.data() + static_cast<size_t>(col) * P0_;
      for (int o = 0; o < P0_; ++o) d[o] += dx * w[o];
    }
  }
}

void ShapleyEngine::Append(int64_t slot, uint64_t key) {
  if (key != CoalitionMemo::kNone) {
    if (const float* v = memo_->Find(key)) {
      ++memo_->hits;
      v_[static_cast<size_t>(slot)] = *v;
      return;
    }
  }
  if (keyed_) {
    ++memo_->misses;
    pending_keys_.push_back(key);
  }
  if (incremental_) {
    float* p = in_.data() + pending_.size() * static_cast<size_t>(P0_);
    for (int o = 0; o < P0_; ++o) p[o] = static_cast<float>(z_[static_cast<size_t>(o)]);
  } else {
    std::memcpy(in_.data() + pending_.size() * static_cast<size_t>(W_), cur_.data(),
                static_cast<size_t>(W_) * sizeof(float));
  }
  pending_.push_back(slot);
  if (pending_.size() == static_cast<size_t>(kChunk)) Flush();
}

void ShapleyEngine::Flush() {
  if (pending_.empty()) return;
  const int n = static_cast<int>(pending_.size());
  if (incremental_) {
    plan_.RunFromFirstProduct(in_.data(), n, out_.data(), scratch_);
  } else {
    plan_.Run(in_.data(), n, out_.data(), scratch_);
  }
  for (int r = 0; r < n; ++r) {
    const float v = out_[static_cast<size_t>(r) * O_ + output_];
    v_[static_cast<size_t>(pending_[static_cast<size_t>(r)])] = v;
    if (keyed_ && pending_keys_[static_cast<size_t>(r)] != CoalitionMemo::kNone)
      memo_->Insert(pending_keys_[static_cast<size_t>(r)], v);
  }
  pending_.clear();
  pending_keys_.clear();
}

// All 2^m coalitions of the differing fields; slot base_slot + mask, bit j = diff[j] from x.
void ShapleyEngine::ExactRows(const float* x, int k, const std::vector<int>& diff,
                              int64_t base_slot) {
  const uint32_t n = 1u << diff.size();
  if (keyed_) {  // the walk's keys first, so that their memo slots can be fetched ahead
    walk_keys_.resize(n);
    KeyOfBackground(k);
    walk_keys_[0] = Key();
    for (uint32_t i = 1; i < n; ++i) {
      const int j = __builtin_ctz(i);
      Toggle(k, diff[static_cast<size_t>(j)], ((i ^ (i >> 1)) >> j) & 1u);
      walk_keys_[i] = Key();
    }
  }
  if (incremental_) Deltas(x, k, diff);
  Begin(x, k, diff, false);
  Append(base_slot, keyed_ ? walk_keys_[0] : CoalitionMemo::kNone);
  constexpr uint32_t kAhead = 16;
  for (uint32_t i = 1; i < n; ++i) {
    const uint32_t gray = i ^ (i >> 1);
    const int j = __builtin_ctz(i);  // the one field that changes at step i
    Switch(x, k, diff, j, (gray >> j) & 1u);
    if (keyed_) {
      if (i + kAhead < n && walk_keys_[i + kAhead] != CoalitionMemo::kNone)
        memo_->Prefetch(walk_keys_[i + kAhead]);
      Append(base_slot + gray, walk_keys_[i]);
    } else {
      Append(base_slot + gray, CoalitionMemo::kNone);
    }
  }
}

// Slots: base_slot = f(b), +1 = f(x), then walk w's row after j fields at 2 + w*(m-1) + j-1.
void ShapleyEngine::SampledRows(const float* x, int k, const std::vector<int>& diff,
                                int64_t base_slot, std::vector<int>* order) {
  const int m = static_cast<int>(diff.size()), P = opts_.permutations;
  if (incremental_) Deltas(x, k, diff);
  Begin(x, k, diff, false);
  if (keyed_) KeyOfBackground(k);
  Append(base_slot, Key());
  Begin(x, k, diff, true);
  if (keyed_) KeyOfX();
  Append(base_slot + 1, Key());
  Rng rng = Rng(opts_.seed).Split(static_cast<uint64_t>(k));
  order->resize(static_cast<size_t>(P) * static_cast<size_t>(m));
  for (int p = 0; p < P; ++p) {
    int* perm = order->data() + static_cast<size_t>(p) * m;
    std::iota(perm, perm + m, 0);
    rng.Shuffle(perm, static_cast<size_t>(m));
    for (int dir = 0; dir < 2; ++dir) {
      const int64_t w = 2 * p + dir;
      Begin(x, k, diff, false);
      if (keyed_) KeyOfBackground(k);
      for (int j = 1; j < m; ++j) {
        const int pos = dir == 0 ? perm[j - 1] : perm[m - j];
        Switch(x, k, diff, pos, true);
        if (keyed_) Toggle(k, diff[static_cast<size_t>(pos)], true);
        Append(base_slot + 2 + w * (m - 1) + (j - 1), Key());
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
  keyed_ = ids_ != nullptr;
  if (keyed_) {
    x_key_ = 0;
    x_rare_ = 0;
    for (size_t f = 0; f < F && keyed_; ++f) {
      auto p = ids_->Part(static_cast<int>(f), x);
      keyed_ = p.has_value();
      x_parts_[f] = p.value_or(0);
      x_key_ |= x_parts_[f];
      x_rare_ += rare_[f];
    }
    out_part_ = static_cast<uint64_t>(output) << ids_->extra_shift();
  }
  std::vector<std::vector<int>> orders(static_cast<size_t>(K_));
  for (int k = 0; k < K_; ++k) {
    const auto& d = diffs[static_cast<size_t>(k)];
    if (static_cast<int>(d.size()) <= opts_.max_exact_fields) {
      ExactRows(x, k, d, slots[static_cast<size_t>(k)]);
    } else {
      SampledRows(x, k, d, slots[static_cast<size_t>(k)], &orders[static_cast<size_t>(k)]);
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
