// Re-encoding a model's data with its stored preprocessing and reproducing its split.
#include "compress/model_data.h"

#include <nlohmann/json.hpp>

#include "train/evaluate.h"
#include "train/pipeline.h"

namespace ming {
namespace {

using nlohmann::json;

// The recorded value at `path` (a chain of keys) if it has the type of `fallback`.
template <class T>
T Recorded(const json& info, std::initializer_list<const char*> path, T fallback) {
  const json* j = &info;
  for (const char* key : path) {
    if (!j->is_object() || !j->contains(key)) return fallback;
    j = &(*j)[key];
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return j->is_string() ? j->get<std::string>() : fallback;
  } else {
    return j->is_number() ? j->get<T>() : fallback;
  }
}

// The part of data_path the model held out: 0 when the user gives a file for it now, or
// when the model was trained with a file for it.
double HeldOut(const json& info, const char* file_key, const char* fraction_key,
               const std::string& given_path) {
  if (!given_path.empty()) return 0.0;
  if (!Recorded<std::string>(info, {"training", file_key}, "").empty()) return 0.0;
  return Recorded<double>(info, {"training", fraction_key}, 0.15);
}

}  // namespace

Result<ModelDatasets> EncodeForModel(const ModelData& m, const std::string& data_path,
                                     const std::string& val_path, const std::string& test_path,
                                     const CsvOptions& csv) {
  MING_ASSIGN_OR_RETURN(CsvTable data, ReadCsv(data_path, csv));
  const std::string& label = m.pre.label().name;
  const int label_col = data.column_index(label);
  if (label_col < 0) {
    return Status::InvalidInput(data.source + ": no label column '" + label +
                                "', which the model needs");
  }
  const double vf = HeldOut(m.info, "val", "val_fraction", val_path);
  const double tf = HeldOut(m.info, "test", "test_fraction", test_path);
  if (vf < 0 || tf < 0 || vf + tf >= 1.0) {
    return Status::InvalidInput("model: recorded validation/test fractions are not in [0, 1)");
  }
  const uint64_t seed = Recorded<uint64_t>(m.info, {"training", "effective", "seed"}, 1);
  const Split split = SplitTable(data, label_col, m.pre.label().task, vf, tf, seed);
  if (split.train.empty()) return Status::InvalidInput(data_path + ": no rows left for training");
  ModelDatasets out;
  MING_ASSIGN_OR_RETURN(out.train, EncodeDataset(m.pre, data, split.train));
  const std::string weights = Recorded<std::string>(m.info, {"training", "class_weight"}, "none");
  MING_RETURN_IF_ERROR(ApplyClassWeights(weights, m.pre, &out.train));
  auto part = [&](const std::string& path, const std::vector<size_t>& rows) -> Result<Dataset> {
    if (path.empty()) return EncodeDataset(m.pre, data, rows);
    MING_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(path, csv));
    return EncodeDataset(m.pre, t, AllRows(t));
  };
  MING_ASSIGN_OR_RETURN(out.val, part(val_path, split.val));
  MING_ASSIGN_OR_RETURN(out.test, part(test_path, split.test));
  return out;
}

}  // namespace ming
