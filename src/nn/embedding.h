// Learned embeddings during training: the embedded columns of a batch are copied from the
// tables in the flat parameters before the forward pass, and the gradient that reaches
// those columns (backward's dX) is added to the table rows they came from.
// slots[B, E] row-major: row i's slot (table row) in embedding e = config().embeddings[e].
// Thread-safety: pure functions over caller-owned buffers.
#pragma once

#include <cstdint>

#include "nn/network.h"

namespace ming {

// X[B, inputs]: columns of each embedding <- its table's row slots[i * E + e].
// REQUIRES: every slot in [0, rows) of its table.
void embedding_gather(const NetLayout& layout, const float* params, const int32_t* slots,
                      int64_t B, float* X);

// grads[table rows] += dX[B, inputs] at the embedded columns, rows in batch order (a fixed
// order, so the sum is the same on every run).
void embedding_backward(const NetLayout& layout, const int32_t* slots, const float* dX,
                        int64_t B, float* grads);

}  // namespace ming
