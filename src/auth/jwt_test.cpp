#include <gtest/gtest.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <string>

#include "auth/base64url_test_support.hpp"
#include "core/clock.hpp"
#include "sorak/auth.hpp"

namespace sorak {
namespace {

const std::string secret = "test-secret-0123456789abcdef0123456789";

// ---- helpers that build tokens by hand, so refusals can be tested ------------

using test_support::base64url;

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string signed_token(std::string_view header_json, std::string_view payload_json,
                         const EVP_MD* md = EVP_sha256(), std::string_view key = secret) {
  const std::string input = base64url(header_json) + "." + base64url(payload_json);
  return input + "." + base64url(hmac(md, key, input));
}

std::string hs256(std::string_view payload_json) {
  return signed_token(R"({"alg":"HS256","typ":"JWT"})", payload_json);
}

std::string seconds_from_now(long long delta) { return std::to_string(now_millis() / 1000 + delta); }

// Same claims, signed by libjwt itself with another algorithm.
std::string libjwt_token(jwt_alg_t alg, std::string_view key) {
  jwt_t* j = nullptr;
  EXPECT_EQ(jwt_new(&j), 0);
  EXPECT_EQ(jwt_set_alg(j, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())),
            0);
  EXPECT_EQ(jwt_add_grant(j, "sub", "u1"), 0);
  char* s = jwt_encode_str(j);
  std::string out = s ? s : "";
  std::free(s);
  jwt_free(j);
  return out;
}

std::string code_of(const result<principal>& r) { return r.ok() ? "ok" : r.err().code; }

void expect_refused(const result<principal>& r, const char* code, const std::string& why) {
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.err().http_status, 401) << why;
  EXPECT_EQ(r.err().code, code) << why;
  EXPECT_FALSE(r.err().message.empty()) << why;
}

const token_verifier verifier{secret};

// ---- round trips ---------------------------------------------------------------

TEST(Jwt, RoundTripsEveryClaim) {
  token_claims c;
  c.sub = "user-42";
  c.username = "alice";
  c.display_name = "Alice \xe3\x81\x82 \"A\"";
  c.avatar_url = "https://cdn.example/a.png";
  c.level = 17;
  c.premium = true;
  c.badges = {"verified", "subscriber"};
  c.read_only = true;
  c.ttl_seconds = 3600;
  const millis before = now_millis();
  const auto p = verifier.verify(mint_token(c, secret));
  ASSERT_TRUE(p.ok()) << p.err().message;
  EXPECT_EQ(p->user.id, "user-42");
  EXPECT_EQ(p->user.username, "alice");
  EXPECT_EQ(p->user.display_name, c.display_name);
  EXPECT_EQ(p->user.avatar_url, c.avatar_url);
  EXPECT_EQ(p->user.level, 17);
  EXPECT_TRUE(p->user.is_premium);
  EXPECT_EQ(p->user.badges, (std::vector<std::string>{"verified", "subscriber"}));
  EXPECT_TRUE(p->read_only);
  EXPECT_GE(p->expires_at, before / 1000 * 1000 + 3600 * 1000);
  EXPECT_LE(p->expires_at, now_millis() + 3600 * 1000);
}

TEST(Jwt, DefaultsFromSub) {
  token_claims c;
  c.sub = "u7";
  c.ttl_seconds = 0;
  const auto p = verifier.verify(mint_token(c, secret));
  ASSERT_TRUE(p.ok()) << p.err().message;
  EXPECT_EQ(p->user.username, "u7");
  EXPECT_EQ(p->user.display_name, "u7");
  EXPECT_EQ(p->user.avatar_url, "");
  EXPECT_EQ(p->user.level, 0);
  EXPECT_FALSE(p->user.is_premium);
  EXPECT_TRUE(p->user.badges.empty());
  EXPECT_FALSE(p->read_only);
  EXPECT_EQ(p->expires_at, 0) << "ttl 0 mints a token without exp";
}

TEST(Jwt, DisplayNameDefaultsToUsername) {
  const auto p = verifier.verify(hs256(R"({"sub":"u1","username":"bob"})"));
  ASSERT_TRUE(p.ok()) << p.err().message;
  EXPECT_EQ(p->user.display_name, "bob");
}

