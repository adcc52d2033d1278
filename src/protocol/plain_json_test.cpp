// plain_json_test.cpp: numbers as the seeds print them (seed 000's
// "messages_per_minute": 18.2), never Boost.JSON's exponent form.
#include "protocol/plain_json.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "protocol/showroom_json.hpp"

namespace sorak {
namespace {

namespace json = boost::json;

TEST(PlainJson, DoublesArePlainDecimalsThatKeepAFraction) {
  EXPECT_EQ(serialize_plain(json::object{{"messages_per_minute", 2.0}}), R"({"messages_per_minute":2.0})");
  EXPECT_EQ(serialize_plain(json::object{{"messages_per_minute", 15.5}}), R"({"messages_per_minute":15.5})");
  EXPECT_EQ(serialize_plain(json::object{{"messages_per_minute", 18.2}}), R"({"messages_per_minute":18.2})");
  EXPECT_EQ(serialize_plain(json::object{{"x", 0.0}}), R"({"x":0.0})");
  EXPECT_EQ(serialize_plain(json::object{{"x", -0.5}}), R"({"x":-0.5})");
  EXPECT_EQ(serialize_plain(json::object{{"x", 1234567.0}}), R"({"x":1234567.0})");
}

TEST(PlainJson, IntegersAndStringsAreUntouched) {
  const json::object o{{"n", 42}, {"s", "2E0 and 1.55E1"}, {"q", "a \"3E1\" quote"}, {"neg", -7}};
  EXPECT_EQ(serialize_plain(o), json::serialize(o));
}

TEST(PlainJson, NestedDoublesToo) {
  const json::value v = json::array{1.5, json::object{{"k", 100.0}}, "E"};
  EXPECT_EQ(serialize_plain(v), R"([1.5,{"k":100.0},"E"])");
}

TEST(PlainJson, ShowroomStatsPrintMessagesPerMinuteAsTheSeedDoes) {
  stream s;
  s.started_at = 0;
  stats_snapshot st;
  st.total_messages = 2;
  const std::string text = serialize_plain(showroom_stats(st, s, 60'000));
  EXPECT_NE(text.find(R"("messages_per_minute":2.0)"), std::string::npos) << text;
  EXPECT_EQ(text.find("E0"), std::string::npos) << text;
}

}  // namespace
}  // namespace sorak
