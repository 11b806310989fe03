// Request bodies sent with a Content-Encoding (RFC 9110 8.4): gzip and deflate, as Triton's
// clients send them when asked to compress requests (request_compression_algorithm), and
// as curl's --compressed-request and most HTTP libraries do. Decoding is zlib's inflate,
// with the decoded size capped by the server's body limit, so a small compressed body
// cannot expand past what an uncompressed one may be.
// Thread-safety: pure functions over caller-owned values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ming::server {

enum class Coding : uint8_t { kGzip, kDeflate };

// A Content-Encoding's codings in the order the sender applied them (identity left out).
struct Codings {
  static constexpr int kMax = 4;
  Coding list[kMax];
  int n = 0;
};

// Parses a Content-Encoding field value: a comma-separated list of content codings,
// case-insensitive ("gzip", "x-gzip", "deflate", "identity"; RFC 9110 8.4.1). Appends to
// `out` (a request may repeat the field); returns "" or the error, naming the coding that
// is not supported or saying the list is too long.
std::string ParseCodings(std::string_view value, Codings& out);

// Decodes body in place, the last applied coding first, each decoded result at most
// `limit` bytes. Returns 0, or the HTTP status of the failure with `error` set: 400 for
// data that is not valid in its coding (corrupt, truncated, or followed by stray bytes),
// naming the coding and the compressed byte at fault; 413 for a decoded body over the
// limit; 500 when zlib runs out of memory. "deflate" is the zlib format (RFC 9110 8.4.1.2); raw
// deflate data, which some clients send under that name, is read too.
int DecodeBody(const Codings& codings, std::string& body, size_t limit, std::string& error);

}  // namespace ming::server