TEST(Jwt, KeepsOnlyGlobalBadges) {
  // A token cannot make its holder a moderator or broadcaster of any stream.
  const auto p = verifier.verify(
      hs256(R"({"sub":"u1","badges":["moderator","verified","broadcaster","vip","subscriber","verified",3]})"));
  ASSERT_TRUE(p.ok()) << p.err().message;
  EXPECT_EQ(p->user.badges, (std::vector<std::string>{"verified", "subscriber"}));
}

TEST(Jwt, AcceptsPastNbfAndFractionalExp) {
  const auto p = verifier.verify(
      hs256(R"({"sub":"u1","nbf":)" + seconds_from_now(-10) + R"(,"exp":)" + seconds_from_now(60) + ".5}"));
  ASSERT_TRUE(p.ok()) << p.err().message;
  EXPECT_EQ(p->expires_at % 1000, 500);
}

TEST(Jwt, SubOfExactly64CharactersIsAccepted) {
  EXPECT_EQ(code_of(verifier.verify(hs256(R"({"sub":")" + std::string(64, 'x') + R"("})"))), "ok");
}

// ---- algorithm -------------------------------------------------------------------

TEST(Jwt, RefusesAlgNone) {
  const std::string payload = R"({"sub":"u1"})";
  const std::string unsigned_input =
      base64url(R"({"alg":"none","typ":"JWT"})") + "." + base64url(payload);
  expect_refused(verifier.verify(unsigned_input + "."), "invalid_token", "none, empty signature");
  expect_refused(verifier.verify(signed_token(R"({"alg":"none"})", payload)), "invalid_token",
                 "none, with a valid HS256 MAC");
  expect_refused(verifier.verify(signed_token(R"({"alg":"None"})", payload)), "invalid_token", "None");
  expect_refused(verifier.verify(libjwt_token(JWT_ALG_NONE, "")), "invalid_token", "libjwt none");
}

TEST(Jwt, RefusesOtherHmacAlgorithmsWithTheSameSecret) {
  const std::string payload = R"({"sub":"u1"})";
  expect_refused(verifier.verify(signed_token(R"({"alg":"HS384"})", payload, EVP_sha384())),
                 "invalid_token", "HS384");
  expect_refused(verifier.verify(signed_token(R"({"alg":"HS512"})", payload, EVP_sha512())),
                 "invalid_token", "HS512");
  expect_refused(verifier.verify(libjwt_token(JWT_ALG_HS384, secret)), "invalid_token", "libjwt HS384");
  expect_refused(verifier.verify(libjwt_token(JWT_ALG_HS512, secret)), "invalid_token", "libjwt HS512");
}

TEST(Jwt, RefusesMislabelledAndMissingAlg) {
  const std::string payload = R"({"sub":"u1"})";
  // An HS256 MAC under an RS256 label: the classic key-confusion shape.
  expect_refused(verifier.verify(signed_token(R"({"alg":"RS256"})", payload)), "invalid_token", "RS256");
  expect_refused(verifier.verify(signed_token(R"({"alg":"hs256"})", payload)), "invalid_token", "hs256");
  expect_refused(verifier.verify(signed_token(R"({"typ":"JWT"})", payload)), "invalid_token", "no alg");
  expect_refused(verifier.verify(signed_token(R"({"alg":null})", payload)), "invalid_token", "null alg");
  expect_refused(verifier.verify(signed_token(R"({"alg":"HS256","crit":["exp"]})", payload)),
                 "invalid_token", "crit");
}

// ---- signature -------------------------------------------------------------------

TEST(Jwt, RefusesBadSignatures) {
  const std::string payload = R"({"sub":"u1"})";
  const std::string good = hs256(payload);
  ASSERT_EQ(code_of(verifier.verify(good)), "ok");
  expect_refused(verifier.verify(signed_token(R"({"alg":"HS256"})", payload, EVP_sha256(), "other-secret")),
                 "invalid_token", "wrong secret");
  const auto last_dot = good.rfind('.');
  const std::string forged_payload = base64url(R"({"sub":"admin"})");
  const std::string forged = good.substr(0, good.find('.') + 1) + forged_payload + good.substr(last_dot);
  expect_refused(verifier.verify(forged), "invalid_token", "payload swapped");
  expect_refused(verifier.verify(good.substr(0, good.size() - 2)), "invalid_token", "truncated MAC");
  expect_refused(verifier.verify(good.substr(0, last_dot + 1)), "invalid_token", "no MAC");
  std::string flipped = good;
  flipped[last_dot + 5] = flipped[last_dot + 5] == 'A' ? 'B' : 'A';
  expect_refused(verifier.verify(flipped), "invalid_token", "one character changed");
}

