// Preprocessing fit on the training rows and stored in the model: each input field becomes
// a few columns of the network's input vector, and the label becomes a float target.
//  - numeric:  (x - mean) / std; missing -> mean (so 0); +1 indicator column if the
//              field had missing values in training.
//  - boolean:  1/0 standardised like a number; missing as for numeric.
//  - categorical: one-hot over the training categories (at most max_categories, by
//              frequency then name), plus one "other/unknown" slot that takes rare and
//              unseen values, plus a "missing" slot if the field had missing values.
//  - embedded categorical (more distinct values than max_categories, or asked for): the
//              same slots (every value seen at least twice is a category; values seen once
//              and unseen ones share "unknown"), each a learned row of embed_dim floats.
//              The tables are trained with the network (nn/embedding.h) and set here
//              afterwards; until then the columns encode as zeros.
// Labels: binary -> 0/1 (classes sorted, the second is positive: no<yes, false<true, 0<1);
// multiclass -> class index; regression -> (y - mean) / std.
// Thread-safety: Preprocessor is immutable after Fit/FromJson and may be shared.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/csv.h"
#include "data/schema.h"
#include "ming/status.h"
#include "nn/config.h"

namespace ming {

struct FieldEncoding {
  std::string name;
  FieldType type = FieldType::kNumeric;
  double mean = 0.0, std = 1.0;         // numeric, boolean
  bool has_missing = false;              // indicator column / missing slot present
  std::vector<std::string> categories;  // categorical, in slot order
  int offset = 0;                        // first encoded column
  int width = 0;                         // encoded columns
  int embed_dim = 0;                     // > 0: embedded (width == embed_dim)
  // Embedded: [slots, embed_dim] row-major, slots = categories, unknown, missing (if
  // has_missing); empty until SetEmbeddingTables.
  std::vector<float> table;
  int slots() const { return static_cast<int>(categories.size()) + 1 + (has_missing ? 1 : 0); }
};

struct LabelEncoding {
  std::string name;
  Task task = Task::kBinary;
  std::vector<std::string> classes;  // classification, in output order
  double mean = 0.0, std = 1.0;      // regression target standardisation
};

struct FitOptions {
  std::string label;                                          // label column name
  Task task = Task::kCount;                                   // kCount: infer
  std::vector<std::pair<std::string, FieldType>> overrides;   // forced field types
  std::vector<std::string> ignore;                            // columns not used as inputs
  int max_categories = 64;
  int max_classes = 100;                                      // for multiclass inference
  // Categorical fields to embed, with their dimension (0: DefaultEmbedDim).
  std::vector<std::pair<std::string, int>> embed;
  // Also embed every categorical field with more distinct values than max_categories.
  bool embed_auto = true;
};

// Embedding width for a field of `slots` table rows: min(16, ceil(1.6 * slots^0.56)).
int DefaultEmbedDim(int slots);

class Preprocessor {
 public:
  // Fits on `rows` of t (REQUIRES: non-empty). Errors (exit-2 kind) name file, line, column:
  // missing label column, label with one class, label missing on a row, "inf" in a numeric
  // column, an override that does not parse ("data.csv:17: column 'age': 'old' is not a
  // number").
  static Result<Preprocessor> Fit(const CsvTable& t, const std::vector<size_t>& rows,
                                  const FitOptions& opts);

  const std::vector<FieldEncoding>& fields() const { return fields_; }
  const LabelEncoding& label() const { return label_; }
  int encoded_width() const { return width_; }
  int num_outputs() const;  // 1 for binary/regression, classes for multiclass
  // Index of field `name`, or -1.
  int field_index(std::string_view name) const;

  // Encodes one row given as one raw cell per field, in fields() order, into out[width].
  // Unseen categories go to the unknown slot. Allocates nothing. Errors name the field.
  // When slots is given, slots[e] gets the row's slot in the e-th embedded field.
  Status EncodeRow(const std::string_view* raw, float* out, int32_t* slots = nullptr) const;

  // Encodes `rows` of t (columns matched by name; extra columns ignored) into
  // X[rows.size(), width], and when slots is given the embedded fields' slots into
  // slots[rows.size(), num_embedded()]. A missing input column or bad cell is an error
  // naming file, line and column.
  Status EncodeInputs(const CsvTable& t, const std::vector<size_t>& rows, float* X,
                      int32_t* slots = nullptr) const;

  // Embedded fields: how many, their tables' shapes for the training network, the
  // total table size, and setting the trained tables (all of them, concatenated in field
  // order; sizes must match and every value be finite).
  int num_embedded() const { return num_embedded_; }
  std::vector<EmbeddingSpec> EmbeddingSpecs() const;
  int64_t embedding_params() const;
  Status SetEmbeddingTables(const float* data, size_t n);
  bool has_embedding_tables() const;
  std::vector<float> EmbeddingTables() const;  // concatenated, as SetEmbeddingTables takes
  // Encodes the label column of `rows` into y[rows.size()]. Errors: missing column,
  // missing value, a class not seen in training, a non-number for regression.
  Status EncodeLabels(const CsvTable& t, const std::vector<size_t>& rows, float* y) const;

  // Regression: standardised output -> value in the label's units.
  double DecodeValue(float out) const { return out * label_.std + label_.mean; }

  nlohmann::json ToJson() const;
  // Validates everything (types, widths/offsets consistent, finite numbers, std > 0).
  static Result<Preprocessor> FromJson(const nlohmann::json& j);

 private:
  void Finish();  // computes offsets, width and lookup maps

  std::vector<FieldEncoding> fields_;
  LabelEncoding label_;
  int width_ = 0;
  int num_embedded_ = 0;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Per categorical field: category -> slot; label class -> index.
  std::vector<std::unordered_map<std::string, int, Hash, std::equal_to<>>> cat_index_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> class_index_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> field_index_;
};

// Infers the task from a label column over `rows` (all rows if empty), ignoring missing
// cells: 2 distinct values -> binary; integer labels with at most 20 (and max_classes)
// distinct values, or string labels with at most max_classes -> multiclass; other numbers
// (an age, a count with many values) -> regression. Errors: one distinct value; too many
// string classes.
Result<Task> InferTask(const CsvTable& t, size_t col, const std::vector<size_t>& rows,
                       int max_classes);

}  // namespace ming
