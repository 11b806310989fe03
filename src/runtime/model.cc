// Model and Session: the public API over ModelData, Plan and the preprocessor.
#include <algorithm>
#include <cmath>

#include "ming/ming.h"
#include "nn/network.h"
#include "runtime/model_impl.h"

namespace ming {

Plan MakePlan(const ModelData& d) {
  if (d.frozen) return Plan(d.net, d.layers);
  return Plan(d.net, d.params.data(), d.buffers.data());
}

ModelImpl::ModelImpl(ModelData d) : data(std::move(d)), plan(MakePlan(data)) {
  for (const auto& f : data.pre.fields()) field_names.push_back(f.name);
  num_params = CountParams(data);
}

void OutputsToPrediction(const ModelData& m, const float* out, float* probs, double* value,
                         int* class_index) {
  switch (m.pre.label().task) {
    case Task::kBinary: {
      const double p = 1.0 / (1.0 + std::exp(-m.calibration.Apply(out[0])));  // calibrated logit
      probs[0] = static_cast<float>(1.0 - p);
      probs[1] = static_cast<float>(p);
      *class_index = p >= m.threshold ? 1 : 0;
      *value = *class_index == 1 ? p : 1.0 - p;
      return;
    }
    case Task::kMulticlass: {
      const int C = m.net.outputs;
      const float mx = *std::max_element(out, out + C);
      const double ts = m.calibration.scale;  // temperature calibration (1 when none)
      double sum = 0;
      for (int c = 0; c < C; ++c) sum += std::exp(ts * static_cast<double>(out[c] - mx));
      int best = 0;
      for (int c = 0; c < C; ++c) {
        probs[c] = static_cast<float>(std::exp(ts * static_cast<double>(out[c] - mx)) / sum);
        if (out[c] > out[best]) best = c;
      }
      *class_index = best;
      *value = probs[best];
      return;
    }
    case Task::kRegression:
    case Task::kCount:
      *class_index = -1;
      *value = m.pre.DecodeValue(out[0]);
      return;
  }
}

Model::Model(std::unique_ptr<ModelImpl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Result<std::shared_ptr<const Model>> Model::Load(const std::string& path) {
  MING_ASSIGN_OR_RETURN(ModelData d, LoadModel(path));
  return std::shared_ptr<const Model>(std::make_shared<Model>(std::make_unique<ModelImpl>(std::move(d))));
}

ModelTask Model::task() const {
  switch (impl_->data.pre.label().task) {
    case Task::kBinary: return ModelTask::kBinary;
    case Task::kMulticlass: return ModelTask::kMulticlass;
    default: return ModelTask::kRegression;
  }
}
const std::vector<std::string>& Model::fields() const { return impl_->field_names; }
int Model::field_index(std::string_view name) const { return impl_->data.pre.field_index(name); }
const std::string& Model::label_name() const { return impl_->data.pre.label().name; }
const std::vector<std::string>& Model::classes() const { return impl_->data.pre.label().classes; }
double Model::threshold() const { return impl_->data.threshold; }
int64_t Model::num_params() const { return impl_->num_params; }

struct SessionImpl {
  SessionImpl(const ModelImpl& m, int rows)
      : scratch(m.plan, rows),
        x(static_cast<size_t>(rows) * static_cast<size_t>(m.plan.inputs())),
        out(static_cast<size_t>(rows) * static_cast<size_t>(m.plan.outputs())),
        probs(std::max<size_t>(m.data.pre.label().classes.size(), 1)),
        named(m.field_names.size()),
        max_batch(rows) {}
  PlanScratch scratch;
  std::vector<float> x, out, probs;
  std::vector<std::string_view> named;
  int max_batch;
};

Session::Session(std::shared_ptr<const Model> model, int max_batch)
    : model_(std::move(model)),
      impl_(std::make_unique<SessionImpl>(model_->impl(), std::max(1, max_batch))) {}
Session::~Session() = default;

Status Session::Predict(std::span<const std::string_view> row, Prediction* out) {
  const ModelImpl& m = model_->impl();
  if (row.size() != m.field_names.size()) {
    return Status::InvalidInput("row has " + std::to_string(row.size()) + " fields, model expects " +
                                std::to_string(m.field_names.size()));
  }
  MING_RETURN_IF_ERROR(m.data.pre.EncodeRow(row.data(), impl_->x.data()));
  m.plan.Run(impl_->x.data(), 1, impl_->out.data(), impl_->scratch);
  OutputsToPrediction(m.data, impl_->out.data(), impl_->probs.data(), &out->value, &out->class_index);
  const auto& classes = m.data.pre.label().classes;
  if (out->class_index >= 0) {
    out->label = classes[static_cast<size_t>(out->class_index)];
    out->probabilities = std::span<const float>(impl_->probs.data(), classes.size());
  } else {
    out->label = {};
    out->probabilities = {};
  }
  return Status::Ok();
}

Status Session::PredictNamed(std::span<const std::pair<std::string_view, std::string_view>> row,
                             Prediction* out) {
  const ModelImpl& m = model_->impl();
  std::fill(impl_->named.begin(), impl_->named.end(), std::string_view());
  for (const auto& [name, value] : row) {
    const int i = m.data.pre.field_index(name);
    if (i < 0) return Status::InvalidInput("unknown field '" + std::string(name) + "'");
    impl_->named[static_cast<size_t>(i)] = value;
  }
  return Predict(impl_->named, out);
}

Status Session::PredictBatch(std::span<const std::string_view> cells, int64_t rows, float* out) {
  const ModelImpl& m = model_->impl();
  const size_t F = m.field_names.size();
  if (rows < 0 || cells.size() != static_cast<size_t>(rows) * F) {
    return Status::InvalidInput("batch has " + std::to_string(cells.size()) + " cells, expected " +
                                std::to_string(rows) + " rows x " + std::to_string(F) + " fields");
  }
  const int W = m.plan.inputs(), O = m.plan.outputs();
  const int K = m.data.pre.label().task == Task::kRegression ? 1 : static_cast<int>(m.data.pre.label().classes.size());
  for (int64_t r0 = 0; r0 < rows; r0 += impl_->max_batch) {
    const int B = static_cast<int>(std::min<int64_t>(impl_->max_batch, rows - r0));
    for (int r = 0; r < B; ++r) {
      Status st = m.data.pre.EncodeRow(&cells[static_cast<size_t>(r0 + r) * F],
                                       impl_->x.data() + static_cast<size_t>(r) * W);
      if (!st.ok()) return st.Prefixed("row " + std::to_string(r0 + r + 1));
    }
    m.plan.Run(impl_->x.data(), B, impl_->out.data(), impl_->scratch);
    for (int r = 0; r < B; ++r) {
      double value;
      int cls;
      float* dst = out + (r0 + r) * K;
      OutputsToPrediction(m.data, impl_->out.data() + static_cast<size_t>(r) * O, dst, &value, &cls);
      if (K == 1 && cls < 0) dst[0] = static_cast<float>(value);
    }
  }
  return Status::Ok();
}

}  // namespace ming
