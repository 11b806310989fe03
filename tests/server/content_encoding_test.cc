// Compressed request bodies (Content-Encoding: gzip, deflate), as Triton's clients send them
// with request_compression_algorithm set: the decoder on its own (every prefix and bit flip
// of a gzip body, the size cap, stray bytes, gzip members, stacked codings), then the real
// server over HTTP: the answers equal the uncompressed request's, a body compressed by the
// `gzip` program (an encoder other than zlib) is read, a Triton-style binary request is
// answered byte for byte as when sent plain, and 415/400/413 name what is wrong.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "server/content_coding.h"
#include "server_util.h"

namespace ming::servertest {
namespace {

using nlohmann::json;
using server::Codings;
using server::DecodeBody;
using server::ParseCodings;

// `data` compressed by zlib: window_bits 31 gzip, 15 zlib ("deflate"), -15 raw deflate.
std::string Compress(const std::string& data, int window_bits) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string Gzip(const std::string& data) { return Compress(data, 31); }

Codings ParseOk(const std::string& value) {
  Codings c;
  EXPECT_EQ(ParseCodings(value, c), "") << value;
  return c;
}

// Decodes `body` under `value`; returns the status and leaves the result or error in `out`.
int DecodeAs(const std::string& value, std::string body, std::string& out, size_t limit = 1 << 20) {
  std::string error;
  const int code = DecodeBody(ParseOk(value), body, limit, error);
  out = code == 0 ? body : error;
  return code;
}

const std::string kText = [] {
  std::string s;
  for (int i = 0; i < 2000; ++i) s += "{\"row\":" + std::to_string(i * 7919 % 1000) + "},";
  return s;
}();

TEST(ContentCoding, ParsesListsCaseAndIdentity) {
  Codings c = ParseOk("GZip , identity,,deflate");
  ASSERT_EQ(c.n, 2);
  EXPECT_EQ(c.list[0], server::Coding::kGzip);
  EXPECT_EQ(c.list[1], server::Coding::kDeflate);
  EXPECT_EQ(ParseOk("identity").n, 0);
  EXPECT_EQ(ParseOk("").n, 0);
  EXPECT_EQ(ParseOk("x-gzip").list[0], server::Coding::kGzip);
  c = {};
  EXPECT_EQ(ParseCodings("gzip, br", c),
            "Content-Encoding br is not supported (ming reads gzip, deflate and identity)");
  c = {};
  EXPECT_NE(ParseCodings("compress", c), "");
  c = {};
  EXPECT_NE(ParseCodings("gzip;q=1", c), "");  // content codings take no parameters
  c = {};
  EXPECT_EQ(ParseCodings("gzip,gzip,gzip,gzip,gzip", c),
            "Content-Encoding lists more than 4 codings");
  // A second field appends to the first.
  c = {};
  EXPECT_EQ(ParseCodings("gzip", c), "");
  EXPECT_EQ(ParseCodings("deflate", c), "");
  EXPECT_EQ(c.n, 2);
}

TEST(ContentCoding, DecodesGzipZlibAndRawDeflate) {
  std::string out;
  EXPECT_EQ(DecodeAs("gzip", Gzip(kText), out), 0);
  EXPECT_EQ(out, kText);
  EXPECT_EQ(DecodeAs("deflate", Compress(kText, 15), out), 0);
  EXPECT_EQ(out, kText);
  EXPECT_EQ(DecodeAs("deflate", Compress(kText, -15), out), 0);
  EXPECT_EQ(out, kText);
  EXPECT_EQ(DecodeAs("identity", kText, out), 0);
  EXPECT_EQ(out, kText);
  // Applied in order gzip then deflate, so decoded deflate first.
  EXPECT_EQ(DecodeAs("gzip, deflate", Compress(Gzip(kText), 15), out), 0);
  EXPECT_EQ(out, kText);
  // RFC 1952: members one after another decode to their contents joined.
  EXPECT_EQ(DecodeAs("gzip", Gzip("abc") + Gzip("def"), out), 0);
  EXPECT_EQ(out, "abcdef");
  // An empty body compressed is an empty body.
  EXPECT_EQ(DecodeAs("gzip", Gzip(""), out), 0);
  EXPECT_EQ(out, "");
}

TEST(ContentCoding, DecodedBodyHasPaddingForSimdjson) {
  std::string body = Gzip(kText), error;
  ASSERT_EQ(DecodeBody(ParseOk("gzip"), body, 1 << 20, error), 0);
  EXPECT_GE(body.capacity(), body.size() + 64);
}

// The cap holds on the decoded size: exactly the limit passes, one byte less is 413, and a
// bomb (3 MB of zeros in about 3 KB) stops at the limit.
TEST(ContentCoding, DecodedSizeIsCapped) {
  std::string out;
  EXPECT_EQ(DecodeAs("gzip", Gzip(kText), out, kText.size()), 0);
  ASSERT_EQ(DecodeAs("gzip", Gzip(kText), out, kText.size() - 1), 413);
  EXPECT_EQ(out, "the request body decoded from gzip exceeds the limit of " +
                     std::to_string(kText.size() - 1) + " bytes");
  const std::string bomb = Gzip(std::string(3'000'000, '\0'));
  ASSERT_LT(bomb.size(), 10'000u);
  EXPECT_EQ(DecodeAs("gzip", bomb, out, 65536), 413);
  // Each stacked layer is capped too.
  EXPECT_EQ(DecodeAs("gzip, gzip", Gzip(bomb), out, 65536), 413);
}

TEST(ContentCoding, BadDataNamesTheCodingAndByte) {
  std::string out;
  EXPECT_EQ(DecodeAs("gzip", kText, out), 400);
  EXPECT_EQ(
      out,
      "the request body's gzip data is not valid: incorrect header check (near compressed byte 2)");
  const std::string z = Gzip(kText);
  EXPECT_EQ(DecodeAs("gzip", z.substr(0, 30), out), 400);
  EXPECT_EQ(out, "the request body's gzip data ends early (after 30 bytes)");
  EXPECT_EQ(DecodeAs("gzip", z + "junk", out), 400);
  EXPECT_EQ(out, "4 bytes follow the end of the request body's gzip data (from compressed byte " +
                     std::to_string(z.size()) + ")");
  EXPECT_EQ(DecodeAs("deflate", Compress(kText, 15) + "x", out), 400);
  EXPECT_NE(out.find("1 bytes follow the end of the request body's deflate data"),
            std::string::npos)
      << out;
  std::string bad_crc = z;
  bad_crc[bad_crc.size() - 6] ^= 1;  // the CRC-32 in the trailer
  EXPECT_EQ(DecodeAs("gzip", bad_crc, out), 400);
  EXPECT_EQ(out.rfind("the request body's gzip data is not valid: incorrect data check", 0), 0u)
      << out;
}

// Every prefix and every single-bit flip of a gzip body: decoded, or refused with 400, never
// anything else (the CRC-32 and length in the trailer catch nearly every flip).
TEST(ContentCoding, EveryPrefixAndBitFlip) {
  const std::string text = kText.substr(0, 600);
  const std::string z = Gzip(text);
  std::string out;
  for (size_t n = 0; n < z.size(); ++n) {
    const int code = DecodeAs("gzip", z.substr(0, n), out);
    EXPECT_EQ(code, 400) << n;
  }
  int decoded = 0;
  for (size_t bit = 0; bit < z.size() * 8; ++bit) {
    std::string flipped = z;
    flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
    const int code = DecodeAs("gzip", flipped, out);
    ASSERT_TRUE(code == 0 || code == 400) << bit << ": " << code;
    if (code == 0) {
      ++decoded;  // a flip no check can see (below)
      EXPECT_TRUE(out == text) << bit;
    }
  }
  // At most the header fields nothing checks (MTIME, XFL, OS: 48 bits; FTEXT: 1) and the
  // unused bits that pad the last deflate byte (up to 7).
  EXPECT_LE(decoded, 48 + 1 + 7);
}

// ---- The real server ----

std::string Triton(const std::string& plain_body, std::string* json_part) {
  // The request Triton's Python client builds by default: every input as binary data after
  // the JSON, binary_data_size per input, binary_data_output for every output.
  json req = json::parse(plain_body);
  std::string raw;
  for (auto& in : req["inputs"]) {
    std::string t;
    for (const auto& v : in["data"]) {
      const std::string s = v.get<std::string>();
      const auto n = static_cast<uint32_t>(s.size());
      t.append(reinterpret_cast<const char*>(&n), 4);
      t += s;
    }
    in.erase("data");
    in["parameters"] = {{"binary_data_size", t.size()}};
    raw += t;
  }
  req["parameters"] = {{"binary_data_output", true}};
  *json_part = req.dump();
  return *json_part + raw;
}

TEST(ServeContentEncoding, CompressedRequestsAnswerAsPlainOnes) {
  const InferModel& m = TinyInferModel();
  Server s(m.path + " --max-body-mib 1");
  ASSERT_GT(s.port(), 0);
  const std::string url = "/v2/models/inv/infer";
  const HttpResult plain = Http(s.port(), "POST", url, m.heavy);
  ASSERT_EQ(plain.status, 200) << plain.body;
  for (const auto& [coding, data] : {std::pair<std::string, std::string>{"gzip", Gzip(m.heavy)},
                                     {"deflate", Compress(m.heavy, 15)},
                                     {"deflate", Compress(m.heavy, -15)},
                                     {"x-gzip, identity", Gzip(m.heavy)}}) {
    ASSERT_LT(data.size() * 4, m.heavy.size()) << coding;
    const HttpResult r = Http(s.port(), "POST", url, data, {"Content-Encoding: " + coding});
    EXPECT_EQ(r.status, 200) << coding << ": " << r.body;
    EXPECT_EQ(r.body, plain.body) << coding;
  }
  // Compressed by the gzip program, not zlib.
  const std::string path = testing::TempDir() + "/ming_ce_" + std::to_string(::getpid());
  std::ofstream(path) << m.heavy;
  std::string gz;
  if (FILE* p = ::popen(("gzip -9 -c '" + path + "'").c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) gz.append(buf, n);
    EXPECT_EQ(::pclose(p), 0);
  }
  std::remove(path.c_str());
  ASSERT_GT(gz.size(), 20u);
  const HttpResult r = Http(s.port(), "POST", url, gz, {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, plain.body);
  EXPECT_EQ(s.Terminate(), 0);
}

// Triton's client compresses the whole body, binary tensors included; its
// Inference-Header-Content-Length is the JSON's length before compression.
TEST(ServeContentEncoding, TritonBinaryRequestCompressed) {
  const InferModel& m = TinyInferModel();
  Server s(m.path);
  ASSERT_GT(s.port(), 0);
  std::string head;
  const std::string body = Triton(m.heavy, &head);
  const std::string ihl = "Inference-Header-Content-Length: " + std::to_string(head.size());
  const HttpResult plain = Http(s.port(), "POST", "/v2/models/inv/infer", body, {ihl});
  ASSERT_EQ(plain.status, 200) << plain.body;
  ASSERT_TRUE(plain.headers.count("inference-header-content-length"));
  const HttpResult zipped =
      Http(s.port(), "POST", "/v2/models/inv/infer", Gzip(body), {ihl, "Content-Encoding: gzip"});
  ASSERT_EQ(zipped.status, 200) << zipped.body;
  EXPECT_EQ(zipped.body, plain.body);
  EXPECT_EQ(zipped.headers.at("inference-header-content-length"),
            plain.headers.at("inference-header-content-length"));
  // The answer is not compressed (identity is always acceptable, RFC 9110 12.5.3).
  EXPECT_EQ(zipped.headers.count("content-encoding"), 0u);
  EXPECT_EQ(s.Terminate(), 0);
}

TEST(ServeContentEncoding, RefusalsNameTheProblemAndServingGoesOn) {
  const InferModel& m = TinyInferModel();
  Server s(m.path + " --max-body-mib 1");
  ASSERT_GT(s.port(), 0);
  const std::string url = "/v2/models/inv/infer";
  HttpResult r = Http(s.port(), "POST", url, Gzip(m.body), {"Content-Encoding: br"});
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.headers["accept-encoding"], "gzip, deflate");
  EXPECT_EQ(json::parse(r.body)["error"],
            "Content-Encoding br is not supported (ming reads gzip, deflate and identity)");
  r = Http(s.port(), "POST", url, Gzip(m.body), {"Content-Encoding: \"gzip\""});
  EXPECT_EQ(r.status, 415);
  EXPECT_NO_THROW(json::parse(r.body)) << r.body;  // the quotes are escaped
  r = Http(s.port(), "POST", url, m.body, {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      json::parse(r.body)["error"],
      "the request body's gzip data is not valid: incorrect header check (near compressed byte 2)");
  r = Http(s.port(), "POST", url, Gzip(m.body).substr(0, 40), {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"],
            "the request body's gzip data ends early (after 40 bytes)");
  r = Http(s.port(), "POST", url, Gzip(std::string(3'000'000, ' ')), {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(json::parse(r.body)["error"],
            "the request body decoded from gzip exceeds the limit of 1048576 bytes");
  r = Http(s.port(), "POST", url, m.body);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(s.Terminate(), 0);
}

}  // namespace
}  // namespace ming::servertest
