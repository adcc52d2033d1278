// jwt_fuzz: user tokens (JWT, HS256) as a client presents them → verify.
// Input: the first byte picks the mode; the rest is
//   0: a raw token (forgeries, truncations, padding, alg tricks);
//   1: "HEADER_JSON\nPAYLOAD_JSON", encoded and signed here with the
//      server's secret, so the fuzzer reaches the header and claim checks
//      past a valid signature.
// Invariants: a token is accepted only when its header says exactly HS256
// with no `crit`, its signature matches, `sub` is 1–64 characters, and it is
// neither expired nor not yet valid; a refusal is 401 invalid_token or
// token_expired. A token accepted in mode 0 must carry a correct signature.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/base64url_test_support.hpp"
#include "core/clock.hpp"
#include "core/utf8.hpp"
#include "fuzz_check.hpp"
#include "sorak/auth.hpp"

using namespace sorak;
namespace json = boost::json;

namespace {

constexpr std::string_view secret = "fuzz-secret-0123456789abcdef";

using sorak::test_support::base64url;

std::string sign(std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return base64url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::optional<json::object> object_of(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// What every accepted token must satisfy, given its decoded header and claims.
void check_accepted(const principal& p, const json::object& header, const json::object& claims) {
  const auto* alg = header.if_contains("alg");
  FUZZ_CHECK(alg && alg->is_string() && alg->get_string() == "HS256");
  FUZZ_CHECK(!header.contains("crit"));
  FUZZ_CHECK(!p.user.id.empty() && count_code_points(p.user.id) <= 64);
  const auto* sub = claims.if_contains("sub");
  FUZZ_CHECK(sub && sub->is_string() && sub->get_string() == p.user.id);
  const millis now = now_millis();
  if (const auto* exp = claims.if_contains("exp"); exp && exp->is_number()) {
    FUZZ_CHECK(exp->to_number<double>() * 1000.0 > static_cast<double>(now) - 1000.0);
  }
  if (const auto* nbf = claims.if_contains("nbf"); nbf && nbf->is_number()) {
    FUZZ_CHECK(nbf->to_number<double>() * 1000.0 <= static_cast<double>(now) + 1000.0);
  }
  FUZZ_CHECK(p.user.level >= 0);
  for (const auto& b : p.user.badges) FUZZ_CHECK(b == "verified" || b == "subscriber");
}

void check_refusal(const error& e) {
  FUZZ_CHECK(e.http_status == 401);
  FUZZ_CHECK(e.code == "invalid_token" || e.code == "token_expired");
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const token_verifier verifier{std::string(secret)};
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    auto p = verifier.verify(rest);
    if (!p) return check_refusal(p.err()), 0;
    // Accepted: it must be a well-formed token signed with our secret.
    const auto dot = rest.rfind('.');
    FUZZ_CHECK(dot != std::string_view::npos);
    FUZZ_CHECK(sign(rest.substr(0, dot)) == rest.substr(dot + 1));
    return 0;
  }
  const auto nl = rest.find('\n');
  if (nl == std::string_view::npos) return 0;
  const std::string_view header_text = rest.substr(0, nl), claims_text = rest.substr(nl + 1);
  const std::string signing_input = base64url(header_text) + "." + base64url(claims_text);
  const std::string token = signing_input + "." + sign(signing_input);
  auto p = verifier.verify(token);
  if (!p) return check_refusal(p.err()), 0;
  const auto header = object_of(header_text);
  const auto claims = object_of(claims_text);
  FUZZ_CHECK(header && claims);  // accepted tokens have JSON objects in both parts
  check_accepted(*p, *header, *claims);
  // The same token with a flipped signature bit is refused.
  std::string forged = token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  FUZZ_CHECK(!verifier.verify(forged));
  return 0;
}
