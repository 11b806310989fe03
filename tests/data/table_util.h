// Helpers for the preprocessing tests: a CSV table from text (named data.csv in messages)
// and the indices of all its rows.
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "data/csv.h"

namespace ming::testutil {

inline CsvTable Parse(std::string_view text) {
  Result<CsvTable> t = ParseCsv(text, "data.csv");
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : CsvTable{};
}

inline std::vector<size_t> AllRows(const CsvTable& t) {
  std::vector<size_t> rows(t.rows());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return rows;
}

}  // namespace ming::testutil
