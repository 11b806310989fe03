// ParseInferRequest on its own: every field of the wrong JSON type is refused with a message
// naming that field; missing/duplicate members; unknown members at each level are skipped;
// number tokens keep their text; datatypes against element kinds; and the binary tensor
// extension (every datatype decoded, BYTES framing, sizes against the body).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "server/v2_json.h"

// GCC 12's false -Wrestrict on string concatenation (see router_util.h).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

namespace ming::server {
namespace {

// Parses body[0, json_len) as the JSON header (npos: all of it) with the HTTP layer's padding.
Status Parse(const std::string& body, InferRequest* req, size_t json_len = std::string::npos) {
  thread_local std::string buf;
  buf.clear();
  buf.reserve(body.size() + 64);
  buf = body;
  return ParseInferRequest(buf, buf.capacity(), json_len == std::string::npos ? buf.size() : json_len, req);
}

std::string ParseError(const std::string& body) {
  InferRequest req;
  const Status st = Parse(body, &req);
  EXPECT_EQ(st.code(), st.ok() ? StatusCode::kOk : StatusCode::kInvalidInput);
  return st.ok() ? "ok" : st.message();
}

// One input tensor {"name":"x", "datatype":dtype, "shape":[n], <rest>} as a whole request.
std::string One(const std::string& dtype, const std::string& rest, const std::string& shape = "[1]") {
  return "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + dtype + "\",\"shape\":" + shape + "," + rest + "}]}";
}

// Each field of the wrong JSON type gets a 400-class error naming the field.
TEST(V2Parse, WrongJsonTypesNameTheField) {
  const std::pair<std::string, std::string> cases[] = {
      {R"({"inputs":{}})", "malformed JSON in inputs: "},
      {R"({"inputs":[1]})", "malformed JSON in inputs: "},
      {R"({"id":5,"inputs":[]})", "malformed JSON in id: "},
      {R"({"inputs":[],"outputs":{}})", "malformed JSON in outputs: "},
      {R"({"inputs":[],"outputs":[3]})", "malformed JSON in outputs: "},
      {R"({"inputs":[],"outputs":[{"name":3}]})", "malformed JSON in output name: "},
      {R"({"inputs":[],"outputs":[{"name":"label","parameters":{"binary_data":"yes"}}]})",
       "malformed JSON in binary_data: "},
      {R"({"inputs":[],"parameters":[]})", "malformed JSON in parameters: "},
      {R"({"inputs":[],"parameters":{"binary_data_output":1}})", "malformed JSON in binary_data_output: "},
      {R"({"inputs":[],"parameters":{"explain":"yes"}})",
       "malformed JSON in parameters.explain (expected true or false): "},
      {R"({"inputs":[{"name":3,"datatype":"FP32","shape":[1],"data":[1]}]})", "malformed JSON in input name: "},
      {R"({"inputs":[{"name":"x","datatype":32,"shape":[1],"data":[1]}]})", "malformed JSON in datatype: "},
      {One("FP32", "\"parameters\":{\"binary_data_size\":\"4\"}"), "malformed JSON in binary_data_size: "},
      {One("FP32", "\"parameters\":7"), "malformed JSON in parameters: "},
      {One("FP32", "\"data\":[1]", "3"), "malformed JSON in shape: "},
      {One("FP32", "\"data\":[1]", "[\"1\"]"), "malformed JSON in shape: "},
      {One("FP32", "\"data\":[{\"a\":1}]"), "input 'x': data elements must be strings, numbers, booleans or null"},
      {One("BYTES", "\"data\":[\"\\q\"]"), "malformed JSON in data: "},
      {One("BOOL", "\"data\":[trux]"), "malformed JSON in data: "},
      {One("FP32", "\"data\":[[[[[[[[[[1]]]]]]]]]]"), "input 'x': data nested too deeply"},
      {R"({"inputs":[],"extra":[1 2]})", "malformed JSON in request: "},
      {R"({"inputs":[],"extra":{"a" 1}})", "malformed JSON in request: "},
      {R"({"inputs":[{"name" "x"}]})", "malformed JSON in inputs: "},
      {R"({"inputs":[1 2]})", "malformed JSON in inputs: "},
      {R"({"inputs":[],"outputs":[{"name" "x"}]})", "malformed JSON in outputs: "},
      {R"({"inputs":[],"outputs":[{"name":"a"} {"name":"b"}]})", "malformed JSON in outputs: "},
      {R"({"inputs":[],"parameters":{"a" 1}})", "malformed JSON in parameters: "},
      {One("FP32", "\"data\":[1 2]"), "malformed JSON in data: "},
      {One("FP32", "\"data\":[1]", "[1 2]"), "malformed JSON in shape: "},
      {R"({"id" "a","inputs":[]})", "malformed JSON in request: "},
      {"[1]", "malformed JSON in request: "},
      {"", "malformed JSON in request: "},
  };
  for (const auto& [body, want] : cases) {
    const std::string got = ParseError(body);
    EXPECT_EQ(got.rfind(want, 0), 0u) << body << "\n  got: " << got;
  }
}

// Structural errors: missing members (naming the input when it has a name), data and binary
// size both or neither, no inputs, unnamed output, more than 4 outputs, nesting, trailing bytes.
TEST(V2Parse, MissingAndExtraMembers) {
  EXPECT_EQ(ParseError(R"({"inputs":[{"datatype":"FP32","shape":[1],"data":[1]}]})"),
            "every input needs \"name\", \"datatype\" and \"shape\"");
  EXPECT_EQ(ParseError(R"({"inputs":[{"name":"age","datatype":"FP32","data":[1]}]})"),
            "every input needs \"name\", \"datatype\" and \"shape\" (input 'age')");
  EXPECT_EQ(ParseError(R"({"inputs":[{"name":"age","shape":[1],"data":[1]}]})"),
            "every input needs \"name\", \"datatype\" and \"shape\" (input 'age')");
  EXPECT_EQ(ParseError(One("FP32", "\"data\":[1],\"parameters\":{\"binary_data_size\":4}")),
            "input 'x' needs exactly one of \"data\" or binary_data_size");
  EXPECT_EQ(ParseError(One("FP32", "\"parameters\":{}")), "input 'x' needs exactly one of \"data\" or binary_data_size");
  EXPECT_EQ(ParseError(R"({"id":"a"})"), "the request has no \"inputs\"");
  EXPECT_EQ(ParseError(R"({"inputs":[],"outputs":[{"parameters":{"binary_data":true}}]})"),
            "every requested output needs a \"name\"");
  EXPECT_EQ(ParseError(R"({"inputs":[],"outputs":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"}]})"), "ok");
  EXPECT_EQ(ParseError(R"({"inputs":[],"outputs":[{"name":"a"},{"name":"b"},{"name":"c"},{"name":"d"},{"name":"e"}]})"),
            "more than 4 requested outputs");
  const std::string deep = std::string(70, '[') + std::string(70, ']');
  EXPECT_EQ(ParseError(R"({"inputs":[],"extra":)" + deep + "}"), "JSON nested more than 64 levels deep");
  EXPECT_EQ(ParseError(R"({"inputs":[],"parameters":{"x":)" + deep + "}}"), "JSON nested more than 64 levels deep");
  EXPECT_EQ(ParseError(R"({"inputs":[]} {})"), "malformed JSON in request: trailing content");
  EXPECT_EQ(ParseError(One("UNKNOWN", "\"data\":[1]")), "unknown datatype 'UNKNOWN'");
  EXPECT_EQ(ParseError(One("FP32", "\"data\":[1]", "[-2]")), "shape dimensions must be >= 0");
}

