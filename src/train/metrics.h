// Evaluation metrics, defined as scikit-learn defines them (agreement to 1e-6 is tested).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace ming {

struct ClassificationMetrics {
  double accuracy = 0, log_loss = 0, f1 = 0;  // f1: binary (positive class 1) or macro
  double auc = -1;                            // binary only; -1 when undefined
};

struct RegressionMetrics {
  double rmse = 0, mae = 0, r2 = 0;
};

// probs[N, C] row-major (C = 2 for binary: P(0), P(1)), y[N] class index.
// log_loss clips probabilities to [1e-15, 1 - 1e-15] like scikit-learn and renormalises.
// f1 for C == 2: f1_score(y, pred) (positive = 1); else f1_score(average='macro') over the
// classes present in y or pred. auc: roc_auc_score(y, probs[:,1]) with ties averaged.
ClassificationMetrics ComputeClassification(const float* probs, const int32_t* y, int64_t N,
                                            int C);

// pred[N], y[N] in label units. r2 as sklearn r2_score (1 - SSres/SStot; 0 if SStot == 0
// and SSres == 0 -> 1.0, else 0.0 as sklearn's force_finite).
RegressionMetrics ComputeRegression(const double* pred, const double* y, int64_t N);

}  // namespace ming
