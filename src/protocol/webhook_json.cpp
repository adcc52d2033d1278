#include "protocol/webhook_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/moderation_json.hpp"

namespace sorak {

namespace json = boost::json;

std::optional<webhook_event> webhook_event_of(const room_event& ev) {
  switch (ev.kind) {
    case event_kind::message:
      if (!ev.msg) return std::nullopt;
      if (ev.msg->type == message_type::message) return webhook_event::message;
      if (ev.msg->type == message_type::gift) return webhook_event::gift;
      return std::nullopt;
    case event_kind::message_deleted:
    case event_kind::chat_cleared: return webhook_event::deletion;
    case event_kind::stream_changed: return ev.info ? std::optional(webhook_event::stream) : std::nullopt;
    case event_kind::badge_changed:
    case event_kind::sanction_imposed:
    case event_kind::sanction_lifted:
    case event_kind::terms_changed:
    case event_kind::pin_changed: return webhook_event::moderation;
    case event_kind::poll_changed: return ev.poll_state ? std::optional(webhook_event::poll) : std::nullopt;
    case event_kind::moderation_reloaded: return std::nullopt;
  }
  return std::nullopt;
}

namespace {

struct typed {
  std::string type;
  json::value data;
};

// The type and data of the viewers' event, when the change has one.
typed from_viewer_event(const room_event& ev) {
  if (!ev.json) return {};
  json::value v = json::parse(*ev.json);
  auto& o = v.as_object();
  typed t;
  if (auto* type = o.if_contains("type"); type && type->is_string()) t.type = type->as_string();
  if (auto* data = o.if_contains("data")) t.data = std::move(*data);
  return t;
}

typed describe(const room_event& ev, millis now) {
  switch (ev.kind) {
    case event_kind::message:
      return {ev.msg->type == message_type::gift ? "gift" : "message", to_json(*ev.msg)};
    case event_kind::stream_changed:
      return {ev.json ? "stream_status" : "stream_updated", to_json(*ev.info)};
    case event_kind::badge_changed:
      return {"badge", json::object{{"user_id", ev.target},
                                    {"badge", ev.badge ? json::value(to_string(*ev.badge)) : json::value(nullptr)}}};
    case event_kind::sanction_imposed:
      return {to_string(ev.sanction_set->kind), to_json(*ev.sanction_set, "", now)};
    case event_kind::sanction_lifted:
      return {std::string(to_string(ev.lifted)) + "_lifted", json::object{{"user_id", ev.target}}};
    case event_kind::terms_changed: {
      json::array terms;
      if (ev.terms)
        for (const auto& t : *ev.terms) terms.push_back(json::object{{"id", t.id}, {"term", t.term}});
      return {"blocked_terms", json::object{{"terms", std::move(terms)}}};
    }
    default: return from_viewer_event(ev);
  }
}

}  // namespace

std::string webhook_body(std::string_view delivery_id, const room_event& ev, millis occurred_at) {
  typed t = describe(ev, occurred_at);
  json::object body{{"id", delivery_id},
                    {"event", to_string(*webhook_event_of(ev))},
                    {"type", t.type},
                    {"stream_id", ev.stream_id},
                    {"occurred_at", format_rfc3339_ms(occurred_at)},
                    {"data", std::move(t.data)}};
  return json::serialize(body);
}

}  // namespace sorak
