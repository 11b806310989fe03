// The dense batch product of a Plan: out[B, OC] = in[B, IC] W + b with W packed once, at
// load, into 32-output panels, so that no call packs weights (OpenBLAS packs both operands
// on every call) and the bias is the accumulators' starting value instead of a pass of its
// own. 12 rows x 32 outputs are summed in 24 AVX-512 registers per step; rows are read in
// place. On a 256-row chunk of the medium model's layers it ran 1.06-1.14x OpenBLAS's SGEMM
// plus the bias pass (kernel_bench and a standalone test; docs/benchmarks.md).
// Thread-safety: pure functions over caller-owned buffers.
#pragma once

#include <vector>

namespace ming {

// Whether this build has the fast kernel (AVX-512F); without it PanelGemm is plain loops and
// the Plan keeps using SGEMM.
constexpr bool kHavePanelGemm =
#ifdef __AVX512F__
    true;
#else
    false;
#endif

// A Plan runs a dense layer's batches through PanelGemm when this holds; a layer of a few
// outputs (an output layer) would waste most of each 32-wide panel and stays on SGEMM.
constexpr int kMinPanelOutputs = 16;
constexpr bool PanelGemmRuns(int OC) { return kHavePanelGemm && OC >= kMinPanelOutputs; }

// W[IC, OC] row-major -> panels [ceil(OC / 32)][IC][32], the last one zero-padded.
std::vector<float> PackPanels(const float* W, int IC, int OC);

// out[B, OC] = in[B, IC] W + b, W as PackPanels packed it.
void PanelGemm(float* out, const float* in, int B, const float* panels, const float* b, int IC,
               int OC);

}  // namespace ming
