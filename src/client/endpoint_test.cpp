// endpoint_test.cpp: base URLs, percent-encoding and request targets.
#include "client/endpoint.hpp"

#include <gtest/gtest.h>

namespace sorak::client {
namespace {

TEST(Endpoint, ParsesHostPortAndPrefix) {
  auto ep = parse_base_url("http://127.0.0.1:8080/chat/");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, "8080");
  EXPECT_EQ(ep->base_path, "/chat");
}

TEST(Endpoint, DefaultsToPort80AndAcceptsWs) {
  auto ep = parse_base_url("ws://example.org");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->port, "80");
  EXPECT_EQ(ep->base_path, "");
}

TEST(Endpoint, RefusesTlsAndOtherSchemes) {
  EXPECT_FALSE(parse_base_url("https://example.org").ok());
  EXPECT_FALSE(parse_base_url("ftp://example.org").ok());
  EXPECT_FALSE(parse_base_url("not a url").ok());
}

TEST(Endpoint, IPv6HostHasNoBrackets) {
  auto ep = parse_base_url("http://[::1]:9000");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
}

TEST(Endpoint, EncodesEverythingButUnreserved) {
  EXPECT_EQ(url_encode("a.b-c_d~e"), "a.b-c_d~e");
  EXPECT_EQ(url_encode("a b/c?d=e&f"), "a%20b%2Fc%3Fd%3De%26f");
  EXPECT_EQ(url_encode("ü"), "%C3%BC");
}

TEST(Endpoint, TargetJoinsPrefixPathAndQuery) {
  endpoint ep{"h", "1", "/base"};
  EXPECT_EQ(make_target(ep, stream_path("100001") + "/chat/history", {{"limit", "100"}, {"before", "x y"}}),
            "/base/api/v1/streams/100001/chat/history?limit=100&before=x%20y");
}

TEST(Endpoint, SplitUrlKeepsQuery) {
  auto located = split_url("ws://h:5/a/b?token=t");
  ASSERT_TRUE(located.ok());
  EXPECT_EQ(located->ep.port, "5");
  EXPECT_EQ(located->target, "/a/b?token=t");
}

}  // namespace
}  // namespace sorak::client
