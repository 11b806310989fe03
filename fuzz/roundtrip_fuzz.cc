// Fuzz target: the save -> load round trip as a property. A valid model is built from the
// input (small random shapes, every activation and norm, trained or frozen with dense,
// sparse and int8 layers, finite weights including subnormals and -0, field, category and
// class names of arbitrary Unicode, background rows, calibration). Then SerializeModel ->
// ParseModel must succeed, saving the loaded model must give the same bytes, and both
// models must predict bit-identical outputs on fuzzed rows. Any violation traps.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <limits>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_input.h"
#include "fuzz_values.h"
#include "ming/ming.h"
#include "nn/network.h"
#include "runtime/model_file.h"
#include "runtime/model_impl.h"

namespace {

using ming::fuzz::FuzzInput;
using nlohmann::json;

// "<c><i>", built by appending (GCC 12 warns falsely on "c" + std::to_string(i)).
std::string Label(char c, int64_t i) {
  std::string s(1, c);
  s += std::to_string(i);
  return s;
}

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// A non-empty name not in `used`.
std::string UniqueName(FuzzInput& in, std::set<std::string>& used, const std::string& fallback) {
  std::string s = ming::fuzz::PickName(in, 6);
  if (s.empty() || used.count(s)) s = fallback;
  while (used.count(s)) s += "_";
  used.insert(s);
  return s;
}

float Weight(FuzzInput& in) { return ming::fuzz::PickFloat(in, /*finite_only=*/true); }

json Preprocessing(FuzzInput& in) {
  std::set<std::string> names;
  json label = {{"name", UniqueName(in, names, "y")}};
  const int task = static_cast<int>(in.Range(0, 2));
  label["task"] = task == 0 ? "binary" : task == 1 ? "multiclass" : "regression";
  if (task == 2) {
    label["mean"] = static_cast<double>(Weight(in));
    label["std"] = 0.5 + in.Byte();
  } else {
    std::set<std::string> cls;
    json classes = json::array();
    const int n = task == 0 ? 2 : static_cast<int>(in.Range(3, 5));
    for (int c = 0; c < n; ++c) classes.push_back(UniqueName(in, cls, Label('k', c)));
    label["classes"] = classes;
  }
  json fields = json::array();
  int64_t offset = 0;
  const int nf = static_cast<int>(in.Range(1, 4));
  for (int i = 0; i < nf; ++i) {
    const int type = static_cast<int>(in.Range(0, 2));
    json f = {{"name", UniqueName(in, names, Label('f', i))},
              {"type", type == 0 ? "numeric" : type == 1 ? "boolean" : "categorical"},
              {"has_missing", in.Bool()},
              {"offset", offset}};
    int64_t w = 1;
    if (type == 2) {
      std::set<std::string> cats;
      json c = json::array();
      const int k = static_cast<int>(in.Range(0, 4));
      for (int j = 0; j < k; ++j) c.push_back(UniqueName(in, cats, Label('c', j)));
      f["categories"] = c;
      w = k + 1;
      if (in.Byte() >= 160) f["embedding_dim"] = in.Range(1, 3);  // width set below
    } else {
      f["mean"] = static_cast<double>(Weight(in));
      f["std"] = in.Bool() ? 1.0 : static_cast<double>(std::numeric_limits<float>::denorm_min());
    }
    w += f["has_missing"].get<bool>() ? 1 : 0;
    if (f.contains("embedding_dim")) w = f["embedding_dim"].get<int64_t>();
    f["width"] = w;
    offset += w;
    fields.push_back(f);
  }
  return {{"fields", fields}, {"label", label}, {"encoded_width", offset}};
}

ming::FrozenLayer Layer(FuzzInput& in, int IC, int OC, bool output, bool layer_norm) {
  ming::FrozenLayer L;
  L.IC = IC;
  L.OC = OC;
  L.output = output;
  std::vector<float> W(static_cast<size_t>(IC) * OC);
  for (float& w : W) w = in.Byte() < 96 ? 0.0f : Weight(in);
  const int form = static_cast<int>(in.Range(0, 2));
  if (form == 1) {
    L.form = ming::WeightForm::kSparse;
    L.sparse = ming::MakeSparse(W.data(), IC, OC);
  } else if (form == 2) {
    L.form = ming::WeightForm::kInt8;
    for (float& w : W) w = std::isfinite(w) && std::fabs(w) < 1e30f ? w : 1.0f;
    L.int8 = ming::QuantizeLinear(W.data(), IC, OC, {Weight(in) * -1e-3f, in.Byte() / 8.0f});
  } else {
    L.W = W;
  }
  for (int o = 0; o < OC; ++o) L.b.push_back(Weight(in));
  if (layer_norm) {
    for (int o = 0; o < OC; ++o) L.gamma.push_back(Weight(in));
    for (int o = 0; o < OC; ++o) L.beta.push_back(Weight(in));
  }
  return L;
}

ming::ModelData Build(FuzzInput& in) {
  ming::ModelData m;
  auto pre = ming::Preprocessor::FromJson(Preprocessing(in));
  Check(pre.ok());
  m.pre = std::move(pre).value();
  std::vector<float> tables;
  for (int64_t i = 0; i < m.pre.embedding_params(); ++i) tables.push_back(Weight(in));
  Check(m.pre.SetEmbeddingTables(tables.data(), tables.size()).ok());
  m.net.inputs = m.pre.encoded_width();
  m.net.outputs = m.pre.num_outputs();
  m.net.loss = m.pre.label().task == ming::Task::kBinary       ? ming::LossKind::kBce
               : m.pre.label().task == ming::Task::kMulticlass ? ming::LossKind::kCrossEntropy
                                                               : ming::LossKind::kMse;
  for (int h = static_cast<int>(in.Range(0, 3)); h > 0; --h) m.net.hidden.push_back(static_cast<int>(in.Range(1, 6)));
  m.net.activation = static_cast<ming::Activation>(in.Range(0, static_cast<int>(ming::Activation::kCount) - 1));
  m.net.norm = static_cast<ming::Norm>(in.Range(0, static_cast<int>(ming::Norm::kCount) - 1));
  m.net.leaky_slope = Weight(in);
  m.net.norm_eps = in.Bool() ? 1e-5f : std::numeric_limits<float>::denorm_min();
  m.frozen = in.Bool();
  if (m.frozen) {
    int IC = m.net.inputs;
    for (size_t l = 0; l <= m.net.hidden.size(); ++l) {
      const bool output = l == m.net.hidden.size();
      const int OC = output ? m.net.outputs : m.net.hidden[l];
      m.layers.push_back(Layer(in, IC, OC, output, !output && m.net.norm == ming::Norm::kLayer));
      IC = OC;
    }
  } else {
    const ming::NetLayout layout(m.net);
    for (int64_t i = 0; i < layout.num_params(); ++i) m.params.push_back(Weight(in));
    // Running variances must keep var + eps > 0 for the folded scale to be finite.
    for (int64_t i = 0; i < layout.num_buffers(); ++i) m.buffers.push_back(std::fabs(Weight(in)));
  }
  m.threshold = (1 + in.Byte()) / 257.0;
  for (int64_t r = in.Range(0, 2) * m.net.inputs; r > 0; --r) m.background.push_back(Weight(in));
  if (in.Byte() >= 192) {
    m.calibration.method = m.net.outputs == 1 && in.Bool() ? ming::CalibrationMethod::kPlatt
                                                           : ming::CalibrationMethod::kTemperature;
    m.calibration.scale = 0.25 + in.Byte();
    m.calibration.shift = m.calibration.method == ming::CalibrationMethod::kPlatt ? Weight(in) : 0.0;
    m.calibration.rows = in.U32();
  }
  m.info["created"] = ming::fuzz::PickName(in, 8);
  m.info["metrics"] = {{"auc", static_cast<double>(Weight(in))}};
  return m;
}

// Outputs of one row and of a batch of the same rows, as raw bits.
std::vector<uint32_t> Outputs(const ming::ModelData& d, const std::vector<std::string_view>& cells, int rows) {
  auto model = std::make_shared<const ming::Model>(std::make_unique<ming::ModelImpl>(d));
  ming::Session session(model, 4);
  const size_t F = model->fields().size();
  const size_t width = model->classes().empty() ? 1 : model->classes().size();
  std::vector<float> out(static_cast<size_t>(rows) * width + 1);
  ming::Prediction p;
  const ming::Status one = session.Predict(std::span(cells.data(), F), &p);
  out.back() = one.ok() ? static_cast<float>(p.value) : -1.0f;
  if (!session.PredictBatch(cells, rows, out.data()).ok()) out.assign(out.size(), -2.0f);
  std::vector<uint32_t> bits(out.size());
  std::memcpy(bits.data(), out.data(), out.size() * sizeof(float));
  return bits;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzInput in(data, size);
  const ming::ModelData m = Build(in);
  const std::string bytes = ming::SerializeModel(m);
  auto loaded = ming::ParseModel(bytes, "roundtrip.ming");
  Check(loaded.ok());
  Check(ming::SerializeModel(loaded.value()) == bytes);
  // Rows of cells: numbers, booleans, category names, missing values, junk.
  const int rows = static_cast<int>(in.Range(1, 3));
  std::vector<std::string> text;
  for (size_t k = 0; k < rows * m.pre.fields().size(); ++k) {
    const auto& f = m.pre.fields()[k % m.pre.fields().size()];
    const uint8_t b = in.Byte();
    if (b < 64 && !f.categories.empty()) text.push_back(f.categories[b % f.categories.size()]);
    else if (b < 128) text.push_back(std::to_string(static_cast<double>(Weight(in))));
    else if (b < 160) text.push_back(b & 1 ? "yes" : "no");
    else text.push_back(in.Bytes(4));
  }
  const std::vector<std::string_view> cells(text.begin(), text.end());
  Check(Outputs(m, cells, rows) == Outputs(loaded.value(), cells, rows));
  return 0;
}
