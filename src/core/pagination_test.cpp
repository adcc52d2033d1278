#include "core/pagination.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(Pagination, AbsentGivesDefault) {
  const auto r = parse_limit(std::nullopt, 50, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 50);
}

TEST(Pagination, AcceptsValuesInRange) {
  EXPECT_EQ(*parse_limit("1", 50, 100), 1);
  EXPECT_EQ(*parse_limit("37", 50, 100), 37);
  EXPECT_EQ(*parse_limit("100", 50, 100), 100);
}

TEST(Pagination, ClampsAboveMax) {
  EXPECT_EQ(*parse_limit("101", 50, 100), 100);
  EXPECT_EQ(*parse_limit("5000", 50, 100), 100);
  EXPECT_EQ(*parse_limit("99999999999999999999999", 50, 100), 100);
}

TEST(Pagination, RefusesBadValues) {
  for (const char* bad : {"0", "-1", "-99999999999999999999", "", "abc", "10abc", "1.5", " 10", "10 ",
                          "+10", "0x10", "1e2"}) {
    const auto r = parse_limit(bad, 50, 100);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.err().code, "invalid_limit") << bad;
    EXPECT_EQ(r.err().http_status, 400);
  }
}

}  // namespace
}  // namespace sorak
