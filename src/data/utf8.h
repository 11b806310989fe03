// UTF-8 checks for text that ends up in a model file's JSON (names, categories, classes).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ming {

// Well-formed UTF-8: no overlong forms, surrogates or code points above U+10FFFF (what a
// strict JSON parser such as nlohmann's accepts).
bool IsValidUtf8(std::string_view s);
// `s` itself when valid; else with every non-printable-ASCII byte as \xHH, for messages.
std::string EscapeNonUtf8(std::string_view s);

}  // namespace ming
