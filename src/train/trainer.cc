// The training loop. Each step: (A) the batch is cut into a fixed number of chunks (a
// function of the batch size only); threads claim chunks, gather their rows, and run
// forward, loss and backward into the chunk's own gradient buffer; (B) threads claim
// blocks of the parameter array, sum the chunk gradients in chunk order and apply the
// optimiser (with a norm pass in between when clipping). Every sum has a fixed order, so
// the result is bit-identical whatever the thread count or scheduling.
#include "train/trainer.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <numeric>

#include "nn/embedding.h"
#include "nn/loss.h"
#include "nn/optim.h"
#include "train/checkpoint.h"
#include "util/file.h"
#include "util/rng.h"
#include "util/thread_pool.h"

namespace ming {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int ResolveThreads(int threads) { return threads > 0 ? threads : ThreadPool::HardwareThreads(); }

// Loss sum of rows [0, n) of one shard; writes dout scaled by grad_scale when dout != null.
double ShardLoss(const NetConfig& net, float* dout, const float* out, const float* y,
                 const float* w, int n, float grad_scale) {
  switch (net.loss) {
    case LossKind::kBce: return bce_with_logits(dout, out, y, w, n, grad_scale);
    case LossKind::kCrossEntropy:
      return softmax_cross_entropy(dout, out, y, w, n, net.outputs, grad_scale);
    case LossKind::kMse: return mse_loss(dout, out, y, w, n, net.outputs, grad_scale);
    case LossKind::kHuber:
      return huber_loss(dout, out, y, w, n, net.outputs, net.huber_delta, grad_scale);
    case LossKind::kCount: break;
  }
  return 0.0;
}

constexpr int kChunkRows = 64;      // rows per chunk of a batch (at most kMaxChunks chunks)
constexpr int kMaxChunks = 16;
constexpr int64_t kParamBlock = 8192;  // parameters per reduction task

int NumChunks(int64_t batch) {
  return static_cast<int>(std::clamp<int64_t>(batch / kChunkRows, 1, kMaxChunks));
}

// Per-chunk state, allocated once.
struct Shard {
  Shard(const NetLayout& layout, int max_rows)
      : ws(layout, max_rows),
        grads(static_cast<size_t>(layout.num_params())),
        X(static_cast<size_t>(max_rows) * static_cast<size_t>(layout.config().inputs)),
        y(static_cast<size_t>(max_rows)),
        w(static_cast<size_t>(max_rows)),
        dout(static_cast<size_t>(max_rows) * static_cast<size_t>(layout.config().outputs)) {
    if (const size_t E = layout.config().embeddings.size(); E > 0) {
      slots.resize(static_cast<size_t>(max_rows) * E);
      dX.resize(X.size());
    }
  }
  TrainWorkspace ws;
  std::vector<float> grads, X, y, w, dout;
  std::vector<int32_t> slots;  // with embeddings: the chunk's category slots [rows, E]
  std::vector<float> dX;       // and the gradient at its inputs

  double loss_sum = 0;
  int rows = 0;
};

class Loop {
 public:
  Loop(const Dataset& train, const Dataset& val, const TrainOptions& opts,
       const TrainCallbacks& cb)
      : train_(train), val_(val), opts_(opts), cb_(cb), layout_(opts.net),
        pool_(ResolveThreads(opts.threads)) {}

  Result<TrainResult> Run(bool resume);

 private:
  void Init();
  Status RunEpoch(int epoch);
  // Forward/backward of one batch; returns the weighted loss sum, sets *weight_sum.
  double Step(int epoch, int64_t step, const int64_t* rows, int B, double* weight_sum);
  // Returns false when the reduced gradient, a weight or an optimiser moment is non-finite.
  bool ReduceAndUpdate(float lr);
  // The error for a non-finite loss or state found at (epoch, 1-based step).
  Status Diverged(int epoch, int64_t step, const std::string& what) const;
  // Zeroes params and optimiser moments in [b, e) where keep_ is 0 (no-op without a mask).
  void ApplyKeep(int64_t b, int64_t e);
  Status EndEpoch(int epoch, double train_loss, double seconds);
  // Checks that train and val hold a valid slot per row for each embedding.
  Status CheckSlots(const Dataset& d, const char* which) const;

