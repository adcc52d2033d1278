#include "net/client_address.hpp"
#include "protocol/http_text.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sorak {

namespace {

bool is_v4_mapped(const ip_key& k) {
  for (int i = 0; i < 10; ++i)
    if (k[i] != 0) return false;
  return k[10] == 0xff && k[11] == 0xff;
}

}  // namespace

std::optional<ip_key> parse_ip(std::string_view text) {
  text = trim_ows(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  ip_key key{};
  in_addr v4{};
  if (::inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    key[10] = key[11] = 0xff;
    std::memcpy(key.data() + 12, &v4, 4);
    return key;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(key.data(), &v6, 16);
    return key;
  }
  return std::nullopt;
}

std::string ip_text(const ip_key& key) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v4_mapped(key)) {
    ::inet_ntop(AF_INET, key.data() + 12, buf, sizeof buf);
  } else {
    ::inet_ntop(AF_INET6, key.data(), buf, sizeof buf);
  }
  return buf;
}

bool address_range::contains(const ip_key& a) const {
  unsigned bits = prefix;
  for (std::size_t i = 0; i < a.size() && bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((a[i] & mask) != (base[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

result<address_range> parse_address_range(std::string_view text) {
  const auto bad = [&] {
    return error(errc::invalid_field, "expected an address or ADDRESS/PREFIX (IPv4 or IPv6), got " + std::string(text));
  };
  const auto slash = text.find('/');
  const auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return bad();
  const bool v4 = is_v4_mapped(*ip) && text.substr(0, slash).find(':') == std::string_view::npos;
  address_range r;
  r.base = *ip;
  r.prefix = 128;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    unsigned n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || n > (v4 ? 32u : 128u))
      return bad();
    r.prefix = v4 ? 96 + n : n;
  }
  return r;
}

bool trusted_proxies::contains(const ip_key& a) const {
  for (const auto& r : ranges_)
    if (r.contains(a)) return true;
  return false;
}

ip_key client_address(const ip_key& peer, std::string_view forwarded_for, const trusted_proxies& proxies) {
  if (proxies.empty() || !proxies.contains(peer)) return peer;
  ip_key client = peer;  // the hop that handed us the list
  while (!forwarded_for.empty()) {
    const auto comma = forwarded_for.rfind(',');
    const std::string_view entry = comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1);
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    if (trim_ows(entry).empty()) continue;
    const auto ip = parse_ip(entry);
    if (!ip) return client;  // not an address: believe nothing left of it
    client = *ip;
    if (!proxies.contains(client)) return client;
  }
  return client;
}

}  // namespace sorak
