// Fuzz target: a model file built from the input as a structurally valid container (real
// CRCs, sections in place) whose META JSON and weight sections carry fuzzed dimensions,
// enum spellings, sparse row pointers and indices, int8 scales and zero points, field
// layouts, thresholds and background rows, so the loader's semantic checks are reached
// rather than its checksums. A model that loads is run, and must survive a save -> load
// round trip that reproduces its bytes (a violation traps).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "format/container.h"
#include "fuzz_input.h"
#include "fuzz_model.h"
#include "fuzz_values.h"
#include "json_text.h"
#include "runtime/model_file.h"

namespace {

using ming::fuzz::FuzzInput;
using ming::fuzz::JsonWriter;
using ming::fuzz::PickFloat;
using ming::fuzz::PickInt;

// "<c><i>", built by appending (GCC 12 warns falsely on "c" + std::to_string(i)).
std::string Label(char c, int64_t i) {
  std::string s(1, c);
  s += std::to_string(i);
  return s;
}

constexpr const char* kTypes[] = {"numeric", "boolean", "categorical", "text"};
constexpr const char* kTasks[] = {"binary", "multiclass", "regression", "ranking"};
constexpr const char* kActs[] = {"relu", "leaky_relu", "gelu", "tanh", "sigmoid", "swish"};
constexpr const char* kNorms[] = {"none", "layer", "batch", "group"};
constexpr const char* kLosses[] = {"bce", "cross_entropy", "mse", "huber", "hinge"};
constexpr const char* kForms[] = {"dense", "sparse", "int8", "fp16"};

template <size_t N>
const char* Pick(FuzzInput& in, const char* const (&names)[N]) {
  return names[in.Range(0, N - 1)];
}

std::string Tag(char kind, int l) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%03d", kind, l);
  return buf;
}

// a * b for the fuzzed dimensions, which may be negative or 2^40: 0 or capped at 2^40.
int64_t Cells(int64_t a, int64_t b) {
  if (a <= 0 || b <= 0) return 0;
  return a > (int64_t{1} << 20) || b > (int64_t{1} << 20) ? int64_t{1} << 40 : a * b;
}

void PutU32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void PutF32(std::string& s, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  PutU32(s, u);
}
// n floats, capped so that wild sizes cost little (the section is then short). Past the
// input's end every pick is 0.0f (FuzzInput reads zeros), so those are appended at once.
std::string Floats(FuzzInput& in, int64_t n) {
  const int64_t count = std::clamp<int64_t>(n, 0, 4096);
  std::string s;
  s.reserve(static_cast<size_t>(4 * count));
  int64_t i = 0;
  for (; i < count && in.remaining() > 0; ++i) PutF32(s, PickFloat(in));
  s.append(static_cast<size_t>(4 * (count - i)), '\0');
  return s;
}

// Preprocessing JSON, written to `w`; *width gets the encoded width it describes,
// *outputs the outputs, *tables the embedding table floats (EMBD) its embedded fields need.
void Preprocessing(FuzzInput& in, JsonWriter& w, int64_t* width, int64_t* outputs,
                   int64_t* tables) {
  w.Open('{').Key("fields").Open('[');
  const int n = static_cast<int>(in.Range(1, 4));
  *width = 0;
  *tables = 0;
  for (int i = 0; i < n; ++i) {
    const std::string_view type = Pick(in, kTypes);
    w.Open('{').Key("name").String(in.Byte() < 250 ? Label('f', i) : ming::fuzz::PickName(in, 4));
    const bool has_missing = in.Bool();
    w.Key("type").String(type).Key("has_missing").Bool(has_missing);
    int64_t cells = 1;
    if (type == "categorical") {
      w.Key("categories").Open('[');
      const int k = static_cast<int>(in.Range(0, 4));
      for (int c = 0; c < k; ++c)
        w.String(in.Byte() < 250 ? Label('c', c) : ming::fuzz::PickName(in, 3));
      w.Close(']');
      cells = k + 1;
    } else {
      w.Key("mean").Number(PickFloat(in));
      w.Key("std").Number(in.Byte() < 240 ? 1.0 : static_cast<double>(PickFloat(in)));
    }
    if (has_missing) ++cells;
    if (type == "categorical" && in.Byte() >= 160) {  // embedded: the width is the dimension
      const int64_t rows = cells, dim = in.Range(1, 3);
      w.Key("embedding_dim").Number(PickInt(in, dim, dim));
      *tables += rows * dim;
      cells = dim;
    }
    w.Key("offset").Number(PickInt(in, *width, *width));
    w.Key("width").Number(PickInt(in, cells, cells));
    *width += cells;
    w.Close('}');
  }
  w.Close(']');
  const std::string_view task = Pick(in, kTasks);
  w.Key("label").Open('{').Key("name").String("y").Key("task").String(task);
  int64_t classes = task == "multiclass" ? PickInt(in, 3, 5) : 2;
  if (task == "regression") {
    w.Key("mean").Number(0.0).Key("std").Number(PickFloat(in));
    *outputs = 1;
  } else {
    w.Key("classes").Open('[');
    for (int64_t c = 0; c < std::min<int64_t>(classes, 64); ++c) w.String(Label('k', c));
    w.Close(']');
    *outputs = task == "binary" ? 1 : classes;
  }
  w.Close('}').Key("encoded_width").Number(PickInt(in, *width, *width)).Close('}');
}

