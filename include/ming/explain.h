// ming's explanation API: how much each field weighs in a prediction, which fields matter
// overall, a readable weighted-sum "rule of thumb" that mimics the network, and the
// decision threshold and probability calibration of a binary model.
//
//   auto model = ming::Model::Load("invitations.ming");
//   auto ex = ming::Explainer::Create(*model);                 // Result<unique_ptr<Explainer>>
//   ming::Explanation e;
//   (*ex)->ExplainNamed(row, &e);        // e.base + sum(e.contributions) == e.output
//
// What is explained: binary models - the log-odds of the positive class (classes()[1]);
// multiclass - the logit of one class (the predicted one unless ExplainOptions::class_index
// says otherwise); regression - the predicted value in the label's units. Calibration is
// not part of the explained output (it is a monotone map applied afterwards).
// Thread-safety: an Explainer is NOT thread-safe (it owns scratch); one per thread. The
// free functions are thread-safe and use their own threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ming/ming.h"
#include "ming/status.h"

namespace ming {

struct ExplainOptions {
  int max_exact_fields = 12;  // exact Shapley values while at most this many fields differ
                              // from a background row (2^n coalitions); sampling above
  int permutations = 32;      // sampling: antithetic permutation pairs per background row
  int background_rows = 8;    // use the first n background rows (0: all; the model stores 32)
  int class_index = -1;       // multiclass: class explained (-1: the predicted class)
  uint64_t seed = 1;
  // Background rows to use instead of the model's: a CSV of raw rows (the model's fields;
  // extra columns are ignored). Empty: the rows stored in the model file.
  std::string background_csv;
};

struct Explanation {
  std::string target;                 // e.g. "log-odds of accepted = yes"
  int class_index = -1;               // class whose output is explained (-1: regression)
  double base = 0;                    // mean model output over the background rows
  double output = 0;                  // model output for this row
  std::vector<double> contributions;  // one per Model::fields(); base + sum == output
  std::string method;                 // "exact" or "sampling"
  int64_t evaluations = 0;            // coalition rows (network rows, unless a memo held some)
};

class Explainer {
 public:
  // Errors: the model has no background rows and options.background_csv is empty; a bad
  // background CSV; class_index out of range.
  static Result<std::unique_ptr<Explainer>> Create(std::shared_ptr<const Model> model,
                                                   const ExplainOptions& options = {});
  ~Explainer();
  // One raw row (cells in Model::fields() order), as Session::Predict takes it.
  Status Explain(std::span<const std::string_view> row, Explanation* out);
  // (field, value) pairs; absent fields are missing; an unknown field is an error.
  Status ExplainNamed(std::span<const std::pair<std::string_view, std::string_view>> row,
                      Explanation* out);
  // A row already encoded with the model's preprocessing (x[encoded width]).
  void ExplainEncoded(const float* x, Explanation* out);
  int background_rows() const;

  struct Impl;
  explicit Explainer(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// One term of the rule of thumb: weight * (field value, or [field = category]).
struct RuleTerm {
  std::string text;   // "temperature", "weather = stormy", "her_mood missing"
  double weight = 0;  // per unit of the raw value (numbers), or for the indicator
};

struct RuleOfThumb {
  bool available = false;
  std::string note;             // why not, when unavailable
  std::vector<RuleTerm> terms;  // sorted by influence (|weight| x spread), largest first
  double threshold = 0;         // binary: positive when sum(terms) > threshold
  double intercept = 0;         // regression: value ~ intercept + sum(terms)
  double fidelity = 0;          // binary: share of held-out rows agreeing with the network;
                                // regression: R^2 against the network's values
  int64_t fit_rows = 0, check_rows = 0;
  std::string text;  // "accepts when 1.9*holiday - 2.4*ill ... > 0.6"
};

struct GlobalOptions {
  ExplainOptions explain;
  int64_t max_rows = 0;  // explain at most this many rows (0: all)
  int repeats = 3;       // permutation importance shuffles per field
  int threads = 0;       // 0: all cores
  uint64_t seed = 1;
};

struct GlobalExplanation {
  std::vector<std::string> fields;
  std::vector<double> mean_abs;          // mean |contribution| per field
  std::vector<double> permutation;       // drop in `metric` when the field is shuffled
  std::vector<double> permutation_std;   // over repeats
  std::vector<int> ranking;              // fields by mean_abs, largest first
  std::vector<int> permutation_ranking;  // by permutation drop (empty without labels)
  std::string metric;                    // "accuracy" or "r2"; empty without labels
  double metric_value = 0;               // on the unshuffled rows
  std::string target, method;
  int64_t rows = 0;
  // Coalition rows the Shapley values needed, and how many of them ran through the network
  // (the rest were found in the memo of rows already run).
  int64_t coalition_rows = 0, network_rows = 0, memo_hits = 0;
  RuleOfThumb rule;
};

// Importance over the rows of a CSV (with the label column for permutation importance;
// without it only the Shapley importance and the rule are computed) and the rule of thumb.
Result<GlobalExplanation> ExplainGlobal(std::shared_ptr<const Model> model,
                                        const std::string& csv_path,
                                        const GlobalOptions& options = {});

enum class ThresholdCriterion { kF1, kYouden, kAccuracy, kCost, kCount };

struct CalibrateOptions {
  std::string method = "auto";  // "temperature", "platt", "none", "auto" (platt for binary)
  // Binary models: choose the decision threshold after calibration; "" keeps the model's.
  std::string threshold_by;                      // "f1", "youden", "accuracy", "cost"
  double cost_false_yes = 1, cost_false_no = 1;  // for "cost"
  int threads = 0;
};

struct CalibrateReport {
  std::string method;
  double scale = 1, shift = 0;
  double ece_before = 0, ece_after = 0;
  double log_loss_before = 0, log_loss_after = 0;
  std::string threshold_by;
  double threshold_before = 0.5, threshold_after = 0.5;
  double criterion_value = 0;  // the chosen threshold's F1 / J / accuracy / cost
  int64_t rows = 0;
};

// Fits calibration (and optionally the threshold) on labelled rows of a CSV and writes the
// model with them to out_path (which may be model_path). Errors: a regression model, or
// a threshold asked of a multiclass model; unknown names; labels absent or unknown.
Result<CalibrateReport> CalibrateModelFile(const std::string& model_path,
                                           const std::string& csv_path, const std::string& out_path,
                                           const CalibrateOptions& options);

}  // namespace ming
