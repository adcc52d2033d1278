// endpoint.hpp: where a Sorak server is, and how to spell paths and queries
// for it.
//
// parse_base_url() reads the `--url` a user gives (`http://host:port[/prefix]`
// or `ws://…`); https and wss are refused, since the client speaks plain TCP.
// Everything here is a pure function on values: any thread may call it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sorak/result.hpp"

namespace sorak::client {

struct endpoint {
  std::string host;       // "127.0.0.1", "example.org", "::1" (no brackets)
  std::string port;       // "8080"
  std::string base_path;  // "" or "/prefix" (no trailing slash)
};

result<endpoint> parse_base_url(std::string_view url);

// A full URL split into where to connect and what to ask for:
// "ws://h:1/a/b?x=1" → {h, 1, base_path "/a/b"} and target "/a/b?x=1".
struct located_target {
  endpoint ep;
  std::string target;
};
result<located_target> split_url(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters, so the
// result is safe as one path segment or one query value.
std::string url_encode(std::string_view s);

using query_params = std::vector<std::pair<std::string, std::string>>;

// base_path + path + "?k=v&…" (values encoded; params with empty values kept).
std::string make_target(const endpoint& ep, std::string_view path, const query_params& query = {});

// "/api/v1/streams/{id}" with the id encoded as one segment.
std::string stream_path(std::string_view stream_or_room);

}  // namespace sorak::client
