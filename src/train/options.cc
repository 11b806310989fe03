// JSON conversion of configurations. Reading is defensive: model files come from outside.
#include "train/options.h"

#include <nlohmann/json.hpp>

#include "nn/network.h"
#include "util/json_int.h"

namespace ming {

using nlohmann::json;

json ToJson(const NetConfig& c) {
  return {{"inputs", c.inputs},         {"hidden", c.hidden},
          {"outputs", c.outputs},       {"activation", Name(c.activation)},
          {"leaky_slope", c.leaky_slope}, {"dropout", c.dropout},
          {"norm", Name(c.norm)},       {"norm_eps", c.norm_eps},
          {"bn_momentum", c.bn_momentum}, {"loss", Name(c.loss)},
          {"huber_delta", c.huber_delta}};
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
  if (!j.contains(key) || !j[key].is_string()) return Status::InvalidInput(std::string("network: missing '") + key + "'");
  if (!Parse(j[key].get<std::string>(), out)) {
    return Status::InvalidInput(std::string("network: unknown ") + key + " '" + j[key].get<std::string>() + "'");
  }
  return Status::Ok();
}

}  // namespace

Result<NetConfig> NetConfigFromJson(const json& j) {
  try {
    NetConfig c;
    c.inputs = static_cast<int>(JsonInt(j.at("inputs"), INT32_MIN, INT32_MAX));
    if (!j.at("hidden").is_array()) return Status::InvalidInput("network: 'hidden' must be an array");
    for (const json& w : j.at("hidden")) c.hidden.push_back(static_cast<int>(JsonInt(w, INT32_MIN, INT32_MAX)));
    c.outputs = static_cast<int>(JsonInt(j.at("outputs"), INT32_MIN, INT32_MAX));
    MING_RETURN_IF_ERROR(EnumField(j, "activation", &c.activation));
    MING_RETURN_IF_ERROR(EnumField(j, "norm", &c.norm));
    MING_RETURN_IF_ERROR(EnumField(j, "loss", &c.loss));
    c.leaky_slope = j.at("leaky_slope").get<float>();
    c.dropout = j.at("dropout").get<float>();
    c.norm_eps = j.at("norm_eps").get<float>();
    c.bn_momentum = j.at("bn_momentum").get<float>();
    c.huber_delta = j.at("huber_delta").get<float>();
    if (c.hidden.size() > 64) return Status::InvalidInput("network: more than 64 hidden layers");
    for (int w : c.hidden)
      if (w > (1 << 16)) return Status::InvalidInput("network: hidden width " + std::to_string(w) + " is too large");
    if (c.inputs > (1 << 20) || c.outputs > (1 << 16)) return Status::InvalidInput("network: input or output count too large");
    MING_RETURN_IF_ERROR(ValidateNetConfig(c).Prefixed("network"));
    return c;
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("network: ") + e.what());
  }
}

}  // namespace ming
