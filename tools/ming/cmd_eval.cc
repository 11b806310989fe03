// `ming eval MODEL.ming DATA.csv [--json]`: metrics of a model on labelled data.
#include <cstdio>

#include "cli.h"
#include "report.h"
#include "train/evaluate.h"

namespace ming::cli {

Runner AddEval(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "Evaluate a model on labelled data");
  struct Opts {
    std::string model, data, delimiter = ",";
    bool json = false;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_option("data", o->data, "CSV with the label column")->required();
  cmd->add_option("--delimiter", o->delimiter, "CSV field delimiter")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0: all cores)");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o] {
    auto loaded = LoadModelAndCsv(o->model, o->data, o->delimiter);
    if (!loaded.ok()) return Fail(loaded.status());
    const CsvTable& table = loaded->table;
    auto data = EncodeDataset(loaded->model.pre, table, AllRows(table));
    if (!data.ok()) return Fail(data.status());
    nlohmann::json m = EvaluateEncoded(loaded->model, *data, o->threads);
    if (o->json) {
      std::printf("%s\n", m.dump().c_str());
    } else {
      PrintMetricsTable({{"data", m}});
    }
    return 0;
  };
}

}  // namespace ming::cli
