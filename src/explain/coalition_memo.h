// Memo of network outputs for coalition rows, shared by the rows one ShapleyEngine explains.
//
// A coalition row takes each field's encoding either from the explained row or from a
// background row. When many rows are explained against the same background rows (the global
// pass), the same coalition rows recur: categories and flags repeat, numbers are rounded, and
// a coalition row depends only on the explained row's values on the coalition's fields.
//
// FieldValueIds numbers the distinct encodings of each field over a known set of rows and
// packs one number per field into a 64-bit key, so a key names a coalition row exactly (no
// hashing of values, no collisions). CoalitionMemo maps keys to outputs in a fixed-size
// open-addressing table that is emptied when it fills; a value found there is the network's
// output for that very row, computed earlier, so explanations keep their meaning and their
// additivity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "explain/shapley.h"

namespace ming {

class FieldValueIds {
 public:
  // Numbers each field's encodings over the rows of every set (pointer to rows[n, width], n).
  // `extra` more distinct values (e.g. output columns) are reserved above the fields' bits.
  // nullopt when all of it needs more than 64 bits.
  static std::optional<FieldValueIds> Build(const std::vector<FieldColumns>& fields, int width,
                                            const std::vector<std::pair<const float*, int64_t>>& sets,
                                            int extra);

  // Field f's number shifted into its place in the key, or nullopt for an encoding that
  // Build did not see.
  std::optional<uint64_t> Part(int f, const float* row) const;
  // Where the extra value goes.
  int extra_shift() const { return extra_shift_; }
  int fields() const { return static_cast<int>(maps_.size()); }
  // Distinct encodings of field f.
  int64_t encodings(int f) const { return static_cast<int64_t>(maps_[static_cast<size_t>(f)].size()); }

 private:
  std::vector<FieldColumns> columns_;
  std::vector<std::unordered_map<std::string, uint64_t>> maps_;  // encoding bytes -> number
  std::vector<int> shift_;
  int extra_shift_ = 0;
};

class CoalitionMemo {
 public:
  // 2^log2_slots slots; emptied when a new key would fill more than half of them.
  static constexpr uint64_t kNone = ~uint64_t{0};  // never a key: see FieldValueIds
  explicit CoalitionMemo(int log2_slots);
  const float* Find(uint64_t key) const;
  // Starts fetching key's first slot into cache.
  void Prefetch(uint64_t key) const {
    __builtin_prefetch(&keys_[Slot(key)]);
    __builtin_prefetch(&values_[Slot(key)]);
  }
  void Insert(uint64_t key, float value);
  int64_t hits = 0, misses = 0;

 private:
  static constexpr uint64_t kEmpty = kNone;
  size_t Slot(uint64_t key) const;
  std::vector<uint64_t> keys_;
  std::vector<float> values_;
  size_t mask_, used_ = 0;
};

class Explainer;
// For the global pass: `ex` remembers coalition rows across the rows it explains (see
// ShapleyEngine::UseMemo). False when `ids` does not know ex's background rows.
bool UseCoalitionMemo(Explainer& ex, const FieldValueIds* ids, int log2_slots);
// The background rows `ex` explains against, [ex.background_rows(), encoded width].
const std::vector<float>& BackgroundOf(const Explainer& ex);
// Coalition rows `ex` found in its memo and rows it ran, since UseCoalitionMemo.
std::pair<int64_t, int64_t> MemoCounts(const Explainer& ex);

}  // namespace ming
