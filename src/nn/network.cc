// Network layout over one flat parameter array, initialisation, and the training and
// inference passes that chain the layer functions: per hidden block
// linear -> norm? -> activation -> dropout?, then the output linear layer.
#include "nn/network.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "nn/layers.h"
#include "util/check.h"

namespace ming {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

template <class E>
bool InRange(E v) {
  const int i = static_cast<int>(v);
  return i >= 0 && i < static_cast<int>(E::kCount);
}

}  // namespace

Status ValidateNetConfig(const NetConfig& cfg) {
  auto bad = [](const std::string& msg) { return Status::InvalidInput("network: " + msg); };
  if (cfg.inputs <= 0) return bad("needs >= 1 input, config has " + std::to_string(cfg.inputs));
  for (size_t i = 0; i < cfg.hidden.size(); ++i) {
    if (cfg.hidden[i] <= 0) {
      return bad("hidden layer " + std::to_string(i + 1) + " has width " +
                 std::to_string(cfg.hidden[i]));
    }
  }
  if (cfg.outputs <= 0) {
    return bad("needs >= 1 output, config has " + std::to_string(cfg.outputs));
  }
  if (!InRange(cfg.activation) || !InRange(cfg.norm) || !InRange(cfg.loss)) {
    return bad("unknown activation, norm or loss");
  }
  if (!(cfg.dropout >= 0.0f && cfg.dropout < 1.0f)) {
    return bad("dropout " + Num(cfg.dropout) + " is outside [0, 1)");
  }
  if (!std::isfinite(cfg.leaky_slope))
    return bad("leaky_slope " + Num(cfg.leaky_slope) + " is not finite");
  if (!(cfg.norm_eps > 0.0f && std::isfinite(cfg.norm_eps))) {
    return bad("norm_eps " + Num(cfg.norm_eps) + " must be > 0");
  }
  if (!(cfg.bn_momentum >= 0.0f && cfg.bn_momentum <= 1.0f)) {
    return bad("bn_momentum " + Num(cfg.bn_momentum) + " is outside [0, 1]");
  }
  if (cfg.loss == LossKind::kBce && cfg.outputs != 1) {
    return bad("loss bce needs 1 output, config has " + std::to_string(cfg.outputs));
  }
  if (cfg.loss == LossKind::kCrossEntropy && cfg.outputs < 2) {
    return bad("loss cross_entropy needs >= 2 outputs, config has " + std::to_string(cfg.outputs));
  }
  int next_free = 0;  // embeddings are in column order and do not overlap
  int64_t table_params = 0;
  for (size_t e = 0; e < cfg.embeddings.size(); ++e) {
    const EmbeddingSpec& s = cfg.embeddings[e];
    const std::string name = "embedding " + std::to_string(e + 1);
    if (s.dim <= 0 || s.rows <= 0) return bad(name + " needs a positive dim and row count");
    if (s.column < next_free || s.column > cfg.inputs - s.dim) {
      return bad(name + " (columns " + std::to_string(s.column) + "+" + std::to_string(s.dim) +
                 ") overlaps another or lies outside the " + std::to_string(cfg.inputs) +
                 " inputs");
    }
    next_free = s.column + s.dim;
    table_params += int64_t{s.rows} * s.dim;
    if (table_params > (int64_t{1} << 31)) return bad("embedding tables exceed 2^31 parameters");
  }
  if (cfg.loss == LossKind::kHuber && !(cfg.huber_delta > 0.0f && std::isfinite(cfg.huber_delta))) {
    return bad("huber_delta " + Num(cfg.huber_delta) + " must be > 0");
  }
  return Status::Ok();
}

NetLayout::NetLayout(const NetConfig& cfg) : cfg_(cfg) {
  MING_CHECK(ValidateNetConfig(cfg).ok());
  int ic = cfg.inputs;
  max_width_ = std::max(cfg.inputs, cfg.outputs);
  auto add = [&](int oc, bool is_output) {
    LayerLayout L;
    L.IC = ic;
    L.OC = oc;
    L.is_output = is_output;
    L.W = num_params_;
    num_params_ += int64_t{ic} * oc;
    L.b = num_params_;
    num_params_ += oc;
    if (!is_output && cfg.norm != Norm::kNone) {
      L.gamma = num_params_;
      L.beta = num_params_ + oc;
      num_params_ += 2 * int64_t{oc};
    }
    if (!is_output && cfg.norm == Norm::kBatch) {
      L.run_mean = num_buffers_;
      L.run_var = num_buffers_ + oc;
      num_buffers_ += 2 * int64_t{oc};
    }
    layers_.push_back(L);
    max_width_ = std::max(max_width_, oc);
    ic = oc;
  };
  for (int h : cfg.hidden) add(h, false);
  add(cfg.outputs, true);
  num_layer_params_ = num_params_;
  for (const EmbeddingSpec& e : cfg.embeddings) {
    tables_.push_back(num_params_);
    num_params_ += int64_t{e.rows} * e.dim;
  }
}

