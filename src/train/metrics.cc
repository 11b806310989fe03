// Classification and regression metrics with scikit-learn 1.2's definitions; everything is
// accumulated in double. The reference numbers come from tests/train/fixtures/.
#include "train/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "util/check.h"

namespace ming {
namespace {

constexpr double kEps = 1e-15;  // sklearn log_loss clipping

// roc_auc_score(y == 1, score): the Mann-Whitney statistic with tied scores given their
// average rank, which equals the trapezoid area under the ROC curve. -1 when y holds only
// one class or a score is NaN (sklearn raises in both cases).
double BinaryAuc(const float* probs, const int32_t* y, int64_t N) {
  std::vector<std::pair<float, bool>> v(static_cast<size_t>(N));  // (score, positive)
  int64_t pos = 0;
  for (int64_t i = 0; i < N; ++i) {
    const float s = probs[2 * i + 1];
    if (std::isnan(s)) return -1;
    v[i] = {s, y[i] == 1};
    pos += y[i] == 1;
  }
  const int64_t neg = N - pos;
  if (pos == 0 || neg == 0) return -1;
  std::sort(v.begin(), v.end());
  double pos_rank_sum = 0;  // 1-based ranks
  for (size_t i = 0; i < v.size();) {
    size_t j = i;
    int64_t pos_in_tie = 0;
    while (j < v.size() && v[j].first == v[i].first) pos_in_tie += v[j++].second;
    const double avg_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1 .. j
    pos_rank_sum += avg_rank * static_cast<double>(pos_in_tie);
    i = j;
  }
  const double P = static_cast<double>(pos), Q = static_cast<double>(neg);
  return (pos_rank_sum - P * (P + 1) / 2) / (P * Q);
}

// 2·tp / (2·tp + fp + fn), the same number as sklearn's 2PR / (P + R); 0 where sklearn's
// zero_division="warn" gives 0.
double F1(int64_t tp, int64_t fp, int64_t fn) {
  const int64_t den = 2 * tp + fp + fn;
  return den == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(den);
}

}  // namespace

ClassificationMetrics ComputeClassification(const float* probs, const int32_t* y, int64_t N,
                                            int C) {
  MING_CHECK(C >= 2 && N >= 0);
  ClassificationMetrics m;
  if (N == 0) return m;
  std::vector<int64_t> tp(C), fp(C), fn(C);
  int64_t correct = 0;
  double loss = 0;
  for (int64_t i = 0; i < N; ++i) {
    const float* row = probs + i * C;
    const int32_t label = y[i];
    MING_CHECK(label >= 0 && label < C);
    const int pred = static_cast<int>(std::max_element(row, row + C) - row);  // first max
    double sum = 0;
    for (int c = 0; c < C; ++c) sum += std::clamp(static_cast<double>(row[c]), kEps, 1 - kEps);
    loss -= std::log(std::clamp(static_cast<double>(row[label]), kEps, 1 - kEps) / sum);
    if (pred == label) {
      ++correct;
      ++tp[label];
    } else {
      ++fp[pred];
      ++fn[label];
    }
  }
  const double n = static_cast<double>(N);
  m.accuracy = static_cast<double>(correct) / n;
  m.log_loss = loss / n;
  if (C == 2) {
    m.f1 = F1(tp[1], fp[1], fn[1]);
    m.auc = BinaryAuc(probs, y, N);
  } else {
    double f1_sum = 0;
    int present = 0;  // classes in y or pred
    for (int c = 0; c < C; ++c) {
      if (tp[c] + fp[c] + fn[c] == 0) continue;
      f1_sum += F1(tp[c], fp[c], fn[c]);
      ++present;
    }
    m.f1 = f1_sum / present;
  }
  return m;
}

RegressionMetrics ComputeRegression(const double* pred, const double* y, int64_t N) {
  MING_CHECK(N >= 0);
  RegressionMetrics m;
  if (N == 0) return m;
  const double n = static_cast<double>(N);
  double sq = 0, abs = 0, mean = 0;
  for (int64_t i = 0; i < N; ++i) {
    const double e = y[i] - pred[i];
    sq += e * e;
    abs += std::fabs(e);
    mean += y[i];
  }
  mean /= n;
  double tot = 0;  // second pass, as sklearn (and for accuracy)
  for (int64_t i = 0; i < N; ++i) tot += (y[i] - mean) * (y[i] - mean);
  m.rmse = std::sqrt(sq / n);
  m.mae = abs / n;
  if (N < 2) {
    m.r2 = std::numeric_limits<double>::quiet_NaN();  // sklearn: not well-defined, nan
  } else if (tot == 0) {
    m.r2 = sq == 0 ? 1.0 : 0.0;  // sklearn's force_finite
  } else {
    m.r2 = 1 - sq / tot;
  }
  return m;
}

}  // namespace ming
