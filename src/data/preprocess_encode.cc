// Encoding with a fitted Preprocessor: raw cells -> the network's input columns, label cells
// -> float targets. EncodeRow is the inference hot path and allocates nothing unless it
// fails (string_view lookups through the transparent-hash maps; plain decimals parsed inline,
// other numbers through from_chars).
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "data/preprocess.h"
#include "data/preprocess_internal.h"

namespace ming {
namespace internal {

std::string Where(const CsvTable& t, size_t r) {
  return t.source + ":" + std::to_string(t.line[r]);
}

std::string Shown(std::string_view cell) {
  constexpr size_t kMax = 60;
  cell = TrimCell(cell);
  if (cell.size() <= kMax) return std::string(cell);
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(cell[cut]) & 0xC0) == 0x80) --cut;
  return std::string(cell.substr(0, cut)) + "... (" + std::to_string(cell.size()) + " bytes)";
}

Status ScalarValue(FieldType type, std::string_view cell, const std::string& name, double* v,
                   bool* missing) {
  // No missing-value token parses as a number, so try the common case first.
  if (type == FieldType::kNumeric && ParseNumber(cell, v) && !std::isinf(*v)) {
    *missing = false;
    return Status::Ok();
  }
  *missing = IsMissing(cell);
  if (*missing) return Status::Ok();
  if (type == FieldType::kBoolean) {
    std::optional<bool> b = ParseBool(cell);
    if (!b) {
      return Status::InvalidInput("column '" + name + "': '" + Shown(cell) +
                                  "' is not a boolean (expected yes/no, true/false or 1/0)");
    }
    *v = *b ? 1.0 : 0.0;
    return Status::Ok();
  }
  if (!ParseNumber(cell, v)) {
    return Status::InvalidInput("column '" + name + "': '" + Shown(cell) + "' is not a number");
  }
  if (std::isinf(*v)) {
    return Status::InvalidInput("column '" + name + "': infinite value '" + Shown(cell) + "'");
  }
  return Status::Ok();
}

}  // namespace internal

namespace {

// Column of t for each name, or an error naming the first that is absent. One hash lookup
// per name: a 10,000-column table is not searched 10,000 times.
Status FindColumns(const CsvTable& t, const std::vector<const std::string*>& names,
                   std::vector<size_t>* cols) {
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(t.cols());
  for (size_t c = 0; c < t.cols(); ++c) index.emplace(t.header[c], c);
  for (const std::string* name : names) {
    auto it = index.find(*name);
    if (it == index.end()) {
      return Status::InvalidInput(t.source + ": no column '" + *name + "', which the model needs");
    }
    cols->push_back(it->second);
  }
  return Status::Ok();
}

}  // namespace

void Preprocessor::Finish() {
  width_ = 0;
  num_embedded_ = 0;
  cat_index_.assign(fields_.size(), {});
  field_index_.clear();
  for (size_t i = 0; i < fields_.size(); ++i) {
    FieldEncoding& f = fields_[i];
    f.offset = width_;
    f.width = static_cast<int>(internal::FieldWidth(f.type, f.categories.size(), f.has_missing, f.embed_dim));
    num_embedded_ += f.embed_dim > 0 ? 1 : 0;
    for (size_t k = 0; k < f.categories.size(); ++k) {
      cat_index_[i].emplace(f.categories[k], static_cast<int>(k));
    }
    width_ += f.width;
    field_index_.emplace(f.name, static_cast<int>(i));
  }
  class_index_.clear();
  for (size_t k = 0; k < label_.classes.size(); ++k) {
    class_index_.emplace(label_.classes[k], static_cast<int>(k));
  }
}

int Preprocessor::num_outputs() const {
  return label_.task == Task::kMulticlass ? static_cast<int>(label_.classes.size()) : 1;
}

int Preprocessor::field_index(std::string_view name) const {
  auto it = field_index_.find(name);
  return it == field_index_.end() ? -1 : it->second;
}

