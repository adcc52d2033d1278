// webhook_rules.hpp: what makes a webhook acceptable and how its deliveries
// are signed and retried (CONTRACT §12, docs/api.md "Webhooks").
//
// Thread-safety: plain functions of their arguments (new_webhook_secret reads
// OpenSSL's generator, which is thread-safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

// Where a webhook URL points.
struct webhook_target {
  bool https = false;
  std::string host;    // a name, or an IP literal without brackets
  std::string port;    // "80" / "443" when the URL has none
  std::string target;  // path and query, "/" at least
};

// Only absolute http and https URLs with a host, no user info and no fragment,
// at most 2,000 characters. 400 `invalid_url` otherwise.
result<webhook_target> parse_webhook_url(std::string_view url);

// Whether `host` is an IP literal (v4, or v6 without brackets) in a range a
// public receiver never has: loopback, private (RFC 1918, fc00::/7), link-local,
// carrier-grade NAT, unspecified, multicast, reserved, or an IPv4-mapped one of
// those. "localhost" and names under .localhost count as loopback. nullopt:
// a name, to be judged once it resolves.
std::optional<bool> is_private_host(std::string_view host);

// The URL as a receiver the server will post to: parse_webhook_url, then 400
// `private_url` for a private or loopback literal unless allowed.
result<webhook_target> check_webhook_url(std::string_view url, bool allow_private);

// "whsec_" and 32 random bytes in hex: the HMAC key of a new webhook.
std::string new_webhook_secret();

// The X-Sorak-Signature header: "t=UNIX_SECONDS,v1=HEX", v1 being
// HMAC-SHA256(secret, "UNIX_SECONDS." + body) in lowercase hex.
std::string webhook_signature(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// Retries: after the n-th failure in a row of a receiver (n >= 1) the next
// attempt waits 1 s, 2 s, 4 s, … up to 5 minutes; a delivery is given up only
// once an attempt fails (or is put off) an hour or more after it was created.
millis retry_delay(int failures_in_a_row);
inline constexpr millis webhook_retry_span = 60 * 60 * 1000;
inline bool give_up(millis created_at, millis now) { return now - created_at >= webhook_retry_span; }

}  // namespace sorak
