// parse_request_target (http/message.hpp): what every HTTP request's target
// becomes before routing.
#include "http/message.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

TEST(RequestTarget, SplitsThePathFromPercentDecodedQueryParameters) {
  http_request r;
  ASSERT_TRUE(parse_request_target("/api/jkt48/chat-stream-sr?room_id=100001&since=2026-04-25T10%3A05%3A30Z&x=a%20b", r));
  EXPECT_EQ(r.path, "/api/jkt48/chat-stream-sr");
  EXPECT_EQ(r.query_value("room_id"), "100001");
  EXPECT_EQ(r.query_value("since"), "2026-04-25T10:05:30Z");
  EXPECT_EQ(r.query_value("x"), "a b");
  EXPECT_FALSE(r.query_value("missing").has_value());
}

TEST(RequestTarget, RefusesTargetsThatAreNotOriginForm) {
  http_request r;
  EXPECT_FALSE(parse_request_target("http://example.com/x", r)) << "absolute form is for proxies";
  EXPECT_FALSE(parse_request_target("no-leading-slash", r));
  EXPECT_FALSE(parse_request_target("/bad%zzescape", r));
}

}  // namespace
}  // namespace sorak
