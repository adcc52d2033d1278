// router_fuzz: an HTTP request line's method and target → the target parse
// sorakd does (parse_request_target in http/message.hpp, which
// src/net/http_server.cpp calls: Boost.URL origin-form, percent-decoded
// query) → the route table's dispatch → the query parsers the routes apply
// (limit, before, since, room_id).
// Input: first byte picks the method, the rest is the request target.
// Invariants: dispatch answers 200 (a route ran), 404 or 405 (with Allow);
// a route gets exactly its placeholders, each one non-empty segment; the
// query parsers give a value in range or their documented 400 code.
#include <boost/url/parse.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "core/pagination.hpp"
#include "core/showroom_since.hpp"
#include "fuzz_check.hpp"
#include "http/router.hpp"

using namespace sorak;

namespace {

// sorakd's route patterns (src/http/routes_*.cpp), with the WebSocket path.
constexpr std::array<std::pair<std::string_view, std::string_view>, 28> patterns{{
    {"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}, {"GET", "/"},
    {"GET", "/s/{room_id}"}, {"GET", "/s/{room_id}/stats"}, {"GET", "/overlay/{room_id}"}, {"GET", "/assets/{file}"},
    {"POST", "/api/v1/streams"}, {"GET", "/api/v1/streams"}, {"GET", "/api/v1/streams/{stream_id}"},
    {"PATCH", "/api/v1/streams/{stream_id}"}, {"GET", "/api/v1/streams/{stream_id}/chat/history"},
    {"GET", "/api/v1/streams/{stream_id}/chat/ws"},
    {"DELETE", "/api/v1/streams/{stream_id}/chat/messages/{message_id}"},
    {"GET", "/api/v1/streams/{stream_id}/moderators"}, {"POST", "/api/v1/streams/{stream_id}/moderators"},
    {"DELETE", "/api/v1/streams/{stream_id}/moderators/{user_id}"},
    {"GET", "/api/v1/streams/{stream_id}/users/{user_id}/badges"},
    {"POST", "/api/v1/streams/{stream_id}/timeouts"}, {"DELETE", "/api/v1/streams/{stream_id}/timeouts/{user_id}"},
    {"GET", "/api/v1/streams/{stream_id}/gifts/leaderboard"}, {"GET", "/api/v1/streams/{stream_id}/stats"},
    {"GET", "/api/v1/gifts"}, {"POST", "/api/v1/admin/api-keys"}, {"DELETE", "/api/v1/admin/api-keys/{id}"},
    {"GET", "/api/jkt48/chat-stream-sr"}, {"POST", "/api/v1/admin/streams/{stream_id}/gifts"},
}};

std::size_t placeholders(std::string_view pattern) {
  std::size_t n = 0;
  for (char c : pattern) n += c == '{';
  return n;
}

const router& table() {
  static const router r = [] {
    router t;
    for (const auto& [method, pattern] : patterns) {
      const std::size_t want = placeholders(pattern);
      t.add(std::string(method), pattern, [want](http_request& req) {
        FUZZ_CHECK(req.params.size() == want);
        for (const auto& p : req.params) FUZZ_CHECK(!p.empty() && p.find('/') == std::string::npos);
        http_response res;
        res.status = 200;
        return res;
      });
    }
    return t;
  }();
  return r;
}

void check_query(const http_request& req) {
  for (int max : {100, 1000}) {
    auto limit = parse_limit(req.query_value("limit"), 50, max);
    if (limit) {
      FUZZ_CHECK(*limit >= 1 && *limit <= max);
    } else {
      FUZZ_CHECK(limit.err().code == "invalid_limit" && limit.err().http_status == 400);
    }
  }
  if (auto before = req.query_value("before")) {
    const millis ms = uuid_v7_millis(*before);
    FUZZ_CHECK(ms == -1 || looks_like_uuid(*before));
  }
  auto since = parse_showroom_since(req.query_value("since"));
  if (!since) FUZZ_CHECK(since.err().code == "invalid_since");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr std::array<std::string_view, 6> methods{"GET", "POST", "PATCH", "DELETE", "HEAD", "PUT"};
  http_request req;
  req.method = std::string(methods[data[0] % methods.size()]);
  const std::string_view target(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!parse_request_target(target, req)) return 0;  // sorakd answers 400 bad_request
  check_query(req);
  const http_response res = table().dispatch(req);
  FUZZ_CHECK(res.status == 200 || res.status == 404 || res.status == 405);
  if (res.status == 405) {
    bool has_allow = false;
    for (const auto& [k, v] : res.headers) has_allow |= k == "Allow" && !v.empty();
    FUZZ_CHECK(has_allow);
  }
  std::vector<std::string> params;
  if (table().match("/api/v1/streams/{stream_id}/chat/ws", req.path, params)) FUZZ_CHECK(params.size() == 1);
  return 0;
}
