// client_address.hpp: which address a connection comes from, for the abuse
// caps per client address (net/ip_limits.hpp), when sorakd runs behind a
// reverse proxy (docs/deployment.md).
//
// Behind nginx every connection's TCP peer is nginx. `--trusted-proxy CIDR`
// names the proxies whose X-Forwarded-For is believed: when the peer is one of
// them, the client is the right-most address of X-Forwarded-For that is not a
// trusted proxy (what each proxy appended: nginx's $proxy_add_x_forwarded_for),
// so a client cannot choose its address by sending the header itself: what it
// writes is left of the address nginx appends. A peer that is not trusted is
// the client whatever it sends. An entry that is not an address stops the
// walk: the hop right of it (a trusted proxy) is taken as the client.
//
// Thread-safety: trusted_proxies is immutable once built; the functions are
// pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip_limits.hpp"
#include "sorak/result.hpp"

namespace sorak {

// An IPv4 or IPv6 address in ip_key form (IPv4 as v4-mapped IPv6), or nullopt.
// Takes IPv6 with or without brackets; no port.
std::optional<ip_key> parse_ip(std::string_view text);
// The address as people write it (dotted IPv4 for a v4-mapped one).
std::string ip_text(const ip_key& key);

// An address range: ADDRESS or ADDRESS/PREFIX, IPv4 or IPv6.
struct address_range {
  ip_key base{};
  unsigned prefix = 128;  // of the 128-bit key (an IPv4 /N is 96 + N)
  bool contains(const ip_key& a) const;
};
// 400 `invalid_field` for anything else.
result<address_range> parse_address_range(std::string_view text);

class trusted_proxies {
 public:
  trusted_proxies() = default;
  explicit trusted_proxies(std::vector<address_range> ranges) : ranges_(std::move(ranges)) {}
  bool empty() const { return ranges_.empty(); }
  bool contains(const ip_key& a) const;

 private:
  std::vector<address_range> ranges_;
};

// The client's address: `peer`, or when `peer` is a trusted proxy, the
// right-most untrusted address of `forwarded_for` (the X-Forwarded-For values
// in order, comma-separated); the left-most when every one is trusted.
ip_key client_address(const ip_key& peer, std::string_view forwarded_for, const trusted_proxies& proxies);

}  // namespace sorak
