// Preprocessor <-> JSON, as stored in the model file. FromJson trusts nothing: every key is
// type-checked, every number must be finite, names and categories unique, offsets and
// widths must match the ones recomputed from the fields; failures are InvalidInput.
//
// {"fields": [{"name": "age", "type": "numeric", "offset": 0, "width": 2,
//              "has_missing": true, "mean": 41.5, "std": 12.25},
//             {"name": "venue", "type": "categorical", "offset": 2, "width": 4,
//              "has_missing": false, "categories": ["park", "cinema", "museum"]},
//             {"name": "city", "type": "categorical", "offset": 6, "width": 8,
//              "has_missing": false, "categories": [...], "embedding_dim": 8}],
//  "label": {"name": "accepted", "task": "binary", "classes": ["no", "yes"]},
//  "encoded_width": 14}
// An embedded field's table is not JSON: the model file keeps the tables in section EMBD
// (Preprocessor::SetEmbeddingTables).
// Regression labels carry "mean" and "std" instead of "classes".
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "data/preprocess.h"
#include "data/preprocess_internal.h"

namespace ming {
namespace {

using nlohmann::json;

// Typed access to the keys of one JSON object; `where` names the object in messages.
class Reader {
 public:
  Reader(const json& o, std::string where) : o_(o), where_(std::move(where)) {}

  Status Object() const { return o_.is_object() ? Status::Ok() : Fail("must be an object"); }
  bool Has(const char* key) const { return o_.contains(key); }

  Status Str(const char* key, std::string* out) const {
    const json* v = Get(key);
    if (!v || !v->is_string()) return Fail(Key(key) + " must be a string");
    *out = v->get<std::string>();
    return Status::Ok();
  }
  Status Finite(const char* key, double* out) const {
    const json* v = Get(key);
    if (!v || !v->is_number()) return Fail(Key(key) + " must be a number");
    *out = v->get<double>();
    if (!std::isfinite(*out)) return Fail(Key(key) + " must be finite");
    return Status::Ok();
  }
  Status Int(const char* key, int64_t* out) const {
    const json* v = Get(key);
    if (!v || !v->is_number_integer()) return Fail(Key(key) + " must be an integer");
    *out = v->get<int64_t>();
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out) const {
    const json* v = Get(key);
    if (!v || !v->is_boolean()) return Fail(Key(key) + " must be true or false");
    *out = v->get<bool>();
    return Status::Ok();
  }
  // A list of unique non-empty strings, at most `max` long.
  Status Names(const char* key, size_t max, std::vector<std::string>* out) const {
    const json* v = Get(key);
    if (!v || !v->is_array()) return Fail(Key(key) + " must be an array of strings");
    if (v->size() > max)
      return Fail(Key(key) + " has more than " + std::to_string(max) + " entries");
    std::unordered_set<std::string> seen;
    for (const json& e : *v) {
      if (!e.is_string() || e.get_ref<const std::string&>().empty()) {
        return Fail(Key(key) + " must hold non-empty strings");
      }
      if (!seen.insert(e.get<std::string>()).second) {
        return Fail(Key(key) + " repeats '" + e.get<std::string>() + "'");
      }
      out->push_back(e.get<std::string>());
    }
    return Status::Ok();
  }
  Status Fail(const std::string& what) const {
    return Status::InvalidInput("preprocessing: " + where_ + ": " + what);
  }

