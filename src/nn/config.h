// Configuration of a network, its loss, optimiser and learning-rate schedule.
// Enums carry a kCount; Name()/Parse() convert to and from the CLI / model-file spelling.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ming {

enum class Activation { kRelu, kLeakyRelu, kGelu, kTanh, kSigmoid, kCount };
enum class Norm { kNone, kLayer, kBatch, kCount };
enum class LossKind { kBce, kCrossEntropy, kMse, kHuber, kCount };
enum class OptimizerKind { kSgd, kAdam, kAdamW, kCount };
enum class ScheduleKind { kConstant, kStep, kCosine, kCount };
enum class Task { kBinary, kMulticlass, kRegression, kCount };

// Spellings: "relu" "leaky_relu" "gelu" "tanh" "sigmoid"; "none" "layer" "batch";
// "bce" "cross_entropy" "mse" "huber"; "sgd" "adam" "adamw"; "constant" "step" "cosine";
// "binary" "multiclass" "regression".
const char* Name(Activation v);
const char* Name(Norm v);
const char* Name(LossKind v);
const char* Name(OptimizerKind v);
const char* Name(ScheduleKind v);
const char* Name(Task v);
// Parse returns false for an unknown spelling and leaves *out unchanged.
bool Parse(std::string_view s, Activation* out);
bool Parse(std::string_view s, Norm* out);
bool Parse(std::string_view s, LossKind* out);
bool Parse(std::string_view s, OptimizerKind* out);
bool Parse(std::string_view s, ScheduleKind* out);
bool Parse(std::string_view s, Task* out);

// A learned embedding: input columns [column, column + dim) of every row are a row of a
// trainable table of `rows` x `dim` parameters, picked by the row's category slot (see
// nn/embedding.h). Training only: a saved model keeps its tables in the preprocessing.
struct EmbeddingSpec {
  int column = 0;
  int dim = 0;
  int rows = 0;
};

// A feed-forward network: inputs -> [Linear -> Norm? -> Activation -> Dropout?] per hidden
// width -> Linear -> outputs (logits for classification, standardised value for regression).
struct NetConfig {
  int inputs = 0;
  std::vector<int> hidden;
  int outputs = 1;
  Activation activation = Activation::kRelu;
  float leaky_slope = 0.01f;   // for kLeakyRelu
  float dropout = 0.0f;        // probability of dropping, in [0, 1)
  Norm norm = Norm::kNone;
  float norm_eps = 1e-5f;
  float bn_momentum = 0.1f;    // PyTorch convention: running = (1-m)*running + m*batch
  LossKind loss = LossKind::kBce;
  float huber_delta = 1.0f;
  // Embedded input columns, in column order, not overlapping. Their tables follow the
  // layers' parameters in the flat array.
  std::vector<EmbeddingSpec> embeddings;
};

struct OptimConfig {
  OptimizerKind kind = OptimizerKind::kAdamW;
  float lr = 1e-3f;
  float momentum = 0.9f;      // SGD
  bool nesterov = false;      // SGD
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // Adam/AdamW
  float weight_decay = 0.0f;  // L2 added to the gradient (SGD, Adam) or decoupled (AdamW)
  float clip_norm = 0.0f;     // global gradient-norm clip; 0 = off
};

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::kConstant;
  int64_t warmup_steps = 0;   // linear warm-up from 0 to lr over this many steps
  int64_t step_every = 0;     // kStep: multiply by gamma every step_every steps
  float gamma = 0.1f;         // kStep factor
  float min_lr_ratio = 0.0f;  // kCosine: floor as a fraction of lr
};

}  // namespace ming
