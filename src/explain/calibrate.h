// Probability calibration fits and the expected calibration error.
//  - Temperature scaling: one scale a = 1/T on the logits minimising the log loss of
//    sigmoid(a z) (one output) or softmax(a z) (several), by safeguarded Newton steps.
//  - Platt scaling (binary): sigmoid(a z + b) fitted as scikit-learn's
//    CalibratedClassifierCV(method="sigmoid") does, to Platt's smoothed targets
//    (n+ + 1)/(n+ + 2) and 1/(n- + 2).
//  - ECE: 10 equal-width bins on the predicted class's probability (top-label).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "ming/status.h"

namespace ming {

// logits[N, C] (C = 1: one binary logit), y[N] class index (0/1 for C = 1).
// Returns the scale a = 1/T > 0. Error when the loss has no finite minimum (e.g. every
// row is classified correctly with margin: the best temperature is 0).
Result<double> FitTemperature(const float* logits, const int32_t* y, int64_t N, int C);

struct PlattFit {
  double scale = 1, shift = 0;  // P = sigmoid(scale * z + shift)
};
// Error when the fitted scale is not positive (scores anti-correlated with the labels).
Result<PlattFit> FitPlatt(const float* logits, const int32_t* y, int64_t N);

// probs[N, C] (C >= 2), y[N]: sum over bins of (rows in bin / N) * |accuracy - confidence|.
double ExpectedCalibrationError(const float* probs, const int32_t* y, int64_t N, int C,
                                int bins = 10);

}  // namespace ming
