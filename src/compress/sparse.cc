// Sparse weights: construction from dense weights, the derived input-major layout, the
// little-endian section format and its validating decoder. The kernels are in
// sparse_kernels.cc. Section layout (all little-endian):
//   u32 IC, u32 OC, u32 nnz, u32 ptr[OC + 1], u16 idx[nnz], f32 val[nnz]
// i.e. 12 + 4 (OC + 1) + 6 nnz bytes.
#include "compress/sparse.h"

#include <algorithm>
#include <cmath>

#include "compress/bytes.h"
#include "util/check.h"

namespace ming {

using compress_internal::ByteReader;

SparseWeights MakeSparse(const float* W, int IC, int OC) {
  MING_CHECK(IC >= 0 && OC >= 0 && IC <= 65536 && OC <= kSparseMaxOutputs);
  SparseWeights w;
  w.IC = IC;
  w.OC = OC;
  w.ptr.assign(static_cast<size_t>(OC) + 1, 0);
  for (int o = 0; o < OC; ++o) {
    for (int i = 0; i < IC; ++i) {
      const float v = W[static_cast<size_t>(i) * OC + o];
      if (v == 0.0f) continue;
      w.idx.push_back(static_cast<uint16_t>(i));
      w.val.push_back(v);
    }
    w.ptr[static_cast<size_t>(o) + 1] = static_cast<uint32_t>(w.val.size());
  }
  PackSparse(w);
  return w;
}

void PackSparse(SparseWeights& w) {
  MING_CHECK(w.OC <= kSparseMaxOutputs);
  // Group sizes, each padded to a multiple of 4 with entries (OC + s, 0), s in 0..15, that
  // the single-row kernel adds into spare slots: its inner loop then needs no remainder
  // loop, and spreading the padding over 16 slots keeps it from forming one long chain of
  // dependent read-modify-writes.
  std::vector<uint32_t> count(static_cast<size_t>(w.IC), 0);
  for (uint16_t i : w.idx) ++count[i];
  w.in_ptr.assign(static_cast<size_t>(w.IC) + 1, 0);
  for (int i = 0; i < w.IC; ++i) {
    w.in_ptr[i + size_t{1}] =
        w.in_ptr[static_cast<size_t>(i)] + (count[static_cast<size_t>(i)] + 3) / 4 * 4;
  }
  w.in_out.resize(w.in_ptr.back());
  for (size_t k = 0; k < w.in_out.size(); ++k) w.in_out[k] = static_cast<uint16_t>(w.OC + k % 16);
  w.in_val.assign(w.in_ptr.back(), 0.0f);
  std::vector<uint32_t> next(w.in_ptr.begin(), w.in_ptr.end() - 1);
  // Walking outputs in order keeps each input's output list ascending.
  for (int o = 0; o < w.OC; ++o) {
    for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[o + size_t{1}]; ++k) {
      const uint32_t at = next[w.idx[k]]++;
      w.in_out[at] = static_cast<uint16_t>(o);
      w.in_val[at] = w.val[k];
    }
  }
}

void SparseToDense(const SparseWeights& w, float* W) {
  std::fill_n(W, static_cast<size_t>(w.IC) * static_cast<size_t>(w.OC), 0.0f);
  for (int o = 0; o < w.OC; ++o) {
    for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[o + size_t{1}]; ++k) {
      W[static_cast<size_t>(w.idx[k]) * w.OC + o] = w.val[k];
    }
  }
}

std::string EncodeSparse(const SparseWeights& w) {
  using namespace compress_internal;
  std::string out;
  out.reserve(12 + 4 * w.ptr.size() + 6 * w.val.size());
  PutU32(out, static_cast<uint32_t>(w.IC));
  PutU32(out, static_cast<uint32_t>(w.OC));
  PutU32(out, static_cast<uint32_t>(w.val.size()));
  for (uint32_t p : w.ptr) PutU32(out, p);
  for (uint16_t i : w.idx) PutU16(out, i);
  for (float v : w.val) PutF32(out, v);
  return out;
}

