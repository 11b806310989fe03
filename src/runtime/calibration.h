// Probability calibration stored in a model and applied at prediction time: an affine map
// of the logits before the sigmoid/softmax, z' = scale * z + shift. Temperature scaling is
// scale = 1/T, shift = 0 (any task with logits); Platt scaling is a fitted (scale, shift) on
// the single logit of a binary model. Fitted by src/explain/calibrate.h.
// Thread-safety: a plain value.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ming/status.h"

namespace ming {

enum class CalibrationMethod { kNone, kTemperature, kPlatt, kCount };

struct Calibration {
  CalibrationMethod method = CalibrationMethod::kNone;
  double scale = 1.0, shift = 0.0;  // z' = scale * z + shift; scale > 0
  // Expected calibration error (10 equal-width bins on the predicted class's probability)
  // on the data the calibration was fitted on, before and after; -1 when unknown.
  double ece_before = -1, ece_after = -1;
  int64_t rows = 0;  // rows it was fitted on

  double Apply(double z) const { return scale * z + shift; }
};

const char* Name(CalibrationMethod m);
nlohmann::json ToJson(const Calibration& c);
// Validates method name, finite scale > 0, finite shift; Platt only for one output.
Result<Calibration> CalibrationFromJson(const nlohmann::json& j, int outputs);

}  // namespace ming
