// Explainer: per-row Shapley contributions over a Model's fields, in the units the public
// header promises (log-odds, class logit, or the label's units).
#include <cblas.h>

#include <algorithm>

#include "explain/background.h"
#include "explain/coalition_memo.h"
#include "explain/shapley.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"

namespace ming {

struct Explainer::Impl {
  Impl(std::shared_ptr<const Model> m, std::vector<float> bg, const ExplainOptions& o)
      : model(std::move(m)),
        background(std::move(bg)),
        opts(o),
        data(model->impl().data),
        engine(model->impl().plan, FieldColumnsOf(data.pre), background.data(),
               static_cast<int>(background.size() / static_cast<size_t>(data.net.inputs)),
               ShapleyOptions{o.max_exact_fields, o.permutations, o.seed}),
        scratch(model->impl().plan, 1),
        x(static_cast<size_t>(data.net.inputs)),
        logits(static_cast<size_t>(data.net.outputs)),
        named(data.pre.fields().size()) {}

  std::shared_ptr<const Model> model;
  std::vector<float> background;
  ExplainOptions opts;
  const ModelData& data;
  ShapleyEngine engine;
  PlanScratch scratch;
  std::vector<float> x, logits;
  std::vector<std::string_view> named;
  ShapleyValues sv;
};

Explainer::Explainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Explainer::~Explainer() = default;

Result<std::unique_ptr<Explainer>> Explainer::Create(std::shared_ptr<const Model> model,
                                                     const ExplainOptions& o) {
  const ModelData& d = model->impl().data;
  openblas_set_num_threads(1);  // coalition batches are small; parallelism is ours
  if (o.max_exact_fields < 0 || o.max_exact_fields > 20) {
    return Status::InvalidInput("exact Shapley values are limited to 20 fields (2^20 coalitions)");
  }
  if (o.permutations < 1) return Status::InvalidInput("permutations must be at least 1");
  if (o.background_rows < 0) return Status::InvalidInput("background rows must be >= 0");
  const int C = static_cast<int>(d.pre.label().classes.size());
  if (o.class_index >= 0 && (d.pre.label().task != Task::kMulticlass || o.class_index >= C)) {
    return Status::InvalidInput("class index " + std::to_string(o.class_index) +
                                " does not name a class of this model");
  }
  std::vector<float> bg;
  if (!o.background_csv.empty()) {
    MING_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(o.background_csv));
    const int k = o.background_rows > 0 ? o.background_rows : kBackgroundRows;
    MING_ASSIGN_OR_RETURN(bg, BackgroundFromCsv(d, t, k, o.seed));
  } else {
    MING_RETURN_IF_ERROR(RequireBackground(d, ""));
    bg = d.background;
    const size_t W = static_cast<size_t>(d.net.inputs);
    if (o.background_rows > 0 && bg.size() / W > static_cast<size_t>(o.background_rows)) {
      bg.resize(static_cast<size_t>(o.background_rows) * W);
    }
  }
  return std::make_unique<Explainer>(std::make_unique<Impl>(std::move(model), std::move(bg), o));
}

int Explainer::background_rows() const {
  return static_cast<int>(impl_->background.size() / static_cast<size_t>(impl_->data.net.inputs));
}

void Explainer::ExplainEncoded(const float* x, Explanation* out) {
  Impl& m = *impl_;
  const LabelEncoding& label = m.data.pre.label();
  int output = 0;
  out->class_index = -1;
  if (label.task == Task::kMulticlass) {
    output = m.opts.class_index;
    if (output < 0) {
      m.model->impl().plan.Run(x, 1, m.logits.data(), m.scratch);
      output =
          static_cast<int>(std::max_element(m.logits.begin(), m.logits.end()) - m.logits.begin());
    }
    out->class_index = output;
    out->target = "logit of " + label.name + " = " + label.classes[static_cast<size_t>(output)];
  } else if (label.task == Task::kBinary) {
    out->class_index = 1;
    out->target = "log-odds of " + label.name + " = " + label.classes[1];
  } else {
    out->target = label.name;
  }
  m.engine.Explain(x, output, &m.sv);
  const bool reg = label.task == Task::kRegression;
  const double s = reg ? label.std : 1.0, c = reg ? label.mean : 0.0;
  out->contributions.resize(m.sv.phi.size());
  for (size_t f = 0; f < m.sv.phi.size(); ++f) out->contributions[f] = s * m.sv.phi[f];
  out->base = s * m.sv.base + c;
  out->output = s * m.sv.output + c;
  out->method = m.sv.exact ? "exact" : "sampling";
  out->evaluations = m.sv.evaluations;
}

Status Explainer::Explain(std::span<const std::string_view> row, Explanation* out) {
  const size_t F = impl_->data.pre.fields().size();
  if (row.size() != F) {
    return Status::InvalidInput("row has " + std::to_string(row.size()) +
                                " fields, model expects " + std::to_string(F));
  }
  MING_RETURN_IF_ERROR(impl_->data.pre.EncodeRow(row.data(), impl_->x.data()));
  ExplainEncoded(impl_->x.data(), out);
  return Status::Ok();
}

Status Explainer::ExplainNamed(std::span<const std::pair<std::string_view, std::string_view>> row,
                               Explanation* out) {
  std::fill(impl_->named.begin(), impl_->named.end(), std::string_view());
  for (const auto& [name, value] : row) {
    const int i = impl_->data.pre.field_index(name);
    if (i < 0) return Status::InvalidInput("unknown field '" + std::string(name) + "'");
    impl_->named[static_cast<size_t>(i)] = value;
  }
  return Explain(impl_->named, out);
}

bool UseCoalitionMemo(Explainer& ex, const FieldValueIds* ids, int log2_slots) {
  return ex.impl().engine.UseMemo(ids, log2_slots);
}

const std::vector<float>& BackgroundOf(const Explainer& ex) { return ex.impl().background; }

std::pair<int64_t, int64_t> MemoCounts(const Explainer& ex) {
  return {ex.impl().engine.memo_hits(), ex.impl().engine.memo_misses()};
}

}  // namespace ming
