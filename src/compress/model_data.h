// The data a trained model was made from, encoded with the model's own (stored)
// preprocessing: what pruning, fine-tuning and quantisation calibration work on.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "data/csv.h"
#include "ming/status.h"
#include "runtime/model_file.h"
#include "train/trainer.h"

namespace ming {

struct ModelDatasets {
  Dataset train, val, test;  // val/test may have 0 rows
};

// Reads data_path (and val_path / test_path when non-empty) and encodes them with m.pre
// (no refit). When val_path or test_path is empty, that part is cut from data_path exactly
// as `ming train` cut it: the seed (info.training.effective.seed), fractions
// (info.training.val_fraction / test_fraction, 0.15 when absent; 0 for a part the model
// was trained with a separate file for) and stratification are those of the model, so the
// original CSV gives the same train/validation/test rows. The training rows get the
// model's class weights (info.training.class_weight).
// Errors (InvalidInput): a file without a column the model needs (input field or label),
// a cell that does not parse, an unknown class; each names the file, line and column.
Result<ModelDatasets> EncodeForModel(const ModelData& m, const std::string& data_path,
                                     const std::string& val_path, const std::string& test_path,
                                     const CsvOptions& csv);

}  // namespace ming
