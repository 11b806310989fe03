// Shared by the server fuzz targets and the server unit tests: a tiny binary-classification
// model built in memory (no training run) with one field of each kind: numeric "age",
// boolean "member", categorical "city" (label "accepted" = no/yes), random initial weights
// and background rows so explain requests work (TinyModelDataFor picks another label column,
// e.g. "age" for a regression); and a temp directory that is removed at exit.
// Thread-safety: call from LLVMFuzzerInitialize (one thread).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "data/csv.h"
#include "data/preprocess.h"
#include "nn/network.h"
#include "runtime/model_file.h"
#include "util/rng.h"

namespace ming::fuzz {

// The tiny table with `label` as the label column (task inferred unless given).
inline ModelData TinyModelDataFor(const char* label, Task task = Task::kCount, uint64_t seed = 1) {
  const char* csv =
      "age,member,city,accepted\n"
      "34,yes,paris,yes\n51,no,lyon,no\n29,yes,nice,yes\n44,no,paris,no\n"
      "38,yes,lyon,yes\n62,no,nice,no\n23,,paris,yes\n47,yes,,no\n";
  auto t = ParseCsv(csv, "tiny.csv", CsvOptions());
  if (!t.ok()) std::abort();
  std::vector<size_t> rows(t->rows());
  std::iota(rows.begin(), rows.end(), 0);
  FitOptions fit;
  fit.label = label;
  fit.task = task;
  fit.overrides = {{"member", FieldType::kBoolean}, {"city", FieldType::kCategorical}};
  auto pre = Preprocessor::Fit(*t, rows, fit);
  if (!pre.ok()) std::abort();
  ModelData d;
  d.pre = std::move(pre).value();
  d.net.inputs = d.pre.encoded_width();
  d.net.hidden = {4};
  d.net.outputs = d.pre.num_outputs();
  NetLayout layout(d.net);
  d.params.resize(static_cast<size_t>(layout.num_params()));
  d.buffers.resize(static_cast<size_t>(layout.num_buffers()));
  Rng rng(seed);
  InitParams(layout, d.params.data(), d.buffers.empty() ? nullptr : d.buffers.data(), rng);
  d.background.resize(rows.size() * static_cast<size_t>(d.net.inputs));
  if (!d.pre.EncodeInputs(*t, rows, d.background.data()).ok()) std::abort();
  return d;
}

inline ModelData TinyModelData(uint64_t seed = 1) { return TinyModelDataFor("accepted", Task::kCount, seed); }

// A fresh directory under TMPDIR (or /tmp), removed when the process exits normally.
inline std::string FuzzTempDir(const char* stem) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + stem + "_XXXXXX";
  if (!::mkdtemp(tmpl.data())) std::abort();
  static std::vector<std::string> dirs;
  dirs.push_back(tmpl);
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit([] {
      std::error_code ec;
      for (const auto& d : dirs) std::filesystem::remove_all(d, ec);
    });
  }
  return tmpl;
}

}  // namespace ming::fuzz
