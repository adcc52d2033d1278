#include "protocol/client_event.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace sorak {

namespace json = boost::json;

namespace {

error invalid_format(std::string msg) { return error(errc::invalid_format, std::move(msg)); }

// Reads an optional string field; a present non-string is a format error.
result<std::optional<std::string>> optional_string(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
  if (!it->value().is_string()) return invalid_format(std::string(key) + " must be a string");
  return std::optional<std::string>{std::string(it->value().get_string())};
}

// client_id and reply_to, shared by chat and gift events.
status read_common(const json::object& o, std::string& client_id, std::optional<std::string>& reply_to) {
  auto cid = optional_string(o, "client_id");
  if (!cid) return cid.err();
  if (*cid) {
    if ((*cid)->empty() || (*cid)->size() > max_client_id_length)
      return error(errc::invalid_client_id, "client_id must be 1 to 64 characters");
    client_id = std::move(**cid);
  }
  auto rt = optional_string(o, "reply_to");
  if (!rt) return rt.err();
  reply_to = std::move(*rt);
  return ok_value;
}

result<client_event> decode_chat(const json::object& o) {
  auto it = o.find("content");
  if (it == o.end() || !it->value().is_string()) return invalid_format("content must be a string");
  client_chat c;
  c.content = std::string(it->value().get_string());
  if (auto s = read_common(o, c.client_id, c.reply_to); !s) return s.err();
  return client_event{std::move(c)};
}

result<client_event> decode_gift(const json::object& o) {
  client_gift g;
  auto id = o.find("gift_id");
  if (id == o.end() || !id->value().is_string()) return invalid_format("gift_id must be a string");
  g.gift_id = std::string(id->value().get_string());
  if (auto q = o.find("quantity"); q != o.end()) {
    if (!q->value().is_int64()) return error(errc::invalid_quantity, "quantity must be an integer");
    g.quantity = q->value().get_int64();
  }
  auto content = optional_string(o, "content");
  if (!content) return content.err();
  if (*content) g.content = std::move(**content);
  if (auto s = read_common(o, g.client_id, g.reply_to); !s) return s.err();
  return client_event{std::move(g)};
}

result<client_event> decode_vote(const json::object& o) {
  client_vote v;
  auto id = o.find("poll_id");
  if (id == o.end() || !id->value().is_string()) return invalid_format("poll_id must be a string");
  v.poll_id = std::string(id->value().get_string());
  auto opt = o.find("option");
  if (opt == o.end() || !opt->value().is_int64())
    return error(errc::invalid_option, "option must be the index (0, 1, …) of one of the poll's options");
  v.option = opt->value().get_int64();
  return client_event{std::move(v)};
}

}  // namespace

result<client_event> decode_client_event(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return invalid_format("Event is not valid JSON");
  if (!v.is_object()) return invalid_format("Event must be a JSON object");
  const auto& o = v.get_object();
  auto t = o.find("type");
  if (t == o.end() || !t->value().is_string()) return invalid_format("Event needs a string \"type\"");
  const auto type = t->value().get_string();
  if (type == "ping") return client_event{client_ping{}};
  if (type == "message") return decode_chat(o);
  if (type == "gift") return decode_gift(o);
  if (type == "vote") return decode_vote(o);
  return error(errc::unknown_type, "Unknown event type \"" + std::string(type) + "\"");
}

client_chat as_chat(client_gift g) {
  client_chat c;
  c.content = std::move(g.content);
  c.client_id = std::move(g.client_id);
  c.reply_to = std::move(g.reply_to);
  c.gift = gift_order{std::move(g.gift_id), g.quantity};
  return c;
}

}  // namespace sorak
