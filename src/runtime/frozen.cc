// Folding a trained network into frozen layers, choosing their weight forms, and their
// model-file sections.
#include "runtime/frozen.h"

#include <cmath>

#include "format/container.h"
#include "nn/network.h"

namespace ming {

namespace {
constexpr const char* kFormNames[] = {"dense", "sparse", "int8"};
static_assert(std::size(kFormNames) == static_cast<size_t>(WeightForm::kCount));

std::string Tag(char kind, int l) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%03d", kind, l);
  return buf;
}
}  // namespace

const char* Name(WeightForm f) { return kFormNames[static_cast<int>(f)]; }

Result<WeightForm> ParseWeightForm(const std::string& s) {
  for (int i = 0; i < static_cast<int>(WeightForm::kCount); ++i) {
    if (s == kFormNames[i]) return static_cast<WeightForm>(i);
  }
  return Status::InvalidInput("unknown weight form '" + s + "' (dense, sparse, int8)");
}

int64_t FrozenLayer::nonzeros() const {
  switch (form) {
    case WeightForm::kSparse: return sparse.nnz();
    case WeightForm::kInt8: {
      int64_t n = 0;
      for (int8_t q : int8.q) n += q != 0;
      return n;
    }
    default: {
      int64_t n = 0;
      for (float w : W) n += w != 0.0f;
      return n;
    }
  }
}

std::vector<float> FrozenLayer::DenseWeights() const {
  switch (form) {
    case WeightForm::kSparse: {
      std::vector<float> d(static_cast<size_t>(num_weights()));
      SparseToDense(sparse, d.data());
      return d;
    }
    case WeightForm::kInt8: {
      std::vector<float> d(static_cast<size_t>(num_weights()));
      for (size_t k = 0; k < d.size(); ++k) d[k] = static_cast<float>(int8.q[k]) * int8.scale[k % static_cast<size_t>(OC)];
      return d;
    }
    default: return W;
  }
}

std::vector<FrozenLayer> FoldNetwork(const NetConfig& net, const float* params, const float* buffers) {
  std::vector<FrozenLayer> out;
  const NetLayout layout(net);
  for (const LayerLayout& l : layout.layers()) {
    FrozenLayer L;
    L.IC = l.IC;
    L.OC = l.OC;
    L.output = l.is_output;
    L.W.assign(params + l.W, params + l.W + static_cast<int64_t>(l.IC) * l.OC);
    L.b.assign(params + l.b, params + l.b + l.OC);
    if (!l.is_output && net.norm == Norm::kBatch) {
      for (int o = 0; o < l.OC; ++o) {
        const float s = params[l.gamma + o] / std::sqrt(buffers[l.run_var + o] + net.norm_eps);
        for (int i = 0; i < l.IC; ++i) L.W[static_cast<size_t>(i) * l.OC + o] *= s;
        L.b[o] = (L.b[o] - buffers[l.run_mean + o]) * s + params[l.beta + o];
      }
    } else if (!l.is_output && net.norm == Norm::kLayer) {
      L.gamma.assign(params + l.gamma, params + l.gamma + l.OC);
      L.beta.assign(params + l.beta, params + l.beta + l.OC);
    }
    out.push_back(std::move(L));
  }
  return out;
}

void ChooseWeightForms(std::vector<FrozenLayer>& layers) {
  for (FrozenLayer& L : layers) {
    if (L.form == WeightForm::kInt8) continue;
    std::vector<float> W = L.DenseWeights();
    int64_t nnz = 0;
    for (float w : W) nnz += w != 0.0f;
    if (PreferSparse(L.IC, L.OC, nnz)) {
      L.sparse = MakeSparse(W.data(), L.IC, L.OC);
      L.W.clear();
      L.W.shrink_to_fit();
      L.form = WeightForm::kSparse;
    } else {
      L.W = std::move(W);
      L.sparse = SparseWeights();
      L.form = WeightForm::kDense;
    }
  }
}

