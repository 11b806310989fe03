// Background rows for explanations: seeded sampling of encoded training rows.
#include "explain/background.h"

#include <numeric>

#include "train/evaluate.h"
#include "util/rng.h"

namespace ming {

std::vector<float> SampleBackground(const float* X, int64_t rows, int W, int k, uint64_t seed) {
  std::vector<int64_t> idx(static_cast<size_t>(rows));
  std::iota(idx.begin(), idx.end(), int64_t{0});
  Rng rng(seed ^ 0x6b67726f756e64ULL);  // "background" purpose, independent of training draws
  rng.Shuffle(idx.data(), idx.size());
  const size_t n = static_cast<size_t>(std::min<int64_t>(k, rows));
  std::vector<float> out(n * static_cast<size_t>(W));
  for (size_t r = 0; r < n; ++r) {
    std::copy_n(X + idx[r] * W, W, out.data() + r * static_cast<size_t>(W));
  }
  return out;
}

Result<std::vector<float>> BackgroundFromCsv(const ModelData& m, const CsvTable& t, int k,
                                             uint64_t seed) {
  if (t.rows() == 0) return Status::InvalidInput(t.source + ": no rows for a background");
  const int W = m.pre.encoded_width();
  std::vector<float> X(t.rows() * static_cast<size_t>(W));
  MING_RETURN_IF_ERROR(m.pre.EncodeInputs(t, AllRows(t), X.data()));
  return SampleBackground(X.data(), static_cast<int64_t>(t.rows()), W, k, seed);
}

Status RequireBackground(const ModelData& m, const std::string& model_name) {
  if (!m.background.empty()) return Status::Ok();
  return Status::InvalidInput(
      (model_name.empty() ? "" : model_name + ": ") +
      "the model carries no background rows (it was saved before "
      "explanations existed); pass --background DATA.csv with training rows");
}

}  // namespace ming
