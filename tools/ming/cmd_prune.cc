// `ming prune MODEL.ming --data TRAIN.csv -o PRUNED.ming [...]`: structured removal of dead
// (and cheap) hidden units, then magnitude pruning to --sparsity with gradual fine-tuning;
// writes the frozen form (sparse layers where they run faster) and a before/after report
// (parameters and non-zeros per layer, file size, validation and test metrics, single-row
// and batch latency), human-readable or --json.
#include <cstdio>
#include <filesystem>

#include "cli.h"
#include "compress/model_data.h"
#include "compress/prune_finetune.h"
#include "compress/prune_units.h"
#include "compress_report.h"
#include "report.h"
#include "train/evaluate.h"

namespace ming::cli {
namespace {

using nlohmann::json;

struct PruneFlags {
  std::string model, data, val, test, out, delimiter = ",", scope = "global";
  double sparsity = 0, dead_threshold = 0, remove_fraction = 0, lr_factor = kFineTuneLrFactor;
  double bench_seconds = 0.3;
  int epochs = 20, batch_size = 0, threads = 0, block = 1;
  uint64_t seed = 1;
  bool json = false;
};

// Everything the report compares, measured on one model.
struct Snapshot {
  json metrics = json::object();  // validation / test
  std::vector<WeightCount> counts;
  std::vector<int> units;
};

Snapshot Measure(const ModelData& m, const json& description) {
  Snapshot s;
  s.metrics = description["metrics"];
  s.counts = CountWeights(NetLayout(m.net), m.params.data());
  s.units = m.net.hidden;
  s.units.push_back(m.net.outputs);
  return s;
}

Status CheckFlags(const PruneFlags& f, PruneScope* scope) {
  MING_RETURN_IF_ERROR(ValidateSparsity(f.sparsity));
  if (!Parse(f.scope, scope))
    return Status::InvalidInput("--scope must be global or layer, got '" + f.scope + "'");
  if (f.epochs < 0) return Status::InvalidInput("--fine-tune-epochs must be >= 0");
  if (f.block < 1 || f.block > 4096) return Status::InvalidInput("--block must be in [1, 4096]");
  if (!(f.bench_seconds >= 0 && f.bench_seconds <= 60))
    return Status::InvalidInput("--bench-seconds must be in [0, 60]");
  if (f.threads < 0 || f.threads > 1024)
    return Status::InvalidInput("--threads must be in [0, 1024]");
  if (f.batch_size < 0) return Status::InvalidInput("--batch-size must be >= 0");
  if (!(f.dead_threshold >= 0 && f.dead_threshold < 1))
    return Status::InvalidInput("--dead-threshold must be in [0, 1)");
  if (!(f.remove_fraction >= 0 && f.remove_fraction < 1))
    return Status::InvalidInput("--remove-fraction must be in [0, 1)");
  if (!(f.lr_factor > 0 && f.lr_factor <= 100))
    return Status::InvalidInput("--lr-factor must be in (0, 100]");
  return Status::Ok();
}

// The one place a pruned model is written (atomically).
Result<int64_t> WritePruned(const std::string& path, const ModelData& m) {
  MING_RETURN_IF_ERROR(SaveModel(path, m));
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Status::IoError(path + ": " + ec.message());
  return static_cast<int64_t>(size);
}

json LayersJson(const Snapshot& before, const Snapshot& after,
                const std::vector<LayerUnitReport>& units) {
  json layers = json::array();
  for (size_t l = 0; l < before.counts.size(); ++l) {
    const bool out = l + 1 == before.counts.size();
    json j = {{"layer", out ? "output" : "hidden" + std::to_string(l + 1)},
              {"units_before", before.units[l]},
              {"units_after", after.units[l]},
              {"params_before", before.counts[l].params},
              {"params_after", after.counts[l].params},
              {"nonzero_before", before.counts[l].nonzero_params},
              {"nonzero_after", after.counts[l].nonzero_params},
              {"weights_after", after.counts[l].weights},
              {"weight_nonzero_after", after.counts[l].nonzero}};
    if (l < units.size()) {
      j["dead"] = units[l].dead;
      j["removed_by_cost"] = units[l].removed_by_cost;
    }
    layers.push_back(j);
  }
  return layers;
}

void PrintReport(const json& r) {
  std::printf("%-8s %13s %17s %17s %5s %5s\n", "layer", "units", "parameters", "non-zero", "dead",
              "cost");
  for (const json& l : r["layers"]) {
    std::printf("%-8s %6d -> %-4d %8lld -> %-6lld %8lld -> %-6lld %5s %5s\n",
                l["layer"].get<std::string>().c_str(), l["units_before"].get<int>(),
                l["units_after"].get<int>(), l["params_before"].get<long long>(),
                l["params_after"].get<long long>(), l["nonzero_before"].get<long long>(),
                l["nonzero_after"].get<long long>(),
                l.contains("dead") ? std::to_string(l["dead"].get<int>()).c_str() : "-",
                l.contains("removed_by_cost")
                    ? std::to_string(l["removed_by_cost"].get<int>()).c_str()
                    : "-");
  }
  const json& t = r["total"];
  std::printf(
      "total: %lld -> %lld parameters, %lld -> %lld non-zero; weight sparsity %.4f; file %lld -> "
      "%lld bytes\n",
      t["params_before"].get<long long>(), t["params_after"].get<long long>(),
      t["nonzero_before"].get<long long>(), t["nonzero_after"].get<long long>(),
      r["sparsity"]["achieved"].get<double>(), r["file_bytes"]["before"].get<long long>(),
      r["file_bytes"]["after"].get<long long>());
  if (r.contains("note")) std::printf("note: %s\n", r["note"].get<std::string>().c_str());
  std::printf("\nthe dense frozen model -> the pruned frozen model:\n");
  PrintBeforeAfter(r["dense_frozen"], r["after"]);
  std::printf("model: %s\n", r["output"].get<std::string>().c_str());
}

json TotalsJson(const json& layers) {
  json t = {{"params_before", 0}, {"params_after", 0}, {"nonzero_before", 0}, {"nonzero_after", 0}};
  for (const json& l : layers) {
    for (const char* k : {"params_before", "params_after", "nonzero_before", "nonzero_after"}) {
      t[k] = t[k].get<int64_t>() + l[k].get<int64_t>();
    }
  }
  return t;
}

// Structured step: skipped (with a note) for layer norm unless asked for explicitly.
Result<UnitPruneResult> Structured(const ModelData& m, const Dataset& train, const PruneFlags& f,
                                   json* report) {
  if (m.net.norm == Norm::kLayer && f.dead_threshold == 0 && f.remove_fraction == 0) {
    (*report)["note"] =
        "structured pruning skipped: layer normalisation couples the units of a layer";
    return UnitPruneResult{m, {}};
  }
  return PruneUnits(m, train, {f.dead_threshold, f.remove_fraction});
}

int RunPrune(const PruneFlags& f) {
  PruneScope scope = PruneScope::kGlobal;
  Status st = CheckFlags(f, &scope);
  if (!st.ok()) return Fail(st);
  auto delim = ParseDelimiter(f.delimiter);
  if (!delim.ok()) return Fail(delim.status());
  auto model = LoadModel(f.model);
  if (!model.ok()) {  // missing or unreadable: bad input (exit 2), whatever the cause
    Fail(model.status());
    return 2;
  }
  if (model->frozen) {
    return Fail(Status::InvalidInput(f.model + ": is a frozen model; prune needs the trained model (from ming train)"));
  }
  auto data = EncodeForModel(*model, f.data, f.val, f.test, CsvOptions{*delim});
  if (!data.ok()) return Fail(data.status());
  json report = {{"model", f.model}, {"output", f.out}};
  const ReportOptions ropts{&data->val, &data->test, f.bench_seconds, f.threads};
  // The trained model runs exactly as its frozen dense form (the plan folds it the same
  // way), so its metrics and latency are measured once, on the frozen form.
  report["dense_frozen"] = DescribeModel(FreezeModel(*model), ropts);
  report["before"] = DescribeModel(*model, ReportOptions{nullptr, nullptr, 0, f.threads});
  report["before"]["metrics"] = report["dense_frozen"]["metrics"];
  if (report["dense_frozen"].contains("bench")) report["before"]["bench"] = report["dense_frozen"]["bench"];
  const Snapshot before = Measure(*model, report["before"]);
  auto units = Structured(*model, data->train, f, &report);
  if (!units.ok()) return Fail(units.status());
  FineTuneOptions ft{f.sparsity, scope, f.block, f.epochs, f.lr_factor, f.batch_size, f.seed, f.threads, {}};
  if (!f.json) {
    ft.on_epoch = [](const EpochReport& e, double s) {
      std::fprintf(stderr,
                   "fine-tune epoch %d/%d: sparsity %.4f, train loss %.5f, validation loss %.5f\n",
                   e.epoch, e.epochs, s, e.train_loss, e.val_loss);
    };
  }
  FineTuneResult tuned{units->model, 0.0, {}, 0, {}};
  if (f.sparsity > 0) {
    auto r = PruneMagnitude(units->model, *data, ft);
    if (!r.ok()) return Fail(r.status());
    tuned = std::move(*r);
  }
  ModelData& out = tuned.model;
  ModelData frozen = FreezeModel(out);
  report["after"] = DescribeModel(frozen, ropts);
  const Snapshot after = Measure(out, report["after"]);
  report["layers"] = LayersJson(before, after, units->layers);
  report["total"] = TotalsJson(report["layers"]);
  report["sparsity"] = {{"target", f.sparsity},
                        {"scope", Name(scope)},
                        {"block", f.block},
                        {"achieved", WeightSparsity(NetLayout(out.net), out.params.data())}};
  report["fine_tune"] = {{"epochs", f.sparsity > 0 ? f.epochs : 0},
                         {"best_epoch", tuned.best_epoch},
                         {"lr_factor", f.lr_factor},
                         {"schedule", tuned.schedule}};
  report["metrics"] = {{"before", before.metrics}, {"after", after.metrics}};
  frozen.info["pruning"] = {{"from", f.model},
                         {"layers", report["layers"]},
                         {"sparsity", report["sparsity"]},
                         {"fine_tune", report["fine_tune"]},
                         {"dead_threshold", f.dead_threshold},
                         {"remove_fraction", f.remove_fraction},
                         {"seed", f.seed}};
  frozen.info["metrics"] = after.metrics;
  auto written = WritePruned(f.out, frozen);
  if (!written.ok()) return Fail(written.status());
  std::error_code ec;
  const auto in_size = std::filesystem::file_size(f.model, ec);
  report["file_bytes"] = {{"before", ec ? -1 : static_cast<int64_t>(in_size)}, {"after", *written}};
  report["after"]["file_bytes"] = *written;
  if (f.json) {
    std::printf("%s\n", report.dump().c_str());
  } else {
    PrintReport(report);
  }
  return 0;
}

}  // namespace

Runner AddPrune(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "prune", "Remove dead units and prune weights by magnitude, with fine-tuning");
  auto f = std::make_shared<PruneFlags>();
  cmd->add_option("model", f->model, "Model file")->required();
  cmd->add_option("--data", f->data, "Training CSV (the model's own split is reproduced from it)")
      ->required();
  cmd->add_option("--val", f->val, "Validation CSV (instead of the model's validation split)");
  cmd->add_option("--test", f->test, "Test CSV (instead of the model's test split)");
  cmd->add_option("-o,--output", f->out, "Pruned model file")->required();
  cmd->add_option("--sparsity", f->sparsity, "Fraction of weights set to zero, in [0, 1)")
      ->capture_default_str();
  cmd->add_option("--scope", f->scope, "Magnitude ranking: global or layer")->capture_default_str();
  cmd->add_option("--block", f->block,
                  "Prune blocks of this many consecutive outputs of one input (16: one row runs "
                  "one vector FMA per kept block; 1: single weights)")
      ->capture_default_str();
  cmd->add_option("--fine-tune-epochs", f->epochs,
                  "Epochs of gradual pruning with fine-tuning (0: one-shot)")
      ->capture_default_str();
  cmd->add_option("--dead-threshold", f->dead_threshold,
                  "Share of rows a unit may be active on and count as dead")
      ->capture_default_str();
  cmd->add_option("--remove-fraction", f->remove_fraction,
                  "Share of each layer's units removed by least cost")
      ->capture_default_str();
  cmd->add_option("--lr-factor", f->lr_factor,
                  "Fine-tuning learning rate as a multiple of the model's")
      ->capture_default_str();
  cmd->add_option("--batch-size", f->batch_size, "Fine-tuning batch size (0: the model's)")
      ->capture_default_str();
  cmd->add_option("--seed", f->seed, "Seed of the fine-tuning shuffle and dropout")
      ->capture_default_str();
  cmd->add_option("--bench-seconds", f->bench_seconds,
                  "Seconds per latency measurement in the report (0: none)")
      ->capture_default_str();
  cmd->add_option("--threads", f->threads, "Threads (0: all cores)");
  cmd->add_option("--delimiter", f->delimiter, "CSV field delimiter")->capture_default_str();
  cmd->add_flag("--json", f->json, "Print the report as one JSON object");
  return [f] { return RunPrune(*f); };
}

}  // namespace ming::cli
