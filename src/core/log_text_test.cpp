#include "core/log_text.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(LogQuoted, PlainTextIsQuotedAsIs) { EXPECT_EQ(log_quoted("bob"), "\"bob\""); }

TEST(LogQuoted, ANewlineCannotStartAForgedLine) {
  const std::string s = log_quoted("bob\n2026-01-01T00:00:00.000Z info admin logged in");
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_EQ(s, "\"bob\\n2026-01-01T00:00:00.000Z info admin logged in\"");
}

TEST(LogQuoted, ControlCharactersQuotesAndBackslashesAreEscaped) {
  const std::string s = log_quoted(std::string("a\r\x1b[31mb\"c\\d\0e", 14));
  for (char c : s) EXPECT_GE(static_cast<unsigned char>(c), 0x20) << s;
  EXPECT_EQ(s, "\"a\\r\\u001b[31mb\\\"c\\\\d\\u0000e\"");
}

TEST(LogQuoted, LongTextIsCutAtACodePointBoundaryAndMarked) {
  std::string s(9, 'x');
  s += "é";  // bytes 9 and 10
  EXPECT_EQ(log_quoted(s, 10), "\"xxxxxxxxx\"…");  // the cut would fall inside é: it goes whole
  EXPECT_EQ(log_quoted(s, 11), "\"xxxxxxxxxé\"");
  EXPECT_EQ(log_quoted(std::string(500, 'y')).size(), 2 + 200 + std::string("…").size());
}

}  // namespace
}  // namespace sorak
