// Preprocessor::Fit and InferTask: statistics of the training rows become the encoding
// (means and stds, kept categories, label classes). Encoding and JSON live beside this file
// in preprocess_encode.cc and preprocess_json.cc.
#include "data/preprocess.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "data/preprocess_internal.h"
#include "data/utf8.h"

namespace ming {
namespace {

using internal::Where;

Status NoColumn(const CsvTable& t, const std::string& name, const char* what) {
  return Status::InvalidInput(t.source + ": no column '" + name + "'" + what +
                              " (columns: " + ColumnList(t) + ")" + DelimiterHint(t));
}

// Checks that every column the options name exists; *label_col gets the label's index.
Status CheckOptions(const CsvTable& t, const FitOptions& opts, size_t* label_col) {
  int col = t.column_index(opts.label);
  if (col < 0) return NoColumn(t, opts.label, "");
  *label_col = static_cast<size_t>(col);
  for (const std::string& name : opts.ignore) {
    if (t.column_index(name) < 0) return NoColumn(t, name, " to ignore");
  }
  for (const auto& [name, type] : opts.overrides) {
    if (t.column_index(name) < 0) return NoColumn(t, name, " to give a type");
    if (name == opts.label) {
      return Status::InvalidInput(t.source + ": column '" + name +
                                  "' is the label; it cannot be given an input type");
    }
    if (type == FieldType::kCount) return Status::InvalidInput("invalid type for '" + name + "'");
  }
  for (const auto& [name, dim] : opts.embed) {
    if (t.column_index(name) < 0) return NoColumn(t, name, " to embed");
    if (name == opts.label) {
      return Status::InvalidInput(t.source + ": column '" + name + "' is the label; it cannot be embedded");
    }
    if (dim < 0 || dim > internal::kMaxEmbedDim) {
      return Status::InvalidInput("embedding dimension of '" + name + "' must be in [1, " +
                                  std::to_string(internal::kMaxEmbedDim) + "]");
    }
  }
  if (opts.max_categories < 0 || opts.max_categories > internal::kMaxCategories) {
    return Status::InvalidInput("max_categories must be in [0, " +
                                std::to_string(internal::kMaxCategories) + "]");
  }
  if (opts.max_classes < 2) return Status::InvalidInput("max_classes must be at least 2");
  return Status::Ok();
}

// Running mean and population variance (Welford), in long double: its wider exponent
// keeps d^2 finite for any finite doubles (values near 1e300 made the std infinite in
// double, and the fitted model then failed to load). The std of finite values is at
// most half their range, so it fits a double again.
struct Moments {
  int64_t n = 0;
  long double mean = 0.0L, m2 = 0.0L;
  void Add(double x) {
    ++n;
    const long double d = x - mean;
    mean += d / static_cast<long double>(n);
    m2 += d * (x - mean);
  }
  double Mean() const { return static_cast<double>(mean); }
  double Std() const {
    const double s = n > 0 ? static_cast<double>(std::sqrt(m2 / static_cast<long double>(n))) : 0.0;
    return s < 1e-12 ? 1.0 : s;
  }
};

Status FitScalar(const CsvTable& t, const std::vector<size_t>& rows, size_t col, FieldEncoding* f) {
  Moments m;
  for (size_t r : rows) {
    double v;
    bool missing;
    Status st = internal::ScalarValue(f->type, t.cell(r, col), f->name, &v, &missing);
    if (!st.ok()) return st.Prefixed(Where(t, r));
    if (missing) {
      f->has_missing = true;
    } else {
      m.Add(v);
    }
  }
  f->mean = m.Mean();
  f->std = m.Std();
  return Status::Ok();
}

// One-hot: the max_categories most frequent values. Embedded (forced, or auto and more
// distinct values than max_categories): every value seen at least twice, up to
// kMaxCategories; values seen once train the "unknown" row that unseen values get.
void FitCategorical(const CsvTable& t, const std::vector<size_t>& rows, size_t col,
                    const FitOptions& opts, FieldEncoding* f) {
  std::unordered_map<std::string_view, int64_t> counts;
  for (size_t r : rows) {
    std::string_view v = TrimCell(t.cell(r, col));
    if (IsMissing(v)) {
      f->has_missing = true;
    } else {
      ++counts[v];
    }
  }
  std::vector<std::pair<std::string_view, int64_t>> order(counts.begin(), counts.end());
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  int dim = -1;  // -1: one-hot
  for (const auto& [name, d] : opts.embed) {
    if (name == f->name) dim = d;
  }
  if (dim < 0 && opts.embed_auto && order.size() > static_cast<size_t>(opts.max_categories)) dim = 0;
  if (dim < 0) {
    if (order.size() > static_cast<size_t>(opts.max_categories)) order.resize(opts.max_categories);
  } else {
    size_t keep = 0;
    while (keep < order.size() && keep < static_cast<size_t>(internal::kMaxCategories) && order[keep].second >= 2) ++keep;
    order.resize(keep);
  }
  for (const auto& [name, count] : order) f->categories.emplace_back(name);
  if (dim >= 0) f->embed_dim = dim > 0 ? dim : DefaultEmbedDim(f->slots());
}

// Distinct trimmed label values, sorted numerically if all are numbers, else as strings.
// *all_int tells whether every value is a finite integer.
std::vector<std::string_view> DistinctLabels(const CsvTable& t, size_t col,
                                             const std::vector<size_t>& rows, bool* all_num,
                                             bool* all_int) {
  std::unordered_set<std::string_view> seen;
  for (size_t r : rows) {
    std::string_view v = TrimCell(t.cell(r, col));
    if (!IsMissing(v)) seen.insert(v);
  }
  std::vector<std::pair<double, std::string_view>> keyed;
  *all_num = *all_int = true;
  for (std::string_view v : seen) {
    double x = 0.0;
    if (!ParseNumber(v, &x)) *all_num = false;
    if (!std::isfinite(x) || x != std::floor(x)) *all_int = false;
    keyed.emplace_back(x, v);
  }
  if (!*all_num) {
    *all_int = false;
    for (auto& k : keyed) k.first = 0.0;  // sort by string only
  }
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string_view> out;
  for (const auto& k : keyed) out.push_back(k.second);
  return out;
}

Status FitRegression(const CsvTable& t, const std::vector<size_t>& rows, size_t col,
                     LabelEncoding* label) {
  Moments m;
  for (size_t r : rows) {
    double v;
    bool missing;
    Status st =
        internal::ScalarValue(FieldType::kNumeric, t.cell(r, col), label->name, &v, &missing);
    if (!st.ok()) return st.Prefixed(Where(t, r));
    m.Add(v);
  }
  label->mean = m.Mean();
  label->std = m.Std();
  return Status::Ok();
}

Status FitLabel(const CsvTable& t, const std::vector<size_t>& rows, size_t col,
                const FitOptions& opts, LabelEncoding* label) {
  label->name = t.header[col];
  for (size_t r : rows) {
    if (IsMissing(t.cell(r, col))) {
      return Status::InvalidInput(Where(t, r) + ": column '" + label->name + "': missing label");
    }
  }
  label->task = opts.task;
  if (label->task == Task::kCount) {
    MING_ASSIGN_OR_RETURN(label->task, InferTask(t, col, rows, opts.max_classes));
  }
  if (label->task == Task::kRegression) return FitRegression(t, rows, col, label);
  bool all_num, all_int;
  std::vector<std::string_view> classes = DistinctLabels(t, col, rows, &all_num, &all_int);
  const std::string head = t.source + ": label '" + label->name + "' ";
  if (classes.size() == 1) {
    return Status::InvalidInput(head + "has a single class '" + internal::Shown(classes[0]) + "'");
  }
  if (label->task == Task::kBinary && classes.size() != 2) {
    return Status::InvalidInput(head + "has " + std::to_string(classes.size()) +
                                " classes; a binary task needs exactly 2");
  }
  if (classes.size() > static_cast<size_t>(internal::kMaxClasses)) {
    return Status::InvalidInput(head + "has " + std::to_string(classes.size()) +
                                " classes, more than " + std::to_string(internal::kMaxClasses));
  }
  for (std::string_view c : classes) label->classes.emplace_back(c);
  return Status::Ok();
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

FieldType TypeOf(const CsvTable& t, const std::vector<size_t>& rows, size_t col,
                 const FitOptions& opts) {
  for (const auto& [name, type] : opts.overrides) {
    if (name == t.header[col]) return type;
  }
  return InferType(t, col, rows);
}

// The model file stores names as UTF-8 JSON: a name or value in another encoding (a
// Latin-1 CSV) is refused here, at the first row that holds it.
Status CheckUtf8(const CsvTable& t, const std::vector<size_t>& rows, size_t col,
                 const std::vector<std::string>& values) {
  const auto bad = [&](const std::string& where, std::string_view v) {
    return Status::InvalidInput(where + ": column '" + EscapeNonUtf8(t.header[col]) + "': '" +
                                EscapeNonUtf8(v) +
                                "' is not valid UTF-8; ming stores names as UTF-8 (convert the "
                                "file, e.g. with iconv)");
  };
  if (!IsValidUtf8(t.header[col])) return bad(t.source + ":1", t.header[col]);
  for (const std::string& v : values) {
    if (IsValidUtf8(v)) continue;
    for (size_t r : rows) {
      if (TrimCell(t.cell(r, col)) == v) return bad(Where(t, r), v);
    }
    return bad(t.source, v);
  }
  return Status::Ok();
}

}  // namespace

Result<Preprocessor> Preprocessor::Fit(const CsvTable& t, const std::vector<size_t>& rows,
                                       const FitOptions& opts) {
  if (rows.empty()) return Status::InvalidInput(t.source + ": no training rows");
  size_t label_col = 0;
  MING_RETURN_IF_ERROR(CheckOptions(t, opts, &label_col));
  Preprocessor p;
  MING_RETURN_IF_ERROR(FitLabel(t, rows, label_col, opts, &p.label_));
  MING_RETURN_IF_ERROR(CheckUtf8(t, rows, label_col, p.label_.classes));
  int64_t total = 0;
  for (size_t c = 0; c < t.cols(); ++c) {
    if (c == label_col || Contains(opts.ignore, t.header[c])) continue;
    FieldEncoding f;
    f.name = t.header[c];
    f.type = TypeOf(t, rows, c, opts);
    if (f.type == FieldType::kCategorical) {
      FitCategorical(t, rows, c, opts, &f);
    } else {
      MING_RETURN_IF_ERROR(FitScalar(t, rows, c, &f));
    }
    MING_RETURN_IF_ERROR(CheckUtf8(t, rows, c, f.categories));
    total += internal::FieldWidth(f.type, f.categories.size(), f.has_missing, f.embed_dim);
    p.fields_.push_back(std::move(f));
  }
  if (total > internal::kMaxWidth) {
    return Status::InvalidInput(t.source + ": the inputs would need " + std::to_string(total) +
                                " encoded columns, more than " +
                                std::to_string(internal::kMaxWidth));
  }
  if (p.fields_.empty()) return Status::InvalidInput(t.source + ": no input columns left");
  for (const auto& item : opts.embed) {
    const std::string& name = item.first;
    const auto f = std::find_if(p.fields_.begin(), p.fields_.end(),
                                [&name](const FieldEncoding& e) { return e.name == name; });
    if (f == p.fields_.end()) {
      return Status::InvalidInput(t.source + ": column '" + name + "' is ignored; it cannot be embedded");
    }
    if (f->type != FieldType::kCategorical) {
      return Status::InvalidInput(t.source + ": column '" + name + "' is " + Name(f->type) +
                                  "; only categorical fields can be embedded");
    }
  }
  p.Finish();
  return p;
}

int DefaultEmbedDim(int slots) {
  const double d = std::ceil(1.6 * std::pow(static_cast<double>(std::max(slots, 1)), 0.56));
  return static_cast<int>(std::min(16.0, d));
}

Result<Task> InferTask(const CsvTable& t, size_t col, const std::vector<size_t>& rows,
                       int max_classes) {
  constexpr size_t kMaxIntegerClasses = 20;
  std::vector<size_t> all;
  if (rows.empty()) {
    all.resize(t.rows());
    for (size_t r = 0; r < all.size(); ++r) all[r] = r;
  }
  bool all_num, all_int;
  std::vector<std::string_view> classes =
      DistinctLabels(t, col, rows.empty() ? all : rows, &all_num, &all_int);
  const std::string head = t.source + ": label '" + t.header[col] + "' ";
  const size_t n = classes.size();
  if (n == 0) return Status::InvalidInput(head + "has no values");
  if (n == 1) {
    return Status::InvalidInput(head + "has a single class '" + internal::Shown(classes[0]) + "'");
  }
  if (n == 2) return Task::kBinary;
  const bool few = n <= static_cast<size_t>(std::max(max_classes, 0));
  // Integer labels are class codes only when there are a few of them; an integer target
  // such as an age or a count with many values is a regression (override with --task).
  if (all_num) return all_int && n <= kMaxIntegerClasses && few ? Task::kMulticlass : Task::kRegression;
  if (few) return Task::kMulticlass;
  return Status::InvalidInput(head + "has " + std::to_string(n) +
                              " distinct text values, more than max_classes (" +
                              std::to_string(max_classes) + ")");
}

}  // namespace ming
