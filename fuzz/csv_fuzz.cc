// Fuzz target: the CSV loader on a memory buffer (ReadCsv runs the same ParseCsv on a
// file's bytes), then what `ming train` does next with the table: fit the preprocessing
// with the last column as the label and encode every row. The first byte picks the
// delimiter so ';', tab and '|' files are explored too. The fitted preprocessing must be
// storable: its JSON (what the model file's META holds) is written and read back equal.
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "data/preprocess.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr char kDelims[] = {',', ';', '\t', '|'};
  ming::CsvOptions opts;
  opts.delimiter = kDelims[data[0] & 3];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto table = ming::ParseCsv(text, "fuzz.csv", opts);
  if (!table.ok() || table.value().rows() == 0) return 0;
  const ming::CsvTable& t = table.value();
  std::vector<size_t> rows(t.rows());
  std::iota(rows.begin(), rows.end(), 0);
  ming::FitOptions fit;
  fit.label = t.header.back();
  auto pre = ming::Preprocessor::Fit(t, rows, fit);
  if (!pre.ok()) return 0;
  std::vector<float> X(rows.size() * static_cast<size_t>(pre.value().encoded_width()));
  std::vector<float> y(rows.size());
  (void)pre.value().EncodeInputs(t, rows, X.data());
  (void)pre.value().EncodeLabels(t, rows, y.data());
  const nlohmann::json j = pre.value().ToJson();
  auto back = ming::Preprocessor::FromJson(nlohmann::json::parse(j.dump()));
  if (!back.ok() || back.value().ToJson() != j) __builtin_trap();
  return 0;
}
