// Embedding gather and its gradient scatter (see embedding.h).
#include "nn/embedding.h"

#include <algorithm>

namespace ming {
namespace {

// Calls f(table row offset in the flat parameters, offset of the row's embedded columns in
// X, dim) for every embedding e and row i, embeddings outer, rows in batch order.
template <class F>
void ForEachSlot(const NetLayout& layout, const int32_t* slots, int64_t B, const F& f) {
  const auto& specs = layout.config().embeddings;
  const size_t E = specs.size(), width = static_cast<size_t>(layout.config().inputs);
  for (size_t e = 0; e < E; ++e) {
    const EmbeddingSpec& s = specs[e];
    const int64_t table = layout.embedding_tables()[e];
    for (size_t i = 0; i < static_cast<size_t>(B); ++i) {
      f(table + int64_t{slots[i * E + e]} * s.dim, i * width + static_cast<size_t>(s.column), s.dim);
    }
  }
}

}  // namespace

void embedding_gather(const NetLayout& layout, const float* params, const int32_t* slots,
                      int64_t B, float* X) {
  ForEachSlot(layout, slots, B, [&](int64_t row, size_t x, int dim) { std::copy_n(params + row, dim, X + x); });
}

void embedding_backward(const NetLayout& layout, const int32_t* slots, const float* dX,
                        int64_t B, float* grads) {
  ForEachSlot(layout, slots, B, [&](int64_t row, size_t x, int dim) {
    for (int j = 0; j < dim; ++j) grads[row + j] += dX[x + static_cast<size_t>(j)];
  });
}

}  // namespace ming
