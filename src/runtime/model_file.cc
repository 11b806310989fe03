// Model file: container sections META/PARM/BUFS, with every cross-check done on load.
#include "runtime/model_file.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>

#include "format/container.h"
#include "nn/network.h"
#include "train/options.h"
#include "util/file.h"

namespace ming {

using nlohmann::json;

std::string CreationTime() {
  std::time_t t = std::time(nullptr);
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH")) t = static_cast<std::time_t>(std::atoll(sde));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string SerializeModel(const ModelData& m) {
  json meta = m.info;
  meta["format"] = "ming-model";
  meta["preprocessing"] = m.pre.ToJson();
  meta["network"] = ToJson(m.net);
  meta["threshold"] = m.threshold;
  if (m.calibration.method != CalibrationMethod::kNone) meta["calibration"] = ToJson(m.calibration);
  Container c;
  c.kind = FileKind::kModel;
  if (!m.frozen) {
    c.sections.push_back({"META", meta.dump(1)});
    c.sections.push_back({"PARM", EncodeFloats(m.params.data(), m.params.size())});
    c.sections.push_back({"BUFS", EncodeFloats(m.buffers.data(), m.buffers.size())});
  } else {
    meta["form"] = "frozen";
    std::map<std::string, std::string> sections;
    json layers = json::array();
    for (size_t l = 0; l < m.layers.size(); ++l) {
      EncodeFrozenLayer(m.layers[l], static_cast<int>(l), sections, layers.emplace_back());
    }
    meta["layers"] = layers;
    c.sections.push_back({"META", meta.dump()});  // compact: a frozen model is the smallest form
    for (auto& [tag, bytes] : sections) c.sections.push_back({tag, std::move(bytes)});
  }
  // Embedded fields' tables (EMBD), concatenated in field order; the preprocessing in META
  // gives their shapes.
  if (m.pre.num_embedded() > 0) {
    const std::vector<float> tables = m.pre.EmbeddingTables();
    c.sections.push_back({"EMBD", EncodeFloats(tables.data(), tables.size())});
  }
  // Explanations: background rows (BKGD) and calibration (META "calibration").
  if (!m.background.empty()) c.sections.push_back({"BKGD", EncodeFloats(m.background.data(), m.background.size())});
  return SerializeContainer(c);
}

namespace {

// The name of the first non-finite weight array ("" when all are finite): a model that
// LoadModel would refuse is never written.
std::string FirstNonFinite(const ModelData& m) {
  auto finite = [](const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
  };
  if (!finite(m.params)) return "PARM";
  if (!finite(m.buffers)) return "BUFS";
  for (size_t l = 0; l < m.layers.size(); ++l) {
    const FrozenLayer& L = m.layers[l];
    if (!finite(L.DenseWeights()) || !finite(L.b) || !finite(L.gamma) || !finite(L.beta)) {
      return "layer " + std::to_string(l);
    }
  }
  return "";
}

}  // namespace

Status SaveModel(const std::string& path, const ModelData& m) {
  const std::string bad = FirstNonFinite(m);
  if (!bad.empty()) {
    return Status::Runtime(path + ": refusing to save non-finite weights (" + bad + ")");
  }
  return WriteFileAtomic(path, SerializeModel(m));
}

namespace {

// META is a few levels deep; a hostile one nested 100,000 deep is refused before parsing.
constexpr int kMaxMetaDepth = 64;

// Errors if the JSON text nests arrays and objects deeper than `max` (brackets inside
// strings do not count). Malformed text is left to the parser to report.
Status CheckJsonDepth(std::string_view text, int max) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // an escaped character, perhaps a quote
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max) {
        return Status::InvalidInput("JSON nested deeper than " + std::to_string(max) +
                                    " levels (at byte " + std::to_string(i) + ")");
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::Ok();
}

Status ParseTrainedParams(const Container& c, const std::string& name, ModelData& m) {
  const Section* parm = c.Find("PARM");
  const Section* bufs = c.Find("BUFS");
  if (!parm || !bufs) return Status::InvalidInput(name + ": missing section PARM or BUFS");
  NetLayout layout(m.net);
  const uint64_t want = static_cast<uint64_t>(layout.num_params()) * 4;
  if (parm->bytes.size() != want) {
    return Status::InvalidInput(name + ": PARM has " + std::to_string(parm->bytes.size()) +
                                " bytes, the network needs " + std::to_string(want));
  }
  const uint64_t want_bufs = static_cast<uint64_t>(layout.num_buffers()) * 4;
  if (bufs->bytes.size() != want_bufs) {
    return Status::InvalidInput(name + ": BUFS has " + std::to_string(bufs->bytes.size()) +
                                " bytes, the network needs " + std::to_string(want_bufs));
  }
  m.params.resize(static_cast<size_t>(layout.num_params()));
  m.buffers.resize(static_cast<size_t>(layout.num_buffers()));
  MING_RETURN_IF_ERROR(DecodeFloats(parm->bytes, m.params.data(), m.params.size(), name + ": PARM"));
  return DecodeFloats(bufs->bytes, m.buffers.data(), m.buffers.size(), name + ": BUFS");
}

Status ParseFrozenLayers(const Container& c, const json& meta, const std::string& name, ModelData& m) {
  const json* layers = meta.contains("layers") ? &meta["layers"] : nullptr;
  const size_t depth = m.net.hidden.size() + 1;
  if (!layers || !layers->is_array() || layers->size() != depth) {
    return Status::InvalidInput(name + ": META must list " + std::to_string(depth) + " frozen layers");
  }
  auto find = [&](const std::string& tag) -> const std::string* {
    const Section* s = c.Find(tag);
    return s ? &s->bytes : nullptr;
  };
  m.frozen = true;
  int IC = m.net.inputs;
  for (size_t l = 0; l < depth; ++l) {
    const bool output = l + 1 == depth;
    const int OC = output ? m.net.outputs : m.net.hidden[l];
    auto layer = DecodeFrozenLayer((*layers)[l], static_cast<int>(l), IC, OC, output, find, name);
    if (!layer.ok()) return layer.status();
    m.layers.push_back(std::move(layer).value());
    IC = OC;
  }
  return Status::Ok();
}

}  // namespace