std::vector<uint8_t> NetLayout::DecayMask() const {
  std::vector<uint8_t> mask(static_cast<size_t>(num_params_), 0);
  for (const LayerLayout& L : layers_) {
    std::fill_n(mask.begin() + L.W, int64_t{L.IC} * L.OC, uint8_t{1});
  }
  std::fill(mask.begin() + num_layer_params_, mask.end(), uint8_t{1});
  return mask;
}

void InitParams(const NetLayout& layout, float* params, float* buffers, Rng& rng) {
  for (const LayerLayout& L : layout.layers()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(L.IC));
    for (int64_t i = 0; i < int64_t{L.IC} * L.OC; ++i) {
      params[L.W + i] = static_cast<float>((2.0 * rng.UniformDouble() - 1.0) * bound);
    }
    for (int j = 0; j < L.OC; ++j) {
      params[L.b + j] = static_cast<float>((2.0 * rng.UniformDouble() - 1.0) * bound);
    }
    if (L.gamma >= 0) std::fill_n(params + L.gamma, L.OC, 1.0f);
    if (L.beta >= 0) std::fill_n(params + L.beta, L.OC, 0.0f);
    if (L.run_mean >= 0) std::fill_n(buffers + L.run_mean, L.OC, 0.0f);
    if (L.run_var >= 0) std::fill_n(buffers + L.run_var, L.OC, 1.0f);
  }
  for (int64_t i = layout.num_layer_params(); i < layout.num_params(); ++i) {
    params[i] = static_cast<float>(0.01 * rng.Normal());
  }
}

TrainWorkspace::TrainWorkspace(const NetLayout& layout, int max_rows)
    : max_rows_(std::max(max_rows, 0)) {
  const NetConfig& cfg = layout.config();
  const int64_t R = max_rows_;
  int64_t size = 0;
  auto take = [&size](int64_t n) {
    const int64_t at = size;
    size += n;
    return at;
  };
  const bool in_place = !activation_backward_needs_input(cfg.activation);
  for (const LayerLayout& L : layout.layers()) {
    Slots s;
    s.pre = take(R * L.OC);
    if (L.is_output) {
      s.act = s.out = s.pre;
      slots.push_back(s);
      continue;
    }
    int64_t act_in = s.pre;
    if (cfg.norm != Norm::kNone) {
      s.normed = act_in = take(R * L.OC);
      const int64_t stat = cfg.norm == Norm::kLayer ? R : L.OC;
      s.mean = take(stat);
      s.rstd = take(stat);
      if (cfg.norm == Norm::kBatch) s.var_unbiased = take(L.OC);
    }
    s.act = in_place ? act_in : take(R * L.OC);
    s.out = s.act;
    if (cfg.dropout > 0.0f) {
      s.mask = take(R * L.OC);
      s.out = take(R * L.OC);
    }
    slots.push_back(s);
  }
  arena.assign(static_cast<size_t>(size), 0.0f);
  grad_a.assign(static_cast<size_t>(R * layout.max_width()), 0.0f);
  grad_b.assign(grad_a.size(), 0.0f);
}

const float* forward_train(const NetLayout& layout, const float* params, const float* X, int B,
                           TrainWorkspace& ws, Rng& dropout_rng) {
  MING_CHECK(B >= 0 && B <= ws.max_rows());
  const NetConfig& cfg = layout.config();
  const auto& layers = layout.layers();
  float* A = ws.arena.data();
  ws.last_rows = B;
  const float* in = X;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerLayout& L = layers[l];
    const TrainWorkspace::Slots& s = ws.slots[l];
    float* pre = A + s.pre;
    linear_forward(pre, in, params + L.W, params + L.b, B, L.IC, L.OC);
    if (L.is_output) return pre;
    const float* x = pre;
    if (cfg.norm == Norm::kLayer) {
      layernorm_forward(A + s.normed, A + s.mean, A + s.rstd, pre, params + L.gamma,
                        params + L.beta, B, L.OC, cfg.norm_eps);
      x = A + s.normed;
    } else if (cfg.norm == Norm::kBatch) {
      batchnorm_forward_train(A + s.normed, A + s.mean, A + s.rstd, A + s.var_unbiased, pre,
                              params + L.gamma, params + L.beta, B, L.OC, cfg.norm_eps);
      x = A + s.normed;
    }
    const int64_t n = int64_t{B} * L.OC;
    activation_forward(A + s.act, x, n, cfg.activation, cfg.leaky_slope);
    if (s.mask >= 0) dropout_forward(A + s.out, A + s.mask, A + s.act, n, cfg.dropout, dropout_rng);
    in = A + s.out;
  }
  return nullptr;  // unreachable: the last layer is the output layer
}

