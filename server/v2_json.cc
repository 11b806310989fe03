// v2 infer bodies with simdjson's on-demand parser (request) and json_out.h (response).
// Numbers keep their JSON text as the cell, so the server parses them exactly as
// `ming predict` parses the same CSV text.
#include "server/v2_json.h"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "server/json_out.h"

namespace ming::server {
namespace od = simdjson::ondemand;
namespace {

// Element kinds seen in a tensor's "data", checked against its datatype afterwards (the
// datatype may come after the data).
enum Kind : uint8_t { kString, kNumber, kInteger, kBool, kNull, kKinds };

struct TensorDraft {
  InputTensor t;
  // The index of the first element of each kind, -1 if none: enough to name the first
  // element that does not match, without a kind per element.
  std::array<int64_t, kKinds> first{-1, -1, -1, -1, -1};
  int64_t binary_size = -1;
  bool has_data = false;

  void Add(std::string_view cell, Kind k) {
    if (first[k] < 0) first[k] = static_cast<int64_t>(t.cells.size());
    t.cells.push_back(cell);
  }
};

Status Bad(const std::string& m) { return Status::InvalidInput(m); }

// label, probabilities (or value), contributions, base_value.
constexpr size_t kMaxOutputs = 4;
Status JsonError(simdjson::error_code e, const std::string& where) {
  return Bad("malformed JSON in " + where + ": " + simdjson::error_message(e));
}

std::string_view TrimToken(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Walks a value the request does not use, failing past kMaxDepth levels: simdjson's
// on-demand skip does not enforce its depth limit, so a field nested 100,000 deep would
// otherwise be accepted unread. Only unknown fields come here, never the hot path.
constexpr int kMaxDepth = 64;
Status SkipValue(od::value v, int depth) {
  if (depth > kMaxDepth) return Bad("JSON nested more than " + std::to_string(kMaxDepth) + " levels deep");
  od::json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, "request");
  if (type == od::json_type::array) {
    od::array a;
    if (auto e = v.get_array().get(a)) return JsonError(e, "request");
    for (auto el : a) {
      od::value x;
      if (auto e = el.get(x)) return JsonError(e, "request");
      MING_RETURN_IF_ERROR(SkipValue(x, depth + 1));
    }
  } else if (type == od::json_type::object) {
    od::object o;
    if (auto e = v.get_object().get(o)) return JsonError(e, "request");
    for (auto f : o) {
      od::value x;
      if (auto e = f.value().get(x)) return JsonError(e, "request");
      MING_RETURN_IF_ERROR(SkipValue(x, depth + 1));
    }
  }
  return Status::Ok();
}

Status ParseData(od::value v, TensorDraft& d, int depth) {
  od::json_type type;
  if (auto e = v.type().get(type)) return JsonError(e, "data");
  switch (type) {
    case od::json_type::array: {
      if (depth > 8) return Bad("input '" + std::string(d.t.name) + "': data nested too deeply");
      od::array a;
      if (auto e = v.get_array().get(a)) return JsonError(e, "data");
      for (auto el : a) {
        od::value x;
        if (auto e = el.get(x)) return JsonError(e, "data");
        MING_RETURN_IF_ERROR(ParseData(x, d, depth + 1));
      }
      return Status::Ok();
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return JsonError(e, "data");
      d.Add(s, kString);
      return Status::Ok();
    }
    case od::json_type::number: {
      std::string_view tok = TrimToken(v.raw_json_token());
      double x;
      if (auto e = v.get_double().get(x)) return JsonError(e, "data");
      d.Add(tok, tok.find_first_of(".eE") == std::string_view::npos ? kInteger : kNumber);
      return Status::Ok();
    }
    case od::json_type::boolean: {
      bool b;
      if (auto e = v.get_bool().get(b)) return JsonError(e, "data");
      d.Add(b ? "1" : "0", kBool);
      return Status::Ok();
    }
    case od::json_type::null:
      d.Add("", kNull);
      return Status::Ok();
    default:
      return Bad("input '" + std::string(d.t.name) + "': data elements must be strings, numbers, booleans or null");
  }
}

Status ParseShape(od::value v, std::vector<int64_t>* shape) {
  od::array a;
  if (auto e = v.get_array().get(a)) return JsonError(e, "shape");
  for (auto el : a) {
    int64_t x;
    if (auto e = el.get_int64().get(x)) return JsonError(e, "shape");
    if (x < 0) return Bad("shape dimensions must be >= 0");
    shape->push_back(x);
  }
  return Status::Ok();
}

// Reads {"binary_data_size": N} / {"binary_data": bool} / {"binary_data_output": bool} /
// {"explain": bool} (request level).
Status ParseParameters(od::value v, int64_t* binary_size, bool* binary, bool* explain = nullptr) {
  od::object o;
  if (auto e = v.get_object().get(o)) return JsonError(e, "parameters");
  for (auto f : o) {
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return JsonError(e, "parameters");
    if (key == "binary_data_size" && binary_size) {
      if (auto e = f.value().get_int64().get(*binary_size)) return JsonError(e, "binary_data_size");
    } else if ((key == "binary_data" || key == "binary_data_output") && binary) {
      if (auto e = f.value().get_bool().get(*binary)) return JsonError(e, std::string(key));
    } else if (key == "explain" && explain) {
      if (auto e = f.value().get_bool().get(*explain)) return JsonError(e, "parameters.explain (expected true or false)");
    } else {
      od::value x;
      if (auto e = f.value().get(x)) return JsonError(e, "parameters");
      MING_RETURN_IF_ERROR(SkipValue(x, 1));
    }
  }
  return Status::Ok();
}

Status CheckKinds(const TensorDraft& d) {
  const DataType t = d.t.dtype;
  const bool bytes = t == DataType::kBytes, boolean = t == DataType::kBool;
  const bool integer = t != DataType::kFp32 && t != DataType::kFp64 && !bytes && !boolean;
  int64_t bad = -1;  // the first element whose kind the datatype does not take
  for (int k = 0; k < kKinds; ++k) {
    const bool ok = k == kNull || (bytes && k == kString) || (boolean && k == kBool) ||
                    (integer && k == kInteger) || (!bytes && !boolean && !integer && k != kString && k != kBool);
    if (!ok && d.first[k] >= 0 && (bad < 0 || d.first[k] < bad)) bad = d.first[k];
  }
  if (bad < 0) return Status::Ok();
  return Bad("input '" + std::string(d.t.name) + "': element " + std::to_string(bad) + " ('" +
             std::string(d.t.cells[static_cast<size_t>(bad)]) + "') does not match datatype " + DataTypeName(t));
}

Status ParseInput(od::value v, TensorDraft& d) {
  od::object o;
  if (auto e = v.get_object().get(o)) return JsonError(e, "inputs");
  bool has_name = false, has_type = false, has_shape = false;
  for (auto f : o) {
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return JsonError(e, "inputs");
    od::value x;
    if (auto e = f.value().get(x)) return JsonError(e, "inputs");
    if (key == "name") {
      if (auto e = x.get_string().get(d.t.name)) return JsonError(e, "input name");
      has_name = true;
    } else if (key == "datatype") {
      std::string_view s;
      if (auto e = x.get_string().get(s)) return JsonError(e, "datatype");
      d.t.dtype = ParseDataType(s);
      if (d.t.dtype == DataType::kCount) return Bad("unknown datatype '" + std::string(s) + "'");
      has_type = true;
    } else if (key == "shape") {
      MING_RETURN_IF_ERROR(ParseShape(x, &d.t.shape));
      has_shape = true;
    } else if (key == "parameters") {
      MING_RETURN_IF_ERROR(ParseParameters(x, &d.binary_size, nullptr));
    } else if (key == "data") {
      d.has_data = true;
      MING_RETURN_IF_ERROR(ParseData(x, d, 0));
    } else {
      MING_RETURN_IF_ERROR(SkipValue(x, 1));
    }
  }
  if (!has_name || !has_type || !has_shape) {
    return Bad("every input needs \"name\", \"datatype\" and \"shape\"" +
               (has_name ? " (input '" + std::string(d.t.name) + "')" : std::string()));
  }
  if (d.has_data == (d.binary_size >= 0)) {
    return Bad("input '" + std::string(d.t.name) + "' needs exactly one of \"data\" or binary_data_size");
  }
  return CheckKinds(d);
}

Status ParseOutput(od::value v, InferRequest* req) {
  od::object o;
  if (auto e = v.get_object().get(o)) return JsonError(e, "outputs");
  RequestedOutput out;
  for (auto f : o) {
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return JsonError(e, "outputs");
    od::value x;
    if (auto e = f.value().get(x)) return JsonError(e, "outputs");
    if (key == "name") {
      std::string_view s;
      if (auto e = x.get_string().get(s)) return JsonError(e, "output name");
      out.name = s;
    } else if (key == "parameters") {
      MING_RETURN_IF_ERROR(ParseParameters(x, nullptr, &out.binary));
    } else {
      MING_RETURN_IF_ERROR(SkipValue(x, 1));
    }
  }
  if (out.name.empty()) return Bad("every requested output needs a \"name\"");
  req->outputs.push_back(std::move(out));
  return Status::Ok();
}

template <class T>
void FormatBinary(const char* p, int64_t n, InputTensor& t, std::deque<std::string>& owned) {
  for (int64_t i = 0; i < n; ++i) {
    T x;
    std::memcpy(&x, p + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    char buf[32];
    std::to_chars_result r;
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(x)) t.has_nonfinite = true;
      r = std::to_chars(buf, buf + sizeof buf, static_cast<double>(x));
    } else {
      r = std::to_chars(buf, buf + sizeof buf, x);
    }
    owned.emplace_back(buf, r.ptr);
    t.cells.push_back(owned.back());
  }
}

// Decodes one tensor's raw bytes (little-endian; BYTES as 4-byte length + bytes).
Status DecodeBinary(std::string_view raw, InputTensor& t, std::deque<std::string>& owned) {
  const std::string where = "input '" + std::string(t.name) + "' binary data";
  if (t.dtype == DataType::kBytes) {
    size_t p = 0;
    while (p < raw.size()) {
      if (raw.size() - p < 4) return Bad(where + ": truncated length prefix");
      uint32_t len;
      std::memcpy(&len, raw.data() + p, 4);
      p += 4;
      if (raw.size() - p < len) return Bad(where + ": element longer than the data");
      t.cells.push_back(raw.substr(p, len));
      p += len;
    }
    return Status::Ok();
  }
  const int size = DataTypeSize(t.dtype);
  if (raw.size() % static_cast<size_t>(size) != 0) return Bad(where + ": size is not a multiple of the element size");
  const int64_t n = static_cast<int64_t>(raw.size()) / size;
  switch (t.dtype) {
    case DataType::kBool:
      for (int64_t i = 0; i < n; ++i) t.cells.push_back(raw[static_cast<size_t>(i)] ? "1" : "0");
      break;
    case DataType::kInt8: FormatBinary<int8_t>(raw.data(), n, t, owned); break;
    case DataType::kInt16: FormatBinary<int16_t>(raw.data(), n, t, owned); break;
    case DataType::kInt32: FormatBinary<int32_t>(raw.data(), n, t, owned); break;
    case DataType::kInt64: FormatBinary<int64_t>(raw.data(), n, t, owned); break;
    case DataType::kUint8: FormatBinary<uint8_t>(raw.data(), n, t, owned); break;
    case DataType::kUint16: FormatBinary<uint16_t>(raw.data(), n, t, owned); break;
    case DataType::kUint32: FormatBinary<uint32_t>(raw.data(), n, t, owned); break;
    case DataType::kUint64: FormatBinary<uint64_t>(raw.data(), n, t, owned); break;
    case DataType::kFp32: FormatBinary<float>(raw.data(), n, t, owned); break;
    case DataType::kFp64: FormatBinary<double>(raw.data(), n, t, owned); break;
    default: break;
  }
  return Status::Ok();
}

Status ParseTopLevel(od::object o, std::vector<TensorDraft>& drafts, InferRequest* req) {
  bool has_inputs = false;
  for (auto f : o) {
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return JsonError(e, "request");
    od::value x;
    if (auto e = f.value().get(x)) return JsonError(e, "request");
    if (key == "id") {
      std::string_view s;
      if (auto e = x.get_string().get(s)) return JsonError(e, "id");
      req->id = s;
    } else if (key == "parameters") {
      MING_RETURN_IF_ERROR(ParseParameters(x, nullptr, &req->binary_outputs, &req->explain));
    } else if (key == "inputs") {
      has_inputs = true;
      od::array a;
      if (auto e = x.get_array().get(a)) return JsonError(e, "inputs");
      for (auto el : a) {
        od::value iv;
        if (auto e = el.get(iv)) return JsonError(e, "inputs");
        drafts.emplace_back();
        MING_RETURN_IF_ERROR(ParseInput(iv, drafts.back()));
      }
    } else if (key == "outputs") {
      od::array a;
      if (auto e = x.get_array().get(a)) return JsonError(e, "outputs");
      for (auto el : a) {
        // A model has at most kMaxOutputs distinct outputs, so a longer list must repeat or
        // name unknown ones: refuse it here, before 10^5 entries are even parsed.
        if (req->outputs.size() == kMaxOutputs) {
          return Bad("more than " + std::to_string(kMaxOutputs) + " requested outputs");
        }
        od::value ov;
        if (auto e = el.get(ov)) return JsonError(e, "outputs");
        MING_RETURN_IF_ERROR(ParseOutput(ov, req));
      }
    } else {
      MING_RETURN_IF_ERROR(SkipValue(x, 1));
    }
  }
  if (!has_inputs) return Bad("the request has no \"inputs\"");
  return Status::Ok();
}

}  // namespace

