// `ming explain MODEL.ming DATA.csv [--rows 1,5,9] [--json]`: per-row Shapley contributions
// of each field; `ming explain MODEL.ming --global DATA.csv`: importance ranking (mean
// |contribution|, permutation importance) and the rule of thumb.
#include <cmath>
#include <cstdio>

#include "cli.h"
#include "ming/explain.h"
#include "runtime/model_impl.h"
#include "train/evaluate.h"

namespace ming::cli {
namespace {

struct Opts {
  std::string model, data, rows, background, delimiter = ",", klass;
  bool json = false, global = false;
  int exact_up_to = 12, permutations = 32, background_rows = 8, threads = 0, repeats = 3;
  int64_t max_rows = 0;
};

Result<std::vector<size_t>> ParseRows(const std::string& spec, size_t n,
                                      const std::string& source) {
  std::vector<size_t> rows;
  if (spec.empty()) {
    for (size_t r = 0; r < n; ++r) rows.push_back(r);
    return rows;
  }
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    if (comma == std::string::npos) comma = spec.size();
    const std::string item = spec.substr(pos, comma - pos);
    double v = 0;
    if (!ParseNumber(item, &v) || v != std::floor(v) || v < 1) {
      return Status::InvalidInput("--rows: '" + item +
                                  "' is not a row number (1 = first data row)");
    }
    if (v > static_cast<double>(n)) {
      return Status::InvalidInput("--rows: row " + item + " is out of range: " + source + " has " +
                                  std::to_string(n) + " data rows");
    }
    rows.push_back(static_cast<size_t>(v) - 1);
    pos = comma + 1;
  }
  return rows;
}

std::string Fmt(const char* f, double v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// The prediction in words for the header of a row.
std::string Predicted(const ModelData& m, const Explanation& e, const float* out) {
  std::vector<float> probs(std::max<size_t>(m.pre.label().classes.size(), 1));
  double value;
  int cls;
  OutputsToPrediction(m, out, probs.data(), &value, &cls);
  if (cls < 0) return m.pre.label().name + " = " + Fmt("%.4g", value);
  return m.pre.label().name + " = " + m.pre.label().classes[static_cast<size_t>(cls)] +
         " (P = " + Fmt("%.3f", probs[static_cast<size_t>(cls)]) + ")" +
         (e.class_index >= 0 ? "" : "");
}

int RunRows(const Opts& o, const std::shared_ptr<const Model>& model, const CsvTable& t,
            Explainer& ex) {
  const ModelData& m = model->impl().data;
  auto rows = ParseRows(o.rows, t.rows(), t.source);
  if (!rows.ok()) return Fail(rows.status());
  const int W = m.net.inputs;
  std::vector<float> X(rows->size() * static_cast<size_t>(W)),
      out(static_cast<size_t>(m.net.outputs));
  if (Status st = m.pre.EncodeInputs(t, *rows, X.data()); !st.ok()) return Fail(st);
  PlanScratch scratch(model->impl().plan, 1);
  nlohmann::json all = nlohmann::json::array();
  Explanation e;
  for (size_t k = 0; k < rows->size(); ++k) {
    const float* x = X.data() + k * static_cast<size_t>(W);
    ex.ExplainEncoded(x, &e);
    model->impl().plan.Run(x, 1, out.data(), scratch);
    const size_t r = (*rows)[k];
    std::vector<size_t> order(e.contributions.size());
    for (size_t f = 0; f < order.size(); ++f) order[f] = f;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return std::fabs(e.contributions[a]) > std::fabs(e.contributions[b]);
    });
    if (o.json) {
      nlohmann::json c = nlohmann::json::object(), v = nlohmann::json::object();
      for (size_t f = 0; f < order.size(); ++f) {
        c[model->fields()[f]] = e.contributions[f];
        const int col = t.column_index(model->fields()[f]);
        v[model->fields()[f]] = t.cell(r, static_cast<size_t>(col));
      }
      all.push_back({{"row", r + 1},
                     {"line", t.line[r]},
                     {"prediction", Predicted(m, e, out.data())},
                     {"target", e.target},
                     {"base", e.base},
                     {"output", e.output},
                     {"method", e.method},
                     {"evaluations", e.evaluations},
                     {"contributions", c},
                     {"values", v}});
      continue;
    }
    std::printf(
        "row %zu (%s:%lld): %s\n  %s %.4f = base %.4f + contributions (%s, %d background rows)\n",
        r + 1, t.source.c_str(), static_cast<long long>(t.line[r]),
        Predicted(m, e, out.data()).c_str(), e.target.c_str(), e.output, e.base, e.method.c_str(),
        ex.background_rows());
    for (size_t f : order) {
      const int col = t.column_index(model->fields()[f]);
      std::printf("    %-22s %-14s %+.4f\n", model->fields()[f].c_str(),
                  t.cell(r, static_cast<size_t>(col)).c_str(), e.contributions[f]);
    }
  }
  if (o.json) std::printf("%s\n", all.dump(1).c_str());
  return 0;
}

