// Gifts (CONTRACT §7): the catalog, a stream's gift leaderboard, and gifts
// that paid-gift platforms post server-to-server.
#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <future>
#include <string>

#include "http/auth_guard.hpp"
#include "core/pagination.hpp"
#include "http/routes.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/stats_json.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

error invalid_field(std::string msg) { return error(errc::invalid_field, std::move(msg)); }

http_response catalog(services& svc) {
  json::array gifts;
  for (const auto& g : svc.gifts.all())
    gifts.push_back(json::object{{"gift_id", g.gift_id}, {"gift_name", g.gift_name}, {"stars", g.stars}});
  return json_response(200, json::object{{"gifts", std::move(gifts)}});
}

http_response leaderboard(http_request& req, services& svc) {
  if (auto s = authenticate_reader(req, svc); !s) return error_response(s.err());
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  // As history's limit: 0, negative or not a whole number is refused; over 100 is 100.
  auto limit = parse_limit(req.query_value("limit"), 10, 100);
  if (!limit) return error_response(limit.err());
  return json_response(200, leaderboard_json((*room)->stats().top_gifters(static_cast<std::size_t>(*limit))));
}

// A string field of the posted user, optional unless `required`.
result<std::string> user_text(const json::object& u, std::string_view key, bool required, std::size_t max_bytes) {
  auto it = u.find(key);
  if (it == u.end() || it->value().is_null()) {
    if (required) return invalid_field("user." + std::string(key) + " is required");
    return std::string();
  }
  if (!it->value().is_string() || it->value().get_string().size() > max_bytes)
    return invalid_field("user." + std::string(key) + " must be a string of at most " + std::to_string(max_bytes) +
                         " bytes");
  return std::string(it->value().get_string());
}

result<user_profile> posted_user(const json::object& body) {
  auto it = body.find("user");
  if (it == body.end() || !it->value().is_object()) return invalid_field("user must be an object");
  const auto& u = it->value().get_object();
  user_profile p;
  auto id = user_text(u, "id", true, 64);
  if (!id) return id.err();
  if (id->empty()) return invalid_field("user.id must be 1 to 64 characters");
  p.id = std::move(*id);
  std::string* fields[] = {&p.username, &p.display_name, &p.avatar_url};
  const char* keys[] = {"username", "display_name", "avatar_url"};
  for (int i = 0; i < 3; ++i) {
    auto v = user_text(u, keys[i], false, 500);
    if (!v) return v.err();
    *fields[i] = std::move(*v);
  }
  if (p.username.empty()) p.username = p.id;
  if (p.display_name.empty()) p.display_name = p.username;
  if (auto lv = u.find("level"); lv != u.end() && !lv->value().is_null()) {
    if (!lv->value().is_int64() || lv->value().get_int64() < 0)
      return invalid_field("user.level must be a whole number >= 0");
    p.level = lv->value().get_int64();
  }
  if (auto pr = u.find("premium"); pr != u.end() && !pr->value().is_null()) {
    if (!pr->value().is_bool()) return invalid_field("user.premium must be true or false");
    p.is_premium = pr->value().get_bool();
  }
  return p;
}

result<gift_order> posted_order(const json::object& body) {
  gift_order order;
  auto id = body.find("gift_id");
  if (id == body.end() || !id->value().is_string()) return invalid_field("gift_id must be a string");
  order.gift_id = std::string(id->value().get_string());
  if (auto q = body.find("quantity"); q != body.end() && !q->value().is_null()) {
    if (!q->value().is_int64())
      return error(errc::invalid_quantity, "quantity must be a whole number from 1 to 100");
    order.quantity = q->value().get_int64();
  }
  return order;
}

http_response post_gift(http_request& req, services& svc) {
  if (auto s = require_admin(req, svc); !s) return error_response(s.err());
  auto room = svc.rooms.open(req.params[0]);
  if (!room) return error_response(room.err());
  auto body = parse_json_object(req);
  if (!body) return error_response(body.err());
  auto from = posted_user(*body);
  if (!from) return error_response(from.err());
  auto order = posted_order(*body);
  if (!order) return error_response(order.err());
  std::string content;
  if (auto c = body->find("content"); c != body->end() && !c->value().is_null()) {
    if (!c->value().is_string()) return error_response(invalid_field("content must be a string"));
    content = std::string(c->value().get_string());
  }
  if (svc.shutting_down.load()) return error_response(error(errc::shutting_down, "The server is shutting down"));
  svc.st.remember_user(*from);
  std::promise<result<ack_info>> stored;
  auto future = stored.get_future();
  auto s = svc.chat.post_gift(**room, *from, std::move(*order), std::move(content),
                              [&stored](const result<ack_info>& r) { stored.set_value(r); });
  if (!s) return error_response(s.err());
  auto ack = future.get();  // the gift is answered once it is durable, like a WebSocket ack
  if (!ack) return error_response(ack.err());
  auto m = svc.st.get_message((*room)->stream_id(), ack->id);
  if (!m) return error_response(m.err());
  return json_response(201, to_json(*m));
}

}  // namespace

void add_gift_routes(router& r, services& svc) {
  r.add("GET", "/api/v1/gifts", [&svc](http_request&) { return catalog(svc); });
  r.add("GET", "/api/v1/streams/{stream_id}/gifts/leaderboard",
        [&svc](http_request& req) { return leaderboard(req, svc); });
  r.add("POST", "/api/v1/admin/streams/{stream_id}/gifts", [&svc](http_request& req) { return post_gift(req, svc); });
}

}  // namespace sorak