Status ParseInferRequest(std::string_view body, size_t capacity, size_t json_len,
                         InferRequest* req) {
  thread_local od::parser parser;
  if (json_len > body.size()) return Bad("Inference-Header-Content-Length exceeds the body");
  od::document doc;
  if (auto e = parser.iterate(simdjson::padded_string_view(body.data(), json_len, capacity)).get(doc)) {
    return JsonError(e, "request");
  }
  od::object o;
  if (auto e = doc.get_object().get(o)) return JsonError(e, "request");
  // Kept per thread: a fresh array of a dozen drafts (over 1 KiB) per request made glibc
  // consolidate its fast bins on every request (measured: about 1.5% of the server's CPU).
  // Emptied on the way out (their views point into this body), and given back when a
  // request with many inputs grew it, so one such request does not hold memory for good.
  thread_local std::vector<TensorDraft> drafts;
  struct Release {
    ~Release() {
      drafts.clear();
      if (drafts.capacity() > 64) drafts.shrink_to_fit();
    }
  } release;
  MING_RETURN_IF_ERROR(ParseTopLevel(o, drafts, req));
  const char* rest;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return Bad("malformed JSON in request: trailing content");
  size_t pos = json_len;
  req->inputs.reserve(req->inputs.size() + drafts.size());
  for (TensorDraft& d : drafts) {
    if (d.binary_size >= 0) {
      if (body.size() - pos < static_cast<size_t>(d.binary_size)) {
        return Bad("input '" + std::string(d.t.name) + "': binary_data_size exceeds the body");
      }
      MING_RETURN_IF_ERROR(DecodeBinary(body.substr(pos, static_cast<size_t>(d.binary_size)), d.t, req->owned));
      pos += static_cast<size_t>(d.binary_size);
    }
    req->inputs.push_back(std::move(d.t));
  }
  if (pos != body.size()) return Bad("the body has " + std::to_string(body.size() - pos) + " bytes after the last tensor");
  return Status::Ok();
}

