// The training pipeline: data -> split -> preprocessing -> training -> metrics -> model.
#include "train/pipeline.h"

#include <map>

#include "data/split.h"
#include "explain/background.h"
#include "nn/embedding.h"
#include "train/evaluate.h"
#include "train/options.h"

namespace ming {

using nlohmann::json;

namespace {

struct Tables {
  CsvTable data, val, test;
  Split split;
};

Result<Tables> LoadTables(const PipelineOptions& o) {
  Tables t;
  MING_ASSIGN_OR_RETURN(t.data, ReadCsv(o.data_path, o.csv));
  if (!o.val_path.empty()) { MING_ASSIGN_OR_RETURN(t.val, ReadCsv(o.val_path, o.csv)); }
  if (!o.test_path.empty()) { MING_ASSIGN_OR_RETURN(t.test, ReadCsv(o.test_path, o.csv)); }
  const double vf = o.val_path.empty() ? o.val_fraction : 0.0;
  const double tf = o.test_path.empty() ? o.test_fraction : 0.0;
  if (vf < 0 || tf < 0 || vf + tf >= 1.0) {
    return Status::InvalidInput("--val-fraction + --test-fraction must be in [0, 1)");
  }
  const int label_col = t.data.column_index(o.fit.label);
  if (label_col < 0) {
    return Status::InvalidInput(o.data_path + ": no label column '" + o.fit.label +
                                "' (columns: " + ColumnList(t.data) + ")" + DelimiterHint(t.data));
  }
  auto task = o.fit.task;
  if (task == Task::kCount) {
    MING_ASSIGN_OR_RETURN(task, InferTask(t.data, static_cast<size_t>(label_col), {}, o.fit.max_classes));
  }
  t.split = SplitTable(t.data, label_col, task, vf, tf, o.train.seed);
  if (t.split.train.empty()) return Status::InvalidInput(o.data_path + ": no rows left for training");
  return t;
}

}  // namespace

Split SplitTable(const CsvTable& data, int label_col, Task task, double val_fraction,
                 double test_fraction, uint64_t seed) {
  // Stratify on the raw label strings for classification.
  std::vector<int> strata;
  if (task != Task::kRegression) {
    std::map<std::string, int> ids;
    strata.reserve(data.rows());
    for (size_t r = 0; r < data.rows(); ++r) {
      auto it = ids.emplace(data.cell(r, static_cast<size_t>(label_col)), static_cast<int>(ids.size())).first;
      strata.push_back(it->second);
    }
  }
  return SplitRows(data.rows(), strata, val_fraction, test_fraction, seed);
}

Status ApplyClassWeights(const std::string& spec, const Preprocessor& pre, Dataset* d) {
  if (spec == "none" || spec.empty()) return Status::Ok();
  const auto& label = pre.label();
  if (label.task == Task::kRegression) return Status::InvalidInput("--class-weight needs a classification task");
  const size_t C = label.classes.size();
  std::vector<double> w(C, 1.0);
  if (spec == "balanced") {
    std::vector<double> count(C, 0.0);
    for (float y : d->y) count[static_cast<size_t>(y)] += 1;
    for (size_t c = 0; c < C; ++c) w[c] = count[c] > 0 ? static_cast<double>(d->rows) / (static_cast<double>(C) * count[c]) : 1.0;
  } else {
    size_t pos = 0;
    while (pos < spec.size()) {
      size_t comma = spec.find(',', pos);
      if (comma == std::string::npos) comma = spec.size();
      const std::string item = spec.substr(pos, comma - pos);
      const size_t eq = item.find('=');
      double v = 0;
      if (eq == std::string::npos || !ParseNumber(item.substr(eq + 1), &v) || !(v > 0) || v > 1e6) {
        return Status::InvalidInput("--class-weight: '" + item + "' is not class=positive_number");
      }
      const std::string cls = item.substr(0, eq);
      size_t c = 0;
      while (c < C && label.classes[c] != cls) ++c;
      if (c == C) return Status::InvalidInput("--class-weight: unknown class '" + cls + "'");
      w[c] = v;
      pos = comma + 1;
    }
  }
  d->w.resize(static_cast<size_t>(d->rows));
  for (size_t i = 0; i < d->w.size(); ++i) d->w[i] = static_cast<float>(w[static_cast<size_t>(d->y[i])]);
  return Status::Ok();
}

namespace {

void ConfigureHead(const Preprocessor& pre, NetConfig* net) {
  net->inputs = pre.encoded_width();
  net->outputs = pre.num_outputs();
  net->embeddings = pre.EmbeddingSpecs();
  switch (pre.label().task) {
    case Task::kBinary: net->loss = LossKind::kBce; break;
    case Task::kMulticlass: net->loss = LossKind::kCrossEntropy; break;
    default:
      if (net->loss != LossKind::kHuber) net->loss = LossKind::kMse;
  }
}

}  // namespace

PipelineOptions DefaultPipelineOptions() {
  PipelineOptions o;
  o.train.net.hidden = {256, 128};
  o.train.net.activation = Activation::kRelu;
  o.train.net.dropout = 0.2f;
  o.train.net.norm = Norm::kBatch;
  o.train.optim.kind = OptimizerKind::kAdamW;
  o.train.optim.lr = 1e-3f;
  o.train.optim.weight_decay = 0.1f;
  o.train.epochs = 200;
  o.train.batch_size = 256;
  o.train.patience = 20;
  return o;
}

Result<PipelineResult> RunPipeline(const PipelineOptions& o, const PipelineCallbacks& callbacks) {
  MING_ASSIGN_OR_RETURN(Tables t, LoadTables(o));
  MING_ASSIGN_OR_RETURN(Preprocessor pre, Preprocessor::Fit(t.data, t.split.train, o.fit));
  MING_ASSIGN_OR_RETURN(Dataset train, EncodeDataset(pre, t.data, t.split.train));
  MING_RETURN_IF_ERROR(ApplyClassWeights(o.class_weight, pre, &train));
  const CsvTable& vt = o.val_path.empty() ? t.data : t.val;
  const CsvTable& tt = o.test_path.empty() ? t.data : t.test;
  MING_ASSIGN_OR_RETURN(Dataset val, EncodeDataset(pre, vt, o.val_path.empty() ? t.split.val : AllRows(t.val)));
  MING_ASSIGN_OR_RETURN(Dataset test, EncodeDataset(pre, tt, o.test_path.empty() ? t.split.test : AllRows(t.test)));

  TrainOptions topts = o.train;
  ConfigureHead(pre, &topts.net);
  MING_RETURN_IF_ERROR(ValidateNetConfig(topts.net));
  PipelineResult res;
  res.model.pre = pre;
  res.model.net = topts.net;
  res.model.net.embeddings.clear();  // a model keeps its tables in the preprocessing
  res.model.info["training"] = o.config;
  res.model.info["training"]["effective"] = ToJson(topts);
  topts.checkpoint_meta = SerializeModel(res.model);
  if (callbacks.on_data) callbacks.on_data(pre, train.rows, val.rows, test.rows);
  TrainCallbacks tcb;
  tcb.on_step = callbacks.on_step;
  // Each epoch's validation metrics come from the outputs the trainer computed for its
  // validation loss (one forward pass over the validation rows per epoch, not two).
  ModelData labels;  // what MetricsOfOutputs reads: the preprocessing and the network shape
  if (callbacks.on_epoch) {
    labels.pre = pre;
    labels.net = topts.net;
    tcb.on_epoch = [&](const EpochReport& rep, const float*, const float*) {
      json vm = json::object();
      if (val.rows > 0 && rep.val_outputs) vm = MetricsOfOutputs(labels, val, rep.val_outputs);
      callbacks.on_epoch(rep, vm);
    };
  }
  MING_ASSIGN_OR_RETURN(res.train, Train(train, val, topts, o.resume, tcb));

  res.model.params = res.train.params;
  res.model.buffers = res.train.buffers;
  if (!topts.net.embeddings.empty()) {
    // The trained tables (after the layers' parameters) move to the preprocessing, and the
    // encoded rows get their embedded columns, for the metrics and background rows below.
    const NetLayout layout(topts.net);
    for (Dataset* d : {&train, &val, &test}) {
      embedding_gather(layout, res.train.params.data(), d->slots.data(), d->rows, d->X.data());
    }
    const size_t n = static_cast<size_t>(layout.num_layer_params());
    MING_RETURN_IF_ERROR(
        res.model.pre.SetEmbeddingTables(res.train.params.data() + n, res.train.params.size() - n));
    res.model.params.resize(n);
  }
  // Background rows for explanations (ming explain), a seeded sample of training rows.
  res.model.background = SampleBackground(train.X.data(), train.rows, train.features, kBackgroundRows, topts.seed);
  const int threads = topts.threads;
  res.metrics["train"] = EvaluateEncoded(res.model, train, threads);
  if (val.rows > 0) res.metrics["validation"] = EvaluateEncoded(res.model, val, threads);
  if (test.rows > 0) res.metrics["test"] = EvaluateEncoded(res.model, test, threads);
  res.train_rows = train.rows;
  res.val_rows = val.rows;
  res.test_rows = test.rows;
  res.model.info["metrics"] = res.metrics;
  res.model.info["best_epoch"] = res.train.best_epoch;
  res.model.info["epochs_run"] = res.train.epochs_run;
  res.model.info["stopped_early"] = res.train.stopped_early;
  res.model.info["rows"] = {{"train", train.rows}, {"validation", val.rows}, {"test", test.rows}};
  res.model.info["created"] = CreationTime();
  res.model.info["ming_version"] = "0.1.0";
  return res;
}

}  // namespace ming