Result<ModelData> ParseModel(std::string_view bytes, const std::string& name) {
  MING_ASSIGN_OR_RETURN(Container c, ParseContainer(bytes, name));
  if (c.kind != FileKind::kModel) {
    return Status::InvalidInput(name + ": is a training checkpoint, not a model; finish training or pass the model file");
  }
  const Section* meta_s = c.Find("META");
  if (!meta_s) return Status::InvalidInput(name + ": missing section META");
  ModelData m;
  json meta;
  std::string form;
  try {
    MING_RETURN_IF_ERROR(CheckJsonDepth(meta_s->bytes, kMaxMetaDepth).Prefixed(name + ": META"));
    meta = json::parse(meta_s->bytes);
    if (!meta.is_object() || meta.value("format", "") != "ming-model") {
      return Status::InvalidInput(name + ": META is not a ming model description");
    }
    m.threshold = meta.at("threshold").get<double>();
    form = meta.value("form", "trained");
  } catch (const json::exception& e) {
    return Status::InvalidInput(name + ": META: " + e.what());
  }
  if (form != "trained" && form != "frozen") {
    return Status::InvalidInput(name + ": META: unknown form '" + form + "' (trained or frozen)");
  }
  if (!(m.threshold > 0.0 && m.threshold < 1.0)) return Status::InvalidInput(name + ": threshold outside (0, 1)");
  if (!meta.contains("preprocessing") || !meta.contains("network")) {
    return Status::InvalidInput(name + ": META lacks preprocessing or network");
  }
  auto pre = Preprocessor::FromJson(meta["preprocessing"]);
  if (!pre.ok()) return pre.status().Prefixed(name);
  m.pre = std::move(pre).value();
  auto net = NetConfigFromJson(meta["network"]);
  if (!net.ok()) return net.status().Prefixed(name);
  m.net = net.value();
  if (m.net.inputs != m.pre.encoded_width() || m.net.outputs != m.pre.num_outputs()) {
    return Status::InvalidInput(name + ": network has " + std::to_string(m.net.inputs) + " inputs and " +
                                std::to_string(m.net.outputs) + " outputs, preprocessing gives " +
                                std::to_string(m.pre.encoded_width()) + " and " +
                                std::to_string(m.pre.num_outputs()));
  }
  const Section* embd = c.Find("EMBD");
  if (m.pre.num_embedded() > 0 || embd) {
    if (!embd) return Status::InvalidInput(name + ": missing section EMBD (the embedding tables)");
    const uint64_t want = static_cast<uint64_t>(m.pre.embedding_params()) * 4;
    if (embd->bytes.size() != want) {
      return Status::InvalidInput(name + ": EMBD has " + std::to_string(embd->bytes.size()) +
                                  " bytes; the embedded fields need " + std::to_string(want));
    }
    std::vector<float> tables(embd->bytes.size() / 4);
    MING_RETURN_IF_ERROR(DecodeFloats(embd->bytes, tables.data(), tables.size(), name + ": EMBD"));
    MING_RETURN_IF_ERROR(m.pre.SetEmbeddingTables(tables.data(), tables.size()).Prefixed(name + ": EMBD"));
  }
  if (form == "frozen") {
    MING_RETURN_IF_ERROR(ParseFrozenLayers(c, meta, name, m));
    meta.erase("form");
    meta.erase("layers");
  } else {
    MING_RETURN_IF_ERROR(ParseTrainedParams(c, name, m));
  }
  // Explanations: optional background rows and calibration.
  if (const Section* bk = c.Find("BKGD")) {
    const uint64_t row_bytes = static_cast<uint64_t>(m.net.inputs) * 4;
    if (row_bytes == 0 || bk->bytes.size() % row_bytes != 0) {
      return Status::InvalidInput(name + ": BKGD has " + std::to_string(bk->bytes.size()) +
                                  " bytes, not a whole number of " + std::to_string(row_bytes) + "-byte rows");
    }
    m.background.resize(bk->bytes.size() / 4);
    MING_RETURN_IF_ERROR(DecodeFloats(bk->bytes, m.background.data(), m.background.size(), name + ": BKGD"));
  }
  if (meta.contains("calibration")) {
    auto cal = CalibrationFromJson(meta["calibration"], m.net.outputs);
    if (!cal.ok()) return cal.status().Prefixed(name);
    m.calibration = cal.value();
    meta.erase("calibration");
  }
  meta.erase("preprocessing");
  meta.erase("network");
  meta.erase("format");
  meta.erase("threshold");
  m.info = std::move(meta);
  return m;
}