int ModelOutputs(const Model& m, OutputSpec out[2]) {
  if (m.classes().empty()) {
    out[0] = {"value", DataType::kFp64};
    return 1;
  }
  out[0] = {"label", DataType::kBytes};
  out[1] = {"probabilities", DataType::kFp32};
  return 2;
}

Status CheckOutputs(const Model& m, const InferRequest& req) {
  OutputSpec spec[2];
  const int n = ModelOutputs(m, spec);
  for (size_t k = 0; k < req.outputs.size(); ++k) {
    const RequestedOutput& o = req.outputs[k];
    for (size_t j = 0; j < k; ++j) {
      if (req.outputs[j].name == o.name) return Bad("output '" + o.name + "' requested twice");
    }
    if (o.name == kContributions || o.name == kBaseValue) {
      if (!req.explain) {
        return Bad("output '" + o.name + "' needs \"explain\": true in the request's parameters");
      }
      continue;
    }
    bool found = false;
    for (int i = 0; i < n; ++i) found |= o.name == spec[i].name;
    if (!found) {
      return Bad("unknown output '" + o.name + "'; the model's outputs are: " + spec[0].name +
                 (n > 1 ? std::string(", ") + spec[1].name : std::string()) +
                 " (and contributions, base_value with \"explain\": true)");
    }
  }
  return Status::Ok();
}

