#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

// 2026-04-25T10:05:30.123Z
constexpr millis sample = 1777111530123;

TEST(Clock, NowIsCurrent) {
  // 2024-01-01 < now < 2100-01-01: catches seconds-vs-ms and epoch mistakes.
  EXPECT_GT(now_millis(), 1704067200000);
  EXPECT_LT(now_millis(), 4102444800000);
}

TEST(Clock, FormatsWithThreeFractionDigits) {
  EXPECT_EQ(format_rfc3339_ms(sample), "2026-04-25T10:05:30.123Z");
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1709164800007), "2024-02-29T00:00:00.007Z");  // leap day
  EXPECT_EQ(format_rfc3339_ms(253402300799999), "9999-12-31T23:59:59.999Z");
}

TEST(Clock, RoundTripsAcrossTheRange) {
  for (millis t : {millis{0}, millis{1}, sample, millis{951782400000} /* 2000-02-29 */,
                   millis{4107542399999} /* 2100-02-28T23:59:59.999 */, millis{253402300799999}}) {
    const auto back = parse_rfc3339(format_rfc3339_ms(t));
    ASSERT_TRUE(back) << t;
    EXPECT_EQ(*back, t);
  }
  for (millis t = 0; t < 253402300799999; t += 7777777777777) {
    EXPECT_EQ(parse_rfc3339(format_rfc3339_ms(t)), t) << format_rfc3339_ms(t);
  }
}

TEST(Clock, ParsesOffsets) {
  EXPECT_EQ(parse_rfc3339("2026-04-25T19:05:30.123+09:00"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25T05:35:30.123-04:30"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.123+00:00"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.123z"), sample);
  // An offset that crosses midnight into the previous day.
  EXPECT_EQ(parse_rfc3339("2026-04-26T01:05:30.123+15:00"), sample);
}

TEST(Clock, NoOffsetIsUtc) {
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.123"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25 10:05:30.123"), sample);
}

TEST(Clock, FractionDigits) {
  // Python's isoformat(): six digits, truncated to ms (never rounded up).
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.123999"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.123456789Z"), sample);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.1Z"), sample - 23);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30.12Z"), sample - 3);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30Z"), sample - 123);
  EXPECT_EQ(parse_rfc3339("2026-04-25T10:05:30"), sample - 123);
}

TEST(Clock, RefusesGarbage) {
  for (const char* bad : {"", "garbage", "2026-04-25", "2026-04-25T10:05", "2026-04-25T10:05:30.",
                          "2026-04-25T10:05:30.123Zjunk", "2026-04-25T10:05:30+0900",
                          "2026-04-25T10:05:30+09", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                          "2026-04-31T00:00:00Z", "2026-04-25T24:00:00Z", "2026-04-25T10:60:00Z",
                          "2026-04-25T10:05:61Z", "2026-04-25T10:05:30+24:00", "2026-4-25T10:05:30Z",
                          "2026-04-25X10:05:30Z", " 2026-04-25T10:05:30Z", "2026-04-25T10:05:30Z ",
                          "+026-04-25T10:05:30Z", "2026-04-25T10:05:30.-1Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

}  // namespace
}  // namespace sorak