TEST(Jwt, EmptySecretVerifiesNothing) {
  const token_verifier empty{""};
  expect_refused(empty.verify(signed_token(R"({"alg":"HS256"})", R"({"sub":"u1"})", EVP_sha256(), "")),
                 "invalid_token", "empty secret");
}

// ---- shape ------------------------------------------------------------------------

TEST(Jwt, RefusesMalformedTokens) {
  const std::string good = hs256(R"({"sub":"u1"})");
  for (const std::string& bad : {std::string(""), std::string("abc"), std::string("a.b"),
                                 good + ".extra", std::string(".."), "." + good,
                                 "!!!." + good.substr(good.find('.') + 1),
                                 "Bearer " + good, good + " "}) {
    expect_refused(verifier.verify(bad), "invalid_token", "malformed: " + bad);
  }
  expect_refused(verifier.verify(base64url("not json") + "." + base64url("{}") + ".x"), "invalid_token",
                 "header not JSON");
  expect_refused(verifier.verify(hs256("not json")), "invalid_token", "payload not JSON (validly signed)");
  expect_refused(verifier.verify(hs256(R"(["sub","u1"])")), "invalid_token", "payload not an object");
  // Standard base64 padding is not base64url.
  const std::string padded = base64url(R"({"alg":"HS256"})") + "=." + base64url(R"({"sub":"u1"})");
  expect_refused(verifier.verify(padded + "." + base64url(hmac(EVP_sha256(), secret, padded))),
                 "invalid_token", "padding");
}

// ---- time -------------------------------------------------------------------------

TEST(Jwt, ExpiredIsTokenExpired) {
  expect_refused(verifier.verify(hs256(R"({"sub":"u1","exp":)" + seconds_from_now(-5) + "}")), "token_expired",
                 "exp in the past");
  token_claims c;
  c.sub = "u1";
  c.ttl_seconds = -1;
  expect_refused(verifier.verify(mint_token(c, secret)), "token_expired", "minted with negative ttl");
}

TEST(Jwt, NotYetValidIsInvalidToken) {
  expect_refused(verifier.verify(hs256(R"({"sub":"u1","nbf":)" + seconds_from_now(3600) + "}")),
                 "invalid_token", "nbf in the future");
}

// ---- claims ----------------------------------------------------------------------

TEST(Jwt, RefusesMissingEmptyOrLongSub) {
  expect_refused(verifier.verify(hs256(R"({"username":"x"})")), "invalid_token", "no sub");
  expect_refused(verifier.verify(hs256(R"({"sub":""})")), "invalid_token", "empty sub");
  expect_refused(verifier.verify(hs256(R"({"sub":42})")), "invalid_token", "numeric sub");
  expect_refused(verifier.verify(hs256(R"({"sub":")" + std::string(65, 'x') + R"("})")), "invalid_token",
                 "65-character sub");
}

TEST(Jwt, RefusesClaimsOfTheWrongType) {
  for (const char* claims : {R"({"sub":"u1","level":-1})", R"({"sub":"u1","level":"9"})",
                             R"({"sub":"u1","level":2.5})", R"({"sub":"u1","premium":"yes"})",
                             R"({"sub":"u1","read_only":1})", R"({"sub":"u1","badges":"verified"})",
                             R"({"sub":"u1","username":7})", R"({"sub":"u1","exp":"tomorrow"})"}) {
    expect_refused(verifier.verify(hs256(claims)), "invalid_token", claims);
  }
}

// Found by the jwt fuzzer: a number Boost.JSON reads as NaN was cast to an
// integer (undefined behaviour) instead of being refused.
TEST(Jwt, RefusesATimeClaimThatIsNotANumberOfSeconds) {
  for (const char* claims : {R"({"sub":"u1","nbf":0e2444200})", R"({"sub":"u1","exp":0e2444200})"}) {
    expect_refused(verifier.verify(hs256(claims)), "invalid_token", claims);
  }
}

// ---- constant_time_equal ---------------------------------------------------------

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("admin-key", "admin-key"));
  EXPECT_FALSE(constant_time_equal("admin-key", "admin-kez"));
  EXPECT_FALSE(constant_time_equal("admin-key", "admin-ke"));
  EXPECT_FALSE(constant_time_equal("admin-key", std::string_view("admin-key\0", 10)));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace sorak
