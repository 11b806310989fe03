// v1 rows bodies (see v1_json.h).
#include "server/v1_json.h"

#include <simdjson.h>

#include <cmath>

#include "server/json_out.h"

namespace ming::server {
namespace od = simdjson::ondemand;
namespace {

Status JsonError(simdjson::error_code e, const std::string& where) {
  return Status::InvalidInput("malformed JSON in " + where + ": " + simdjson::error_message(e));
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One row object into cells of req->inputs (one per field; absent stays "").
Status ParseRow(const Model& m, od::object row, int64_t r, InferRequest* req) {
  const std::string where = "row " + std::to_string(r);
  for (auto f : row) {
    std::string_view key;
    if (auto e = f.unescaped_key().get(key)) return JsonError(e, where);
    const int i = m.field_index(key);
    if (i < 0) return Status::InvalidInput(where + ": unknown field '" + std::string(key) + "'");
    od::value v;
    if (auto e = f.value().get(v)) return JsonError(e, where);
    od::json_type t;
    if (auto e = v.type().get(t)) return JsonError(e, where);
    std::string_view cell;
    if (t == od::json_type::string) {
      if (auto e = v.get_string().get(cell)) return JsonError(e, where);
    } else if (t == od::json_type::number) {
      cell = Trim(v.raw_json_token());
      double x;
      if (auto e = v.get_double().get(x)) return JsonError(e, where);
    } else if (t == od::json_type::boolean) {
      bool b;
      if (auto e = v.get_bool().get(b)) return JsonError(e, where);
      cell = b ? "true" : "false";
    } else if (t != od::json_type::null) {
      return Status::InvalidInput(where + ": field '" + std::string(key) + "' must be a string, number, boolean or null");
    }
    req->inputs[static_cast<size_t>(i)].cells.back() = cell;
  }
  return Status::Ok();
}

}  // namespace

Status ParseRowsRequest(const Model& m, std::string_view body, size_t capacity, InferRequest* req) {
  thread_local od::parser parser;
  od::document doc;
  if (auto e = parser.iterate(simdjson::padded_string_view(body.data(), body.size(), capacity)).get(doc)) {
    return JsonError(e, "request");
  }
  od::array rows;
  if (auto e = doc.get_array().get(rows)) return JsonError(e, "request (expected an array of row objects)");
  const auto& fields = m.fields();
  req->inputs.resize(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    req->inputs[i].name = fields[i];
    req->inputs[i].dtype = DataType::kBytes;
  }
  int64_t r = 0;
  for (auto el : rows) {
    od::object row;
    if (auto e = el.get_object().get(row)) return JsonError(e, "row " + std::to_string(r) + " (expected an object)");
    for (auto& in : req->inputs) in.cells.emplace_back();
    MING_RETURN_IF_ERROR(ParseRow(m, row, r, req));
    ++r;
  }
  const char* rest;
  if (doc.current_location().get(rest) == simdjson::SUCCESS) return Status::InvalidInput("malformed JSON in request: trailing content");
  for (auto& in : req->inputs) in.shape = {r};
  return Status::Ok();
}

namespace {

// ,"contributions":{field: c, ..},"base_value":b,"explained":"..","method":".." for row r.
void AppendExplanation(const Model& m, const RowExplanations& e, int64_t r, std::string& o) {
  o += ",\"contributions\":{";
  for (int f = 0; f < e.fields; ++f) {
    if (f) o += ',';
    json::String(o, m.fields()[static_cast<size_t>(f)]);
    o += ':';
    json::Number(o, e.contributions[static_cast<size_t>(r * e.fields + f)]);
  }
  o += "},\"base_value\":";
  json::Number(o, e.base[static_cast<size_t>(r)]);
  o += ",\"explained\":";
  json::String(o, e.target[static_cast<size_t>(r)]);
  o += e.exact[static_cast<size_t>(r)] ? ",\"method\":\"exact\"" : ",\"method\":\"sampling\"";
}

}  // namespace

std::string RenderRows(const Model& m, const InferResult& res) {
  std::string o = "[";
  const auto& classes = m.classes();
  for (int64_t r = 0; r < res.rows; ++r) {
    if (r) o += ',';
    if (res.classes == 0) {
      o += "{\"value\":";
      const double v = res.values[static_cast<size_t>(r)];
      if (std::isfinite(v)) json::Number(o, v); else o += "null";
    } else {
      o += "{\"label\":";
      json::String(o, classes[static_cast<size_t>(res.class_index[static_cast<size_t>(r)])]);
      o += ",\"probabilities\":{";
      for (int k = 0; k < res.classes; ++k) {
        if (k) o += ',';
        json::String(o, classes[static_cast<size_t>(k)]);
        o += ':';
        json::Number(o, res.probabilities[static_cast<size_t>(r * res.classes + k)]);
      }
      o += '}';
    }
    if (res.explained) AppendExplanation(m, res.explain, r, o);
    o += '}';
  }
  return o + "]";
}

}  // namespace ming::server
