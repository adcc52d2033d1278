#include "core/showroom_since.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/clock.hpp"

namespace sorak {
namespace {

TEST(ShowroomSince, AbsentOrEmptyMeansNoBound) {
  auto none = parse_showroom_since(std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto empty = parse_showroom_since(std::string_view());
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

TEST(ShowroomSince, ReadsTheSeedsTimestamps) {
  const millis expected = *parse_rfc3339("2026-04-25T10:05:30.123Z");
  for (std::string_view s : {"2026-04-25T10:05:30.123Z", "2026-04-25T10:05:30.123456",  // Python isoformat(): UTC
                             "2026-04-25T19:05:30.123+09:00", "2026-04-25 10:05:30.123"}) {
    auto r = parse_showroom_since(s);
    ASSERT_TRUE(r) << s;
    ASSERT_TRUE(*r) << s;
    EXPECT_EQ(**r, expected) << s;
  }
}

TEST(ShowroomSince, BadTextIs400InvalidSince) {
  for (std::string_view s : {"yesterday", "2026-04-25", "2026-13-01T00:00:00Z", "2026-04-25T10:05:30Zjunk",
                             "1714039530123", "2026-04-25T10:05:60Z"}) {
    auto r = parse_showroom_since(s);
    ASSERT_FALSE(r) << s;
    EXPECT_EQ(r.err().http_status, 400);
    EXPECT_EQ(r.err().code, "invalid_since");
  }
}

}  // namespace
}  // namespace sorak