int RunGlobal(const Opts& o, const std::shared_ptr<const Model>& model, const ExplainOptions& eo) {
  GlobalOptions g;
  g.explain = eo;
  g.max_rows = o.max_rows;
  g.threads = o.threads;
  g.repeats = o.repeats;
  auto res = ExplainGlobal(model, o.data, g);
  if (!res.ok()) return Fail(res.status().Prefixed(o.model));
  const GlobalExplanation& r = *res;
  const RuleOfThumb& rule = r.rule;
  if (o.json) {
    nlohmann::json j = {{"rows", r.rows},
                        {"target", r.target},
                        {"method", r.method},
                        {"fields", r.fields},
                        {"mean_abs_contribution", r.mean_abs},
                        {"ranking", r.ranking},
                        {"coalition_rows", r.coalition_rows},
                        {"network_rows", r.network_rows}};
    if (!r.metric.empty()) {
      j["permutation"] = {{"metric", r.metric},
                          {"baseline", r.metric_value},
                          {"drop", r.permutation},
                          {"drop_std", r.permutation_std},
                          {"ranking", r.permutation_ranking}};
    }
    nlohmann::json terms = nlohmann::json::array();
    for (const auto& t : rule.terms) terms.push_back({{"term", t.text}, {"weight", t.weight}});
    j["rule_of_thumb"] = {{"available", rule.available},
                          {"note", rule.note},
                          {"text", rule.text},
                          {"terms", terms},
                          {"threshold", rule.threshold},
                          {"intercept", rule.intercept},
                          {"fidelity", rule.fidelity},
                          {"fit_rows", rule.fit_rows},
                          {"check_rows", rule.check_rows}};
    std::printf("%s\n", j.dump(1).c_str());
    return 0;
  }
  std::printf("Importance over %lld rows of %s (%s; %s Shapley values)\n",
              static_cast<long long>(r.rows), o.data.c_str(), r.target.c_str(), r.method.c_str());
  std::printf("  %-4s %-22s %-20s %s\n", "rank", "field", "mean |contribution|",
              r.metric.empty() ? "" : ("drop in " + r.metric + " when shuffled (rank)").c_str());
  for (size_t k = 0; k < r.ranking.size(); ++k) {
    const size_t f = static_cast<size_t>(r.ranking[k]);
    std::string perm;
    if (!r.metric.empty()) {
      const auto pr = std::find(r.permutation_ranking.begin(), r.permutation_ranking.end(),
                                static_cast<int>(f));
      perm = Fmt("%+.4f", r.permutation[f]) + Fmt(" +- %.4f", r.permutation_std[f]) +
             Fmt(" (%.0f)", static_cast<double>(pr - r.permutation_ranking.begin() + 1));
    }
    std::printf("  %-4zu %-22s %-20.4f %s\n", k + 1, r.fields[f].c_str(), r.mean_abs[f],
                perm.c_str());
  }
  if (!r.metric.empty())
    std::printf("  (%s on these rows: %.4f)\n", r.metric.c_str(), r.metric_value);
  if (!rule.available) {
    std::printf("No rule of thumb: %s\n", rule.note.c_str());
    return 0;
  }
  std::printf("\nRule of thumb, fitted to the network's own predictions on %lld rows:\n  %s\n",
              static_cast<long long>(rule.fit_rows), rule.text.c_str());
  std::printf("  %s on %lld held-out rows: %.1f%%\n",
              model->task() == ModelTask::kRegression ? "R^2 against the network"
                                                      : "agrees with the network",
              static_cast<long long>(rule.check_rows), 100 * rule.fidelity);
  return 0;
}

}  // namespace

