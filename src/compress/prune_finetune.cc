// Gradual pruning: builds the fine-tuning options from the model's record and drives the
// trainer's epoch-start mask hook with the cubic schedule.
#include "compress/prune_finetune.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "nn/network.h"

namespace ming {
namespace {

using nlohmann::json;

// The model's recorded optimiser, read defensively (model files come from outside).
OptimConfig RecordedOptim(const json& info) {
  OptimConfig c;
  c.kind = OptimizerKind::kAdamW;
  c.lr = 1e-3f;
  c.weight_decay = 0.1f;
  const json* e = &info;
  for (const char* key : {"training", "effective", "optim"}) {
    if (!e->is_object() || !e->contains(key)) return c;
    e = &(*e)[key];
  }
  auto num = [&](const char* key, float* out) {
    if (e->contains(key) && (*e)[key].is_number()) *out = (*e)[key].get<float>();
  };
  if (e->contains("optimizer") && (*e)["optimizer"].is_string())
    Parse((*e)["optimizer"].get<std::string>(), &c.kind);
  num("lr", &c.lr);
  num("momentum", &c.momentum);
  num("beta1", &c.beta1);
  num("beta2", &c.beta2);
  num("eps", &c.eps);
  num("weight_decay", &c.weight_decay);
  num("clip_norm", &c.clip_norm);
  if (e->contains("nesterov") && (*e)["nesterov"].is_boolean())
    c.nesterov = (*e)["nesterov"].get<bool>();
  return c;
}

int RecordedBatch(const json& info) {
  const json* e = &info;
  for (const char* key : {"training", "effective", "batch_size"}) {
    if (!e->is_object() || !e->contains(key)) return 256;
    e = &(*e)[key];
  }
  return e->is_number_integer() && e->get<int>() > 0 ? e->get<int>() : 256;
}

void ApplyMask(const std::vector<uint8_t>& keep, std::vector<float>* params) {
  for (size_t i = 0; i < keep.size(); ++i)
    if (!keep[i]) (*params)[i] = 0.0f;
}

}  // namespace

int FinalSparsityEpoch(int epochs) { return epochs < 2 ? 1 : epochs - std::max(1, epochs / 3); }

double ScheduledSparsity(double s0, double s, int epoch, int epochs) {
  const int P = FinalSparsityEpoch(epochs);
  const double t = 1.0 - static_cast<double>(std::min(epoch, P)) / P;
  return s + (s0 - s) * t * t * t;
}

Result<FineTuneResult> PruneMagnitude(const ModelData& m, const ModelDatasets& d,
                                      const FineTuneOptions& o) {
  MING_RETURN_IF_ERROR(ValidateSparsity(o.sparsity));
  if (o.epochs < 0 || o.epochs > 100000)
    return Status::InvalidInput("--fine-tune-epochs must be in [0, 100000]");
  if (!(o.lr_factor > 0 && o.lr_factor <= 100))
    return Status::InvalidInput("fine-tuning lr factor must be in (0, 100]");
  if (o.block < 1 || o.block > 4096) return Status::InvalidInput("--block must be in [1, 4096]");
  const NetLayout layout(m.net);
  FineTuneResult res;
  res.model = m;
  res.initial_sparsity = WeightSparsity(layout, m.params.data());
  if (o.epochs == 0) {
    ApplyMask(MagnitudeMask(layout, m.params.data(), o.sparsity, o.scope, o.block), &res.model.params);
    return res;
  }
  const double s0 = std::min(res.initial_sparsity, o.sparsity);
  for (int e = 1; e <= o.epochs; ++e)
    res.schedule.push_back(ScheduledSparsity(s0, o.sparsity, e, o.epochs));
  TrainOptions t;
  t.net = m.net;
  t.optim = RecordedOptim(m.info);
  t.optim.lr = static_cast<float>(t.optim.lr * o.lr_factor);
  t.epochs = o.epochs;
  t.batch_size = o.batch_size > 0 ? o.batch_size : RecordedBatch(m.info);
  t.patience = 0;
  t.threads = o.threads;
  t.seed = o.seed;
  t.init_params = m.params;
  t.init_buffers = m.buffers;
  t.best_from_epoch = FinalSparsityEpoch(o.epochs);
  TrainCallbacks cb;
  double current = -1;
  cb.on_epoch_start = [&](int epoch, const float* params, std::vector<uint8_t>* keep) {
    const double s = res.schedule[static_cast<size_t>(epoch - 1)];
    if (s == current) return;  // same sparsity: keep the mask
    current = s;
    *keep = MagnitudeMask(layout, params, s, o.scope, o.block);
  };
  if (o.on_epoch) {
    cb.on_epoch = [&](const EpochReport& rep, const float*, const float*) {
      o.on_epoch(rep, res.schedule[static_cast<size_t>(rep.epoch - 1)]);
    };
  }
  MING_ASSIGN_OR_RETURN(TrainResult tr, Train(d.train, d.val, t, false, cb));
  res.model.params = std::move(tr.params);
  res.model.buffers = std::move(tr.buffers);
  res.best_epoch = tr.best_epoch;
  res.history = std::move(tr.history);
  return res;
}

}  // namespace ming
