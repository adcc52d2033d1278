#include "bench/setup.hpp"
#include "client/jwt_secret.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "client/api.hpp"
#include "client/endpoint.hpp"
#include "client/ws_client.hpp"
#include "sorak/auth.hpp"

namespace sorak::bench {

namespace {

constexpr std::int64_t token_ttl_s = 2 * 3600;
constexpr std::uint32_t seed_per_user = 10;

client::endpoint endpoint_of(const target& where) {
  return client::endpoint{where.address, std::to_string(where.port), where.path};
}

std::string field(const boost::json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  const auto* f = obj ? obj->if_contains(key) : nullptr;
  return f && f->is_string() ? std::string(f->get_string()) : std::string();
}

std::string owner_token(const std::string& secret) {
  token_claims c;
  c.sub = c.username = bench_user('o', 0);
  c.ttl_seconds = token_ttl_s;
  return mint_token(c, secret);
}

}  // namespace

result<std::string> find_secret(const bench_options& o) { return client::find_jwt_secret(o.secret, o.secret_file); }

std::string bench_user(char role, std::uint64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "bench-%c%06llu", role, static_cast<unsigned long long>(index));
  return buf;
}

result<std::vector<std::string>> mint_tokens(const std::string& secret, char role, std::uint64_t first,
                                             std::uint64_t count) {
  std::vector<std::string> tokens;
  tokens.reserve(count);
  token_claims c;
  c.ttl_seconds = token_ttl_s;
  try {
    for (std::uint64_t i = 0; i < count; ++i) {
      c.sub = c.username = bench_user(role, first + i);
      tokens.push_back(mint_token(c, secret));
    }
  } catch (const std::exception& e) {
    return error(errc::mint_failed, std::string("cannot sign a token: ") + e.what());
  }
  return tokens;
}

result<std::vector<bench_stream>> prepare_streams(const bench_options& o, const target& where,
                                                  const std::string& secret, std::uint32_t count) {
  std::vector<bench_stream> streams;
  std::string token;
  try {
    token = owner_token(secret);
  } catch (const std::exception& e) {
    return error(errc::mint_failed, std::string("cannot sign a token: ") + e.what());
  }
  client::api_client api(endpoint_of(where), token);
  if (!o.stream.empty()) {
    auto found = api.call("GET", client::stream_path(o.stream));
    if (!found) return found.err();
    streams.push_back({field(*found, "id"), field(*found, "room_id")});
    return streams;
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    const boost::json::value body = boost::json::object{{"title", "sorak bench " + std::to_string(i + 1)}};
    auto created = api.call("POST", "/api/v1/streams", {}, &body);
    if (!created) return created.err();
    streams.push_back({field(*created, "id"), field(*created, "room_id")});
  }
  return streams;
}

status seed_messages(const target& where, const bench_stream& stream, const std::string& secret, std::uint32_t count) {
  const client::endpoint ep = endpoint_of(where);
  std::uint32_t posted = 0;
  for (std::uint32_t user = 0; posted < count; ++user) {
    auto token = mint_tokens(secret, 'w', user, 1);
    if (!token) return token.err();
    client::ws_client ws;
    const std::string path = client::stream_path(stream.id) + "/chat/ws";
    if (auto c = ws.connect(ep, client::make_target(ep, path, {{"token", token->front()}})); !c) return c.err();
    const std::uint32_t batch = std::min(seed_per_user, count - posted);
    for (std::uint32_t i = 0; i < batch; ++i) {
      const std::string text = R"({"type":"message","content":"seed message )" + std::to_string(posted + i + 1) + "\"}";
      if (auto w = ws.write_text(text); !w) return w.err();
    }
    // Our own messages come back once stored; count them.
    std::uint32_t seen = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen < batch) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return error(errc::timeout, "seeding: the server did not broadcast the seed messages");
      const client::ws_frame f = ws.read_text(left);
      if (f.kind == client::ws_frame_kind::closed) {
        return error(errc::connection_failed, "seeding: the server closed the connection (" +
                                                  std::to_string(f.close_code) + " " + f.close_reason + ")");
      }
      if (f.kind != client::ws_frame_kind::text) continue;
      if (f.text.rfind(R"({"type":"message")", 0) == 0) ++seen;
      if (f.text.rfind(R"({"type":"error")", 0) == 0) return error(errc::seed_refused, "seeding: " + f.text);
    }
    ws.close();
    posted += batch;
  }
  return ok_value;
}

result<std::string> create_api_key(const target& where, const std::string& admin_key) {
  client::api_client api(endpoint_of(where), admin_key);
  const boost::json::value body = boost::json::object{{"name", "sorak bench"}};
  auto made = api.call("POST", "/api/v1/admin/api-keys", {}, &body);
  if (!made) return made.err();
  const auto* key = made->is_object() ? made->as_object().if_contains("key") : nullptr;
  if (!key || !key->is_string()) return error(errc::internal, "the admin API answered without a key");
  return std::string(key->as_string());
}

}  // namespace sorak::bench
