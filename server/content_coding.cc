// Content-Encoding: parsing the field and inflating the body with zlib.
#include "server/content_coding.h"

#include <strings.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>

namespace ming::server {
namespace {

bool Is(std::string_view token, const char* name) {
  return token.size() == std::strlen(name) && strncasecmp(token.data(), name, token.size()) == 0;
}

const char* Name(Coding c) { return c == Coding::kGzip ? "gzip" : "deflate"; }

// A zlib stream's two header bytes (RFC 1950 2.2): method 8 (deflate), a window of at most
// 32 KiB, and the check bits.
bool ZlibHeader(std::string_view in) {
  if (in.size() < 2) return false;
  const auto cmf = static_cast<unsigned char>(in[0]), flg = static_cast<unsigned char>(in[1]);
  return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && (cmf * 256u + flg) % 31 == 0;
}

bool GzipMagic(std::string_view in, size_t at) {
  return in.size() - at >= 2 && static_cast<unsigned char>(in[at]) == 0x1f &&
         static_cast<unsigned char>(in[at + 1]) == 0x8b;
}

struct Inflater {
  z_stream z{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&z);
  }
};

// out = `in` decoded from `coding`, at most `limit` bytes (see DecodeBody).
int Inflate(std::string_view in, Coding coding, size_t limit, std::string& out,
            std::string& error) {
  const bool gzip = coding == Coding::kGzip;
  Inflater f;
  const int window = gzip ? 16 + MAX_WBITS : ZlibHeader(in) ? MAX_WBITS : -MAX_WBITS;
  if (inflateInit2(&f.z, window) != Z_OK) {
    error = "out of memory decoding the request body";
    return 500;
  }
  f.ready = true;
  const std::string what = std::string("the request body's ") + Name(coding) + " data";
  const size_t cap_max = limit == SIZE_MAX ? limit : limit + 1;  // one byte over: too long
  out.clear();
  size_t size = 0, pos = 0;  // bytes produced and consumed
  for (;;) {
    if (size == out.size()) {
      out.resize(std::min(cap_max, std::max<size_t>({size * 2, in.size() * 4, 16384})));
    }
    const size_t give = std::min<size_t>(in.size() - pos, UINT_MAX);
    const size_t room = std::min<size_t>(out.size() - size, UINT_MAX);
    f.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + pos));
    f.z.avail_in = static_cast<uInt>(give);
    f.z.next_out = reinterpret_cast<Bytef*>(out.data() + size);
    f.z.avail_out = static_cast<uInt>(room);
    const int rc = inflate(&f.z, Z_NO_FLUSH);
    const size_t used = give - f.z.avail_in, made = room - f.z.avail_out;
    pos += used;
    size += made;
    if (size > limit) break;
    if (rc == Z_STREAM_END) {
      if (pos == in.size()) {
        out.resize(size);
        return 0;
      }
      // RFC 1952 2.2: a gzip file is a series of members.
      if (gzip && GzipMagic(in, pos) && inflateReset(&f.z) == Z_OK) continue;
      error = std::to_string(in.size() - pos) + " bytes follow the end of " + what +
              " (from compressed byte " + std::to_string(pos) + ")";
      return 400;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      const char* why = rc == Z_NEED_DICT ? "needs a preset dictionary"
                        : f.z.msg         ? f.z.msg
                                          : "invalid";
      error =
          what + " is not valid: " + why + " (near compressed byte " + std::to_string(pos) + ")";
      return 400;
    }
    if (rc == Z_MEM_ERROR) {
      error = "out of memory decoding the request body";
      return 500;
    }
    // Z_OK or Z_BUF_ERROR: more room helps, more input does not exist.
    if (f.z.avail_out != 0 && pos == in.size()) {
      error = what + " ends early (after " + std::to_string(pos) + " bytes)";
      return 400;
    }
    if (used == 0 && made == 0 && f.z.avail_out != 0) {  // no progress with room and input
      error = what + " cannot be decoded (near compressed byte " + std::to_string(pos) + ")";
      return 400;
    }
  }
  error = "the request body decoded from " + std::string(Name(coding)) + " exceeds the limit of " +
          std::to_string(limit) + " bytes";
  return 413;
}

}  // namespace

std::string ParseCodings(std::string_view value, Codings& out) {
  size_t at = 0;
  while (at <= value.size()) {
    size_t end = value.find(',', at);
    if (end == std::string_view::npos) end = value.size();
    std::string_view token = value.substr(at, end - at);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
      token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    at = end + 1;
    if (token.empty() || Is(token, "identity")) continue;  // RFC 9110 5.6.1: empty elements
    Coding c;
    if (Is(token, "gzip") || Is(token, "x-gzip")) {
      c = Coding::kGzip;
    } else if (Is(token, "deflate")) {
      c = Coding::kDeflate;
    } else {
      std::string e = "Content-Encoding ";
      e.append(token.substr(0, 64));
      return e + " is not supported (ming reads gzip, deflate and identity)";
    }
    if (out.n == Codings::kMax) {
      return "Content-Encoding lists more than " + std::to_string(Codings::kMax) + " codings";
    }
    out.list[out.n++] = c;
  }
  return "";
}

int DecodeBody(const Codings& codings, std::string& body, size_t limit, std::string& error) {
  std::string decoded;
  for (int i = codings.n - 1; i >= 0; --i) {
    if (const int code = Inflate(body, codings.list[i], limit, decoded, error)) return code;
    body.swap(decoded);
  }
  if (body.capacity() < body.size() + 64) body.reserve(body.size() + 64);  // simdjson padding
  return 0;
}

}  // namespace ming::server