Runner AddExplain(CLI::App& app) {
  auto* cmd = app.add_subcommand("explain",
                                 "How much each field weighs: per-row contributions, or --global "
                                 "importance and a rule of thumb");
  auto o = std::make_shared<Opts>();
  cmd->add_option("model", o->model, "Model file")->required();
  cmd->add_option("data", o->data,
                  "CSV with the model's input columns (and the label, for permutation importance)")
      ->required();
  cmd->add_option("--rows", o->rows,
                  "Rows to explain, 1-based data rows, e.g. 1,5,9 (default: all)");
  cmd->add_flag("--global", o->global,
                "Importance over all rows and the rule of thumb instead of per-row contributions");
  cmd->add_flag("--json", o->json, "JSON output");
  cmd->add_option(
      "--background", o->background,
      "CSV of training rows to compare against (default: the rows stored in the model)");
  cmd->add_option("--background-rows", o->background_rows,
                  "Background rows compared against (0: all the model stores, 32)")
      ->capture_default_str();
  cmd->add_option("--exact-up-to", o->exact_up_to,
                  "Exact Shapley values while at most this many fields differ from a background "
                  "row; sampling above")
      ->check(CLI::Range(0, 20))
      ->capture_default_str();
  cmd->add_option("--permutations", o->permutations,
                  "Sampling: antithetic permutation pairs per background row")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--class", o->klass, "Multiclass: class to explain (default: the predicted one)");
  cmd->add_option("--max-rows", o->max_rows, "--global: use at most this many rows (0: all)");
  cmd->add_option("--repeats", o->repeats,
                  "--global: shuffles per field for permutation importance")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "--global: threads (0: all cores)");
  cmd->add_option("--delimiter", o->delimiter, "CSV field delimiter")->capture_default_str();
  return [o] {
    auto model = Model::Load(o->model);
    if (!model.ok()) return Fail(model.status());
    ExplainOptions eo;
    eo.max_exact_fields = o->exact_up_to;
    eo.permutations = o->permutations;
    eo.background_rows = o->background_rows;
    eo.background_csv = o->background;
    if (!o->klass.empty()) {
      const auto& cl = (*model)->classes();
      const auto it = std::find(cl.begin(), cl.end(), o->klass);
      if ((*model)->task() != ModelTask::kMulticlass || it == cl.end()) {
        return Fail(Status::InvalidInput("--class: '" + o->klass +
                                         "' is not a class of this multiclass model"));
      }
      eo.class_index = static_cast<int>(it - cl.begin());
    }
    if (o->global) {
      if (!o->rows.empty())
        return Fail(Status::InvalidInput("--rows and --global exclude each other"));
      return RunGlobal(*o, *model, eo);
    }
    auto ex = Explainer::Create(*model, eo);
    if (!ex.ok()) return Fail(ex.status().Prefixed(o->model));
    auto delim = ParseDelimiter(o->delimiter);
    if (!delim.ok()) return Fail(delim.status());
    auto t = ReadCsv(o->data, CsvOptions{*delim});
    if (!t.ok()) return Fail(t.status());
    return RunRows(*o, *model, *t, **ex);
  };
}

}  // namespace ming::cli