// Members the parser does not use are skipped at every level (nested ones included), and
// parameters that belong to another level are ignored there.
TEST(V2Parse, UnknownMembersAreSkipped) {
  InferRequest req;
  const Status st = Parse(
      R"({"extra":{"a":[1,{"b":null}],"c":"d"},"id":"r7",)"
      R"("parameters":{"binary_data_size":3,"other":[true],"explain":true},)"
      R"("inputs":[{"name":"x","datatype":"FP32","shape":[2],"comment":{"k":[]},)"
      R"("parameters":{"explain":"no","binary_data":"no","tag":1},"data":[1,null]}],)"
      R"("outputs":[{"name":"label","note":[1,2],"parameters":{"binary_data_size":"no","binary_data":true}}]})",
      &req);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(req.id, "r7");
  EXPECT_TRUE(req.explain);
  EXPECT_FALSE(req.binary_outputs);
  ASSERT_EQ(req.inputs.size(), 1u);
  EXPECT_EQ(req.inputs[0].cells, (std::vector<std::string_view>{"1", ""}));
  ASSERT_EQ(req.outputs.size(), 1u);
  EXPECT_EQ(req.outputs[0].name, "label");
  EXPECT_TRUE(req.outputs[0].binary);
}

// Numbers keep their JSON text (whitespace after them trimmed); integer datatypes refuse
// a number with a fraction or exponent.
TEST(V2Parse, NumberTokensKeepTheirText) {
  InferRequest req;
  ASSERT_TRUE(Parse(One("FP64", "\"data\":[1.50 , 2e1\t,\n-3\r\n, 4 ]", "[4]"), &req).ok());
  EXPECT_EQ(req.inputs[0].cells, (std::vector<std::string_view>{"1.50", "2e1", "-3", "4"}));
  EXPECT_EQ(ParseError(One("INT32", "\"data\":[7, 1.50]", "[2]")),
            "input 'x': element 1 ('1.50') does not match datatype INT32");
  EXPECT_EQ(ParseError(One("UINT8", "\"data\":[1E2]")), "input 'x': element 0 ('1E2') does not match datatype UINT8");
}