namespace {

void AppendOutputData(const Model& m, const InferResult& res, int which, bool binary,
                      std::string& o, std::string& raw) {
  const int64_t B = res.rows;
  if (res.classes == 0) {  // regression value, FP64
    if (binary) {
      raw.append(reinterpret_cast<const char*>(res.values.data()), res.values.size() * sizeof(double));
      return;
    }
    for (int64_t r = 0; r < B; ++r) {
      if (r) o += ',';
      const double v = res.values[static_cast<size_t>(r)];
      if (std::isfinite(v)) json::Number(o, v); else o += "null";
    }
    return;
  }
  if (which == 0) {  // labels, BYTES
    for (int64_t r = 0; r < B; ++r) {
      const std::string& s = m.classes()[static_cast<size_t>(res.class_index[static_cast<size_t>(r)])];
      if (binary) {
        const auto len = static_cast<uint32_t>(s.size());
        raw.append(reinterpret_cast<const char*>(&len), 4);
        raw += s;
      } else {
        if (r) o += ',';
        json::String(o, s);
      }
    }
    return;
  }
  if (binary) {
    raw.append(reinterpret_cast<const char*>(res.probabilities.data()), res.probabilities.size() * sizeof(float));
    return;
  }
  for (size_t i = 0; i < res.probabilities.size(); ++i) {
    if (i) o += ',';
    json::Number(o, res.probabilities[i]);
  }
}

}  // namespace

