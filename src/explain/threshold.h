// Decision threshold selection for binary models: the threshold on P(positive) that is
// best on labelled data by a named criterion. Candidates are the distinct predicted
// probabilities (positive when p >= t, as the runtime decides); ties go to the largest
// threshold. Matches scikit-learn's roc_curve / precision_recall_curve / confusion_matrix
// counts (tests/explain/fixtures).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "ming/explain.h"
#include "ming/status.h"

namespace ming {

const char* Name(ThresholdCriterion c);
Result<ThresholdCriterion> ParseThresholdCriterion(const std::string& s);

struct ThresholdChoice {
  double threshold = 0.5;
  double value = 0;  // the criterion at the threshold (F1, J, accuracy, or total cost)
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
};

// p[N] = P(positive), y[N] in {0, 1}. cost_* only for kCost (minimised; others maximised).
// REQUIRES: N > 0. The threshold is clamped into (0, 1).
ThresholdChoice ChooseThreshold(const double* p, const int32_t* y, int64_t N, ThresholdCriterion c,
                                double cost_false_yes = 1, double cost_false_no = 1);

}  // namespace ming
