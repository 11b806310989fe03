// `ming demo`: Ming's story end to end. Generates his invitation records, trains a network
// with the defaults, evaluates it on evenings it never saw, saves the model, freezes and
// prunes it (dead units, 80% of the weights in blocks, fine-tuning), and asks the lean
// model about a few new evenings through the C++ library API, explaining one answer.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "compress/model_data.h"
#include "compress/prune_finetune.h"
#include "compress/prune_units.h"
#include "compress_report.h"
#include "data/invitations.h"
#include "ming/explain.h"
#include "ming/ming.h"
#include "progress.h"
#include "report.h"
#include "runtime/model_file.h"
#include "train/pipeline.h"
#include "util/file.h"

namespace ming::cli {
namespace {

struct Evening {
  const char* story;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
};

const std::vector<Evening>& Evenings() {
  static const std::vector<Evening> kEvenings = {
      {"a sunny Saturday at 22 C, she is in a good mood, concert nearby",
       {{"holiday", "no"}, {"weather", "sunny"}, {"temperature", "22"}, {"her_mood", "good"},
        {"ill", "no"}, {"other_plans", "no"}, {"relatives_visiting", "no"}, {"day_of_week", "sat"},
        {"venue", "concert"}, {"days_since_last", "10"}, {"distance_km", "3"}}},
      {"a stormy Tuesday at 3 C, and she has a cold",
       {{"holiday", "no"}, {"weather", "stormy"}, {"temperature", "3"}, {"her_mood", "neutral"},
        {"ill", "yes"}, {"other_plans", "no"}, {"relatives_visiting", "no"}, {"day_of_week", "tue"},
        {"venue", "park"}, {"days_since_last", "2"}, {"distance_km", "12"}}},
      {"a holiday Friday, cloudy 18 C, but her relatives are visiting",
       {{"holiday", "yes"}, {"weather", "cloudy"}, {"temperature", "18"}, {"her_mood", ""},
        {"ill", "no"}, {"other_plans", "no"}, {"relatives_visiting", "yes"}, {"day_of_week", "fri"},
        {"venue", "restaurant"}, {"days_since_last", "7"}, {"distance_km", "5"}}},
  };
  return kEvenings;
}

// Explains one evening's prediction in plain words: its three largest contributions.
int ExplainOne(const std::shared_ptr<const Model>& model, const Evening& e) {
  auto ex = Explainer::Create(model);
  if (!ex.ok()) return Fail(ex.status());
  Explanation x;
  Status st = (*ex)->ExplainNamed(e.fields, &x);
  if (!st.ok()) return Fail(st);
  std::vector<size_t> order(x.contributions.size());
  for (size_t f = 0; f < order.size(); ++f) order[f] = f;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::fabs(x.contributions[a]) > std::fabs(x.contributions[b]); });
  std::printf("\nWhy? For %s, the model starts from\nits average log-odds of acceptance on her past evenings (%.2f); then\n", e.story, x.base);
  for (size_t k = 0; k < 3 && k < order.size(); ++k) {
    const std::string& name = model->fields()[order[k]];
    std::string_view value = "(missing)";
    for (const auto& [n, v] : e.fields)
      if (n == name && !v.empty()) value = v;
    const double c = x.contributions[order[k]];
    const std::string what = name + " = " + std::string(value);
    std::printf("  %-24s %s them by %.2f (odds x %.2f)\n", what.c_str(), c >= 0 ? "raised" : "lowered", std::fabs(c),
                std::exp(c));
  }
  std::printf("  and the other %zu fields together by %+.2f, ending at %.2f: P(yes) = %.2f.\n", order.size() - 3,
              x.output - x.base - x.contributions[order[0]] - x.contributions[order[1]] - x.contributions[order[2]],
              x.output, 1 / (1 + std::exp(-x.output)));
  std::printf("  (exact Shapley values against %d of her past evenings; `ming explain` does this for any row)\n",
              (*ex)->background_rows());
  return 0;
}

