#include "net/client_address.hpp"

#include <gtest/gtest.h>

namespace sorak {
namespace {

ip_key ip(std::string_view s) {
  auto k = parse_ip(s);
  EXPECT_TRUE(k) << s;
  return k.value_or(ip_key{});
}

trusted_proxies trusting(std::initializer_list<std::string_view> ranges) {
  std::vector<address_range> out;
  for (auto r : ranges) {
    auto parsed = parse_address_range(r);
    EXPECT_TRUE(parsed) << r;
    if (parsed) out.push_back(*parsed);
  }
  return trusted_proxies(std::move(out));
}

TEST(ClientAddress, AddressesParseAndPrintAsWritten) {
  EXPECT_EQ(ip_text(ip("203.0.113.7")), "203.0.113.7");
  EXPECT_EQ(ip_text(ip(" 2001:db8::1 ")), "2001:db8::1");
  EXPECT_EQ(ip_text(ip("[2001:db8::1]")), "2001:db8::1");
  EXPECT_EQ(ip("::ffff:10.1.2.3"), ip("10.1.2.3")) << "one key for an IPv4 address however written";
  for (std::string_view bad : {"", "unknown", "1.2.3", "1.2.3.4:80", "300.1.1.1", "example.com", "1.2.3.4 5.6.7.8"})
    EXPECT_FALSE(parse_ip(bad)) << bad;
}

TEST(ClientAddress, RangesMatchTheirPrefixOnly) {
  auto net = parse_address_range("10.0.0.0/8");
  ASSERT_TRUE(net);
  EXPECT_TRUE(net->contains(ip("10.200.3.4")));
  EXPECT_FALSE(net->contains(ip("11.0.0.1")));
  auto one = parse_address_range("127.0.0.1");
  ASSERT_TRUE(one);
  EXPECT_TRUE(one->contains(ip("127.0.0.1")));
  EXPECT_FALSE(one->contains(ip("127.0.0.2")));
  auto v6 = parse_address_range("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::9")));
  EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
  EXPECT_FALSE(v6->contains(ip("10.0.0.1")));
  auto odd = parse_address_range("192.168.1.128/25");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("192.168.1.200")));
  EXPECT_FALSE(odd->contains(ip("192.168.1.127")));
  for (std::string_view bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "2001:db8::/129", "nginx", "/8", "10.0.0.0/8/8"})
    EXPECT_FALSE(parse_address_range(bad)) << bad;
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItSends) {
  const auto proxies = trusting({"127.0.0.1"});
  EXPECT_EQ(client_address(ip("198.51.100.9"), "203.0.113.7", proxies), ip("198.51.100.9"));
  EXPECT_EQ(client_address(ip("127.0.0.1"), "203.0.113.7", trusted_proxies()), ip("127.0.0.1"))
      << "no --trusted-proxy: the header means nothing";
}

TEST(ClientAddress, BehindTrustedProxiesTheRightMostUntrustedAddressIsTheClient) {
  const auto proxies = trusting({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(client_address(ip("127.0.0.1"), "203.0.113.7", proxies), ip("203.0.113.7"));
  // What the client wrote itself is left of what nginx appended: it cannot pick its address.
  EXPECT_EQ(client_address(ip("127.0.0.1"), "1.1.1.1, 203.0.113.7", proxies), ip("203.0.113.7"));
  // Through two proxies (a CDN edge in 10/8, then nginx).
  EXPECT_EQ(client_address(ip("127.0.0.1"), "203.0.113.7, 10.1.1.1", proxies), ip("203.0.113.7"));
  EXPECT_EQ(client_address(ip("127.0.0.1"), "2001:db8::5,10.1.1.1", proxies), ip("2001:db8::5"));
  // Several header lines joined, empty entries skipped.
  EXPECT_EQ(client_address(ip("127.0.0.1"), "203.0.113.7,, ", proxies), ip("203.0.113.7"));
}

TEST(ClientAddress, NoHeaderAllTrustedOrGarbageFallBackToTheNearestHop) {
  const auto proxies = trusting({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(client_address(ip("127.0.0.1"), "", proxies), ip("127.0.0.1")) << "a request nginx did not forward";
  EXPECT_EQ(client_address(ip("127.0.0.1"), "10.2.2.2, 10.1.1.1", proxies), ip("10.2.2.2")) << "every hop trusted";
  EXPECT_EQ(client_address(ip("127.0.0.1"), "203.0.113.7, unknown, 10.1.1.1", proxies), ip("10.1.1.1"))
      << "nothing left of an entry that is not an address is believed";
  EXPECT_EQ(client_address(ip("127.0.0.1"), "garbage", proxies), ip("127.0.0.1"));
}

}  // namespace
}  // namespace sorak
