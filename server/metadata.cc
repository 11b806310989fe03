// Server and model metadata bodies (rarely requested, so built with nlohmann::json).
#include <nlohmann/json.hpp>

#include "runtime/model_impl.h"
#include "server/infer.h"
#include "server/router.h"
#include "server/v2_json.h"

namespace ming::server {

std::string ServerMetadata() {
  nlohmann::json j = {{"name", "ming"},
                      {"version", "0.1.0"},
                      {"extensions", {"binary_tensor_data", "model_repository"}}};
  return j.dump();
}

// Inputs: one per model field, shape [-1] (batch); outputs: label + probabilities [-1, C]
// for classification, value [-1] for regression, and, for a model that carries background
// rows, contributions [-1, fields] and base_value [-1], returned only for requests with
// "explain": true (said in their parameters). "parameters" documents the signature.
std::string ModelMetadata(const ModelStore::Snapshot& snap, const ServedModel& sm) {
  const Model& m = *sm.model;
  nlohmann::json versions = nlohmann::json::array();
  if (auto it = snap.find(sm.name); it != snap.end()) {
    for (const auto& [num, v] : it->second.versions) versions.push_back(v->version);
  }
  nlohmann::json inputs = nlohmann::json::array();
  const auto& fields = m.impl().data.pre.fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    nlohmann::json p = {{"field_type", Name(fields[f].type)}};
    if (fields[f].type == FieldType::kCategorical) p["categories"] = fields[f].categories;
    inputs.push_back({{"name", fields[f].name},
                      {"datatype", DataTypeName(FieldDataType(m, static_cast<int>(f)))},
                      {"shape", {-1}},
                      {"parameters", p}});
  }
  nlohmann::json outputs = nlohmann::json::array();
  OutputSpec spec[2];
  const int n = ModelOutputs(m, spec);
  for (int i = 0; i < n; ++i) {
    nlohmann::json shape = {-1};
    if (spec[i].dtype == DataType::kFp32) shape.push_back(m.classes().size());
    outputs.push_back({{"name", spec[i].name}, {"datatype", DataTypeName(spec[i].dtype)}, {"shape", shape}});
  }
  const bool explains = !m.impl().data.background.empty();
  if (explains) {
    const nlohmann::json only = {{"returned", "only when the request's parameters say \"explain\": true"}};
    outputs.push_back({{"name", "contributions"}, {"datatype", "FP32"}, {"shape", {-1, fields.size()}},
                       {"parameters", only}});
    outputs.push_back({{"name", "base_value"}, {"datatype", "FP32"}, {"shape", {-1}}, {"parameters", only}});
  }
  const char* task = m.task() == ModelTask::kBinary ? "binary" : m.task() == ModelTask::kMulticlass ? "multiclass" : "regression";
  nlohmann::json params = {{"task", task}, {"label", m.label_name()}, {"classes", m.classes()},
                           {"num_params", m.num_params()},
                           {"inputs_accept", "BYTES (raw text as in the CSV) for any field; numbers (FP32/FP64/INT*) for numeric and boolean fields; BOOL for boolean fields; null or \"\" for missing"}};
  if (m.task() == ModelTask::kBinary) params["threshold"] = m.threshold();
  params["explain"] = explains;
  nlohmann::json j = {{"name", sm.name}, {"versions", versions}, {"platform", "ming"},
                      {"inputs", inputs}, {"outputs", outputs}, {"parameters", params}};
  return j.dump();
}

}  // namespace ming::server
