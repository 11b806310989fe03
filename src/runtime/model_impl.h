// What a loaded Model holds: the stored ModelData and the inference plan built from it.
// Thread-safety: immutable after construction.
#pragma once

#include <string>
#include <vector>

#include "runtime/model_file.h"
#include "runtime/plan.h"

namespace ming {

struct ModelImpl {
  explicit ModelImpl(ModelData d);
  ModelData data;
  Plan plan;
  std::vector<std::string> field_names;
  int64_t num_params = 0;
};

// The inference plan of a model in either form.
Plan MakePlan(const ModelData& d);

// Turns network outputs (logits or standardised values) into probabilities or values.
// out[outputs] -> probs[classes] (classification) or *value (regression). Allocates nothing.
void OutputsToPrediction(const ModelData& m, const float* out, float* probs, double* value,
                         int* class_index);

}  // namespace ming