void backward(const NetLayout& layout, const float* params, const float* X, const float* dout,
              int B, TrainWorkspace& ws, float* grads, float* dX) {
  MING_CHECK(B == ws.last_rows);
  if (B == 0) return;
  const NetConfig& cfg = layout.config();
  const auto& layers = layout.layers();
  const float* A = ws.arena.data();
  float* free_buf = ws.grad_a.data();  // receives the next din
  float* other = ws.grad_b.data();
  float* g = nullptr;  // gradient w.r.t. a hidden block's output, in free_buf's partner
  for (size_t l = layers.size(); l-- > 0;) {
    const LayerLayout& L = layers[l];
    const TrainWorkspace::Slots& s = ws.slots[l];
    const float* in = l == 0 ? X : A + ws.slots[l - 1].out;
    float* din = l == 0 ? dX : free_buf;
    if (L.is_output) {
      linear_backward(din, grads + L.W, grads + L.b, dout, in, params + L.W, B, L.IC, L.OC);
    } else {
      float* dz = g;  // overwritten in place: dy -> dz (-> norm input gradient)
      const float* mask = s.mask >= 0 ? A + s.mask : nullptr;
      const float* act_in = A + (s.normed >= 0 ? s.normed : s.pre);
      const bool norm = cfg.norm != Norm::kNone;
      activation_backward_bias(dz, norm ? nullptr : grads + L.b, g, mask, act_in, A + s.act, B,
                               L.OC, cfg.activation, cfg.leaky_slope);
      if (cfg.norm == Norm::kLayer) {
        layernorm_backward(dz, grads + L.gamma, grads + L.beta, dz, A + s.pre, A + s.mean,
                           A + s.rstd, params + L.gamma, B, L.OC);
      } else if (cfg.norm == Norm::kBatch) {
        batchnorm_backward(dz, grads + L.gamma, grads + L.beta, dz, A + s.pre, A + s.mean,
                           A + s.rstd, params + L.gamma, B, L.OC);
      }
      linear_backward(din, grads + L.W, norm ? grads + L.b : nullptr, dz, in, params + L.W, B, L.IC,
                      L.OC);
    }
    g = din;
    std::swap(free_buf, other);
  }
}

void update_running_stats(const NetLayout& layout, float* buffers,
                          const TrainWorkspace* const* shards, int nshards) {
  const NetConfig& cfg = layout.config();
  if (cfg.norm != Norm::kBatch) return;
  const double m = cfg.bn_momentum;
  const auto& layers = layout.layers();
  for (size_t l = 0; l + 1 < layers.size(); ++l) {
    const LayerLayout& L = layers[l];
    for (int c = 0; c < L.OC; ++c) {
      // Pooled mean, then pooled sum of squared deviations (Chan et al.), in shard order.
      double n = 0, mean = 0;
      for (int i = 0; i < nshards; ++i) {
        const TrainWorkspace& ws = *shards[i];
        if (ws.last_rows <= 0) continue;
        n += ws.last_rows;
        mean += ws.last_rows * static_cast<double>(ws.arena[ws.slots[l].mean + c]);
      }
      if (n == 0) return;
      mean /= n;
      double m2 = 0;
      for (int i = 0; i < nshards; ++i) {
        const TrainWorkspace& ws = *shards[i];
        if (ws.last_rows <= 0) continue;
        const double k = ws.last_rows, d = ws.arena[ws.slots[l].mean + c] - mean;
        m2 += ws.arena[ws.slots[l].var_unbiased + c] * (k - 1) + k * d * d;
      }
      float& rm = buffers[L.run_mean + c];
      float& rv = buffers[L.run_var + c];
      rm = static_cast<float>((1 - m) * rm + m * mean);
      if (n > 1) rv = static_cast<float>((1 - m) * rv + m * m2 / (n - 1));
    }
  }
}

InferWorkspace::InferWorkspace(const NetLayout& layout, int max_rows)
    : max_rows_(std::max(max_rows, 0)) {
  a.assign(static_cast<size_t>(int64_t{max_rows_} * layout.max_width()), 0.0f);
  b.assign(a.size(), 0.0f);
}

void forward_infer(const NetLayout& layout, const float* params, const float* buffers,
                   const float* X, int B, float* out, InferWorkspace& ws) {
  MING_CHECK(B >= 0 && B <= ws.max_rows());
  if (B == 0) return;
  const NetConfig& cfg = layout.config();
  const auto& layers = layout.layers();
  const float* in = X;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerLayout& L = layers[l];
    if (L.is_output) {
      linear_forward(out, in, params + L.W, params + L.b, B, L.IC, L.OC);
      return;
    }
    float* y = (l % 2 == 0 ? ws.a : ws.b).data();
    linear_forward(y, in, params + L.W, params + L.b, B, L.IC, L.OC);
    if (cfg.norm == Norm::kLayer) {
      layernorm_forward(y, nullptr, nullptr, y, params + L.gamma, params + L.beta, B, L.OC,
                        cfg.norm_eps);
    } else if (cfg.norm == Norm::kBatch) {
      batchnorm_forward_infer(y, y, buffers + L.run_mean, buffers + L.run_var, params + L.gamma,
                              params + L.beta, B, L.OC, cfg.norm_eps);
    }
    activation_forward(y, y, int64_t{B} * L.OC, cfg.activation, cfg.leaky_slope);
    in = y;
  }
}

}  // namespace ming
