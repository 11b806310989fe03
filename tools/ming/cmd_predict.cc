// `ming predict MODEL.ming DATA.csv [-o OUT] [--format csv|jsonl]`: predictions per row, in
// order. All rows are encoded and predicted before anything is written, and a file output
// is written atomically, so a bad row leaves no partial output.
#include <cstdio>

#include "cli.h"
#include "data/csv.h"
#include "runtime/model_impl.h"
#include "runtime/plan.h"
#include "train/evaluate.h"
#include "util/file.h"

namespace ming::cli {
namespace {

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Render(const ModelData& m, const std::vector<float>& out, int64_t rows, bool jsonl) {
  const auto& classes = m.pre.label().classes;
  const int O = m.net.outputs;
  const size_t C = std::max<size_t>(classes.size(), 1);
  std::vector<float> probs(C);
  std::string s;
  if (!jsonl) {
    if (classes.empty()) {
      s += "value\n";
    } else {
      s += "label";
      for (const auto& c : classes) {
        s += ',';
        AppendCsvField(s, "p_" + c);
      }
      s += "\n";
    }
  }
  for (int64_t r = 0; r < rows; ++r) {
    double value;
    int cls;
    OutputsToPrediction(m, &out[static_cast<size_t>(r * O)], probs.data(), &value, &cls);
    if (cls < 0) {
      s += jsonl ? "{\"value\": " + Num(value) + "}\n" : Num(value) + "\n";
      continue;
    }
    if (jsonl) {
      nlohmann::json p = nlohmann::json::object();
      for (size_t c = 0; c < classes.size(); ++c) p[classes[c]] = std::stod(Num(probs[c]));
      s += nlohmann::json({{"label", classes[static_cast<size_t>(cls)]}, {"probabilities", p}}).dump() + "\n";
    } else {
      AppendCsvField(s, classes[static_cast<size_t>(cls)]);
      for (size_t c = 0; c < classes.size(); ++c) s += "," + Num(probs[c]);
      s += "\n";
    }
  }
  return s;
}

}  // namespace

Runner AddPredict(CLI::App& app) {
  auto* cmd = app.add_subcommand("predict", "Predict rows of a CSV (with or without the label column)");
  struct Opts {
    std::string model, data, out = "-", format = "csv", delimiter = ",";
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_option("data", o->data, "CSV with the model's input columns")->required();
  cmd->add_option("-o,--output", o->out, "Output file ('-' for stdout)")->capture_default_str();
  cmd->add_option("--format", o->format, "csv or jsonl")->check(CLI::IsMember({"csv", "jsonl"}))->capture_default_str();
  cmd->add_option("--delimiter", o->delimiter, "CSV field delimiter")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0: all cores)");
  return [o] {
    auto loaded = LoadModelAndCsv(o->model, o->data, o->delimiter);
    if (!loaded.ok()) return Fail(loaded.status());
    const ModelData& m = loaded->model;
    const CsvTable& table = loaded->table;
    const int64_t rows = static_cast<int64_t>(table.rows());
    std::vector<float> X(static_cast<size_t>(rows) * static_cast<size_t>(m.pre.encoded_width()));
    Status st = m.pre.EncodeInputs(table, AllRows(table), X.data());
    if (!st.ok()) return Fail(st);
    std::vector<float> out(static_cast<size_t>(rows) * static_cast<size_t>(m.net.outputs));
    RunPlan(MakePlan(m), X.data(), rows, out.data(), o->threads);
    const std::string text = Render(m, out, rows, o->format == "jsonl");
    if (o->out == "-") {
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    st = WriteFileAtomic(o->out, text);
    return st.ok() ? 0 : Fail(st);
  };
}

}  // namespace ming::cli
