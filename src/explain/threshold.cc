// Threshold selection by sweeping the distinct predicted probabilities from the top.
#include "explain/threshold.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ming {

const char* Name(ThresholdCriterion c) {
  switch (c) {
    case ThresholdCriterion::kF1:
      return "f1";
    case ThresholdCriterion::kYouden:
      return "youden";
    case ThresholdCriterion::kAccuracy:
      return "accuracy";
    case ThresholdCriterion::kCost:
      return "cost";
    case ThresholdCriterion::kCount:
      break;
  }
  return "?";
}

Result<ThresholdCriterion> ParseThresholdCriterion(const std::string& s) {
  for (int i = 0; i < static_cast<int>(ThresholdCriterion::kCount); ++i) {
    if (s == Name(static_cast<ThresholdCriterion>(i))) return static_cast<ThresholdCriterion>(i);
  }
  return Status::InvalidInput("--threshold-by: '" + s +
                              "' is not one of f1, youden, accuracy, cost");
}

namespace {

// Larger is better for every criterion (cost is negated).
double Score(ThresholdCriterion c, double tp, double fp, double tn, double fn, double cfy,
             double cfn) {
  switch (c) {
    case ThresholdCriterion::kF1:
      return 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : 0.0;
    case ThresholdCriterion::kYouden: {
      const double tpr = tp + fn > 0 ? tp / (tp + fn) : 0.0,
                   fpr = fp + tn > 0 ? fp / (fp + tn) : 0.0;
      return tpr - fpr;
    }
    case ThresholdCriterion::kAccuracy:
      return (tp + tn) / (tp + fp + tn + fn);
    case ThresholdCriterion::kCost:
      return -(cfy * fp + cfn * fn);
    case ThresholdCriterion::kCount:
      break;
  }
  return 0;
}

}  // namespace

ThresholdChoice ChooseThreshold(const double* p, const int32_t* y, int64_t N, ThresholdCriterion c,
                                double cost_false_yes, double cost_false_no) {
  std::vector<int64_t> order(static_cast<size_t>(N));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
  int64_t pos = 0;
  for (int64_t i = 0; i < N; ++i) pos += y[i] == 1;
  const int64_t neg = N - pos;
  ThresholdChoice best;
  double best_score = -INFINITY;
  int64_t tp = 0, fp = 0;
  for (int64_t i = 0; i < N;) {
    const double t = p[order[static_cast<size_t>(i)]];
    for (; i < N && p[order[static_cast<size_t>(i)]] == t; ++i)
      (y[order[static_cast<size_t>(i)]] == 1 ? tp : fp) += 1;
    const double s =
        Score(c, static_cast<double>(tp), static_cast<double>(fp), static_cast<double>(neg - fp),
              static_cast<double>(pos - tp), cost_false_yes, cost_false_no);
    if (s > best_score) {
      best_score = s;
      best = {t, c == ThresholdCriterion::kCost ? -s : s, tp, fp, neg - fp, pos - tp};
    }
  }
  best.threshold = std::clamp(best.threshold, std::nextafter(0.0, 1.0), std::nextafter(1.0, 0.0));
  return best;
}

}  // namespace ming
