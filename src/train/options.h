// JSON forms of the network, optimiser, schedule and training options: recorded in every
// model file (the full effective configuration) and checkpoint (to refuse a resume with
// different settings). FromJson validates and never throws.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "ming/status.h"
#include "nn/config.h"
#include "train/trainer.h"

namespace ming {

nlohmann::json ToJson(const NetConfig& c);
nlohmann::json ToJson(const OptimConfig& c);
nlohmann::json ToJson(const ScheduleConfig& c);
// Everything that determines the trained weights (not threads, epochs or paths).
nlohmann::json TrainingFingerprint(const TrainOptions& o);
nlohmann::json ToJson(const TrainOptions& o);

// Parses and validates (ValidateNetConfig) a model's network configuration; one with
// "embeddings" (a training network's) is refused.
Result<NetConfig> NetConfigFromJson(const nlohmann::json& j);

}  // namespace ming
