// Shapley values of one network output over the ORIGINAL input fields (a field's encoded
// columns - one-hot slots, missing indicator - enter and leave a coalition together),
// interventional form: v_k(S) = f(x on the fields in S, background row k elsewhere), and
// phi = mean over background rows k of the Shapley values of the game v_k.
//
// For each background row, fields whose encoding equals x's are null players (their
// Shapley value is 0 and dropping them leaves the others' values unchanged), so only the
// m_k differing fields are enumerated. m_k <= max_exact_fields: exact, all 2^m_k coalitions
// in Gray-code order (one field changes per row built); otherwise antithetic permutation
// sampling. Forward passes run batched over coalitions; with a float first layer the engine
// builds layer 0's product itself, one field's share at a time, and the plan runs the rest
// (Plan::RunFromFirstProduct). An optional memo (UseMemo) reuses rows across explained rows.
// Additivity: base + sum(phi) == output exactly (up to double rounding) for both methods.
// Thread-safety: a ShapleyEngine is NOT thread-safe (it owns scratch); one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "data/preprocess.h"
#include "runtime/plan.h"

namespace ming {

struct FieldColumns {
  int offset = 0, width = 0;
};
class FieldValueIds;
class CoalitionMemo;
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

  ~ShapleyEngine();

  // Shapley values of plan output column `output` at x[plan.inputs()].
  void Explain(const float* x, int output, ShapleyValues* out);

  // From now on, remember every coalition row's output in a memo of 2^log2_slots entries,
  // keyed by `ids` (which must outlive the engine), and look rows up there before running
  // them. Rows with a field encoding that `ids` does not know are run as before. Returns
  // false, and changes nothing, when `ids` does not know a background row's encodings.
  bool UseMemo(const FieldValueIds* ids, int log2_slots);
  // Coalition rows found in the memo, and rows run, since UseMemo.
  int64_t memo_hits() const;
  int64_t memo_misses() const;

 private:
  // The coalition row being built: background row k's or x's (from_x), then field diff[j]
  // switched to x's or back (Switch), then queued for slot (Append). Deltas prepares the
  // fields' shares of layer 0's product for background row k.
  void Begin(const float* x, int k, const std::vector<int>& diff, bool from_x);
  void Switch(const float* x, int k, const std::vector<int>& diff, int j, bool to_x);
  void Deltas(const float* x, int k, const std::vector<int>& diff);
  // key: the row's memo key, or CoalitionMemo::kNone to run it without the memo.
  void Append(int64_t slot, uint64_t key);
  // The memo key of the row being built, or CoalitionMemo::kNone (all ones) when it is not
  // to be remembered; set to background row k's or x's, then field f switches between them.
  uint64_t Key() const { return keyed_ && rare_from_x_ == 0 ? key_ : ~uint64_t{0}; }
  void KeyOfBackground(int k) {
    key_ = bg_keys_[static_cast<size_t>(k)] | out_part_;
    rare_from_x_ = 0;
  }
  void KeyOfX() {
    key_ = x_key_ | out_part_;
    rare_from_x_ = x_rare_;
  }
  void Toggle(int k, int f, bool to_x) {
    key_ ^= x_parts_[static_cast<size_t>(f)] ^
            bg_parts_[static_cast<size_t>(k) * fields_.size() + static_cast<size_t>(f)];
    if (rare_[static_cast<size_t>(f)]) rare_from_x_ += to_x ? 1 : -1;
  }
  void Flush();
  void ExactRows(const float* x, int k, const std::vector<int>& diff, int64_t base_slot);
  void SampledRows(const float* x, int k, const std::vector<int>& diff, int64_t base_slot,
                   std::vector<int>* order);
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
  std::vector<float> in_, out_, cur_;  // in_: rows, or layer 0's products when incremental_
  std::vector<int64_t> pending_;  // v_ slot of each buffered row
  std::vector<double> v_;         // coalition values, per background row segment
  // Layer 0 built incrementally: its weights [inputs, P0_], the background rows' products
  // [K, P0_], the current row's product and the fields' shares (Deltas), in double so that
  // thousands of additions do not drift.
  bool incremental_ = false;
  int P0_ = 0;
  std::vector<float> w0_;
  std::vector<double> zb_, z_, delta_;
  // Memo (UseMemo): key parts of the background rows [K, fields] and of x [fields].
  const FieldValueIds* ids_ = nullptr;
  std::unique_ptr<CoalitionMemo> memo_;
  std::vector<uint64_t> bg_parts_, bg_keys_, x_parts_, pending_keys_, walk_keys_;
  std::vector<char> rare_;  // fields with too many encodings for their rows to recur
  uint64_t x_key_ = 0, out_part_ = 0, key_ = 0;
  int x_rare_ = 0, rare_from_x_ = 0;  // rare fields taken from x: in x, in the row being built
  bool keyed_ = false;                // this Explain call uses the memo
};

}  // namespace ming
