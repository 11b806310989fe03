// Seeded, optionally stratified train/validation/test splits. Classes are visited in
// ascending order and shuffled with one ming::Rng, so a seed gives the same split with
// every compiler and standard library.
#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/check.h"
#include "util/rng.h"

namespace ming {
namespace {

struct Counts {
  size_t val = 0, test = 0;
};

// How many of a group's n rows go to validation and test (train takes the rest).
Counts GroupCounts(size_t n, double val_fraction, double test_fraction) {
  Counts c;
  c.val = static_cast<size_t>(std::llround(static_cast<double>(n) * val_fraction));
  c.test = static_cast<size_t>(std::llround(static_cast<double>(n) * test_fraction));
  if (n >= 3) {  // every non-empty split gets at least one row of the group
    if (val_fraction > 0.0) c.val = std::max<size_t>(c.val, 1);
    if (test_fraction > 0.0) c.test = std::max<size_t>(c.test, 1);
  }
  // Train keeps at least one row: take back from the larger of val and test.
  while (n > 0 && c.val + c.test >= n) {
    size_t& big = c.val >= c.test ? c.val : c.test;
    --big;
  }
  return c;
}

void Assign(std::vector<size_t>& group, double val_fraction, double test_fraction, Rng& rng,
            Split* out) {
  rng.Shuffle(group.data(), group.size());
  Counts c = GroupCounts(group.size(), val_fraction, test_fraction);
  auto first = group.begin();
  out->test.insert(out->test.end(), first, first + static_cast<ptrdiff_t>(c.test));
  first += static_cast<ptrdiff_t>(c.test);
  out->val.insert(out->val.end(), first, first + static_cast<ptrdiff_t>(c.val));
  first += static_cast<ptrdiff_t>(c.val);
  out->train.insert(out->train.end(), first, group.end());
}

}  // namespace

Split SplitRows(size_t n, const std::vector<int>& strata, double val_fraction, double test_fraction,
                uint64_t seed) {
  MING_CHECK(val_fraction >= 0.0 && test_fraction >= 0.0 && val_fraction + test_fraction < 1.0);
  MING_CHECK(strata.empty() || strata.size() == n);
  Rng rng(seed);
  Split out;
  if (strata.empty()) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    Assign(all, val_fraction, test_fraction, rng, &out);
  } else {
    std::map<int, std::vector<size_t>> groups;
    for (size_t i = 0; i < n; ++i) groups[strata[i]].push_back(i);
    for (auto& [cls, group] : groups) Assign(group, val_fraction, test_fraction, rng, &out);
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.val.begin(), out.val.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

}  // namespace ming