  const Dataset& train_;
  const Dataset& val_;
  const TrainOptions& opts_;
  const TrainCallbacks& cb_;
  NetLayout layout_;
  ThreadPool pool_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<uint8_t> decay_mask_;
  std::vector<uint8_t> keep_;  // pruning mask from on_epoch_start; empty = none
  TrainState st_;
  ScheduleConfig sched_;
  int64_t batch_ = 0, steps_per_epoch_ = 0, total_steps_ = 0;
  std::vector<double> partial_;
  std::vector<uint8_t> block_bad_;  // per parameter block: a non-finite value seen this step
  std::vector<float> val_out_;      // the network's outputs on the validation rows
  Dataset val_embedded_;            // with embeddings: val_ with its embedded columns filled
  bool stop_ = false;
};

void Loop::Init() {
  const int64_t n = layout_.num_params();
  st_.params.assign(static_cast<size_t>(n), 0.0f);
  st_.buffers.assign(static_cast<size_t>(layout_.num_buffers()), 0.0f);
  Rng init_rng = Rng(opts_.seed).Split(0xC0FFEE);
  if (opts_.init_params.empty()) {
    InitParams(layout_, st_.params.data(), st_.buffers.data(), init_rng);
  } else {
    st_.params = opts_.init_params;
    st_.buffers = opts_.init_buffers;
  }
  st_.m.assign(static_cast<size_t>(n), 0.0f);
  st_.v.assign(static_cast<size_t>(n), 0.0f);
  st_.best_params = st_.params;
  st_.best_buffers = st_.buffers;
}

double Loop::Step(int epoch, int64_t step, const int64_t* rows, int B, double* weight_sum) {
  const int K = static_cast<int>(shards_.size());
  double wsum = 0;
  for (int i = 0; i < B; ++i) wsum += train_.w.empty() ? 1.0 : train_.w[static_cast<size_t>(rows[i])];
  *weight_sum = wsum;
  const float scale = wsum > 0 ? static_cast<float>(1.0 / wsum) : 0.0f;
  const int F = train_.features;
  const size_t E = opts_.net.embeddings.size();
  pool_.ParallelFor(K, [&](int t, int) {
    Shard& sh = *shards_[static_cast<size_t>(t)];
    int64_t b, e;
    SplitRange(B, K, t, &b, &e);
    sh.rows = static_cast<int>(e - b);
    std::fill(sh.grads.begin(), sh.grads.end(), 0.0f);
    sh.loss_sum = 0;
    if (sh.rows == 0) return;
    for (int64_t i = b; i < e; ++i) {
      const size_t r = static_cast<size_t>(rows[i]), j = static_cast<size_t>(i - b);
      std::copy_n(&train_.X[r * static_cast<size_t>(F)], F, &sh.X[j * static_cast<size_t>(F)]);
      sh.y[j] = train_.y[r];
      sh.w[j] = train_.w.empty() ? 1.0f : train_.w[r];
      if (E > 0) std::copy_n(&train_.slots[r * E], E, &sh.slots[j * E]);
    }
    if (E > 0) embedding_gather(layout_, st_.params.data(), sh.slots.data(), sh.rows, sh.X.data());
    Rng drop = Rng(opts_.seed).Split((static_cast<uint64_t>(epoch) << 40) ^
                                     (static_cast<uint64_t>(step) << 8) ^ static_cast<uint64_t>(t));
    const float* out = forward_train(layout_, st_.params.data(), sh.X.data(), sh.rows, sh.ws, drop);
    sh.loss_sum = ShardLoss(opts_.net, sh.dout.data(), out, sh.y.data(),
                            train_.w.empty() ? nullptr : sh.w.data(), sh.rows, scale);
    backward(layout_, st_.params.data(), sh.X.data(), sh.dout.data(), sh.rows, sh.ws,
             sh.grads.data(), E > 0 ? sh.dX.data() : nullptr);
    if (E > 0) embedding_backward(layout_, sh.slots.data(), sh.dX.data(), sh.rows, sh.grads.data());
  });
  double loss = 0;
  for (auto& sh : shards_) loss += sh->loss_sum;
  return loss;
}

bool AllFinite(const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

bool Loop::ReduceAndUpdate(float lr) {
  const int K = static_cast<int>(shards_.size());
  const int64_t n = layout_.num_params();
  const int blocks = static_cast<int>((n + kParamBlock - 1) / kParamBlock);
  float* g0 = shards_[0]->grads.data();
  const bool clip = opts_.optim.clip_norm > 0;
  partial_.assign(static_cast<size_t>(blocks), 0.0);
  block_bad_.assign(static_cast<size_t>(blocks), 0);
  const int64_t step = st_.step + 1;
  // Checked right after each update, so that a non-finite gradient (even with a finite
  // loss) stops training in the step that produced it, before any checkpoint sees it.
  auto apply = [&](int t, int64_t b, int64_t e) {
    optimizer_step(opts_.optim, lr, step, st_.params.data(), g0, st_.m.data(), st_.v.data(),
                   decay_mask_.data(), b, e);
    ApplyKeep(b, e);
    const size_t i = static_cast<size_t>(b);
    block_bad_[static_cast<size_t>(t)] =
        !(AllFinite(g0 + b, e - b) && AllFinite(&st_.params[i], e - b) &&
          AllFinite(&st_.m[i], e - b) && AllFinite(&st_.v[i], e - b));
  };
  auto block = [&](int t, int64_t* b, int64_t* e) {
    *b = t * kParamBlock;
    *e = std::min(n, *b + kParamBlock);
  };
  pool_.ParallelFor(blocks, [&](int t, int) {
    int64_t b, e;
    block(t, &b, &e);
    for (int s = 1; s < K; ++s) {
      const float* gs = shards_[static_cast<size_t>(s)]->grads.data();
      for (int64_t i = b; i < e; ++i) g0[i] += gs[i];
    }
    if (clip) {
      double acc = 0;
      for (int64_t i = b; i < e; ++i) acc += static_cast<double>(g0[i]) * g0[i];
      partial_[static_cast<size_t>(t)] = acc;
    } else {
      apply(t, b, e);
    }
  });
  if (clip) {
    double sq = 0;
    for (double p : partial_) sq += p;
    const double norm = std::sqrt(sq);
    pool_.ParallelFor(blocks, [&](int t, int) {
      int64_t b, e;
      block(t, &b, &e);
      clip_grad_norm(g0 + b, e - b, norm, opts_.optim.clip_norm);
      apply(t, b, e);
    });
  }
  st_.step = step;
  return std::find(block_bad_.begin(), block_bad_.end(), 1) == block_bad_.end();
}

Status Loop::Diverged(int epoch, int64_t step, const std::string& what) const {
  std::string msg = "training diverged at epoch " + std::to_string(epoch) + ", step " +
                    std::to_string(step) + ": " + what;
  if (!opts_.checkpoint_path.empty()) {
    msg += st_.epoch > 0 ? "; the checkpoint of epoch " + std::to_string(st_.epoch) +
                               " is kept in " + opts_.checkpoint_path
                         : "; no checkpoint was written";
  }
  return Status::Runtime(msg + "; no model was written");
}

void Loop::ApplyKeep(int64_t b, int64_t e) {
  if (keep_.empty()) return;
  for (size_t i = static_cast<size_t>(b); i < static_cast<size_t>(e); ++i) {
    if (keep_[i] == 0) st_.params[i] = st_.m[i] = st_.v[i] = 0.0f;
  }
}

Status Loop::RunEpoch(int epoch) {
  if (cb_.on_epoch_start) {
    cb_.on_epoch_start(epoch, st_.params.data(), &keep_);
    if (!keep_.empty() && static_cast<int64_t>(keep_.size()) != layout_.num_params()) {
      return Status::InvalidInput("pruning mask has " + std::to_string(keep_.size()) +
                                  " entries, the network " + std::to_string(layout_.num_params()));
    }
    ApplyKeep(0, layout_.num_params());
  }
  const auto t0 = Clock::now();
  std::vector<int64_t> perm(static_cast<size_t>(train_.rows));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  Rng shuffle = Rng(opts_.seed).Split(0x5EED0000ULL + static_cast<uint64_t>(epoch));
  shuffle.Shuffle(perm.data(), perm.size());
  double loss_sum = 0, weight_sum = 0;
  auto last_report = t0;
  std::vector<const TrainWorkspace*> live;
  for (int64_t s = 0; s < steps_per_epoch_; ++s) {
    const int64_t begin = s * batch_;
    const int B = static_cast<int>(std::min<int64_t>(batch_, train_.rows - begin));
    const float lr = lr_at(sched_, opts_.optim.lr, st_.step, total_steps_);
    double batch_weight = 0;
    const double loss = Step(epoch, s, perm.data() + begin, B, &batch_weight);
    if (!std::isfinite(loss)) return Diverged(epoch, s + 1, "loss is " + std::to_string(loss));
    if (!ReduceAndUpdate(lr)) {
      return Diverged(epoch, s + 1, "a gradient or weight became non-finite (loss " +
                                        std::to_string(loss / batch_weight) + ")");
    }
    live.clear();
    for (auto& sh : shards_)
      if (sh->rows > 0) live.push_back(&sh->ws);
    update_running_stats(layout_, st_.buffers.data(), live.data(), static_cast<int>(live.size()));
    if (!AllFinite(st_.buffers.data(), static_cast<int64_t>(st_.buffers.size()))) {
      return Diverged(epoch, s + 1, "a batch-norm running statistic became non-finite");
    }
    loss_sum += loss;
    weight_sum += batch_weight;
    const auto now = Clock::now();
    if (cb_.on_step && Seconds(last_report, now) > 0.1) {
      last_report = now;
      cb_.on_step({epoch, s + 1, steps_per_epoch_, loss_sum / weight_sum,
                   static_cast<double>(begin + B) / Seconds(t0, now)});
    }
  }
  return EndEpoch(epoch, loss_sum / weight_sum, Seconds(t0, Clock::now()));
}

Status Loop::EndEpoch(int epoch, double train_loss, double seconds) {
  EpochReport rep;
  rep.epoch = epoch;
  rep.epochs = opts_.epochs;
  rep.train_loss = train_loss;
  rep.seconds = seconds;
  rep.rows_per_s = seconds > 0 ? static_cast<double>(train_.rows) / seconds : 0;
  rep.lr = lr_at(sched_, opts_.optim.lr, st_.step, total_steps_);
  const bool eligible = epoch >= opts_.best_from_epoch;
  if (val_.rows > 0) {
    const bool embedded = !opts_.net.embeddings.empty();
    if (embedded) {
      embedding_gather(layout_, st_.params.data(), val_embedded_.slots.data(), val_embedded_.rows,
                       val_embedded_.X.data());
    }
    rep.val_loss = EvaluateLoss(layout_, st_.params.data(), st_.buffers.data(),
                                embedded ? val_embedded_ : val_, pool_.size(), &val_out_);
    rep.val_outputs = val_out_.data();
    rep.improved = eligible && (st_.best_epoch == 0 || rep.val_loss < st_.best_val_loss - opts_.min_delta);
  } else {
    rep.improved = true;
  }
  if (rep.improved) {
    st_.best_epoch = epoch;
    st_.best_val_loss = rep.val_loss;
    st_.best_params = st_.params;
    st_.best_buffers = st_.buffers;
    st_.bad_epochs = 0;
  } else if (eligible) {
    ++st_.bad_epochs;
  }
  st_.epoch = epoch;
  st_.history.push_back(rep);
  if (cb_.on_epoch) cb_.on_epoch(rep, st_.params.data(), st_.buffers.data());
  if (opts_.patience > 0 && val_.rows > 0 && st_.bad_epochs >= opts_.patience) stop_ = true;
  if (!opts_.checkpoint_path.empty()) {
    MING_RETURN_IF_ERROR(WriteCheckpoint(opts_.checkpoint_path, opts_, st_));
  }
  return Status::Ok();
}

Status Loop::CheckSlots(const Dataset& d, const char* which) const {
  const auto& specs = opts_.net.embeddings;
  const size_t E = specs.size();
  if (d.slots.size() != static_cast<size_t>(d.rows) * E) {
    return Status::InvalidInput(std::string(which) + " rows have " + std::to_string(d.slots.size()) +
                                " category slots; the network's " + std::to_string(E) +
                                " embeddings need one per row each");
  }
  for (size_t i = 0; i < d.slots.size(); ++i) {
    const int32_t s = d.slots[i];
    if (s < 0 || s >= specs[i % E].rows) {
      return Status::InvalidInput(std::string(which) + " row " + std::to_string(i / E + 1) +
                                  ": category slot " + std::to_string(s) + " is outside embedding " +
                                  std::to_string(i % E + 1) + "'s " +
                                  std::to_string(specs[i % E].rows) + " rows");
    }
  }
  return Status::Ok();
}

Result<TrainResult> Loop::Run(bool resume) {
  if (train_.rows <= 0) return Status::InvalidInput("no training rows");
  if (train_.features != opts_.net.inputs) return Status::InvalidInput("feature count does not match the network");
  if (val_.rows > 0 && val_.features != opts_.net.inputs) {
    return Status::InvalidInput("validation feature count does not match the network");
  }
  if (!opts_.net.embeddings.empty()) {
    MING_RETURN_IF_ERROR(CheckSlots(train_, "training"));
    MING_RETURN_IF_ERROR(CheckSlots(val_, "validation"));
    val_embedded_ = val_;
  }
  if (opts_.batch_size <= 0) return Status::InvalidInput("batch size must be positive");
  if (opts_.epochs <= 0) return Status::InvalidInput("epochs must be positive");
  if (!opts_.init_params.empty() &&
      (static_cast<int64_t>(opts_.init_params.size()) != layout_.num_params() ||
       static_cast<int64_t>(opts_.init_buffers.size()) != layout_.num_buffers())) {
    return Status::InvalidInput("initial weights do not match the network's parameter count");
  }
  openblas_set_num_threads(1);  // parallelism comes from shards, one per thread
  batch_ = std::min<int64_t>(opts_.batch_size, train_.rows);
  steps_per_epoch_ = (train_.rows + batch_ - 1) / batch_;
  total_steps_ = steps_per_epoch_ * opts_.epochs;
  sched_ = opts_.schedule;
  if (opts_.warmup_epochs > 0) {
    sched_.warmup_steps = static_cast<int64_t>(opts_.warmup_epochs * static_cast<double>(steps_per_epoch_));
  }
  if (opts_.step_epochs > 0) {
    sched_.step_every = std::max<int64_t>(1, static_cast<int64_t>(opts_.step_epochs * static_cast<double>(steps_per_epoch_)));
  }
  const int K = NumChunks(batch_);
  const int max_rows = static_cast<int>((batch_ + K - 1) / K);
  for (int k = 0; k < K; ++k) shards_.push_back(std::make_unique<Shard>(layout_, max_rows));
  decay_mask_ = layout_.DecayMask();
  Init();
  if (resume && !opts_.checkpoint_path.empty() && FileExists(opts_.checkpoint_path)) {
    MING_RETURN_IF_ERROR(ReadCheckpoint(opts_.checkpoint_path, opts_, layout_, &st_));
    // Every epoch runs all its steps, so the step counter says whether the checkpoint was
    // made on this many training rows (another count would not continue the same run).
    if (st_.step != static_cast<int64_t>(st_.epoch) * steps_per_epoch_) {
      return Status::InvalidInput(opts_.checkpoint_path + ": checkpoint is at step " + std::to_string(st_.step) +
                                  " after " + std::to_string(st_.epoch) + " epochs, but " +
                                  std::to_string(train_.rows) + " training rows make " +
                                  std::to_string(steps_per_epoch_) +
                                  " steps an epoch; resume with the same training data");
    }
    stop_ = opts_.patience > 0 && val_.rows > 0 && st_.bad_epochs >= opts_.patience;
  }
  for (int epoch = st_.epoch + 1; epoch <= opts_.epochs && !stop_; ++epoch) {
    MING_RETURN_IF_ERROR(RunEpoch(epoch));
  }
  TrainResult res;
  const bool use_best = val_.rows > 0;
  res.params = use_best ? st_.best_params : st_.params;
  res.buffers = use_best ? st_.best_buffers : st_.buffers;
  res.best_epoch = use_best ? st_.best_epoch : st_.epoch;
  res.epochs_run = st_.epoch;
  res.best_val_loss = st_.best_val_loss;
  res.stopped_early = stop_ && st_.epoch < opts_.epochs;
  res.history = st_.history;
  return res;
}

}  // namespace

Result<TrainResult> Train(const Dataset& train, const Dataset& val, const TrainOptions& opts,
                          bool resume, const TrainCallbacks& callbacks) {
  MING_RETURN_IF_ERROR(ValidateNetConfig(opts.net));
  Loop loop(train, val, opts, callbacks);
  return loop.Run(resume);
}

void PredictOutputs(const NetLayout& layout, const float* params, const float* buffers,
                    const float* X, int64_t rows, float* out, int threads) {
  constexpr int kChunk = 256;
  const int64_t chunks = (rows + kChunk - 1) / kChunk;
  ThreadPool pool(static_cast<int>(std::min<int64_t>(ResolveThreads(threads), chunks)));
  std::vector<std::unique_ptr<InferWorkspace>> ws;
  for (int t = 0; t < pool.size(); ++t) ws.push_back(std::make_unique<InferWorkspace>(layout, kChunk));
  const int F = layout.config().inputs, O = layout.config().outputs;
  pool.ParallelFor(static_cast<int>(chunks), [&](int c, int t) {
    const int64_t r = static_cast<int64_t>(c) * kChunk;
    const int n = static_cast<int>(std::min<int64_t>(kChunk, rows - r));
    forward_infer(layout, params, buffers, X + r * F, n, out + r * O, *ws[static_cast<size_t>(t)]);
  });
}

double EvaluateLoss(const NetLayout& layout, const float* params, const float* buffers,
                    const Dataset& data, int threads, std::vector<float>* outputs) {
  if (data.rows == 0) return 0;
  const int O = layout.config().outputs;
  std::vector<float> local;
  std::vector<float>& out = outputs ? *outputs : local;
  out.resize(static_cast<size_t>(data.rows) * static_cast<size_t>(O));
  PredictOutputs(layout, params, buffers, data.X.data(), data.rows, out.data(), threads);
  double wsum = 0;
  for (int64_t i = 0; i < data.rows; ++i) wsum += data.w.empty() ? 1.0 : data.w[static_cast<size_t>(i)];
  const double sum = ShardLoss(layout.config(), nullptr, out.data(), data.y.data(),
                               data.w.empty() ? nullptr : data.w.data(),
                               static_cast<int>(data.rows), 1.0f);
  return wsum > 0 ? sum / wsum : 0;
}

}  // namespace ming
