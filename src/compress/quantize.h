// Post-training int8 quantisation of a whole model: every hidden layer's weights become
// int8 with per-output-channel scales, and its input quantiser is calibrated on the inputs
// that layer sees when the float model runs on calibration rows. The output layer stays
// float32 (it is one column per output, so int8 would save almost nothing and cost
// accuracy in the logits).
// Thread-safety: pure function.
#pragma once

#include <cstdint>

#include "ming/status.h"
#include "runtime/model_file.h"

namespace ming {

// The frozen int8 form of `m` (trained or frozen float). X[rows, inputs] are encoded
// calibration rows. Errors: a model that is already quantised, no calibration rows, a width
// mismatch.
Result<ModelData> QuantizeModel(const ModelData& m, const float* X, int64_t rows, int inputs);

// Whether any layer of the model is int8.
bool IsQuantized(const ModelData& m);

}  // namespace ming
