// `ming bench MODEL.ming [--data DATA.csv] [--batch N] [--threads T] [--seconds S] [--json]`:
// single-row latency (p50/p90/p99) and batch throughput of the model's inference path.
#include <cstdio>

#include "cli.h"
#include "ming/ming.h"
#include "runtime/benchmark.h"

namespace ming::cli {
namespace {

// The rows of `path` as raw cells in the model's field order (columns matched by name).
Result<std::vector<std::vector<std::string>>> RowsFromCsv(const Model& model, const std::string& path,
                                                          char delimiter) {
  MING_ASSIGN_OR_RETURN(CsvTable t, ReadCsv(path, CsvOptions{delimiter}));
  std::vector<int> cols;
  for (const std::string& f : model.fields()) {
    const int c = t.column_index(f);
    if (c < 0) return Status::InvalidInput(path + ": no column '" + f + "', which the model needs");
    cols.push_back(c);
  }
  if (t.rows() == 0) return Status::InvalidInput(path + ": no data rows");
  std::vector<std::vector<std::string>> rows(t.rows());
  for (size_t r = 0; r < t.rows(); ++r) {
    for (int c : cols) rows[r].push_back(t.cell(r, static_cast<size_t>(c)));
  }
  return rows;
}

void PrintStats(const char* what, const LatencyStats& s) {
  std::printf("%-28s p50 %9.3f us   p90 %9.3f us   p99 %9.3f us   (%lld calls)\n", what, s.p50_us, s.p90_us,
              s.p99_us, static_cast<long long>(s.samples));
}

}  // namespace

Runner AddBench(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure single-row latency and batch throughput of a model");
  struct Opts {
    std::string model, data, delimiter = ",";
    BenchOptions bench;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_option("--data", o->data, "CSV whose rows drive the benchmark (default: synthetic rows)");
  cmd->add_option("--delimiter", o->delimiter, "CSV field delimiter")->capture_default_str();
  cmd->add_option("--batch", o->bench.batch, "Rows per batch call")->capture_default_str();
  cmd->add_option("--threads", o->bench.threads, "Threads for batch calls")->capture_default_str();
  cmd->add_option("--seconds", o->bench.seconds, "Seconds per measurement")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  return [o] {
    auto delim = ParseDelimiter(o->delimiter);
    if (!delim.ok()) return Fail(delim.status());
    auto model = Model::Load(o->model);
    if (!model.ok()) return Fail(model.status());
    std::vector<std::vector<std::string>> rows;
    if (o->data.empty()) {
      rows = SyntheticRows(**model, 1024, 1);
    } else {
      auto r = RowsFromCsv(**model, o->data, *delim);
      if (!r.ok()) return Fail(r.status());
      rows = std::move(r).value();
    }
    auto res = BenchmarkModel(*model, rows, o->bench);
    if (!res.ok()) return Fail(res.status());
    if (o->json) {
      nlohmann::json j = ToJson(*res);
      j["model"] = o->model;
      j["rows"] = o->data.empty() ? "synthetic" : o->data;
      std::printf("%s\n", j.dump().c_str());
      return 0;
    }
    std::printf("model %s, %s rows\n", o->model.c_str(), o->data.empty() ? "synthetic" : o->data.c_str());
    PrintStats("single row, Session::Predict", res->predict);
    PrintStats("single row, plan only", res->plan);
    char what[64];
    std::snprintf(what, sizeof what, "batch %d, %d thread%s", res->batch_size, res->threads, res->threads == 1 ? "" : "s");
    PrintStats(what, res->batch);
    std::printf("%-28s %.0f rows/s\n", "batch throughput", res->batch_rows_per_s);
    return 0;
  };
}

}  // namespace ming::cli
