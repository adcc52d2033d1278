#include "core/webhook_rules.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

namespace sorak {
namespace {

TEST(WebhookUrl, HttpAndHttpsWithAHostAreTaken) {
  auto t = parse_webhook_url("https://Bots.Example.org/hooks/sorak?team=7");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->https);
  EXPECT_EQ(t->host, "bots.example.org");
  EXPECT_EQ(t->port, "443");
  EXPECT_EQ(t->target, "/hooks/sorak?team=7");
  auto plain = parse_webhook_url("http://[2001:db8::1]:8080");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->https);
  EXPECT_EQ(plain->host, "2001:db8::1");
  EXPECT_EQ(plain->port, "8080");
  EXPECT_EQ(plain->target, "/");
}

TEST(WebhookUrl, EverythingElseIsInvalidUrl) {
  for (const char* bad : {"", "ftp://example.org/x", "file:///etc/passwd", "gopher://example.org", "example.org/hook",
                          "//example.org/hook", "http://", "http://user:pw@example.org/", "javascript:alert(1)",
                          "http://example.org:0/", "http://exa mple.org/"}) {
    auto t = parse_webhook_url(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.err().code, "invalid_url") << bad;
  }
  EXPECT_EQ(parse_webhook_url("http://example.org/" + std::string(2000, 'a')).err().code, "invalid_url");
}

TEST(WebhookUrl, PrivateAndLoopbackLiteralsAreRefusedUnlessAllowed) {
  for (const char* inside : {"http://127.0.0.1:9000/", "http://10.1.2.3/", "http://172.16.0.1/", "http://172.31.255.255/",
                             "http://192.168.1.10/", "http://169.254.169.254/latest/meta-data", "http://100.64.0.1/",
                             "http://0.0.0.0/", "http://[::1]/", "http://[fd00::1]/", "http://[fe80::1]/",
                             "http://[::ffff:127.0.0.1]/", "http://localhost:8080/", "http://api.localhost/",
                             "http://224.0.0.1/"}) {
    auto t = check_webhook_url(inside, false);
    ASSERT_FALSE(t.ok()) << inside;
    EXPECT_EQ(t.err().code, "private_url") << inside;
    EXPECT_TRUE(check_webhook_url(inside, true).ok()) << inside;
  }
  for (const char* outside : {"http://8.8.8.8/", "http://172.32.0.1/", "http://192.169.0.1/", "http://[2001:db8::1]/",
                              "https://hooks.example.com/", "http://100.128.0.1/"})
    EXPECT_TRUE(check_webhook_url(outside, false).ok()) << outside;
}

TEST(WebhookUrl, NamesAreJudgedOnlyOnceTheyResolve) {
  EXPECT_FALSE(is_private_host("hooks.example.com").has_value());
  EXPECT_TRUE(is_private_host("10.0.0.1").value());
  EXPECT_FALSE(is_private_host("93.184.216.34").value());
}

TEST(WebhookSignature, IsHmacSha256OfTimestampDotBodyInHex) {
  const std::string secret = "whsec_test";
  const std::string body = R"({"id":"d1","event":"message"})";
  const std::string header = webhook_signature(secret, 1777111530, body);
  ASSERT_EQ(header.rfind("t=1777111530,v1=", 0), 0u) << header;
  const std::string hex = header.substr(std::string("t=1777111530,v1=").size());
  EXPECT_EQ(hex.size(), 64u);
  const std::string text = "1777111530." + body;
  unsigned char mac[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), mac, &len);
  char want[65];
  for (unsigned i = 0; i < len; ++i) snprintf(want + 2 * i, 3, "%02x", mac[i]);
  EXPECT_EQ(hex, std::string(want, 64));
  EXPECT_NE(webhook_signature("other", 1777111530, body), header);
  EXPECT_NE(webhook_signature(secret, 1777111531, body), header);
}

TEST(WebhookSecret, IsLongRandomAndPrefixed) {
  const auto a = new_webhook_secret(), b = new_webhook_secret();
  EXPECT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_EQ(a.size(), 6u + 64u);
  EXPECT_NE(a, b);
}

TEST(WebhookRetry, DoublesFromOneSecondToFiveMinutesAndGivesUpAfterAnHour) {
  EXPECT_EQ(retry_delay(1), 1000);
  EXPECT_EQ(retry_delay(2), 2000);
  EXPECT_EQ(retry_delay(3), 4000);
  EXPECT_EQ(retry_delay(9), 256'000);
  EXPECT_EQ(retry_delay(10), 300'000);
  EXPECT_EQ(retry_delay(1000), 300'000);
  // Enough attempts fit in the hour that a receiver back within it gets everything.
  millis t = 0;
  int n = 0;
  while (!give_up(0, t)) t += retry_delay(++n);
  EXPECT_GE(n, 15);
  EXPECT_FALSE(give_up(1000, 1000 + 3'599'999));
  EXPECT_TRUE(give_up(1000, 1000 + 3'600'000));
}

}  // namespace
}  // namespace sorak