// Network JSON, written to `w`; *dims gets the layer widths, *norm the normalisation.
void Network(FuzzInput& in, JsonWriter& w, int64_t inputs, int64_t outputs,
             std::vector<int64_t>* dims, std::string* norm) {
  const int depth = static_cast<int>(PickInt(in, 0, 3));
  std::vector<int64_t> hidden;
  for (int i = 0; i < std::min(depth, 70); ++i) hidden.push_back(PickInt(in, 1, 8));
  const int64_t in_n = PickInt(in, inputs, inputs), out_n = PickInt(in, outputs, outputs);
  dims->assign(1, in_n);
  dims->insert(dims->end(), hidden.begin(), hidden.end());
  dims->push_back(out_n);
  const char* activation = Pick(in, kActs);
  *norm = Pick(in, kNorms);
  const char* loss =
      outputs == 1 ? (in.Byte() < 200 ? "bce" : Pick(in, kLosses)) : Pick(in, kLosses);
  const char* const kReals[] = {"leaky_slope", "dropout", "norm_eps", "bn_momentum", "huber_delta"};
  double reals[] = {0.01, 0.0, 1e-5, 0.1, 1.0};
  if (in.Byte() >= 224) {  // one of them drawn: the value is read before the choice
    const float v = PickFloat(in);
    reals[in.Range(0, 4)] = v;
  }
  w.Open('{').Key("inputs");
  if (in.Byte() >= 248) {
    w.Number(1e300);  // a float where an integer belongs
  } else {
    w.Number(in_n);
  }
  w.Key("hidden").Open('[');
  for (int64_t h : hidden) w.Number(h);
  w.Close(']').Key("outputs").Number(out_n).Key("activation").String(activation);
  w.Key("norm").String(*norm).Key("loss").String(loss);
  for (int r = 0; r < 5; ++r) w.Key(kReals[r]).Number(reals[r]);
  w.Close('}');
}

// Sparse weights: per-output counts and ascending indices, sometimes raw.
std::string Sparse(FuzzInput& in, int64_t IC, int64_t OC) {
  std::string s;
  PutU32(s, static_cast<uint32_t>(PickInt(in, IC, IC)));
  PutU32(s, static_cast<uint32_t>(PickInt(in, OC, OC)));
  std::vector<uint32_t> ptr(1, 0);
  std::vector<uint16_t> idx;
  const bool raw = in.Byte() >= 240;
  const int64_t outs = std::min<int64_t>(OC, 4096);
  for (int64_t o = 0; o < outs; ++o) {
    if (in.remaining() == 0) {  // no more indices; every later pointer repeats the last
      ptr.resize(ptr.size() + static_cast<size_t>(outs - o), ptr.back());
      break;
    }
    uint32_t next = 0;
    for (int64_t i = 0; i < std::min<int64_t>(IC, 64); ++i) {
      if (in.Byte() < 128) continue;
      idx.push_back(static_cast<uint16_t>(raw ? in.Range(0, 65535) : i));
      ++next;
    }
    ptr.push_back(raw ? static_cast<uint32_t>(PickInt(in, ptr.back(), ptr.back() + next))
                      : ptr.back() + next);
  }
  PutU32(s, static_cast<uint32_t>(
                PickInt(in, static_cast<int64_t>(idx.size()), static_cast<int64_t>(idx.size()))));
  for (uint32_t p : ptr) PutU32(s, p);
  for (uint16_t i : idx) s.append(reinterpret_cast<const char*>(&i), 2);
  for (size_t k = 0; k < idx.size(); ++k) PutF32(s, PickFloat(in));
  return s;
}

std::string Int8(FuzzInput& in, int64_t IC, int64_t OC) {
  std::string s;
  PutU32(s, static_cast<uint32_t>(PickInt(in, IC, IC)));
  PutU32(s, static_cast<uint32_t>(PickInt(in, OC, OC)));
  PutF32(s, in.Byte() < 200 ? 0.05f : PickFloat(in));
  PutU32(s, static_cast<uint32_t>(PickInt(in, 0, 255)));
  for (int64_t o = 0; o < std::min<int64_t>(OC, 4096); ++o)
    PutF32(s, in.Byte() < 200 ? 0.01f : PickFloat(in));
  const size_t cells = static_cast<size_t>(std::min<int64_t>(Cells(IC, OC), 1 << 16));
  size_t k = 0;
  for (; k < cells && in.remaining() > 0; ++k) s.push_back(static_cast<char>(in.Byte()));
  s.append(cells - k, '\0');  // past the input's end the reader gives zeros
  return s;
}

