#include "core/gift_catalog.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(gift_catalog, defaults_hold_star_heart_and_clap) {
  auto c = gift_catalog::defaults();
  ASSERT_NE(c.find("star"), nullptr);
  EXPECT_EQ(c.find("star")->stars, 10);
  EXPECT_EQ(c.find("star")->gift_name, "Star");
  EXPECT_NE(c.find("heart"), nullptr);
  EXPECT_NE(c.find("clap"), nullptr);
  EXPECT_EQ(c.find("yacht"), nullptr);
}

TEST(gift_catalog, parses_a_file_and_refuses_bad_entries) {
  auto ok = gift_catalog::parse(R"({"gifts":[{"gift_id":"lightstick","gift_name":"Lightstick","stars":3}]})");
  ASSERT_TRUE(ok) << ok.err().message;
  ASSERT_EQ(ok->all().size(), 1u);
  EXPECT_EQ(ok->find("lightstick")->stars, 3);
  for (const char* bad :
       {R"([])", R"({"gifts":[]})", R"({"gifts":[{"gift_id":"Star!","gift_name":"x","stars":1}]})",
        R"({"gifts":[{"gift_id":"a","gift_name":"","stars":1}]})",
        R"({"gifts":[{"gift_id":"a","gift_name":"A","stars":-1}]})",
        R"({"gifts":[{"gift_id":"a","gift_name":"A","stars":1},{"gift_id":"a","gift_name":"B","stars":2}]})",
        "not json"}) {
    auto r = gift_catalog::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.err().code, "invalid_gift_catalog");
  }
}

TEST(gift_catalog, prices_quantities_from_1_to_100) {
  auto c = gift_catalog::defaults();
  auto g = price_gift(c, "star", 5);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->gift_id, "star");
  EXPECT_EQ(g->quantity, 5);
  EXPECT_EQ(g->total_stars, 50);
  EXPECT_TRUE(price_gift(c, "star", 100));
  EXPECT_EQ(price_gift(c, "star", 0).err().code, "invalid_quantity");
  EXPECT_EQ(price_gift(c, "star", 101).err().code, "invalid_quantity");
  EXPECT_EQ(price_gift(c, "nope", 1).err().code, "unknown_gift");
}

}  // namespace
}  // namespace sorak