// Element kinds against datatypes: BOOL takes booleans, BYTES strings, integer types
// integers, floats numbers; null is a missing value in every one.
TEST(V2Parse, DatatypesAgainstElementKinds) {
  InferRequest req;
  ASSERT_TRUE(Parse(One("BOOL", "\"data\":[true,false,null]", "[3]"), &req).ok());
  EXPECT_EQ(req.inputs[0].cells, (std::vector<std::string_view>{"1", "0", ""}));
  EXPECT_EQ(ParseError(One("BOOL", "\"data\":[1]")), "input 'x': element 0 ('1') does not match datatype BOOL");
  EXPECT_EQ(ParseError(One("BYTES", "\"data\":[\"a\",2]", "[2]")), "input 'x': element 1 ('2') does not match datatype BYTES");
  EXPECT_EQ(ParseError(One("INT64", "\"data\":[true]")), "input 'x': element 0 ('1') does not match datatype INT64");
  EXPECT_EQ(ParseError(One("FP64", "\"data\":[\"x\"]")), "input 'x': element 0 ('x') does not match datatype FP64");
  EXPECT_EQ(ParseError(One("FP32", "\"data\":[false]")), "input 'x': element 0 ('0') does not match datatype FP32");
  for (const char* t : {"INT8", "INT16", "UINT16", "UINT32", "UINT64", "FP32", "BYTES", "BOOL"}) {
    EXPECT_EQ(ParseError(One(t, "\"data\":[null]")), "ok") << t;
  }
  // With several kinds out of place, the error names the first such element, whatever
  // its kind, also when the datatype comes after the data.
  EXPECT_EQ(ParseError(One("INT32", "\"data\":[1,null,\"a\",2.5,true]", "[5]")),
            "input 'x': element 2 ('a') does not match datatype INT32");
  EXPECT_EQ(ParseError(One("INT32", "\"data\":[1,2.5,\"a\",true]", "[4]")),
            "input 'x': element 1 ('2.5') does not match datatype INT32");
  EXPECT_EQ(ParseError("{\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"data\":[\"a\",true,1],\"datatype\":\"BYTES\"}]}"),
            "input 'x': element 1 ('1') does not match datatype BYTES");
}

// A request whose only input is binary: JSON header, then `raw`.
Status ParseBinary(const std::string& dtype, const std::string& raw, InferRequest* req,
                   int64_t declared = -1) {
  const std::string head = One(dtype, "\"parameters\":{\"binary_data_size\":" +
                                          std::to_string(declared >= 0 ? declared : static_cast<int64_t>(raw.size())) + "}");
  return Parse(head + raw, req, head.size());
}

