// Shapley values of one network output over the ORIGINAL input fields (a field's encoded
// columns - one-hot slots, missing indicator - enter and leave a coalition together),
// interventional form: v_k(S) = f(x on the fields in S, background row k elsewhere), and
// phi = mean over background rows k of the Shapley values of the game v_k.
//
// For each background row, fields whose encoding equals x's are null players (their
// Shapley value is 0 and dropping them leaves the others' values unchanged), so only the
// m_k differing fields are enumerated. m_k <= max_exact_fields: exact, all 2^m_k coalitions
// in Gray-code order (one field changes per row built); otherwise antithetic permutation
// sampling. Every forward pass goes through Plan::Run, batched over coalitions.
// Additivity: base + sum(phi) == output exactly (up to double rounding) for both methods.
// Thread-safety: a ShapleyEngine is NOT thread-safe (it owns scratch); one per thread.
#pragma once

#include <cstdint>
#include <vector>

#include "data/preprocess.h"
#include "runtime/plan.h"

namespace ming {

struct FieldColumns {
  int offset = 0, width = 0;
};
std::vector<FieldColumns> FieldColumnsOf(const Preprocessor& pre);

struct ShapleyOptions {
  int max_exact_fields = 12;  // exact enumeration up to this many differing fields
  int permutations = 32;      // sampling: antithetic pairs of permutations per background row
  uint64_t seed = 1;          // sampling permutations
};

struct ShapleyValues {
  std::vector<double> phi;  // [fields], in plan output units
  double base = 0;          // mean over background rows of f(b_k)
  double output = 0;        // f(x), from the same batched passes
  bool exact = true;        // false when any background row needed sampling
  int max_differing = 0;    // largest m_k seen
  int64_t evaluations = 0;  // network rows run
};

class ShapleyEngine {
 public:
  // background[K, plan.inputs()] must outlive the engine. REQUIRES: K >= 1.
  ShapleyEngine(const Plan& plan, std::vector<FieldColumns> fields, const float* background, int K,
                const ShapleyOptions& opts);

  // Shapley values of plan output column `output` at x[plan.inputs()].
  void Explain(const float* x, int output, ShapleyValues* out);

 private:
  void Append(const float* row, int64_t slot);
  void Flush();
  void SetField(float* row, const float* src, int f) const;
  void ExactRows(const float* x, const float* b, const std::vector<int>& diff, int64_t base_slot);
  void SampledRows(const float* x, const float* b, const std::vector<int>& diff, int64_t base_slot,
                   uint64_t stream, std::vector<int>* order);
  void ExactValues(const std::vector<int>& diff, int64_t base_slot, double weight,
                   ShapleyValues* out) const;
  void SampledValues(const std::vector<int>& diff, const std::vector<int>& order, int64_t base_slot,
                     double weight, ShapleyValues* out) const;

  const Plan& plan_;
  std::vector<FieldColumns> fields_;
  const float* background_;
  int K_, W_, O_;
  ShapleyOptions opts_;
  int output_ = 0;
  PlanScratch scratch_;
  std::vector<float> in_, out_, cur_;
  std::vector<int64_t> pending_;  // v_ slot of each buffered row
  std::vector<double> v_;         // coalition values, per background row segment
  std::vector<double> weights_;   // exact Shapley weights for the current m
};

}  // namespace ming
