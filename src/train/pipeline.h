// From a labelled CSV to a trained model: read, split, fit preprocessing on the training
// rows, encode, train, evaluate on train/validation/test, assemble the model file.
// Used by `ming train`, `ming demo` and the tests.
// Thread-safety: call from one thread (training uses its own pool).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "data/preprocess.h"
#include "data/split.h"
#include "ming/status.h"
#include "runtime/model_file.h"
#include "train/trainer.h"

namespace ming {

struct PipelineOptions {
  std::string data_path;            // training CSV
  std::string val_path, test_path;  // optional separate files
  CsvOptions csv;
  FitOptions fit;
  double val_fraction = 0.15;       // of data_path, when val_path is empty
  double test_fraction = 0.15;      // of data_path, when test_path is empty
  // "none", "balanced", or "class=weight,..." (classification only).
  std::string class_weight = "none";
  TrainOptions train;
  bool resume = false;
  // The effective configuration as the user gave it, recorded in the model.
  nlohmann::json config = nlohmann::json::object();
};

struct PipelineResult {
  ModelData model;
  TrainResult train;
  nlohmann::json metrics;  // {"train": {...}, "validation": {...}, "test": {...}}
  int64_t train_rows = 0, val_rows = 0, test_rows = 0;
};

struct PipelineCallbacks {
  // After each epoch, with the validation metrics (EvaluateEncoded; empty without
  // validation data).
  std::function<void(const EpochReport&, const nlohmann::json& val_metrics)> on_epoch;
  std::function<void(const StepReport&)> on_step;
  // Once the data is loaded and split, before training.
  std::function<void(const Preprocessor&, int64_t train_rows, int64_t val_rows, int64_t test_rows)> on_data;
};

// The training/validation/test split `ming train` makes of `data`: stratified by the raw
// label strings of column label_col unless task is regression, seeded.
Split SplitTable(const CsvTable& data, int label_col, Task task, double val_fraction,
                 double test_fraction, uint64_t seed);

// Sets d->w from a --class-weight spec ("none", "balanced", "class=weight,..."); d->y holds
// class indices of pre's label. Errors (InvalidInput) name the bad item.
Status ApplyClassWeights(const std::string& spec, const Preprocessor& pre, Dataset* d);

// The defaults `ming train` uses when only --label is given (see docs/defaults.md).
PipelineOptions DefaultPipelineOptions();

Result<PipelineResult> RunPipeline(const PipelineOptions& opts, const PipelineCallbacks& callbacks);

}  // namespace ming
