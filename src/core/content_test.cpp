#include "core/content.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sorak {
namespace {

const std::string grin = "\xf0\x9f\x98\x80";  // 😀, one code point, four bytes

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

std::string code_of(const result<std::string>& r) { return r.ok() ? "ok" : r.err().code; }

TEST(Content, TrimsAsciiWhiteSpace) {
  const auto r = validate_content(" \t\r\n\v\f hello world \n\t ", 500);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hello world");
}

TEST(Content, TrimsUnicodeSpaces) {
  // U+3000 ideographic space, U+00A0 no-break space, U+FEFF BOM, U+2003 em space.
  const auto r = validate_content("\xe3\x80\x80\xc2\xa0\xef\xbb\xbfhi\xe2\x80\x83\xe3\x80\x80", 500);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "hi");
}

TEST(Content, KeepsInnerWhiteSpaceNewlinesAndTabs) {
  const auto r = validate_content("  line one\nline\ttwo\xe3\x80\x80three  ", 500);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "line one\nline\ttwo\xe3\x80\x80three");
}

TEST(Content, EmptyOrWhiteSpaceOnlyIsEmpty) {
  for (const char* raw : {"", " ", "\n\t \r", "\xe3\x80\x80\xc2\xa0", "\xe2\x80\xa8\xe2\x80\xa9"}) {
    const auto r = validate_content(raw, 500);
    ASSERT_FALSE(r.ok()) << raw;
    EXPECT_EQ(r.err().code, "empty_content");
    EXPECT_EQ(r.err().http_status, 400);
    EXPECT_EQ(r.err().message, "Message is empty");
  }
}

TEST(Content, RefusesControlCharacters) {
  EXPECT_EQ(code_of(validate_content(std::string("a\0b", 3), 500)), "invalid_content");
  EXPECT_EQ(code_of(validate_content("a\x07" "b", 500)), "invalid_content");   // BEL
  EXPECT_EQ(code_of(validate_content("a\x1b[31mred", 500)), "invalid_content"); // ESC
  EXPECT_EQ(code_of(validate_content("a\rb", 500)), "invalid_content");        // inner CR
  EXPECT_EQ(code_of(validate_content("a\x7f" "b", 500)), "invalid_content");   // DEL
  EXPECT_EQ(code_of(validate_content("a\xc2\x85" "b", 500)), "invalid_content");  // U+0085 (C1)
  EXPECT_EQ(code_of(validate_content("a\xc2\x9f" "b", 500)), "invalid_content");  // U+009F
  EXPECT_EQ(code_of(validate_content("a\xc2\xa1" "b", 500)), "ok");                // U+00A1, not C1
}

TEST(Content, RefusesInvalidUtf8) {
  const auto r = validate_content("hi \xff there", 500);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.err().code, "invalid_content");
  EXPECT_EQ(r.err().http_status, 400);
  EXPECT_EQ(code_of(validate_content("  \xed\xa0\x80  ", 500)), "invalid_content");
}

TEST(Content, LengthCountsCodePoints) {
  const auto ok = validate_content(repeat(grin, 500), 500);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 2000u);
  const auto long_one = validate_content(repeat(grin, 501), 500);
  ASSERT_FALSE(long_one.ok());
  EXPECT_EQ(long_one.err().code, "message_too_long");
  EXPECT_EQ(long_one.err().http_status, 400);
  EXPECT_NE(long_one.err().message.find("500"), std::string::npos) << long_one.err().message;
}

TEST(Content, LengthIsMeasuredAfterTrimming) {
  EXPECT_TRUE(validate_content("   " + std::string(10, 'x') + "   ", 10).ok());
  EXPECT_EQ(code_of(validate_content(std::string(11, 'x'), 10)), "message_too_long");
  EXPECT_TRUE(validate_content("x", 1).ok());
}

}  // namespace
}  // namespace sorak
