#include "protocol/events.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "core/clock.hpp"

namespace sorak {

namespace json = boost::json;

namespace {
std::string wrap(std::string_view type, std::string_view data_json) {
  std::string out;
  out.reserve(data_json.size() + type.size() + 24);
  out.append(R"({"type":")").append(type).append(R"(","data":)").append(data_json).push_back('}');
  return out;
}
}  // namespace

std::string message_event(std::string_view encoded_message) { return wrap("message", encoded_message); }

std::string pinned_event(std::string_view encoded_message) {
  return wrap("pinned", encoded_message.empty() ? std::string_view("null") : encoded_message);
}

std::string poll_event(std::string_view encoded_poll) { return wrap("poll", encoded_poll); }

std::string voted_event(std::string_view poll_id, long long option) {
  return wrap("voted", json::serialize(json::object{{"poll_id", poll_id}, {"option", option}}));
}

std::string message_deleted_event(std::string_view message_id) {
  return wrap("message_deleted", json::serialize(json::object{{"message_id", message_id}}));
}

std::string chat_cleared_event(std::string_view user_id) {
  return wrap("chat_cleared", json::serialize(json::object{{"user_id", user_id}}));
}

std::string stream_status_event(stream_status s) {
  return wrap("stream_status", json::serialize(json::object{{"status", to_string(s)}}));
}

std::string viewer_count_event(std::int64_t count) {
  return wrap("viewer_count", json::serialize(json::object{{"count", count}}));
}

std::string pong_event() { return R"({"type":"pong"})"; }

std::string skipped_event(std::int64_t count, std::string_view from_id, std::string_view to_id) {
  return wrap("skipped", json::serialize(json::object{{"count", count}, {"from_id", from_id}, {"to_id", to_id}}));
}

std::string ack_event(std::string_view client_id, std::string_view id, millis created_at) {
  return json::serialize(json::object{
      {"type", "ack"},
      {"client_id", client_id},
      {"data", json::object{{"id", id}, {"created_at", format_rfc3339_ms(created_at)}}}});
}

std::string error_event(const error& e) {
  json::object o{{"type", "error"}, {"message", e.message}, {"code", e.code}};
  switch (e.kind().extra) {
    case error_extra::none: break;
    case error_extra::retry_after_ms: o["retry_after_ms"] = e.retry_after_ms; break;
    case error_extra::seconds_left: o["seconds_left"] = e.seconds_left; break;
  }
  return json::serialize(o);
}

namespace {
constexpr std::string_view message_event_prefix = R"({"type":"message","data":)";
}  // namespace

std::string_view message_event_data(std::string_view ev) {
  if (ev.size() < message_event_prefix.size() + 1 || ev.substr(0, message_event_prefix.size()) != message_event_prefix)
    return ev;
  ev.remove_prefix(message_event_prefix.size());
  ev.remove_suffix(1);
  return ev;
}

namespace {
void join_message_data(std::string& out, const std::vector<shared_json>& events) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out.push_back(',');
    out.append(message_event_data(*events[i]));
  }
}

std::size_t joined_size(const std::vector<shared_json>& events) {
  std::size_t size = 64;
  for (const auto& e : events) size += e->size() + 1;
  return size;
}
}  // namespace

std::string history_page_json(const std::vector<shared_json>& events, bool has_more, std::string_view next_cursor) {
  std::string out;
  out.reserve(joined_size(events) + next_cursor.size());
  out.append(R"({"messages":[)");
  join_message_data(out, events);
  out.append(R"(],"has_more":)").append(has_more ? "true" : "false").append(R"(,"next_cursor":)");
  if (has_more) out.append(json::serialize(json::value(next_cursor)));
  else out.append("null");
  out.push_back('}');
  return out;
}

std::string history_event(const std::vector<shared_json>& encoded, std::optional<bool> recovered) {
  std::string out;
  out.reserve(joined_size(encoded));
  out.append(R"({"type":"history","data":[)");
  join_message_data(out, encoded);
  out.push_back(']');
  if (recovered) out.append(*recovered ? R"(,"recovered":true)" : R"(,"recovered":false)");
  out.push_back('}');
  return out;
}

}  // namespace sorak