namespace {

// Whether output `name` goes into the response, and whether as binary data.
bool Wanted(const InferRequest& req, std::string_view name, bool* binary) {
  bool wanted = req.outputs.empty();
  *binary = req.binary_outputs;
  for (const RequestedOutput& r : req.outputs) {
    if (r.name == name) wanted = true, *binary = r.binary || req.binary_outputs;
  }
  return wanted;
}

// Opens an output object: {"name":..,"datatype":..,"shape":[..]
void OpenOutput(std::string& o, bool& first, const char* name, DataType t, int64_t d0, int64_t d1) {
  if (!first) o += ',';
  first = false;
  o += "{\"name\":\"";
  o += name;
  o += "\",\"datatype\":\"";
  o += DataTypeName(t);
  o += "\",\"shape\":[";
  json::Number(o, d0);
  if (d1 >= 0) {
    o += ',';
    json::Number(o, d1);
  }
  o += ']';
}

// The explanation's parameters: {"method": "exact", "explained": "log-odds", "target": ..}
void ExplainParameters(std::string& o, const RowExplanations& e) {
  o += "\"method\":\"";
  o += e.Method();
  o += "\",\"explained\":\"";
  o += e.output;
  o += '"';
  const bool same = std::all_of(e.target.begin(), e.target.end(), [&](const std::string& t) { return t == e.target[0]; });
  if (!e.target.empty() && same) {
    o += ",\"target\":";
    json::String(o, e.target[0]);
  }
}

// An FP32 explanation output: data as JSON or raw bytes, then its parameters.
void AppendExplainOutput(std::string& o, std::string& raw, const std::vector<float>& v,
                         const RowExplanations& e, bool binary) {
  if (binary) {
    raw.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
    o += ",\"parameters\":{\"binary_data_size\":";
    json::Number(o, v.size() * sizeof(float));
    o += ',';
  } else {
    o += ",\"data\":[";
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) o += ',';
      json::Number(o, v[i]);
    }
    o += "],\"parameters\":{";
  }
  ExplainParameters(o, e);
  o += "}}";
}

}  // namespace

void RenderInferResult(const Model& m, const InferRequest& req, const InferResult& res,
                       std::string* body, size_t* json_len) {
  OutputSpec spec[2];
  const int n = ModelOutputs(m, spec);
  std::string& o = *body;
  std::string raw;
  o.clear();
  o += "{\"model_name\":";
  json::String(o, res.model);
  o += ",\"model_version\":";
  json::String(o, res.version);
  if (!res.id.empty()) {
    o += ",\"id\":";
    json::String(o, res.id);
  }
  o += ",\"outputs\":[";
  bool first = true, binary = false;
  for (int i = 0; i < n; ++i) {
    if (!Wanted(req, spec[i].name, &binary)) continue;
    OpenOutput(o, first, spec[i].name, spec[i].dtype, res.rows, spec[i].dtype == DataType::kFp32 ? res.classes : -1);
    const size_t before = raw.size();
    if (binary) {
      AppendOutputData(m, res, i, true, o, raw);
      o += ",\"parameters\":{\"binary_data_size\":";
      json::Number(o, raw.size() - before);
      o += "}}";
    } else {
      o += ",\"data\":[";
      AppendOutputData(m, res, i, false, o, raw);
      o += "]}";
    }
  }
  if (res.explained) {
    const RowExplanations& e = res.explain;
    if (Wanted(req, kContributions, &binary)) {
      OpenOutput(o, first, kContributions, DataType::kFp32, res.rows, e.fields);
      AppendExplainOutput(o, raw, e.contributions, e, binary);
    }
    if (Wanted(req, kBaseValue, &binary)) {
      OpenOutput(o, first, kBaseValue, DataType::kFp32, res.rows, -1);
      AppendExplainOutput(o, raw, e.base, e, binary);
    }
  }
  o += "]}";
  *json_len = o.size();
  o += raw;
}

std::string ErrorBody(std::string_view message) {
  std::string o = "{\"error\":";
  json::String(o, message);
  o += "}";
  return o;
}

}  // namespace ming::server
