// A frozen model as stored on disk: preprocessing, network configuration, weights and
// metadata (effective training configuration, metrics, creation time) in one container of
// kind kModel. Sections: META (JSON), PARM (float32 params), BUFS (float32 buffers).
// Thread-safety: plain values and functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"
#include "ming/status.h"
#include "nn/config.h"
#include "runtime/calibration.h"

namespace ming {

struct ModelData {
  Preprocessor pre;
  NetConfig net;
  std::vector<float> params, buffers;
  double threshold = 0.5;  // binary decision threshold on P(positive)
  // Free-form metadata: "training" (effective configuration), "metrics", "history",
  // "created", "ming_version", "data". Stored as is.
  nlohmann::json info = nlohmann::json::object();
  // Explanations (src/explain): background rows of encoded training inputs,
  // [rows, net.inputs] row-major (section BKGD; empty when absent), and the probability
  // calibration applied by OutputsToPrediction (META "calibration"; absent = none).
  std::vector<float> background;
  Calibration calibration;
};

// Serialises to the container bytes (deterministic for the same ModelData).
std::string SerializeModel(const ModelData& m);
Status SaveModel(const std::string& path, const ModelData& m);
// Validates everything: container checksums, JSON shape, preprocessing, network shape
// against the preprocessing width and the parameter count, finite weights.
Result<ModelData> LoadModel(const std::string& path);
Result<ModelData> ParseModel(std::string_view bytes, const std::string& name);

// Creation time in ISO 8601 UTC; from SOURCE_DATE_EPOCH when set (reproducible files).
std::string CreationTime();

}  // namespace ming