// Training ends by freezing the weights and pruning what never fires: dead units are
// removed (outputs unchanged), 80% of the weights are pruned by magnitude in blocks of 16
// outputs with a few epochs of fine-tuning, and the lean frozen model is written to lean_path.
int PruneTheModel(const std::string& csv, const std::string& lean_path,
                  const PipelineResult& trained, int threads) {
  constexpr double kSparsity = 0.8;  // in blocks of 16: 90% starves the 256x128 layer (docs/pruning.md)
  const ModelData& dense = trained.model;
  auto data = EncodeForModel(dense, csv, "", "", CsvOptions{});
  if (!data.ok()) return Fail(data.status());
  auto units = PruneUnits(dense, data->train, {});
  if (!units.ok()) return Fail(units.status());
  int dead = 0, hidden = 0;
  for (const LayerUnitReport& l : units->layers) dead += l.dead;
  for (int h : dense.net.hidden) hidden += h;
  FineTuneOptions ft;
  ft.sparsity = kSparsity;
  ft.block = 16;  // whole 16-output blocks: one evening runs faster too, not only batches
  ft.epochs = 10;
  ft.threads = threads;
  auto tuned = PruneMagnitude(units->model, *data, ft);
  if (!tuned.ok()) return Fail(tuned.status());
  const ModelData lean = FreezeModel(tuned->model);
  Status st = SaveModel(lean_path, lean);
  if (!st.ok()) return Fail(st);
  const ReportOptions ropts{&data->val, &data->test, 0.2, threads};
  const nlohmann::json before = DescribeModel(FreezeModel(dense), ropts), after = DescribeModel(lean, ropts);
  auto acc = [](const nlohmann::json& j) { return 100 * j["metrics"]["test"]["accuracy"].get<double>(); };
  auto us = [](const nlohmann::json& j) { return j["bench"]["single_row_plan"]["p50_us"].get<double>(); };
  auto rows = [](const nlohmann::json& j) { return j["bench"]["batch_rows_per_s"].get<double>(); };
  std::printf("\nMing freezes the network and prunes it for everyday use (%s):\n", lean_path.c_str());
  std::printf("  %d of its %d hidden units never fired on the training evenings%s\n", dead, hidden,
              dead ? " and were removed (answers unchanged)" : ", so none was removed");
  std::printf("  %.0f%% of the weights pruned by magnitude in blocks of 16, 10 epochs of fine-tuning: %lld -> %lld nonzero\n",
              100 * kSparsity, before["nonzero_weights"].get<long long>(), after["nonzero_weights"].get<long long>());
  std::printf("  test accuracy %.1f%% -> %.1f%%; file %lld -> %lld bytes\n", acc(before), acc(after),
              before["file_bytes"].get<long long>(), after["file_bytes"].get<long long>());
  std::printf("  one evening %.2f -> %.2f us, a batch of 1024 %.0f -> %.0f evenings/s (network alone, 1 thread)\n",
              us(before), us(after), rows(before), rows(after));
  return 0;
}

int AskTheModel(const std::string& model_path) {
  auto model = Model::Load(model_path);
  if (!model.ok()) return Fail(model.status());
  Session session(*model);
  std::printf("\nMing asks the lean model about three new evenings:\n");
  for (const Evening& e : Evenings()) {
    Prediction p;
    Status st = session.PredictNamed(e.fields, &p);
    if (!st.ok()) return Fail(st);
    const double yes = p.probabilities[1];
    std::printf("  %-66s -> %-3s (P(yes) = %.2f)\n", e.story, std::string(p.label).c_str(), yes);
  }
  return ExplainOne(*model, Evenings()[1]);
}

}  // namespace

Runner AddDemo(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "Ming's story end to end: generate invitations, train, evaluate, predict");
  struct Opts {
    std::string dir = "ming-demo";
    int64_t rows = 10000;
    uint64_t seed = 2026;
    int threads = 0;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--dir", o->dir, "Directory for the generated data and model")->capture_default_str();
  cmd->add_option("--rows", o->rows, "Invitation records to generate")->check(CLI::Range(int64_t{100}, int64_t{10000000}))->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", o->threads, "Threads (0: all cores)");
  return [o] {
    const auto t0 = std::chrono::steady_clock::now();
    Status st = MakeDirs(o->dir);
    if (!st.ok()) return Fail(st);
    const std::string csv = o->dir + "/invitations.csv", model = o->dir + "/invitations.ming";
    st = WriteFileAtomic(csv, GenerateInvitations(o->rows, o->seed));
    if (!st.ok()) return Fail(st);
    std::printf("Ming wrote down %lld evenings he invited her out (%s): holiday, weather, temperature,\n"
                "her mood, illness, other plans, relatives, day, venue, distance, and whether she accepted.\n\n",
                static_cast<long long>(o->rows), csv.c_str());
    PipelineOptions p = DefaultPipelineOptions();
    p.data_path = csv;
    p.fit.label = "accepted";
    p.train.seed = o->seed;
    p.train.threads = o->threads;
    p.config = {{"data", csv}, {"label", "accepted"}, {"command", "demo"}};
    Progress progress(ProgressMode::kAuto);
    PipelineCallbacks cb;
    cb.on_data = PrintDataSummary;
    cb.on_step = [&](const StepReport& s) { progress.OnStep(s); };
    cb.on_epoch = [&](const EpochReport& e, const nlohmann::json& vm) { progress.OnEpoch(e, vm); };
    std::fflush(stdout);
    auto res = RunPipeline(p, cb);
    progress.Finish();
    if (!res.ok()) return Fail(res.status());
    st = SaveModel(model, res->model);
    if (!st.ok()) return Fail(st);
    std::printf("\n");
    PrintSummary(*res, model);
    const double train_acc = res->metrics["train"]["accuracy"].get<double>();
    const double test_acc = res->metrics["test"]["accuracy"].get<double>();
    std::printf("\nOn evenings it never saw, the model is right %.1f%% of the time (%.1f%% on the ones it\n"
                "learned from: a generalisation gap of %.1f points). Her answers carry %.0f%% noise, so no\n"
                "model can be right much more than %.0f%% of the time.\n",
                100 * test_acc, 100 * train_acc, 100 * (train_acc - test_acc), 100 * InvitationLabelNoise(),
                100 * (1 - InvitationLabelNoise()));
    const std::string lean = o->dir + "/invitations_lean.ming";
    int rc = PruneTheModel(csv, lean, *res, o->threads);
    if (rc != 0) return rc;
    rc = AskTheModel(lean);
    if (rc != 0) return rc;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("\nDone in %.1f s. Try: ming info %s; ming predict %s %s | head;\n  ming explain %s --global %s\n", secs,
                model.c_str(), model.c_str(), csv.c_str(), model.c_str(), csv.c_str());
    return 0;
  };
}

}  // namespace ming::cli
