// ming's public C++ API: load a model file once, then predict raw rows from any thread.
//
//   auto model = ming::Model::Load("invitations.ming");      // Result<shared_ptr<const Model>>
//   ming::Session session(*model);                            // one per thread
//   std::string_view row[] = {"yes", "sunny", "24.5", ...};   // raw cells, in fields() order
//   ming::Prediction p;
//   ming::Status st = session.Predict(row, &p);               // p.label == "yes", p.probability
//
// Loading a model sets OpenBLAS to one thread: ming parallelises batches over rows itself,
// and OpenBLAS's own threads would oversubscribe the cores.
// Thread-safety: a Model is immutable and may be shared by any number of threads. A Session
// is NOT thread-safe: give each thread its own. Predict() allocates nothing after the
// Session is constructed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ming/status.h"

namespace ming {

struct ModelImpl;
struct SessionImpl;

enum class ModelTask { kBinary, kMulticlass, kRegression };

class Model {
 public:
  // Loads and fully validates a model file (or a training checkpoint's best weights are
  // not loadable: use a model file). Errors name the file and the part at fault.
  static Result<std::shared_ptr<const Model>> Load(const std::string& path);

  ModelTask task() const;
  // Input field names in the order Session::Predict expects their cells.
  const std::vector<std::string>& fields() const;
  // Index of a field by name, or -1.
  int field_index(std::string_view name) const;
  const std::string& label_name() const;
  // Class names in probability order (empty for regression).
  const std::vector<std::string>& classes() const;
  // Binary models: P(positive) >= threshold predicts the positive class (classes()[1]).
  double threshold() const;
  int64_t num_params() const;

  const ModelImpl& impl() const { return *impl_; }
  explicit Model(std::unique_ptr<ModelImpl> impl);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

 private:
  std::unique_ptr<ModelImpl> impl_;
};

// One prediction. The views point into the Session and stay valid until its next call.
struct Prediction {
  int class_index = -1;                  // classification; -1 for regression
  std::string_view label;                // predicted class name; empty for regression
  double value = 0.0;                    // regression: predicted value; else P(predicted class)
  std::span<const float> probabilities;  // classification: one per class, classes() order
};

class Session {
 public:
  // max_batch bounds PredictBatch's rows per call (it splits larger inputs itself).
  explicit Session(std::shared_ptr<const Model> model, int max_batch = 256);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // One row: row[i] is the raw cell (as in the CSV) of fields()[i]; "" or "NA" = missing.
  // Errors name the field ("field 'temperature': 'hot' is not a number").
  Status Predict(std::span<const std::string_view> row, Prediction* out);
  // One row given as (field name, raw value) pairs in any order; absent fields are missing;
  // an unknown field name is an error.
  Status PredictNamed(std::span<const std::pair<std::string_view, std::string_view>> row,
                      Prediction* out);
  // rows x fields() cells, row-major. Writes per row: probabilities (classes().size()
  // floats) for classification, or the value (1 float) for regression, into out.
  Status PredictBatch(std::span<const std::string_view> cells, int64_t rows, float* out);

  const Model& model() const { return *model_; }

 private:
  std::shared_ptr<const Model> model_;
  std::unique_ptr<SessionImpl> impl_;
};

}  // namespace ming
