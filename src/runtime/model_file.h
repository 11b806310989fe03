// A model as stored on disk: preprocessing, network configuration, weights and metadata
// (effective training configuration, metrics, creation time) in one container of kind
// kModel. Two forms: a trained model (what `ming train` writes: the training-layout
// parameters, from which training can continue; sections META, PARM, BUFS) and a frozen
// model (what freeze, prune and quantize write: the inference layers only, batch norm
// folded, each layer dense, sparse or int8; sections META and W###/B###/N### per layer).
// Either form adds EMBD (the embedded fields' tables) when the preprocessing has any.
// Thread-safety: plain values and functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/preprocess.h"
#include "ming/status.h"
#include "nn/config.h"
#include "runtime/calibration.h"
#include "runtime/frozen.h"

namespace ming {

struct ModelData {
  Preprocessor pre;
  NetConfig net;
  // Trained form: parameters and buffers as NetLayout(net) lays them out.
  std::vector<float> params, buffers;
  // Frozen form (frozen == true): the inference layers; params and buffers are empty.
  bool frozen = false;
  std::vector<FrozenLayer> layers;
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

// The frozen form of a trained model (a frozen model is returned as it is), with each
// layer in its smallest fast form (ChooseWeightForms).
ModelData FreezeModel(ModelData m);
// Parameters of the model (the network's weights, biases and norm parameters, and the
// embedding tables; batch-norm running statistics excluded) and how many of the network's
// weights are nonzero.
int64_t CountParams(const ModelData& m);
int64_t CountNonzeroWeights(const ModelData& m);

// Creation time in ISO 8601 UTC; from SOURCE_DATE_EPOCH when set (reproducible files).
std::string CreationTime();

}  // namespace ming
