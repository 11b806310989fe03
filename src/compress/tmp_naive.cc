// TEMPORARY (not committed): naive stand-ins until the kernels branch lands.
#include <cmath>
#include <cstring>
#include <algorithm>
#include "compress/sparse.h"
#include "compress/int8.h"
namespace ming {
SparseWeights MakeSparse(const float* W, int IC, int OC) {
  SparseWeights s; s.IC = IC; s.OC = OC; s.ptr.push_back(0);
  for (int o = 0; o < OC; ++o) { for (int i = 0; i < IC; ++i) { float w = W[(size_t)i*OC+o]; if (w != 0) { s.idx.push_back((uint16_t)i); s.val.push_back(w);} } s.ptr.push_back((uint32_t)s.val.size()); }
  return s;
}
void SparseToDense(const SparseWeights& s, float* W) {
  std::fill(W, W + (size_t)s.IC*s.OC, 0.f);
  for (int o = 0; o < s.OC; ++o) for (uint32_t k = s.ptr[o]; k < s.ptr[o+1]; ++k) W[(size_t)s.idx[k]*s.OC+o] = s.val[k];
}
std::string EncodeSparse(const SparseWeights& s) {
  std::string b; auto put=[&](const void* p, size_t n){ b.append((const char*)p, n); };
  put(s.ptr.data(), s.ptr.size()*4); put(s.idx.data(), s.idx.size()*2); put(s.val.data(), s.val.size()*4); return b;
}
Result<SparseWeights> DecodeSparse(std::string_view bytes, int IC, int OC, const std::string& where) {
  SparseWeights s; s.IC = IC; s.OC = OC;
  if (bytes.size() < (size_t)(OC+1)*4) return Status::InvalidInput(where + ": short");
  s.ptr.resize(OC+1); std::memcpy(s.ptr.data(), bytes.data(), (OC+1)*4);
  size_t nnz = s.ptr[OC]; if (bytes.size() != (size_t)(OC+1)*4 + nnz*6) return Status::InvalidInput(where + ": size");
  s.idx.resize(nnz); s.val.resize(nnz);
  std::memcpy(s.idx.data(), bytes.data()+(OC+1)*4, nnz*2); std::memcpy(s.val.data(), bytes.data()+(OC+1)*4+nnz*2, nnz*4);
  return s;
}
size_t SparseScratchFloats(int, int, int) { return 0; }
void SparseLinear(float* out, const float* X, const SparseWeights& s, const float* b, int B, float*) {
  for (int r = 0; r < B; ++r) for (int o = 0; o < s.OC; ++o) { float a = b[o]; for (uint32_t k = s.ptr[o]; k < s.ptr[o+1]; ++k) a += X[(size_t)r*s.IC + s.idx[k]]*s.val[k]; out[(size_t)r*s.OC+o] = a; }
}
bool PreferSparse(int IC, int OC, int64_t nnz) { return nnz * 4 < (int64_t)IC * OC; }
Int8Weights QuantizeLinear(const float* W, int IC, int OC, QuantRange r) {
  Int8Weights q; q.IC=IC; q.OC=OC; q.q.resize((size_t)IC*OC); q.scale.resize(OC);
  for (int o=0;o<OC;++o){ float m=0; for(int i=0;i<IC;++i) m=std::max(m,std::fabs(W[(size_t)i*OC+o])); q.scale[o]= m>0? m/127.f:1.f; for(int i=0;i<IC;++i) q.q[(size_t)i*OC+o]=(int8_t)std::lround(W[(size_t)i*OC+o]/q.scale[o]); }
  float lo=std::min(r.min,0.f), hi=std::max(r.max,0.f); q.in_scale = hi>lo? (hi-lo)/255.f:1.f; q.in_zero=(int32_t)std::lround(-lo/q.in_scale); return q;
}
QuantRange CalibrateRange(const float* X, int64_t rows, int IC) { QuantRange r; for (int64_t k=0;k<rows*IC;++k){r.min=std::min(r.min,X[k]); r.max=std::max(r.max,X[k]);} return r; }
std::string EncodeInt8(const Int8Weights& q){ std::string b; b.append((const char*)q.q.data(), q.q.size()); b.append((const char*)q.scale.data(), q.scale.size()*4); b.append((const char*)&q.in_scale,4); b.append((const char*)&q.in_zero,4); return b; }
Result<Int8Weights> DecodeInt8(std::string_view bytes, int IC, int OC, const std::string& where){ Int8Weights q; q.IC=IC;q.OC=OC; size_t n=(size_t)IC*OC; if(bytes.size()!=n+OC*4+8) return Status::InvalidInput(where+": size"); q.q.resize(n); q.scale.resize(OC); std::memcpy(q.q.data(),bytes.data(),n); std::memcpy(q.scale.data(),bytes.data()+n,OC*4); std::memcpy(&q.in_scale,bytes.data()+n+OC*4,4); std::memcpy(&q.in_zero,bytes.data()+n+OC*4+4,4); return q; }
size_t Int8ScratchBytes(int, int, int) { return 0; }
void Int8LinearReference(float* out, const float* X, const Int8Weights& w, const float* b, int B) {
  for (int r=0;r<B;++r) for(int o=0;o<w.OC;++o){ int32_t acc=0; for(int i=0;i<w.IC;++i){ int32_t x=(int32_t)std::lround(X[(size_t)r*w.IC+i]/w.in_scale)+w.in_zero; x=std::clamp(x,0,255); acc+=(x-w.in_zero)*w.q[(size_t)i*w.OC+o]; } out[(size_t)r*w.OC+o]=(float)acc*(w.in_scale*w.scale[o])+b[o]; }
}
void Int8Linear(float* out, const float* X, const Int8Weights& w, const float* b, int B, void*) { Int8LinearReference(out,X,w,b,B); }
}
namespace ming { const char* SparseKernelName() { return "sparse: naive"; } const char* Int8KernelName() { return "int8: naive"; } }