Status Preprocessor::EncodeRow(const std::string_view* raw, float* out, int32_t* slots) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    const FieldEncoding& f = fields_[i];
    float* o = out + f.offset;
    if (f.type == FieldType::kCategorical) {
      const int unknown = static_cast<int>(f.categories.size());
      std::string_view v = TrimCell(raw[i]);
      int slot = unknown;
      if (IsMissing(v)) {
        if (f.has_missing) slot = unknown + 1;
      } else if (auto it = cat_index_[i].find(v); it != cat_index_[i].end()) {
        slot = it->second;
      }
      if (f.embed_dim == 0) {
        std::fill(o, o + f.width, 0.0f);
        o[slot] = 1.0f;
        continue;
      }
      if (slots) *slots++ = slot;
      if (f.table.empty()) {
        std::fill(o, o + f.width, 0.0f);
      } else {
        std::copy_n(&f.table[static_cast<size_t>(slot) * static_cast<size_t>(f.width)], f.width, o);
      }
      continue;
    }
    double v = 0.0;
    bool missing = false;
    // Most numeric cells are plain decimals: parse those inline, the rest (spaces,
    // exponents, missing tokens, errors) through ScalarValue.
    if (f.type != FieldType::kNumeric || !ParsePlainDecimal(raw[i], &v)) {
      MING_RETURN_IF_ERROR(internal::ScalarValue(f.type, raw[i], f.name, &v, &missing));
    }
    o[0] = missing ? 0.0f : static_cast<float>((v - f.mean) / f.std);
    if (!std::isfinite(o[0])) {  // e.g. 1e300: finite as a double, not once standardised to float
      return Status::InvalidInput("column '" + f.name + "': value '" + std::string(TrimCell(raw[i])) +
                                  "' is out of range (it overflows float32 once standardised)");
    }
    if (f.has_missing) o[1] = missing ? 1.0f : 0.0f;
  }
  return Status::Ok();
}

Status Preprocessor::EncodeInputs(const CsvTable& t, const std::vector<size_t>& rows, float* X,
                                  int32_t* slots) const {
  std::vector<const std::string*> names;
  for (const FieldEncoding& f : fields_) names.push_back(&f.name);
  std::vector<size_t> cols;
  MING_RETURN_IF_ERROR(FindColumns(t, names, &cols));
  std::vector<std::string_view> raw(fields_.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    for (size_t i = 0; i < cols.size(); ++i) raw[i] = t.cell(rows[k], cols[i]);
    Status st = EncodeRow(raw.data(), X + k * static_cast<size_t>(width_),
                          slots ? slots + k * static_cast<size_t>(num_embedded_) : nullptr);
    if (!st.ok()) return st.Prefixed(internal::Where(t, rows[k]));
  }
  return Status::Ok();
}

std::vector<EmbeddingSpec> Preprocessor::EmbeddingSpecs() const {
  std::vector<EmbeddingSpec> specs;
  for (const FieldEncoding& f : fields_) {
    if (f.embed_dim > 0) specs.push_back({f.offset, f.embed_dim, f.slots()});
  }
  return specs;
}

int64_t Preprocessor::embedding_params() const {
  int64_t n = 0;
  for (const FieldEncoding& f : fields_) n += int64_t{f.slots()} * f.embed_dim;
  return n;
}

bool Preprocessor::has_embedding_tables() const {
  for (const FieldEncoding& f : fields_) {
    if (f.embed_dim > 0 && f.table.empty()) return false;
  }
  return true;
}

Status Preprocessor::SetEmbeddingTables(const float* data, size_t n) {
  if (n != static_cast<size_t>(embedding_params())) {
    return Status::InvalidInput("embedding tables hold " + std::to_string(n) + " values; the " +
                                std::to_string(num_embedded_) + " embedded fields need " +
                                std::to_string(embedding_params()));
  }
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data[i])) {
      return Status::InvalidInput("embedding tables: value " + std::to_string(i) + " is not finite");
    }
  }
  for (FieldEncoding& f : fields_) {
    if (f.embed_dim == 0) continue;
    const size_t size = static_cast<size_t>(f.slots()) * static_cast<size_t>(f.embed_dim);
    f.table.assign(data, data + size);
    data += size;
  }
  return Status::Ok();
}

std::vector<float> Preprocessor::EmbeddingTables() const {
  std::vector<float> all;
  for (const FieldEncoding& f : fields_) all.insert(all.end(), f.table.begin(), f.table.end());
  return all;
}

Status Preprocessor::EncodeLabels(const CsvTable& t, const std::vector<size_t>& rows,
                                  float* y) const {
  std::vector<size_t> cols;
  MING_RETURN_IF_ERROR(FindColumns(t, {&label_.name}, &cols));
  const std::string column = "column '" + label_.name + "'";
  for (size_t k = 0; k < rows.size(); ++k) {
    std::string_view v = TrimCell(t.cell(rows[k], cols[0]));
    if (IsMissing(v)) {
      return Status::InvalidInput(internal::Where(t, rows[k]) + ": " + column + ": missing label");
    }
    if (label_.task == Task::kRegression) {
      double x = 0.0;
      bool missing = false;
      Status st = internal::ScalarValue(FieldType::kNumeric, v, label_.name, &x, &missing);
      if (!st.ok()) return st.Prefixed(internal::Where(t, rows[k]));
      y[k] = static_cast<float>((x - label_.mean) / label_.std);
      continue;
    }
    auto it = class_index_.find(v);
    if (it == class_index_.end()) {
      return Status::InvalidInput(internal::Where(t, rows[k]) + ": " + column + ": class '" +
                                  internal::Shown(v) + "' was not seen in training");
    }
    y[k] = static_cast<float>(it->second);
  }
  return Status::Ok();
}

}  // namespace ming
