// Request validation, encoding and plan execution for the server (see infer.h).
#include "server/infer.h"

#include <algorithm>
#include <cmath>

#include "data/schema.h"
#include "runtime/model_impl.h"

namespace ming::server {

PlanScratch& Workspace::Scratch(const Plan& plan) {
  if (!scratch || !scratch->Fits(plan, 256)) scratch = std::make_unique<PlanScratch>(plan, 256);
  return *scratch;
}

DataType FieldDataType(const Model& m, int field) {
  switch (m.impl().data.pre.fields()[static_cast<size_t>(field)].type) {
    case FieldType::kCategorical: return DataType::kBytes;
    case FieldType::kBoolean: return DataType::kBool;
    default: return DataType::kFp32;
  }
}

namespace {

bool IsFloat(DataType t) { return t == DataType::kFp32 || t == DataType::kFp64; }

Status CheckInput(const Model& m, const InputTensor& in, int field, int64_t* rows) {
  // Built only for an error: this runs for every input of every request.
  const auto where = [&in] { return "input '" + std::string(in.name) + "'"; };
  if (in.dtype == DataType::kCount) return Status::InvalidInput(where() + ": unknown datatype");
  const FieldType ft = m.impl().data.pre.fields()[static_cast<size_t>(field)].type;
  if (ft == FieldType::kCategorical && IsFloat(in.dtype)) {
    return Status::InvalidInput(where() + ": categorical field needs BYTES (or an integer type), got " +
                                DataTypeName(in.dtype));
  }
  const auto& s = in.shape;
  if (s.empty() || s.size() > 2 || (s.size() == 2 && s[1] != 1)) {
    std::string got;
    for (int64_t d : s) {  // appended piecewise: GCC 12's -Wrestrict misfires on "," + string
      if (!got.empty()) got += ',';
      got += std::to_string(d);
    }
    return Status::InvalidInput(where() + ": shape must be [batch] or [batch, 1], got [" + got + "]");
  }
  if (static_cast<int64_t>(in.cells.size()) != s[0]) {
    return Status::InvalidInput(where() + ": shape says " + std::to_string(s[0]) + " elements, data has " +
                                std::to_string(in.cells.size()));
  }
  if (in.has_nonfinite) {
    return Status::InvalidInput(where() + ": NaN or infinity is not allowed (send null or \"\" for a missing value)");
  }
  if (*rows >= 0 && s[0] != *rows) {
    return Status::InvalidInput(where() + ": batch size " + std::to_string(s[0]) + " differs from the other inputs' " +
                                std::to_string(*rows));
  }
  *rows = s[0];
  return Status::Ok();
}

}  // namespace

Status EncodeRequest(const Model& m, const InferRequest& req, int64_t max_rows, Workspace& ws,
                     int64_t* rows) {
  const auto& fields = m.fields();
  const size_t F = fields.size();
  ws.field_of_input.assign(F, -1);
  int64_t B = -1;
  for (size_t k = 0; k < req.inputs.size(); ++k) {
    const InputTensor& in = req.inputs[k];
    const int f = m.field_index(in.name);
    if (f < 0) {
      std::string names;
      for (const auto& n : fields) {
        if (!names.empty()) names += ", ";
        names += n;
      }
      return Status::InvalidInput("unknown input '" + std::string(in.name) + "'; the model's inputs are: " + names);
    }
    if (ws.field_of_input[static_cast<size_t>(f)] >= 0) {
      return Status::InvalidInput("input '" + std::string(in.name) + "' given twice");
    }
    ws.field_of_input[static_cast<size_t>(f)] = static_cast<int>(k);
    MING_RETURN_IF_ERROR(CheckInput(m, in, f, &B));
  }
  for (size_t f = 0; f < F; ++f) {
    if (ws.field_of_input[f] < 0) return Status::InvalidInput("missing input '" + fields[f] + "'");
  }
  if (B <= 0) return Status::InvalidInput("the request has no rows");
  if (B > max_rows) {
    return Status::InvalidInput("too many rows: " + std::to_string(B) + " (the limit is " +
                                std::to_string(max_rows) +
                                (req.explain ? " for requests with explain" : "") + ")");
  }
  const int W = m.impl().plan.inputs();
  if (ws.X.size() < static_cast<size_t>(B * W)) ws.X.resize(static_cast<size_t>(B * W));
  ws.cells.resize(F);
  for (int64_t r = 0; r < B; ++r) {
    for (size_t f = 0; f < F; ++f) {
      ws.cells[f] = req.inputs[static_cast<size_t>(ws.field_of_input[f])].cells[static_cast<size_t>(r)];
    }
    float* x = ws.X.data() + r * W;
    Status st = m.impl().data.pre.EncodeRow(ws.cells.data(), x);
    // EncodeRow refuses values that overflow float32 once encoded (e.g. 1e60).
    if (!st.ok()) return st.Prefixed("row " + std::to_string(r));
  }
  *rows = B;
  return Status::Ok();
}

void SizeResult(const Model& m, int64_t rows, InferResult* res) {
  res->rows = rows;
  res->classes = static_cast<int>(m.classes().size());
  if (res->classes > 0) {
    res->class_index.resize(static_cast<size_t>(rows));
    res->probabilities.resize(static_cast<size_t>(rows * res->classes));
    res->values.clear();
  } else {
    res->values.resize(static_cast<size_t>(rows));
    res->class_index.clear();
    res->probabilities.clear();
  }
}

void OutputsToResult(const Model& m, const float* out, int64_t rows, int64_t first,
                     InferResult* res) {
  const ModelData& d = m.impl().data;
  const int O = m.impl().plan.outputs();
  float dummy[1];
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t row = first + r;
    double value = 0;
    int cls = -1;
    float* probs = res->classes > 0 ? &res->probabilities[static_cast<size_t>(row * res->classes)] : dummy;
    OutputsToPrediction(d, out + r * O, probs, &value, &cls);
    if (res->classes > 0) {
      res->class_index[static_cast<size_t>(row)] = cls;
    } else {
      res->values[static_cast<size_t>(row)] = value;
    }
  }
}

