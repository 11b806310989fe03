// Shared by the model-file fuzz targets: run a model that passed validation, so that
// whatever the loader accepts is also safe to execute (plan building, kernels, output).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "ming/ming.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"

namespace ming::fuzz {

// Predicts two rows of all-missing cells, one by one and as a batch.
inline void PredictOnce(ModelData d) {
  auto model = std::make_shared<const Model>(std::make_unique<ModelImpl>(std::move(d)));
  Session session(model, 4);
  std::vector<std::string_view> cells(2 * model->fields().size(), std::string_view());
  Prediction p;
  (void)session.Predict(std::span(cells.data(), model->fields().size()), &p);
  size_t width = model->classes().empty() ? 1 : model->classes().size();
  std::vector<float> out(2 * width);
  (void)session.PredictBatch(cells, 2, out.data());
}

}  // namespace ming::fuzz