template <class T>
std::string Bytes(std::initializer_list<T> v) {
  std::string s(v.size() * sizeof(T), '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

std::vector<std::string> Cells(const InferRequest& req) {
  return {req.inputs[0].cells.begin(), req.inputs[0].cells.end()};
}

// Every datatype of the binary extension decodes to the cell text of its values.
TEST(V2Parse, BinaryDatatypesDecode) {
  struct Case {
    const char* dtype;
    std::string raw;
    std::vector<std::string> cells;
  };
  const Case cases[] = {
      {"BOOL", std::string("\x00\x02\x01", 3), {"0", "1", "1"}},
      {"INT8", Bytes<int8_t>({-5, 127}), {"-5", "127"}},
      {"INT16", Bytes<int16_t>({-300, 32767}), {"-300", "32767"}},
      {"INT32", Bytes<int32_t>({-70000}), {"-70000"}},
      {"INT64", Bytes<int64_t>({-9000000000000000000}), {"-9000000000000000000"}},
      {"UINT8", Bytes<uint8_t>({255}), {"255"}},
      {"UINT16", Bytes<uint16_t>({65535, 7}), {"65535", "7"}},
      {"UINT32", Bytes<uint32_t>({4000000000u}), {"4000000000"}},
      {"UINT64", Bytes<uint64_t>({18446744073709551615u}), {"18446744073709551615"}},
      {"FP32", Bytes<float>({0.5f, -2.25f}), {"0.5", "-2.25"}},
      {"FP64", Bytes<double>({0.1}), {"0.1"}},
  };
  for (const Case& c : cases) {
    InferRequest req;
    const std::string shape = "[" + std::to_string(c.cells.size()) + "]";
    const std::string head = One(c.dtype, "\"parameters\":{\"binary_data_size\":" + std::to_string(c.raw.size()) + "}", shape);
    const Status st = Parse(head + c.raw, &req, head.size());
    ASSERT_TRUE(st.ok()) << c.dtype << ": " << st.message();
    EXPECT_EQ(Cells(req), c.cells) << c.dtype;
    EXPECT_FALSE(req.inputs[0].has_nonfinite) << c.dtype;
  }
  InferRequest req;
  ASSERT_TRUE(ParseBinary("FP32", Bytes<float>({std::numeric_limits<float>::quiet_NaN()}), &req).ok());
  EXPECT_TRUE(req.inputs[0].has_nonfinite);
  InferRequest req64;
  ASSERT_TRUE(ParseBinary("FP64", Bytes<double>({-std::numeric_limits<double>::infinity()}), &req64).ok());
  EXPECT_TRUE(req64.inputs[0].has_nonfinite);
}

// BYTES in binary: 4-byte little-endian length then the bytes; a short prefix or an element
// longer than what is left is refused.
TEST(V2Parse, BinaryBytesFraming) {
  InferRequest req;
  const std::string ok = Bytes<uint32_t>({2}) + "ab" + Bytes<uint32_t>({0}) + Bytes<uint32_t>({1}) + "\xff";
  ASSERT_TRUE(ParseBinary("BYTES", ok, &req).ok());
  EXPECT_EQ(Cells(req), (std::vector<std::string>{"ab", "", "\xff"}));
  InferRequest r2;
  EXPECT_EQ(ParseBinary("BYTES", Bytes<uint32_t>({1}) + "a" + "\x01\x00", &r2).message(),
            "input 'x' binary data: truncated length prefix");
  InferRequest r3;
  EXPECT_EQ(ParseBinary("BYTES", Bytes<uint32_t>({5}) + "abcd", &r3).message(),
            "input 'x' binary data: element longer than the data");
}

// Sizes in the binary extension: the JSON header past the body, a tensor past the body,
// bytes left after the last tensor, a size that is not a whole number of elements.
TEST(V2Parse, BinarySizesAgainstTheBody) {
  InferRequest req;
  EXPECT_EQ(Parse("{\"inputs\":[]}", &req, 100).message(), "Inference-Header-Content-Length exceeds the body");
  InferRequest r2;
  EXPECT_EQ(ParseBinary("FP32", Bytes<float>({1.f}), &r2, 8).message(), "input 'x': binary_data_size exceeds the body");
  InferRequest r3;
  EXPECT_EQ(ParseBinary("FP32", Bytes<float>({1.f}) + "xyz", &r3, 4).message(), "the body has 3 bytes after the last tensor");
  InferRequest r4;
  EXPECT_EQ(ParseBinary("INT16", "abc", &r4).message(), "input 'x' binary data: size is not a multiple of the element size");
  InferRequest r5;  // a zero-size tensor is an empty one
  ASSERT_TRUE(ParseBinary("FP32", "", &r5).ok());
  EXPECT_TRUE(r5.inputs[0].cells.empty());
}

}  // namespace
}  // namespace ming::server
