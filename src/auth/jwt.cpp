// jwt.cpp: HS256 user tokens (CONTRACT §3).
//
// verify() does the whole check itself: the header's `alg` must be exactly
// HS256, the HMAC is recomputed with OpenSSL and compared in constant time,
// and the claims are read with Boost.JSON. libjwt 1.x accepts `alg: none` in
// some call patterns and compares signatures with strcmp, so it only mints.
#include "sorak/auth.hpp"

#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/utf8.hpp"

namespace sorak {
namespace json = boost::json;

namespace {

constexpr std::size_t max_sub_length = 64;
// 9999-12-31T23:59:59Z: keeps `exp * 1000` far from int64 overflow.
constexpr double max_numeric_date = 253402300799.0;

error invalid_token(std::string msg) { return error(errc::invalid_token, std::move(msg)); }

// ---- base64url (RFC 4648 §5, no padding) ---------------------------------

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: no padding, no stray characters, and unused trailing bits zero, so
// one byte string has exactly one accepted spelling.
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  std::uint32_t bits = 0;
  int bit_count = 0;
  for (char c : in) {
    const int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<json::object> decode_json_object(std::string_view segment) {
  const auto text = base64url_decode(segment);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

// ---- the three segments ---------------------------------------------------

struct token_parts {
  std::string_view header, payload, signature;
  std::string_view signing_input;  // "header.payload"
};

std::optional<token_parts> split_token(std::string_view jwt) {
  const auto first = jwt.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = jwt.find('.', first + 1);
  if (second == std::string_view::npos || jwt.find('.', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  token_parts p{jwt.substr(0, first), jwt.substr(first + 1, second - first - 1),
                jwt.substr(second + 1), jwt.substr(0, second)};
  if (p.header.empty() || p.payload.empty()) return std::nullopt;
  return p;
}

// Only HS256, and no `crit` extensions, which RFC 7515 §4.1.11 says a
// verifier that does not understand them must refuse.
std::optional<error> check_header(std::string_view segment) {
  const auto header = decode_json_object(segment);
  if (!header) return invalid_token("The token is malformed.");
  const json::value* alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->get_string() != "HS256" || header->contains("crit")) {
    return invalid_token("The token must be signed with HS256.");
  }
  return std::nullopt;
}

bool signature_matches(const token_parts& p, std::string_view secret) {
  const auto given = base64url_decode(p.signature);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(p.signing_input.data());
  if (!given || !HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), data,
                      p.signing_input.size(), mac.data(), &mac_len)) {
    return false;
  }
  return constant_time_equal(*given, std::string_view(reinterpret_cast<const char*>(mac.data()), mac_len));
}

// ---- claims -----------------------------------------------------------------

// Reads optional claims; a claim of the wrong JSON type makes the token
// invalid (its issuer is broken, and guessing would hide that). Absent and
// null read as the default.
class claim_reader {
 public:
  explicit claim_reader(const json::object& claims) : claims_(claims) {}

  std::string text(std::string_view name) {
    const json::value* v = find(name);
    if (!v) return {};
    if (!v->is_string()) {
      fail(name);
      return {};
    }
    return std::string(v->get_string());
  }

  bool flag(std::string_view name) {
    const json::value* v = find(name);
    if (!v) return false;
    if (!v->is_bool()) {
      fail(name);
      return false;
    }
    return v->get_bool();
  }

  std::int64_t level() {
    const json::value* v = find("level");
    if (!v) return 0;
    if (v->is_int64() && v->get_int64() >= 0) return v->get_int64();
    fail("level");
    return 0;
  }

  // Keeps the global badges a token may grant, once each, in token order.
  std::vector<std::string> badges() {
    std::vector<std::string> out;
    const json::value* v = find("badges");
    if (!v) return out;
    if (!v->is_array()) {
      fail("badges");
      return out;
    }
    for (const json::value& b : v->get_array()) {
      if (!b.is_string()) continue;
      const std::string_view s = b.get_string();
      if ((s == "verified" || s == "subscriber") && std::find(out.begin(), out.end(), s) == out.end()) {
        out.emplace_back(s);
      }
    }
    return out;
  }

  // A NumericDate (seconds, possibly fractional) as milliseconds.
  std::optional<millis> time(std::string_view name) {
    const json::value* v = find(name);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      fail(name);
      return std::nullopt;
    }
    const double given = v->to_number<double>();
    if (std::isnan(given)) {  // `0e2444200` parses as NaN: no time at all
      fail(name);
      return std::nullopt;
    }
    const double seconds = std::min(given, max_numeric_date);
    return static_cast<millis>(std::floor(std::max(seconds, 0.0) * 1000.0));
  }

  const std::optional<error>& failure() const { return failure_; }

 private:
  const json::value* find(std::string_view name) const {
    const json::value* v = claims_.if_contains(name);
    return v && !v->is_null() ? v : nullptr;
  }

  void fail(std::string_view name) {
    if (!failure_) failure_ = invalid_token("The token's `" + std::string(name) + "` claim is invalid.");
  }

  const json::object& claims_;
  std::optional<error> failure_;
};

std::optional<error> check_subject(const json::object& claims) {
  const json::value* sub = claims.if_contains("sub");
  if (!sub || !sub->is_string() || sub->get_string().empty()) {
    return invalid_token("The token has no subject (`sub`).");
  }
  if (count_code_points(sub->get_string()) > max_sub_length) {
    return invalid_token("The token's subject (`sub`) is longer than 64 characters.");
  }
  return std::nullopt;
}

// RFC 7519 §4.1.4/§4.1.5: valid while nbf <= now < exp.
std::optional<error> check_times(std::optional<millis> exp, std::optional<millis> nbf, millis now) {
  if (exp && now >= *exp) return error(errc::token_expired);
  if (nbf && now < *nbf) return invalid_token("The token is not valid yet.");
  return std::nullopt;
}

result<principal> to_principal(const json::object& claims) {
  if (auto e = check_subject(claims)) return *e;
  claim_reader r(claims);
  const auto exp = r.time("exp");
  const auto nbf = r.time("nbf");
  principal p;
  p.user.id = std::string(claims.at("sub").get_string());
  p.user.username = r.text("username");
  if (p.user.username.empty()) p.user.username = p.user.id;
  p.user.display_name = r.text("display_name");
  if (p.user.display_name.empty()) p.user.display_name = p.user.username;
  p.user.avatar_url = r.text("avatar_url");
  p.user.level = r.level();
  p.user.is_premium = r.flag("premium");
  p.user.badges = r.badges();
  p.read_only = r.flag("read_only");
  p.expires_at = exp.value_or(0);
  if (r.failure()) return *r.failure();
  if (auto e = check_times(exp, nbf, now_millis())) return *e;
  return p;
}

// ---- minting ----------------------------------------------------------------

json::object claims_json(const token_claims& c, millis now) {
  json::object o;
  o["sub"] = c.sub;
  if (!c.username.empty()) o["username"] = c.username;
  if (!c.display_name.empty()) o["display_name"] = c.display_name;
  if (!c.avatar_url.empty()) o["avatar_url"] = c.avatar_url;
  o["level"] = c.level;
  o["premium"] = c.premium;
  json::array badges;
  for (const auto& b : c.badges) badges.emplace_back(b);
  o["badges"] = std::move(badges);
  o["read_only"] = c.read_only;
  o["iat"] = now / 1000;
  if (c.ttl_seconds != 0) o["exp"] = now / 1000 + c.ttl_seconds;
  return o;
}

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};

void require(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("libjwt: ") + what + " failed");
}

}  // namespace

