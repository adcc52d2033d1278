// endpoint.cpp: base URL parsing (Boost.URL) and percent-encoding.
#include "client/endpoint.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace sorak::client {
namespace {

error bad_url(std::string_view url, std::string_view why) {
  return error(errc::invalid_url, "invalid URL '" + std::string(url) + "': " + std::string(why));
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string strip_trailing_slashes(std::string path) {
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

result<endpoint> parse_base_url(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return bad_url(url, parsed.error().message());
  const boost::urls::url_view& u = *parsed;
  const std::string scheme = u.scheme();
  if (scheme == "https" || scheme == "wss") return bad_url(url, "TLS is not supported; use http://");
  if (scheme != "http" && scheme != "ws") return bad_url(url, "the scheme must be http or ws");
  if (u.encoded_host().empty()) return bad_url(url, "no host");
  endpoint ep;
  ep.host = u.host_address();
  ep.port = u.has_port() ? std::string(u.port()) : std::string("80");
  ep.base_path = strip_trailing_slashes(std::string(u.encoded_path()));
  return ep;
}

result<located_target> split_url(std::string_view url) {
  auto ep = parse_base_url(url);
  if (!ep) return ep.err();
  auto parsed = boost::urls::parse_uri(url);
  std::string target = std::string(parsed->encoded_target());
  if (target.empty() || target.front() != '/') target.insert(0, "/");
  return located_target{std::move(*ep), std::move(target)};
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string make_target(const endpoint& ep, std::string_view path, const query_params& query) {
  std::string target = ep.base_path;
  target += path;
  char sep = '?';
  for (const auto& [key, value] : query) {
    target += sep;
    target += url_encode(key);
    target += '=';
    target += url_encode(value);
    sep = '&';
  }
  return target;
}

std::string stream_path(std::string_view stream_or_room) {
  return "/api/v1/streams/" + url_encode(stream_or_room);
}

}  // namespace sorak::client
