// Per-layer size summaries of a model (parameters, nonzero weights, weight form) and their
// side-by-side printing, shared by info, freeze, prune and quantize.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/model_file.h"

namespace ming::cli {

struct LayerSummary {
  int in = 0, out = 0;
  int64_t params = 0, weights = 0, nonzeros = 0;
  std::string form;  // "dense", "sparse", "int8"; "trained" before freezing
  std::string single_row;  // sparse layers: the one-row kernel the plan picks
};

struct ModelSummary {
  std::vector<LayerSummary> layers;
  int64_t params = 0, nonzeros = 0;
  uint64_t file_bytes = 0;
  std::string form;  // "trained" or "frozen"
};

ModelSummary Summarise(const ModelData& m, uint64_t file_bytes);
nlohmann::json ToJson(const ModelSummary& s);
// One line per layer: shape, params and nonzeros before -> after, then the totals.
void PrintComparison(const ModelSummary& before, const ModelSummary& after);
// One line per layer for a single model.
void PrintLayers(const ModelSummary& s);

}  // namespace ming::cli
