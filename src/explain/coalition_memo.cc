// FieldValueIds (exact 64-bit keys for coalition rows) and CoalitionMemo (key -> output).
#include "explain/coalition_memo.h"

#include <algorithm>

namespace ming {
namespace {

// Bits that number n distinct values: 0 for one value.
int BitsFor(uint64_t n) {
  int b = 0;
  while ((uint64_t{1} << b) < n) ++b;
  return b;
}

std::string Bytes(const FieldColumns& c, const float* row) {
  return std::string(reinterpret_cast<const char*>(row + c.offset),
                     static_cast<size_t>(c.width) * sizeof(float));
}

}  // namespace

std::optional<FieldValueIds> FieldValueIds::Build(
    const std::vector<FieldColumns>& fields, int width,
    const std::vector<std::pair<const float*, int64_t>>& sets, int extra) {
  FieldValueIds ids;
  ids.columns_ = fields;
  ids.maps_.resize(fields.size());
  int shift = 0;
  for (size_t f = 0; f < fields.size(); ++f) {
    auto& map = ids.maps_[f];
    for (const auto& [rows, n] : sets) {
      for (int64_t i = 0; i < n; ++i) {
        map.emplace(Bytes(fields[f], rows + i * width), map.size());
      }
    }
    ids.shift_.push_back(shift);
    shift += BitsFor(map.size());
    if (shift > 63) return std::nullopt;  // keep the top bit clear: no key is all ones
  }
  ids.extra_shift_ = shift;
  if (shift + BitsFor(static_cast<uint64_t>(std::max(extra, 1))) > 63) return std::nullopt;
  for (size_t f = 0; f < fields.size(); ++f) {
    for (auto& [bytes, number] : ids.maps_[f]) number <<= ids.shift_[f];
  }
  return ids;
}

std::optional<uint64_t> FieldValueIds::Part(int f, const float* row) const {
  const auto& map = maps_[static_cast<size_t>(f)];
  auto it = map.find(Bytes(columns_[static_cast<size_t>(f)], row));
  if (it == map.end()) return std::nullopt;
  return it->second;
}

CoalitionMemo::CoalitionMemo(int log2_slots)
    : keys_(size_t{1} << log2_slots, kEmpty),
      values_(size_t{1} << log2_slots),
      mask_((size_t{1} << log2_slots) - 1) {}

size_t CoalitionMemo::Slot(uint64_t key) const {
  key ^= key >> 33;  // a 64-bit finaliser: packed numbers sit in the low bits
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return static_cast<size_t>(key) & mask_;
}

const float* CoalitionMemo::Find(uint64_t key) const {
  for (size_t s = Slot(key);; s = (s + 1) & mask_) {
    if (keys_[s] == key) return &values_[s];
    if (keys_[s] == kEmpty) return nullptr;
  }
}

void CoalitionMemo::Insert(uint64_t key, float value) {
  size_t s = Slot(key);
  while (keys_[s] != kEmpty && keys_[s] != key) s = (s + 1) & mask_;
  if (keys_[s] == kEmpty) {
    if ((used_ + 1) * 2 > keys_.size()) {  // full: start again
      std::fill(keys_.begin(), keys_.end(), kEmpty);
      used_ = 0;
      s = Slot(key);
    }
    ++used_;
    keys_[s] = key;
  }
  values_[s] = value;
}

}  // namespace ming
