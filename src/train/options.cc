// JSON conversion of configurations. Reading is defensive: model files come from outside.
#include "train/options.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "nn/network.h"
#include "util/json_int.h"

namespace ming {

using nlohmann::json;

json ToJson(const NetConfig& c) {
  json j = {{"inputs", c.inputs},         {"hidden", c.hidden},
            {"outputs", c.outputs},       {"activation", Name(c.activation)},
            {"leaky_slope", c.leaky_slope}, {"dropout", c.dropout},
            {"norm", Name(c.norm)},       {"norm_eps", c.norm_eps},
            {"bn_momentum", c.bn_momentum}, {"loss", Name(c.loss)},
            {"huber_delta", c.huber_delta}};
  // Only a training network has embeddings (checkpoints record them in their fingerprint);
  // a model keeps its tables in the preprocessing, so model files never carry the key.
  if (!c.embeddings.empty()) {
    json& e = j["embeddings"] = json::array();
    for (const EmbeddingSpec& s : c.embeddings) {
      e.push_back({{"column", s.column}, {"dim", s.dim}, {"rows", s.rows}});
    }
  }
  return j;
}

json ToJson(const OptimConfig& c) {
  return {{"optimizer", Name(c.kind)}, {"lr", c.lr},
          {"momentum", c.momentum},    {"nesterov", c.nesterov},
          {"beta1", c.beta1},          {"beta2", c.beta2},
          {"eps", c.eps},              {"weight_decay", c.weight_decay},
          {"clip_norm", c.clip_norm}};
}

json ToJson(const ScheduleConfig& c) {
  return {{"schedule", Name(c.kind)}, {"warmup_steps", c.warmup_steps},
          {"step_every", c.step_every}, {"gamma", c.gamma},
          {"min_lr_ratio", c.min_lr_ratio}};
}

json TrainingFingerprint(const TrainOptions& o) {
  return {{"net", ToJson(o.net)},          {"optim", ToJson(o.optim)},
          {"schedule", ToJson(o.schedule)}, {"batch_size", o.batch_size},
          {"patience", o.patience},        {"min_delta", o.min_delta},
          {"warmup_epochs", o.warmup_epochs}, {"step_epochs", o.step_epochs},
          {"seed", o.seed}};
}

json ToJson(const TrainOptions& o) {
  json j = TrainingFingerprint(o);
  j["epochs"] = o.epochs;
  j["threads"] = o.threads;
  return j;
}

namespace {

template <class E>
Status EnumField(const json& j, const char* key, E* out) {
  if (!j.contains(key)) return Status::InvalidInput(std::string("network: missing '") + key + "'");
  if (!j[key].is_string())
    return Status::InvalidInput(std::string("network: '") + key + "' must be a string");
  if (!Parse(j[key].get<std::string>(), out)) {
    return Status::InvalidInput(std::string("network: unknown ") + key + " '" + j[key].get<std::string>() + "'");
  }
  return Status::Ok();
}

// An integer in [1, max] (JsonInt: get<int>() would wrap 2^32 + 5 to 5).
Status IntField(const json& v, const std::string& what, int max, int* out) {
  if (!v.is_number_integer())
    return Status::InvalidInput("network: " + what + " must be an integer");
  try {
    *out = static_cast<int>(JsonInt(v, 1, max));
  } catch (const json::exception&) {
    return Status::InvalidInput("network: " + what + " " + v.dump() + " is outside 1.." +
                                std::to_string(max));
  }
  return Status::Ok();
}

// A number that fits a float (converting a larger double is undefined behaviour).
Status FloatField(const json& j, const char* key, float* out) {
  const json& v = j.at(key);
  if (!v.is_number())
    return Status::InvalidInput(std::string("network: '") + key + "' must be a number");
  const double d = v.get<double>();
  if (!(std::fabs(d) <= std::numeric_limits<float>::max())) {
    return Status::InvalidInput(std::string("network: '") + key + "' " + v.dump() +
                                " does not fit a float");
  }
  *out = static_cast<float>(d);
  return Status::Ok();
}

}  // namespace

Result<NetConfig> NetConfigFromJson(const json& j) {
  try {
    NetConfig c;
    if (!j.is_object()) return Status::InvalidInput("network: must be an object");
    MING_RETURN_IF_ERROR(IntField(j.at("inputs"), "inputs", 1 << 20, &c.inputs));
    MING_RETURN_IF_ERROR(IntField(j.at("outputs"), "outputs", 1 << 16, &c.outputs));
    const json& hidden = j.at("hidden");
    if (!hidden.is_array()) return Status::InvalidInput("network: 'hidden' must be an array");
    if (hidden.size() > 64) return Status::InvalidInput("network: more than 64 hidden layers");
    for (size_t i = 0; i < hidden.size(); ++i) {
      MING_RETURN_IF_ERROR(IntField(hidden[i], "hidden width " + std::to_string(i + 1), 1 << 16,
                                    &c.hidden.emplace_back()));
    }
    if (j.contains("embeddings")) {
      return Status::InvalidInput(
          "network: a model's embedding tables belong to its preprocessing, not its network");
    }
    MING_RETURN_IF_ERROR(EnumField(j, "activation", &c.activation));
    MING_RETURN_IF_ERROR(EnumField(j, "norm", &c.norm));
    MING_RETURN_IF_ERROR(EnumField(j, "loss", &c.loss));
    for (auto [key, out] :
         {std::pair{"leaky_slope", &c.leaky_slope}, std::pair{"dropout", &c.dropout},
          std::pair{"norm_eps", &c.norm_eps}, std::pair{"bn_momentum", &c.bn_momentum},
          std::pair{"huber_delta", &c.huber_delta}}) {
      MING_RETURN_IF_ERROR(FloatField(j, key, out));
    }
    MING_RETURN_IF_ERROR(ValidateNetConfig(c));  // its messages start "network: "
    return c;
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("network: ") + e.what());
  }
}

}  // namespace ming
