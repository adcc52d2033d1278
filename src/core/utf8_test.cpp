#include "core/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sorak {
namespace {

TEST(Utf8, AcceptsEveryLengthOfSequence) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("hello"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9"));                // é, 2 bytes
  EXPECT_TRUE(is_valid_utf8("\xe3\x81\x93\xe3\x82\x93"));   // こん, 3 bytes each
  EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));           // 😀, 4 bytes
  EXPECT_TRUE(is_valid_utf8("\xed\x9f\xbf"));               // U+D7FF, just below surrogates
  EXPECT_TRUE(is_valid_utf8("\xee\x80\x80"));               // U+E000, just above
  EXPECT_TRUE(is_valid_utf8("\xf4\x8f\xbf\xbf"));           // U+10FFFF, the last code point
  EXPECT_TRUE(is_valid_utf8(std::string("a\0b", 3)));       // NUL is valid UTF-8
}

TEST(Utf8, RefusesOverlongForms) {
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // '/' in two bytes
  EXPECT_FALSE(is_valid_utf8("\xc1\xbf"));
  EXPECT_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // '/' in three bytes
  EXPECT_FALSE(is_valid_utf8("\xe0\x9f\xbf"));      // U+07FF in three bytes
  EXPECT_FALSE(is_valid_utf8("\xf0\x80\x80\xaf"));  // '/' in four bytes
  EXPECT_FALSE(is_valid_utf8("\xf0\x8f\xbf\xbf"));  // U+FFFF in four bytes
}

TEST(Utf8, RefusesSurrogates) {
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));  // U+D800
  EXPECT_FALSE(is_valid_utf8("\xed\xbf\xbf"));  // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\xbd\xed\xb8\x80"));  // CESU-8 style pair
}

TEST(Utf8, RefusesBeyondU10FFFF) {
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\xff"));
  EXPECT_FALSE(is_valid_utf8("\xfe"));
}

TEST(Utf8, RefusesTruncatedAndStrayBytes) {
  EXPECT_FALSE(is_valid_utf8("\xc3"));
  EXPECT_FALSE(is_valid_utf8("\xe3\x81"));
  EXPECT_FALSE(is_valid_utf8("\xf0\x9f\x98"));
  EXPECT_FALSE(is_valid_utf8("ok\xf0\x9f\x98"));
  EXPECT_FALSE(is_valid_utf8("\x80"));             // continuation without a lead
  EXPECT_FALSE(is_valid_utf8("a\xbf" "b"));
  EXPECT_FALSE(is_valid_utf8("\xe3\x41\x93"));     // ASCII where a continuation belongs
  EXPECT_FALSE(is_valid_utf8("\xf0\x9f\x98\x41"));
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(count_code_points(""), 0u);
  EXPECT_EQ(count_code_points("abc"), 3u);
  EXPECT_EQ(count_code_points("caf\xc3\xa9"), 4u);
  EXPECT_EQ(count_code_points("\xe3\x81\x93\xe3\x82\x93"), 2u);
  EXPECT_EQ(count_code_points("\xf0\x9f\x98\x80\xf0\x9f\x98\x80!"), 3u);
}

}  // namespace
}  // namespace sorak