token_verifier::token_verifier(std::string secret) : secret_(std::move(secret)) {}

result<principal> token_verifier::verify(std::string_view jwt) const {
  const auto parts = split_token(jwt);
  if (!parts) return invalid_token("The token is malformed.");
  if (auto e = check_header(parts->header)) return *e;
  // An empty secret would let anyone sign; refuse rather than accept forgeries.
  if (secret_.empty() || !signature_matches(*parts, secret_)) {
    return invalid_token("The token's signature is invalid.");
  }
  const auto claims = decode_json_object(parts->payload);
  if (!claims) return invalid_token("The token is malformed.");
  return to_principal(*claims);
}

std::string mint_token(const token_claims& c, std::string_view secret) {
  jwt_t* raw = nullptr;
  require(jwt_new(&raw), "jwt_new");
  std::unique_ptr<jwt_t, jwt_deleter> token(raw);
  require(jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())),
          "jwt_set_alg");
  const std::string payload = json::serialize(claims_json(c, now_millis()));
  require(jwt_add_grants_json(token.get(), payload.c_str()), "jwt_add_grants_json");
  char* encoded = jwt_encode_str(token.get());
  if (!encoded) throw std::runtime_error("libjwt: jwt_encode_str failed");
  std::string out(encoded);
  std::free(encoded);  // libjwt 1.10 has no jwt_free_str; it allocates with malloc
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // The length is not secret (key and MAC sizes are public); the bytes are.
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace sorak