void EncodeFrozenLayer(const FrozenLayer& L, int l, std::map<std::string, std::string>& sections,
                       nlohmann::json& meta) {
  meta = {{"in", L.IC}, {"out", L.OC}, {"weights", Name(L.form)}, {"layer_norm", !L.gamma.empty()}};
  switch (L.form) {
    case WeightForm::kSparse: sections[Tag('W', l)] = EncodeSparse(L.sparse); break;
    case WeightForm::kInt8: sections[Tag('W', l)] = EncodeInt8(L.int8); break;
    default: sections[Tag('W', l)] = EncodeFloats(L.W.data(), L.W.size()); break;
  }
  sections[Tag('B', l)] = EncodeFloats(L.b.data(), L.b.size());
  if (!L.gamma.empty()) {
    sections[Tag('N', l)] = EncodeFloats(L.gamma.data(), L.gamma.size()) + EncodeFloats(L.beta.data(), L.beta.size());
  }
}

Result<FrozenLayer> DecodeFrozenLayer(const nlohmann::json& meta, int l, int IC, int OC, bool output,
                                      const std::function<const std::string*(const std::string&)>& find,
                                      const std::string& where) {
  const std::string at = where + ": layer " + std::to_string(l + 1);
  FrozenLayer L;
  L.IC = IC;
  L.OC = OC;
  L.output = output;
  bool layer_norm = false;
  try {
    // Compared as JSON values: reading them as int would wrap 2^32 + IC to IC.
    if (meta.at("in") != nlohmann::json(IC) || meta.at("out") != nlohmann::json(OC)) {
      return Status::InvalidInput(at + ": is " + meta.at("in").dump() + " x " + meta.at("out").dump() +
                                  ", the network needs " + std::to_string(IC) + " x " + std::to_string(OC));
    }
    auto form = ParseWeightForm(meta.at("weights").get<std::string>());
    if (!form.ok()) return form.status().Prefixed(at);
    L.form = form.value();
    layer_norm = meta.at("layer_norm").get<bool>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidInput(at + ": " + e.what());
  }
  if (layer_norm && output) return Status::InvalidInput(at + ": the output layer cannot have layer norm");
  const std::string* w = find(Tag('W', l));
  const std::string* b = find(Tag('B', l));
  if (!w || !b) return Status::InvalidInput(at + ": missing section " + Tag(w ? 'B' : 'W', l));
  const std::string wat = where + ": section " + Tag('W', l);
  switch (L.form) {
    case WeightForm::kSparse: {
      MING_ASSIGN_OR_RETURN(L.sparse, DecodeSparse(*w, IC, OC, wat));
      break;
    }
    case WeightForm::kInt8: {
      MING_ASSIGN_OR_RETURN(L.int8, DecodeInt8(*w, IC, OC, wat));
      break;
    }
    default:
      // Size first: IC x OC come from META and must not size an allocation on their own.
      if (w->size() != 4 * static_cast<uint64_t>(L.num_weights())) {
        return Status::InvalidInput(wat + ": expected " + std::to_string(4 * L.num_weights()) +
                                    " bytes for " + std::to_string(IC) + " x " +
                                    std::to_string(OC) + " floats, got " +
                                    std::to_string(w->size()));
      }
      L.W.resize(static_cast<size_t>(L.num_weights()));
      MING_RETURN_IF_ERROR(DecodeFloats(*w, L.W.data(), L.W.size(), wat));
  }
  L.b.resize(static_cast<size_t>(OC));
  MING_RETURN_IF_ERROR(DecodeFloats(*b, L.b.data(), L.b.size(), where + ": section " + Tag('B', l)));
  if (!layer_norm && find(Tag('N', l))) {
    return Status::InvalidInput(at + ": section " + Tag('N', l) + " present but the layer has no layer norm");
  }
  if (layer_norm) {
    const std::string* n = find(Tag('N', l));
    if (!n) return Status::InvalidInput(at + ": missing section " + Tag('N', l));
    std::vector<float> gb(2 * static_cast<size_t>(OC));
    MING_RETURN_IF_ERROR(DecodeFloats(*n, gb.data(), gb.size(), where + ": section " + Tag('N', l)));
    L.gamma.assign(gb.begin(), gb.begin() + OC);
    L.beta.assign(gb.begin() + OC, gb.end());
  }
  return L;
}

}  // namespace ming
