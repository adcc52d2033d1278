#include "core/webhook_rules.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <iterator>
#include <array>
#include <cstring>
#include <stdexcept>

#include <boost/algorithm/hex.hpp>
#include <boost/url/parse.hpp>

namespace sorak {

namespace {

constexpr std::size_t max_url_length = 2000;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool private_v4(const unsigned char a[4]) {
  const unsigned b0 = a[0], b1 = a[1];
  return b0 == 0 || b0 == 10 || b0 == 127 ||           // this network, RFC 1918, loopback
         (b0 == 100 && (b1 & 0xc0) == 64) ||           // 100.64.0.0/10 carrier-grade NAT
         (b0 == 169 && b1 == 254) ||                   // link-local (cloud metadata lives here)
         (b0 == 172 && (b1 & 0xf0) == 16) ||           // 172.16.0.0/12
         (b0 == 192 && b1 == 168) ||                   // 192.168.0.0/16
         (b0 == 192 && b1 == 0 && a[2] == 0) ||        // IETF protocol assignments
         (b0 == 198 && (b1 & 0xfe) == 18) ||           // benchmarking 198.18.0.0/15
         b0 >= 224;                                    // multicast, reserved, broadcast
}

bool private_v6(const unsigned char a[16]) {
  static constexpr unsigned char zero[16] = {};
  if (std::memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) return true;  // :: and ::1
  static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, mapped, 12) == 0) return private_v4(a + 12);  // ::ffff:a.b.c.d
  if ((a[0] & 0xfe) == 0xfc) return true;                          // fc00::/7 unique local
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) return true;          // fe80::/10 link-local
  if (a[0] == 0xff) return true;                                   // multicast
  return false;
}

}  // namespace

result<webhook_target> parse_webhook_url(std::string_view url) {
  if (url.empty() || url.size() > max_url_length)
    return error(errc::invalid_url, "url must be an http:// or https:// URL of at most 2000 characters");
  auto u = boost::urls::parse_absolute_uri(url);
  if (!u) return error(errc::invalid_url, "url is not an absolute URL");
  const std::string scheme = lower(u->scheme());
  if (scheme != "http" && scheme != "https")
    return error(errc::invalid_url, "url must start with http:// or https://");
  if (!u->has_authority() || u->encoded_host().empty()) return error(errc::invalid_url, "url has no host");
  if (u->has_userinfo()) return error(errc::invalid_url, "url must not carry a user name or password");
  webhook_target t;
  t.https = scheme == "https";
  if (u->host_type() == boost::urls::host_type::ipv6) {
    t.host = u->host_ipv6_address().to_string();
  } else if (u->host_type() == boost::urls::host_type::ipv4) {
    t.host = u->host_ipv4_address().to_string();
  } else if (u->host_type() == boost::urls::host_type::name) {
    t.host = lower(u->host_name());
  } else {
    return error(errc::invalid_url, "url has a host this server cannot reach");
  }
  if (u->has_port()) {
    if (u->port().empty() || u->port_number() == 0) return error(errc::invalid_url, "url has an invalid port");
    t.port = std::to_string(u->port_number());
  } else {
    t.port = t.https ? "443" : "80";
  }
  t.target = std::string(u->encoded_path());
  if (t.target.empty()) t.target = "/";
  if (u->has_query()) t.target += "?" + std::string(u->encoded_query());
  return t;
}

std::optional<bool> is_private_host(std::string_view host) {
  const std::string h(host);
  unsigned char v4[4], v6[16];
  if (inet_pton(AF_INET, h.c_str(), v4) == 1) return private_v4(v4);
  if (inet_pton(AF_INET6, h.c_str(), v6) == 1) return private_v6(v6);
  const std::string name = lower(host);
  if (name == "localhost" || name == "localhost." || name.ends_with(".localhost") || name.ends_with(".localhost."))
    return true;
  return std::nullopt;
}

result<webhook_target> check_webhook_url(std::string_view url, bool allow_private) {
  auto t = parse_webhook_url(url);
  if (!t) return t;
  if (!allow_private && is_private_host(t->host).value_or(false))
    return error(errc::private_url, "url names " + t->host +
                                        ", a private or loopback address; start sorakd with --webhook-allow-private "
                                        "to deliver to one");
  return t;
}

std::string new_webhook_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a webhook secret");
  return "whsec_" + boost::algorithm::hex_lower(std::string(std::begin(bytes), std::end(bytes)));
}

std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
  std::string signed_text = std::to_string(unix_seconds);
  signed_text += '.';
  signed_text.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len))
    throw std::runtime_error("HMAC-SHA256 failed");
  return "t=" + std::to_string(unix_seconds) + ",v1=" + boost::algorithm::hex_lower(std::string(mac, mac + len));
}

millis retry_delay(int failures_in_a_row) {
  constexpr millis most = 5 * 60 * 1000;
  if (failures_in_a_row <= 1) return 1000;
  if (failures_in_a_row > 20) return most;
  return std::min<millis>(most, millis{1000} << (failures_in_a_row - 1));
}

}  // namespace sorak
