#include "client/terminal_report.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>

#include "client/chat_line.hpp"

namespace sorak::client {
namespace {

// `sorak stats` printed "1 messages".
TEST(count_of, one_is_singular_and_every_other_count_plural) {
  EXPECT_EQ(count_of(1, "message", "messages"), "1 message");
  EXPECT_EQ(count_of(0, "message", "messages"), "0 messages");
  EXPECT_EQ(count_of(2, "gift", "gifts"), "2 gifts");
  EXPECT_EQ(count_of(-1, "star", "stars"), "-1 stars");
}

TEST(sparkline, scales_to_the_largest_value_and_keeps_zero_lowest) {
  EXPECT_EQ(sparkline({}), "");
  EXPECT_EQ(sparkline({0, 0}), "▁▁");
  EXPECT_EQ(sparkline({0, 7, 1, 14}), "▁▅▂█");  // any message shows above an empty minute
  EXPECT_EQ(sparkline({5}), "█");
}

TEST(csv, quotes_only_fields_that_need_it) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(csv, a_gift_row_has_every_column) {
  auto m = boost::json::parse(R"({"id":"m1","created_at":"2026-01-01T00:00:00.000Z","message_type":"gift",
    "user":{"id":"u1","username":"ami","display_name":"Ami, the fan"},"content":"","gift":{"gift_id":"star",
    "gift_name":"Star","quantity":5,"total_stars":50},"stars":50,"reply_to":null})")
               .as_object();
  EXPECT_EQ(csv_row(m), "m1,2026-01-01T00:00:00.000Z,gift,u1,ami,\"Ami, the fan\",,star,5,50,");
  const std::string header = csv_header();
  EXPECT_EQ(std::count(header.begin(), header.end(), ','), 10);
}

TEST(showroom, an_entry_prints_like_the_seed) {
  auto e = boost::json::parse(R"({"id":"sr_msg_002","user":{"user_id":"67890","username":"premium_fan",
    "display_name":"Premium Fan","avatar":"","level":25,"is_premium":true},"message":"","timestamp":
    "2025-06-29T14:31:00.000Z","type":"gift","gifts":{"gift_id":"star","gift_name":"Star","quantity":5,
    "total_stars":50},"stars":50})")
               .as_object();
  EXPECT_EQ(format_chat_line(message_from_showroom(e), display_zone::utc),
            "🎁 [14:31:00] 💎Lv.25 Premium Fan sent 5x Star (50 stars)");
}

}  // namespace
}  // namespace sorak::client
