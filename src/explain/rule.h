// The rule of thumb: a weighted sum of the fields (numbers in their own units, categories
// and booleans as indicators) that mimics the network, fitted to the network's own outputs
// - not the labels - by ridge-regularised logistic regression on its probabilities (binary)
// or least squares on its values (regression), on one part of the rows; its fidelity is
// measured on the other part. Missing numbers count as their training mean.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "ming/explain.h"
#include "runtime/model_file.h"

namespace ming {

// X[N, W] encoded rows, out[N, outputs] the plan's raw outputs on them. Rows i with
// (i * 7919 + seed) % 10 < 7 fit the rule; the others check it. Multiclass: unavailable.
RuleOfThumb FitRuleOfThumb(const ModelData& m, const float* X, const float* out, int64_t N,
                           uint64_t seed);

// Solves (A + ridge I) w = b in place for a symmetric positive definite A[n, n] (Cholesky).
// Returns false when A + ridge I is not positive definite.
bool SolveSpd(double* A, double* b, int n, double ridge);

}  // namespace ming