ModelData FreezeModel(ModelData m) {
  if (m.frozen) return m;
  m.layers = FoldNetwork(m.net, m.params.data(), m.buffers.data());
  ChooseWeightForms(m.layers);
  m.params = {};
  m.buffers = {};
  m.info.erase("history");  // per-epoch training history: not needed to serve
  m.frozen = true;
  return m;
}

int64_t CountParams(const ModelData& m) {
  int64_t n = m.pre.embedding_params();
  if (!m.frozen) return n + NetLayout(m.net).num_params();
  for (const FrozenLayer& L : m.layers) n += L.num_weights() + L.OC + 2 * static_cast<int64_t>(L.gamma.size());
  return n;
}

int64_t CountNonzeroWeights(const ModelData& m) {
  if (m.frozen) {
    int64_t n = 0;
    for (const FrozenLayer& L : m.layers) n += L.nonzeros();
    return n;
  }
  int64_t n = 0;
  const NetLayout layout(m.net);
  for (const LayerLayout& l : layout.layers()) {
    for (int64_t k = 0; k < static_cast<int64_t>(l.IC) * l.OC; ++k) n += m.params[static_cast<size_t>(l.W + k)] != 0.0f;
  }
  return n;
}

Result<ModelData> LoadModel(const std::string& path) {
  MING_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path, uint64_t{1} << 32));
  return ParseModel(bytes, path);
}

}  // namespace ming
