// Seeded train/validation/test splits, stratified by class for classification.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ming {

struct Split {
  std::vector<size_t> train, val, test;  // row indices, each sorted ascending
};

// Splits n rows. strata (may be empty) gives each row's class for stratification:
// each class is shuffled and divided in the given fractions (rounded so that every class
// with >= 3 rows has at least one row in train and in each non-empty split).
// REQUIRES: val_fraction, test_fraction >= 0 and their sum < 1.
Split SplitRows(size_t n, const std::vector<int>& strata, double val_fraction,
                double test_fraction, uint64_t seed);

}  // namespace ming