// The frozen layers' META entries (an array written to `w`) and sections.
void Frozen(FuzzInput& in, JsonWriter& w, const std::vector<int64_t>& dims, ming::Container& c) {
  w.Open('[');
  for (size_t l = 0; l + 1 < dims.size(); ++l) {
    const int64_t IC = dims[l], OC = dims[l + 1];
    const std::string_view form = Pick(in, kForms);
    const bool ln = in.Byte() >= 192;
    w.Open('{').Key("in").Number(PickInt(in, IC, IC)).Key("out").Number(PickInt(in, OC, OC));
    w.Key("weights").String(form).Key("layer_norm").Bool(ln).Close('}');
    const int li = static_cast<int>(l);
    std::string weights = form == "sparse" ? Sparse(in, IC, OC)
                          : form == "int8" ? Int8(in, IC, OC)
                                           : Floats(in, Cells(IC, OC));
    if (in.Byte() < 252) c.sections.push_back({Tag('W', li), std::move(weights)});
    c.sections.push_back({Tag('B', li), Floats(in, PickInt(in, OC, OC))});
    if (ln != (in.Byte() >= 250))
      c.sections.push_back({Tag('N', li), Floats(in, PickInt(in, 2 * OC, 2 * OC))});
  }
  w.Close(']');
}

// The model file's container; its META text is written directly (JsonWriter), reading the
// input's bytes in the order the nlohmann::json version of this harness did, so that the
// corpus keeps its meaning.
ming::Container BuildModel(FuzzInput& in) {
  int64_t width = 0, outputs = 1, tables = 0;
  std::vector<int64_t> dims;
  std::string norm;
  JsonWriter meta;
  meta.Open('{').Key("format").String(in.Byte() < 252 ? "ming-model" : "ming-checkpoint");
  meta.Key("preprocessing");
  Preprocessing(in, meta, &width, &outputs, &tables);
  meta.Key("network");
  Network(in, meta, width, outputs, &dims, &norm);
  meta.Key("threshold").Number(in.Byte() < 224 ? 0.5 : static_cast<double>(PickFloat(in)));
  ming::Container c;
  c.kind = in.Byte() < 252 ? ming::FileKind::kModel : ming::FileKind::kCheckpoint;
  const bool frozen = in.Bool();
  if (frozen) {
    meta.Key("form").String("frozen").Key("layers");
    Frozen(in, meta, dims, c);
  } else {
    int64_t n = 0, nb = 0;  // NetLayout's count, recomputed here without its CHECKs
    for (size_t l = 0; l + 1 < dims.size(); ++l) {
      const int64_t oc = std::clamp<int64_t>(dims[l + 1], 0, int64_t{1} << 40);
      n = std::min(
          n + Cells(dims[l], oc) + oc + (l + 2 < dims.size() && norm != "none" ? 2 * oc : 0),
          int64_t{1} << 40);
      if (l + 2 < dims.size() && norm == "batch") nb = std::min(nb + 2 * oc, int64_t{1} << 40);
    }
    c.sections.push_back({"PARM", Floats(in, PickInt(in, n, n))});
    c.sections.push_back({"BUFS", Floats(in, PickInt(in, nb, nb))});
  }
  if (tables > 0 ? in.Byte() < 252 : in.Byte() >= 252) {
    c.sections.push_back({"EMBD", Floats(in, PickInt(in, tables, tables))});
  }
  if (in.Byte() >= 128)
    c.sections.push_back(
        {"BKGD", Floats(in, Cells(PickInt(in, 0, 3), dims[0]) + (in.Byte() >= 250))});
  if (in.Byte() >= 192) {
    meta.Key("calibration")
        .Open('{')
        .Key("method")
        .String(Pick(in, {"none", "temperature", "platt", "isotonic"}));
    meta.Key("scale").Number(PickFloat(in));
    const bool zero_shift = in.Bool();
    meta.Key("shift").Number(zero_shift ? 0.0 : static_cast<double>(PickFloat(in)));
    if (in.Byte() >= 240) meta.Key("rows").Number(1e300);
    meta.Close('}');
  }
  meta.Close('}');
  c.sections.insert(c.sections.begin(), {"META", meta.Take()});
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const std::string bytes = ming::SerializeContainer(BuildModel(in));
  auto m = ming::ParseModel(bytes, "fuzz.ming");
  if (!m.ok()) return 0;
  // Whatever loads is saved again identically and loads again.
  const std::string once = ming::SerializeModel(m.value());
  auto again = ming::ParseModel(once, "fuzz-again.ming");
  if (!again.ok() || ming::SerializeModel(again.value()) != once) __builtin_trap();
  ming::fuzz::PredictOnce(std::move(m).value());
  return 0;
}
