// The response JSON writer: strings are escaped, and bytes that are not valid UTF-8 (a URL
// path or a binary BYTES cell echoed in an error message) become U+FFFD, so every body
// parses as JSON; NaN and infinity are written as null. Found by the repo_resolver fuzz
// target (a model name "\xf5\xff...") and oip_json (a NaN probability).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <limits>
#include <string>

#include "server/json_out.h"

namespace ming::server {
namespace {

std::string Quoted(std::string_view s) {
  std::string o;
  json::String(o, s);
  return o;
}

TEST(JsonOut, EscapesAndKeepsValidUtf8) {
  EXPECT_EQ(Quoted("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
  const std::string utf8 = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // é € 😀
  EXPECT_EQ(Quoted(utf8), "\"" + utf8 + "\"");
  EXPECT_EQ(nlohmann::json::parse(Quoted(utf8)).get<std::string>(), utf8);
}

TEST(JsonOut, ReplacesInvalidUtf8) {
  const std::string bad[] = {"\xff", "\xf5\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                             "\xf4\x90\x80\x80", "\xc3", "\xe2\x82", "\x80", "ok\xc3("};
  for (const std::string& s : bad) {
    const std::string q = Quoted(s);
    EXPECT_TRUE(nlohmann::json::accept(q)) << q;
    EXPECT_NE(q.find("\\ufffd"), std::string::npos) << q;
  }
  EXPECT_EQ(Quoted("ok\xc3("), "\"ok\\ufffd(\"");
}

TEST(JsonOut, NonFiniteNumbersAreNull) {
  std::string o;
  json::Number(o, std::numeric_limits<float>::quiet_NaN());
  o += ',';
  json::Number(o, -std::numeric_limits<double>::infinity());
  o += ',';
  json::Number(o, 0.5f);
  EXPECT_EQ(o, "null,null,0.5");
}

}  // namespace
}  // namespace ming::server