 private:
  static std::string Key(const char* key) {
    std::string s = "'";  // built by appending: GCC 12 warns falsely on "'" + std::string
    s.append(key).push_back('\'');
    return s;
  }
  const json* Get(const char* key) const {
    auto it = o_.find(key);
    return it == o_.end() ? nullptr : &*it;
  }
  const json& o_;
  std::string where_;
};

Status ReadScale(const Reader& in, double* mean, double* std) {
  MING_RETURN_IF_ERROR(in.Finite("mean", mean));
  MING_RETURN_IF_ERROR(in.Finite("std", std));
  if (*std <= 0.0) return in.Fail("'std' must be positive");
  return Status::Ok();
}

// Reads field i; *offset and *width get the stored layout, checked later by the caller.
Status ReadField(const json& o, size_t i, FieldEncoding* f, int64_t* offset, int64_t* width) {
  Reader in(o, "field " + std::to_string(i + 1));
  MING_RETURN_IF_ERROR(in.Object());
  MING_RETURN_IF_ERROR(in.Str("name", &f->name));
  if (f->name.empty()) return in.Fail("empty name");
  std::string type;
  MING_RETURN_IF_ERROR(in.Str("type", &type));
  if (!Parse(type, &f->type)) return in.Fail("unknown type '" + type + "'");
  MING_RETURN_IF_ERROR(in.Bool("has_missing", &f->has_missing));
  MING_RETURN_IF_ERROR(in.Int("offset", offset));
  MING_RETURN_IF_ERROR(in.Int("width", width));
  if (f->type == FieldType::kCategorical) {
    if (in.Has("embedding_dim")) {
      int64_t dim = 0;
      MING_RETURN_IF_ERROR(in.Int("embedding_dim", &dim));
      if (dim < 1 || dim > internal::kMaxEmbedDim) {
        return in.Fail("'embedding_dim' must be in [1, " + std::to_string(internal::kMaxEmbedDim) + "]");
      }
      f->embed_dim = static_cast<int>(dim);
    }
    return in.Names("categories", internal::kMaxCategories, &f->categories);
  }
  if (in.Has("categories")) return in.Fail("a " + type + " field has no categories");
  if (in.Has("embedding_dim")) return in.Fail("a " + type + " field cannot be embedded");
  return ReadScale(in, &f->mean, &f->std);
}

Status ReadLabel(const json& o, LabelEncoding* l) {
  Reader in(o, "label");
  MING_RETURN_IF_ERROR(in.Object());
  MING_RETURN_IF_ERROR(in.Str("name", &l->name));
  if (l->name.empty()) return in.Fail("empty name");
  std::string task;
  MING_RETURN_IF_ERROR(in.Str("task", &task));
  if (!Parse(task, &l->task)) return in.Fail("unknown task '" + task + "'");
  if (l->task == Task::kRegression) {
    if (in.Has("classes")) return in.Fail("a regression label has no classes");
    return ReadScale(in, &l->mean, &l->std);
  }
  MING_RETURN_IF_ERROR(in.Names("classes", internal::kMaxClasses, &l->classes));
  if (l->task == Task::kBinary && l->classes.size() != 2) {
    return in.Fail("a binary label needs 2 classes, found " + std::to_string(l->classes.size()));
  }
  if (l->classes.size() < 2) return in.Fail("a multiclass label needs at least 2 classes");
  return Status::Ok();
}

// Reads the fields, checking names are unique (and not the label's) and that the stored
// layout is the one Finish() computes: offsets cumulative, widths from type and categories.
Status ReadFields(const json& arr, const std::string& label, std::vector<FieldEncoding>* out,
                  int64_t* total) {
  std::unordered_set<std::string> names = {label};
  for (size_t i = 0; i < arr.size(); ++i) {
    FieldEncoding f;
    int64_t offset = 0, width = 0;
    MING_RETURN_IF_ERROR(ReadField(arr[i], i, &f, &offset, &width));
    Reader in(arr[i], "field " + std::to_string(i + 1));
    if (!names.insert(f.name).second) return in.Fail("the name '" + f.name + "' is repeated");
    const int64_t want = internal::FieldWidth(f.type, f.categories.size(), f.has_missing, f.embed_dim);
    if (offset != *total || width != want) {
      return in.Fail("offset/width " + std::to_string(offset) + "/" + std::to_string(width) +
                     " should be " + std::to_string(*total) + "/" + std::to_string(want));
    }
    *total += want;
    if (*total > internal::kMaxWidth) {
      return in.Fail("more than " + std::to_string(internal::kMaxWidth) + " encoded columns");
    }
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

}  // namespace

nlohmann::json Preprocessor::ToJson() const {
  json fields = json::array();
  for (const FieldEncoding& f : fields_) {
    json o = {{"name", f.name},
              {"type", Name(f.type)},
              {"offset", f.offset},
              {"width", f.width},
              {"has_missing", f.has_missing}};
    if (f.type == FieldType::kCategorical) {
      o["categories"] = f.categories;
      if (f.embed_dim > 0) o["embedding_dim"] = f.embed_dim;  // the table is stored apart
    } else {
      o["mean"] = f.mean;
      o["std"] = f.std;
    }
    fields.push_back(std::move(o));
  }
  json label = {{"name", label_.name}, {"task", Name(label_.task)}};
  if (label_.task == Task::kRegression) {
    label["mean"] = label_.mean;
    label["std"] = label_.std;
  } else {
    label["classes"] = label_.classes;
  }
  return {{"fields", std::move(fields)}, {"label", std::move(label)}, {"encoded_width", width_}};
}

Result<Preprocessor> Preprocessor::FromJson(const nlohmann::json& j) try {
  Reader top(j, "top level");
  MING_RETURN_IF_ERROR(top.Object());
  if (!j.contains("fields") || !j["fields"].is_array() || j["fields"].empty()) {
    return top.Fail("'fields' must be a non-empty array");
  }
  if (!j.contains("label")) return top.Fail("'label' is missing");
  Preprocessor p;
  MING_RETURN_IF_ERROR(ReadLabel(j["label"], &p.label_));
  int64_t total = 0, width = 0;
  MING_RETURN_IF_ERROR(ReadFields(j["fields"], p.label_.name, &p.fields_, &total));
  MING_RETURN_IF_ERROR(top.Int("encoded_width", &width));
  if (width != total) return top.Fail("'encoded_width' does not match the fields");
  p.Finish();
  return p;
} catch (const nlohmann::json::exception& e) {
  return Status::InvalidInput(std::string("preprocessing: malformed JSON: ") + e.what());
}

}  // namespace ming
