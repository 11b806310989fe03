// A feed-forward network over one flat parameter array: layout, initialisation, and the
// forward/backward passes that chain the layer functions of nn/layers.h.
// Layers hold offsets into the flat arrays, never pointers, so the optimiser, pruning
// masks, gradient all-reduce and the model writer are each one loop over one array.
// Thread-safety: NetLayout is immutable after construction and may be shared; each
// thread (or shard) uses its own TrainWorkspace / InferWorkspace.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "ming/status.h"
#include "nn/config.h"
#include "util/rng.h"

namespace ming {

// Offsets of one dense block in the flat arrays; -1 where the block has no such tensor.
struct LayerLayout {
  int IC = 0, OC = 0;
  int64_t W = 0, b = 0;                 // params: W[IC,OC] row-major, b[OC]
  int64_t gamma = -1, beta = -1;        // params: normalisation scale/shift [OC]
  int64_t run_mean = -1, run_var = -1;  // buffers: batch-norm running statistics [OC]
  bool is_output = false;               // output layer: no norm, activation or dropout
};

// Rejects zero/negative widths, dropout outside [0,1), an output count that does not fit
// the loss (bce: 1), and the like, with a message naming the setting.
Status ValidateNetConfig(const NetConfig& cfg);

class NetLayout {
 public:
  // REQUIRES: ValidateNetConfig(cfg).ok().
  explicit NetLayout(const NetConfig& cfg);
  const NetConfig& config() const { return cfg_; }
  // Hidden blocks in order, then the output layer.
  const std::vector<LayerLayout>& layers() const { return layers_; }
  // Where each embedding table (config().embeddings[e], rows x dim row-major) starts in
  // the flat parameters: after every layer's, so the layers' offsets do not depend on it.
  const std::vector<int64_t>& embedding_tables() const { return tables_; }
  // Parameters of the layers alone (num_params() less the embedding tables).
  int64_t num_layer_params() const { return num_layer_params_; }
  int64_t num_params() const { return num_params_; }
  int64_t num_buffers() const { return num_buffers_; }
  int max_width() const { return max_width_; }  // max over inputs, hidden, outputs
  // 1 for entries of weight matrices and embedding tables, 0 for biases and
  // normalisation parameters.
  std::vector<uint8_t> DecayMask() const;

 private:
  NetConfig cfg_;
  std::vector<LayerLayout> layers_;
  std::vector<int64_t> tables_;
  int64_t num_params_ = 0, num_buffers_ = 0, num_layer_params_ = 0;
  int max_width_ = 0;
};

// PyTorch's nn.Linear initialisation: W and b ~ U(-1/sqrt(IC), 1/sqrt(IC)) in every layer
// (it won over He and Glorot on ming's tabular benchmarks, docs/defaults.md); gamma = 1,
// beta = 0, running mean 0 and variance 1. Draws from rng in layer order (each layer's W,
// then its b); embedding tables ~ N(0, 0.01^2) are drawn after every layer, so a network
// without embeddings starts the same as before they existed. (PyTorch's nn.Embedding
// draws N(0, 1); with std 0.01 a category's row starts near zero and moves only as far as
// its rows pull it, which lost no accuracy where embedding already won and turned a loss
// against one-hot into a win on Zipf-distributed fields: docs/defaults.md.)
// buffers may be nullptr if num_buffers == 0.
void InitParams(const NetLayout& layout, float* params, float* buffers, Rng& rng);

// Activations saved by forward_train for backward, for up to max_rows rows. Allocated once.
class TrainWorkspace {
 public:
  TrainWorkspace(const NetLayout& layout, int max_rows);
  TrainWorkspace(const TrainWorkspace&) = delete;
  TrainWorkspace& operator=(const TrainWorkspace&) = delete;
  int max_rows() const { return max_rows_; }

  // Implementation detail, used by network.cc: one arena, per-layer offsets into it
  // (row stride OC, room for max_rows rows). When the activation's derivative needs only
  // its output (relu, tanh, sigmoid) it runs in place: act == normed, or act == pre.
  struct Slots {
    int64_t pre = -1;     // linear output [B,OC]
    int64_t normed = -1;  // norm output [B,OC]
    int64_t act = -1;     // activation output [B,OC]
    int64_t mask = -1;    // dropout mask [B,OC]
    int64_t out = -1;     // block output [B,OC]: dropout output, else == act (== pre: output)
    int64_t mean = -1, rstd = -1, var_unbiased = -1;  // norm statistics ([B] layer, [OC] batch)
  };
  std::vector<Slots> slots;
  std::vector<float> arena;
  std::vector<float> grad_a, grad_b;  // ping-pong [max_rows * max_width] for backward
  int last_rows = 0;                  // B of the last forward_train

 private:
  int max_rows_;
};

// Training-mode forward over X[B, inputs] (dropout on, batch statistics). Returns the
// outputs [B, outputs], which live in ws. REQUIRES: B <= ws.max_rows().
const float* forward_train(const NetLayout& layout, const float* params, const float* X, int B,
                           TrainWorkspace& ws, Rng& dropout_rng);

// Backward from dout[B, outputs] through the activations of the last forward_train.
// ACCUMULATES into grads[num_params]. If dX is not nullptr, writes d/dX [B, inputs].
// dout may be the output buffer that forward_train returned. REQUIRES: B == ws.last_rows.
void backward(const NetLayout& layout, const float* params, const float* X, const float* dout,
              int B, TrainWorkspace& ws, float* grads, float* dX);

// Updates batch-norm running statistics from the batch statistics saved by the last
// forward_train of each shard (combined in shard order, weighted by rows; momentum from
// the config). No-op without batch norm. Shards with 0 rows are skipped; the running
// variance is left as it is when the shards hold fewer than 2 rows in all (the unbiased
// variance of one row is undefined; PyTorch refuses such a batch).
void update_running_stats(const NetLayout& layout, float* buffers,
                          const TrainWorkspace* const* shards, int nshards);

// Scratch for inference: two ping-pong buffers of max_rows * max_width.
class InferWorkspace {
 public:
  InferWorkspace(const NetLayout& layout, int max_rows);
  InferWorkspace(const InferWorkspace&) = delete;
  InferWorkspace& operator=(const InferWorkspace&) = delete;
  int max_rows() const { return max_rows_; }
  std::vector<float> a, b;

 private:
  int max_rows_;
};

// Inference-mode forward (no dropout; batch norm uses running statistics):
// out[B, outputs]. REQUIRES: B <= ws.max_rows(). Allocates nothing.
void forward_infer(const NetLayout& layout, const float* params, const float* buffers,
                   const float* X, int B, float* out, InferWorkspace& ws);

}  // namespace ming