namespace {

Status Bad(const std::string& where, const std::string& msg) {
  return Status::InvalidInput(where + ": sparse weights: " + msg);
}

// The entries of output o: ascending indices below IC, finite values.
Status CheckOutput(const SparseWeights& w, int o, const std::string& where) {
  const std::string at = "output " + std::to_string(o) + ": ";
  for (uint32_t k = w.ptr[static_cast<size_t>(o)]; k < w.ptr[o + size_t{1}]; ++k) {
    if (w.idx[k] >= w.IC) {
      return Bad(where, at + "input index " + std::to_string(w.idx[k]) + " is not below IC " +
                            std::to_string(w.IC));
    }
    if (k > w.ptr[static_cast<size_t>(o)] && w.idx[k] <= w.idx[k - 1]) {
      return Bad(where, at + "input indices not strictly ascending (" +
                            std::to_string(w.idx[k - 1]) + " then " + std::to_string(w.idx[k]) +
                            ")");
    }
    if (!std::isfinite(w.val[k])) {
      return Bad(where, at + "value for input " + std::to_string(w.idx[k]) + " is not finite");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<SparseWeights> DecodeSparse(std::string_view bytes, int IC, int OC,
                                   const std::string& where) {
  if (IC < 0 || OC < 0 || IC > 65536 || OC > kSparseMaxOutputs) {
    return Bad(where, "layer shape " + std::to_string(IC) + "x" + std::to_string(OC) +
                          " is outside 0..65536 inputs, 0.." + std::to_string(kSparseMaxOutputs) +
                          " outputs");
  }
  ByteReader r(bytes);
  uint32_t ic = 0, oc = 0, nnz = 0;
  if (!r.GetU32(&ic) || !r.GetU32(&oc) || !r.GetU32(&nnz)) {
    return Bad(where, "header needs 12 bytes, section has " + std::to_string(bytes.size()));
  }
  if (ic != static_cast<uint32_t>(IC) || oc != static_cast<uint32_t>(OC)) {
    return Bad(where, "shape " + std::to_string(ic) + "x" + std::to_string(oc) +
                          " does not match the layer's " + std::to_string(IC) + "x" +
                          std::to_string(OC));
  }
  const uint64_t need = 12 + 4 * (uint64_t{oc} + 1) + 6 * uint64_t{nnz};
  if (bytes.size() != need) {
    return Bad(where, std::to_string(nnz) + " entries need " + std::to_string(need) +
                          " bytes, section has " + std::to_string(bytes.size()));
  }
  if (uint64_t{nnz} > uint64_t{ic} * oc) {
    return Bad(where, std::to_string(nnz) + " entries exceed IC*OC");
  }
  SparseWeights w;
  w.IC = IC;
  w.OC = OC;
  w.ptr.resize(size_t{oc} + 1);
  w.idx.resize(nnz);
  w.val.resize(nnz);
  for (uint32_t& p : w.ptr) r.GetU32(&p);  // sizes checked above: cannot run out
  for (uint16_t& i : w.idx) r.GetU16(&i);
  for (float& v : w.val) r.GetF32(&v);
  if (w.ptr[0] != 0) return Bad(where, "ptr[0] is " + std::to_string(w.ptr[0]) + ", not 0");
  for (int o = 0; o < OC; ++o) {
    if (w.ptr[o + size_t{1}] < w.ptr[static_cast<size_t>(o)] || w.ptr[o + size_t{1}] > nnz) {
      return Bad(where, "ptr[" + std::to_string(o + 1) +
                            "] = " + std::to_string(w.ptr[o + size_t{1}]) + " is not between ptr[" +
                            std::to_string(o) + "] and nnz " + std::to_string(nnz));
    }
    MING_RETURN_IF_ERROR(CheckOutput(w, o, where));
  }
  if (w.ptr[static_cast<size_t>(OC)] != nnz) {
    return Bad(where, "ptr[OC] = " + std::to_string(w.ptr[static_cast<size_t>(OC)]) +
                          " is not nnz " + std::to_string(nnz));
  }
  PackSparse(w);
  return w;
}

namespace {

double Density(int IC, int OC, int64_t nnz) {
  const double cells = static_cast<double>(IC) * static_cast<double>(OC);
  return cells > 0.0 ? static_cast<double>(nnz) / cells : 0.0;
}

}  // namespace

// Crossovers measured by bench/kernel_bench (docs/benchmarks.md, "Compressed-layer
// kernels"). Chunks of 256 rows against cblas_sgemm: layers with >= 16 outputs (panel
// kernel) gain 1.01-1.52x at density 0.5 and lose (0.60-0.73x) at 1, so 0.4 leaves a
// margin; layers with fewer outputs run one sparse dot product per row and need about 0.07
// (256x1: 0.95x at 0.1, 1.38x at 0.05). One row against the Plan's zero-skipping AVX-512 loop:
// 64x256 and 256x256 break even at about 0.06 (0.74-0.76x at 0.1, 1.07-1.23x at 0.05), narrower
// layers with >= 16 outputs never do, and one-output layers do at about 0.2.
bool PreferSparse(int IC, int OC, int64_t nnz) {
  const double d = Density(IC, OC, nnz);
  return OC >= 16 ? d <= 0.4 : d <= 0.07;
}

bool PreferSparseSingleRow(int IC, int OC, int64_t nnz) {
  const double d = Density(IC, OC, nnz);
  if (OC < 16) return d <= 0.2;
  return static_cast<int64_t>(IC) * OC >= 16384 && d <= 0.05;
}

}  // namespace ming
