#include "core/log_text.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

namespace sorak {
namespace {

TEST(LogQuoted, PlainTextIsQuotedAsIs) { EXPECT_EQ(quote_for_log("bob"), "\"bob\""); }

TEST(LogQuoted, ANewlineCannotStartAForgedLine) {
  const std::string s = quote_for_log("bob\n2026-01-01T00:00:00.000Z info admin logged in");
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(s, "\"bob\\n2026-01-01T00:00:00.000Z info admin logged in\"");
}

TEST(LogQuoted, ControlCharactersQuotesAndBackslashesAreEscaped) {
  const std::string s = quote_for_log(std::string("a\r\x1b[31mb\"c\\d\0e", 14));
  for (char c : s) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << s;
  EXPECT_EQ(s, "\"a\\r\\u001b[31mb\\\"c\\\\d\\u0000e\"");
}

TEST(LogQuoted, LongTextIsCutAtACodePointBoundaryAndMarked) {
  std::string s(9, 'x');
  s += "é";  // bytes 9 and 10
  EXPECT_EQ(quote_for_log(s, 10), "\"xxxxxxxxx\"…");  // the cut would fall inside é: it goes whole
  EXPECT_EQ(quote_for_log(s, 11), "\"xxxxxxxxxé\"");
  EXPECT_EQ(quote_for_log(std::string(500, 'y')).size(), 2 + 200 + std::string("…").size());
}

TEST(LogQuoted, QuotesWhenTheLineIsFormatted) {
  const std::string id = "bob\nforged";
  EXPECT_EQ(fmt::format("user={}", log_quoted(id)), "user=\"bob\\nforged\"");
  EXPECT_EQ(fmt::format("{}", log_quoted(id, 3)), "\"bob\"…");
}

}  // namespace
}  // namespace sorak