void RunRows(const Model& m, const float* X, int64_t rows, Workspace& ws, InferResult* res) {
  const Plan& plan = m.impl().plan;
  const int W = plan.inputs(), O = plan.outputs();
  constexpr int kChunk = 256;  // as RunPlan, so results equal `ming predict`
  PlanScratch& s = ws.Scratch(plan);
  if (ws.out.size() < static_cast<size_t>(kChunk * O)) ws.out.resize(static_cast<size_t>(kChunk * O));
  SizeResult(m, rows, res);
  for (int64_t r0 = 0; r0 < rows; r0 += kChunk) {
    const int n = static_cast<int>(std::min<int64_t>(kChunk, rows - r0));
    plan.Run(X + r0 * W, n, ws.out.data(), s);
    OutputsToResult(m, ws.out.data(), n, r0, res);
  }
}

Status ExplainRows(const std::shared_ptr<const Model>& m, ExplainerPool& pool, const float* X,
                   int64_t rows, InferResult* res) {
  const ModelData& d = m->impl().data;
  if (d.background.empty()) {
    return Status::InvalidInput(
        "this model carries no background rows, so it cannot explain its predictions "
        "(\"explain\" needs a model trained by a ming version that stores them; retrain it)");
  }
  MING_ASSIGN_OR_RETURN(ExplainerPool::Lease ex, pool.Borrow(m));
  RowExplanations& out = res->explain;
  const int F = static_cast<int>(m->fields().size()), W = m->impl().plan.inputs();
  const Task task = d.pre.label().task;
  out.fields = F;
  out.output = task == Task::kBinary ? "log-odds" : task == Task::kRegression ? "value" : "predicted class logit";
  out.contributions.resize(static_cast<size_t>(rows * F));
  out.base.resize(static_cast<size_t>(rows));
  out.exact.resize(static_cast<size_t>(rows));
  out.target.resize(static_cast<size_t>(rows));
  Explanation e;
  for (int64_t r = 0; r < rows; ++r) {
    ex->ExplainEncoded(X + r * W, &e);
    for (int f = 0; f < F; ++f) {
      out.contributions[static_cast<size_t>(r * F + f)] = static_cast<float>(e.contributions[static_cast<size_t>(f)]);
    }
    out.base[static_cast<size_t>(r)] = static_cast<float>(e.base);
    out.exact[static_cast<size_t>(r)] = e.method == "exact" ? 1 : 0;
    out.target[static_cast<size_t>(r)] = std::move(e.target);
  }
  res->explained = true;
  return Status::Ok();
}

}  // namespace ming::server
