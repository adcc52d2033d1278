// The node-to-node form of a room_event (event_codec.hpp). Field names are
// short: every message crosses the broker once per node.
#include "broker/event_codec.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace sorak {
namespace {

namespace json = boost::json;

constexpr std::int64_t wire_version = 1;

// ---- writing --------------------------------------------------------------------

json::value opt_millis(const std::optional<millis>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object user_json(const user_profile& u) {
  json::array badges;
  for (const auto& b : u.badges) badges.emplace_back(b);
  return {{"id", u.id},       {"name", u.username},     {"display", u.display_name}, {"avatar", u.avatar_url},
          {"level", u.level}, {"premium", u.is_premium}, {"badges", std::move(badges)}};
}

json::object message_json(const message& m) {
  json::object o{{"id", m.id},
                 {"stream", m.stream_id},
                 {"user", user_json(m.user)},
                 {"content", m.content},
                 {"type", static_cast<std::int64_t>(m.type)},
                 {"stars", m.stars},
                 {"at", m.created_at},
                 {"client_id", m.client_id},
                 {"deleted", m.deleted},
                 {"seq", m.seq}};
  if (m.gift)
    o["gift"] = json::object{{"id", m.gift->gift_id},
                             {"name", m.gift->gift_name},
                             {"qty", m.gift->quantity},
                             {"total", m.gift->total_stars}};
  if (m.reply_to) o["reply_to"] = *m.reply_to;
  return o;
}

json::object stream_json(const stream& s) {
  json::object o{{"id", s.id},
                 {"room", s.room_id},
                 {"broadcaster", s.broadcaster_user_id},
                 {"room_name", s.room_name},
                 {"title", s.title},
                 {"status", static_cast<std::int64_t>(s.status)},
                 {"created", s.created_at},
                 {"started", s.started_at},
                 {"ended", opt_millis(s.ended_at)},
                 {"slow", s.settings.slow_mode_seconds},
                 {"max_len", s.settings.max_message_length},
                 {"subs_only", s.settings.subscribers_only},
                 {"enabled", s.settings.chat_enabled}};
  if (s.member)
    o["member"] = json::object{{"name", s.member->name}, {"nickname", s.member->nickname}, {"team", s.member->team}};
  if (s.playback_url) o["playback"] = *s.playback_url;
  return o;
}

json::object sanction_json(const sanction& s) {
  return {{"id", s.id},
          {"stream", s.stream_id},
          {"user", s.user_id},
          {"kind", static_cast<std::int64_t>(s.kind)},
          {"reason", s.reason},
          {"moderator", s.moderator_id},
          {"at", s.created_at},
          {"expires", opt_millis(s.expires_at)}};
}

json::array terms_json(const std::vector<blocked_term>& terms) {
  json::array out;
  out.reserve(terms.size());
  for (const auto& t : terms)
    out.emplace_back(json::object{{"id", t.id},
                                  {"stream", t.stream_id},
                                  {"term", t.term},
                                  {"folded", t.folded},
                                  {"by", t.created_by},
                                  {"at", t.created_at}});
  return out;
}

json::object poll_json(const poll& p) {
  json::array options;
  for (const auto& o : p.options) options.push_back(json::object{{"text", o.text}, {"votes", o.votes}});
  return {{"id", p.id},           {"stream", p.stream_id}, {"question", p.question}, {"options", std::move(options)},
          {"by", p.created_by},   {"at", p.created_at},    {"ends", p.ends_at},      {"closed", opt_millis(p.closed_at)}};
}

// ---- reading ----------------------------------------------------------------------
// Each reader throws std::invalid_argument on a missing or mistyped field;
// decode_wire_event turns that into an error.

const json::value& at(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) throw std::invalid_argument("missing " + std::string(key));
  return it->value();
}

std::string str(const json::object& o, std::string_view key) {
  const auto& v = at(o, key);
  if (!v.is_string()) throw std::invalid_argument(std::string(key) + " is not a string");
  return std::string(v.get_string());
}

std::int64_t num(const json::object& o, std::string_view key) {
  const auto& v = at(o, key);
  if (!v.is_int64()) throw std::invalid_argument(std::string(key) + " is not an integer");
  return v.get_int64();
}

bool flag(const json::object& o, std::string_view key) {
  const auto& v = at(o, key);
  if (!v.is_bool()) throw std::invalid_argument(std::string(key) + " is not a boolean");
  return v.get_bool();
}

const json::object& obj(const json::value& v, std::string_view what) {
  if (!v.is_object()) throw std::invalid_argument(std::string(what) + " is not an object");
  return v.get_object();
}

std::optional<millis> opt_num(const json::object& o, std::string_view key) {
  const auto& v = at(o, key);
  if (v.is_null()) return std::nullopt;
  return num(o, key);
}

template <class Enum>
Enum enum_of(const json::object& o, std::string_view key, Enum last) {
  const std::int64_t v = num(o, key);
  if (v < 0 || v > static_cast<std::int64_t>(last)) throw std::invalid_argument(std::string(key) + " out of range");
  return static_cast<Enum>(v);
}

user_profile user_of(const json::object& o) {
  user_profile u;
  u.id = str(o, "id");
  u.username = str(o, "name");
  u.display_name = str(o, "display");
  u.avatar_url = str(o, "avatar");
  u.level = num(o, "level");
  u.is_premium = flag(o, "premium");
  const auto& badges = at(o, "badges");
  if (!badges.is_array()) throw std::invalid_argument("badges is not an array");
  for (const auto& b : badges.get_array()) {
    if (!b.is_string()) throw std::invalid_argument("a badge is not a string");
    u.badges.emplace_back(b.get_string());
  }
  return u;
}

message message_of(const json::object& o) {
  message m;
  m.id = str(o, "id");
  m.stream_id = str(o, "stream");
  m.user = user_of(obj(at(o, "user"), "user"));
  m.content = str(o, "content");
  m.type = enum_of(o, "type", message_type::moderation);
  m.stars = num(o, "stars");
  m.created_at = num(o, "at");
  m.client_id = str(o, "client_id");
  m.deleted = flag(o, "deleted");
  m.seq = num(o, "seq");
  if (o.contains("gift")) {
    const auto& g = obj(at(o, "gift"), "gift");
    m.gift = gift_info{str(g, "id"), str(g, "name"), static_cast<int>(num(g, "qty")), num(g, "total")};
  }
  if (o.contains("reply_to")) m.reply_to = str(o, "reply_to");
  return m;
}

stream stream_of(const json::object& o) {
  stream s;
  s.id = str(o, "id");
  s.room_id = str(o, "room");
  s.broadcaster_user_id = str(o, "broadcaster");
  s.room_name = str(o, "room_name");
  s.title = str(o, "title");
  s.status = enum_of(o, "status", stream_status::ended);
  s.created_at = num(o, "created");
  s.started_at = num(o, "started");
  s.ended_at = opt_num(o, "ended");
  s.settings.slow_mode_seconds = static_cast<int>(num(o, "slow"));
  s.settings.max_message_length = static_cast<int>(num(o, "max_len"));
  s.settings.subscribers_only = flag(o, "subs_only");
  s.settings.chat_enabled = flag(o, "enabled");
  if (o.contains("member")) {
    const auto& m = obj(at(o, "member"), "member");
    s.member = member_info{str(m, "name"), str(m, "nickname"), str(m, "team")};
  }
  if (o.contains("playback")) s.playback_url = str(o, "playback");
  return s;
}

sanction sanction_of(const json::object& o) {
  sanction s;
  s.id = str(o, "id");
  s.stream_id = str(o, "stream");
  s.user_id = str(o, "user");
  s.kind = enum_of(o, "kind", sanction_kind::ban);
  s.reason = str(o, "reason");
  s.moderator_id = str(o, "moderator");
  s.created_at = num(o, "at");
  s.expires_at = opt_num(o, "expires");
  return s;
}

std::vector<blocked_term> terms_of(const json::value& v) {
  if (!v.is_array()) throw std::invalid_argument("terms is not an array");
  std::vector<blocked_term> out;
  for (const auto& e : v.get_array()) {
    const auto& o = obj(e, "a term");
    out.push_back({str(o, "id"), str(o, "stream"), str(o, "term"), str(o, "folded"), str(o, "by"), num(o, "at")});
  }
  return out;
}

poll poll_of(const json::object& o) {
  poll p;
  p.id = str(o, "id");
  p.stream_id = str(o, "stream");
  p.question = str(o, "question");
  const auto& options = at(o, "options");
  if (!options.is_array()) throw std::invalid_argument("options is not an array");
  for (const auto& e : options.get_array()) {
    const auto& x = obj(e, "an option");
    p.options.push_back({str(x, "text"), num(x, "votes")});
  }
  p.created_by = str(o, "by");
  p.created_at = num(o, "at");
  p.ends_at = num(o, "ends");
  p.closed_at = opt_num(o, "closed");
  return p;
}

}  // namespace

std::string encode_wire_event(const event_envelope& from, const room_event& ev) {
  json::object o{{"v", wire_version},
                 {"node", from.node},
                 {"epoch", from.epoch},
                 {"n", from.n},
                 {"stream", ev.stream_id},
                 {"kind", static_cast<std::int64_t>(ev.kind)},
                 {"at", ev.published_at_us},
                 {"target", ev.target},
                 {"lifted", static_cast<std::int64_t>(ev.lifted)}};
  if (ev.json) o["json"] = *ev.json;
  if (ev.msg) o["msg"] = message_json(*ev.msg);
  if (ev.info) o["info"] = stream_json(*ev.info);
  if (ev.badge) o["badge"] = static_cast<std::int64_t>(*ev.badge);
  if (ev.sanction_set) o["sanction"] = sanction_json(*ev.sanction_set);
  if (ev.terms) o["terms"] = terms_json(*ev.terms);
  if (ev.poll_state) o["poll"] = poll_json(*ev.poll_state);
  return json::serialize(o);
}

result<wire_event> decode_wire_event(std::string_view bytes) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return error(errc::invalid_format, "broker: an event that is not a JSON object");
  const auto& o = v.get_object();
  try {
    if (num(o, "v") != wire_version) return error(errc::invalid_format, "broker: an event of another version");
    wire_event w;
    w.from.node = str(o, "node");
    w.from.epoch = str(o, "epoch");
    const auto& n = at(o, "n");
    if (!n.is_uint64() && !n.is_int64()) throw std::invalid_argument("n is not an integer");
    w.from.n = n.to_number<std::uint64_t>();
    room_event& ev = w.event;
    ev.stream_id = str(o, "stream");
    ev.kind = enum_of(o, "kind", event_kind::poll_changed);
    ev.published_at_us = num(o, "at");
    ev.target = str(o, "target");
    ev.lifted = enum_of(o, "lifted", sanction_kind::ban);
    if (o.contains("json")) ev.json = std::make_shared<const std::string>(str(o, "json"));
    if (o.contains("msg")) ev.msg = std::make_shared<const message>(message_of(obj(at(o, "msg"), "msg")));
    if (o.contains("info")) ev.info = stream_of(obj(at(o, "info"), "info"));
    if (o.contains("badge")) ev.badge = enum_of(o, "badge", stream_badge::vip);
    if (o.contains("sanction")) ev.sanction_set = sanction_of(obj(at(o, "sanction"), "sanction"));
    if (o.contains("poll")) ev.poll_state = std::make_shared<const poll>(poll_of(obj(at(o, "poll"), "poll")));
    if (o.contains("terms")) ev.terms = std::make_shared<const std::vector<blocked_term>>(terms_of(at(o, "terms")));
    return w;
  } catch (const std::exception& e) {
    return error(errc::invalid_format, std::string("broker: a malformed event: ") + e.what());
  }
}

std::string encode_node_report(const node_report& r) {
  json::object counts;
  counts.reserve(r.counts.size());
  for (const auto& [stream, n] : r.counts) counts[stream] = n;
  return json::serialize(json::object{
      {"v", wire_version}, {"node", r.node}, {"full", r.full}, {"hello", r.hello}, {"counts", std::move(counts)}});
}

result<node_report> decode_node_report(std::string_view bytes) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return error(errc::invalid_format, "broker: a node report that is not a JSON object");
  const auto& o = v.get_object();
  try {
    if (num(o, "v") != wire_version) return error(errc::invalid_format, "broker: a node report of another version");
    node_report r;
    r.node = str(o, "node");
    if (o.contains("full")) r.full = flag(o, "full");
    if (o.contains("hello")) r.hello = flag(o, "hello");
    if (const auto* c = o.if_contains("counts")) {
      const auto& counts = obj(*c, "counts");
      r.counts.reserve(counts.size());
      for (const auto& kv : counts) {
        if (!kv.value().is_int64() && !kv.value().is_uint64()) throw std::invalid_argument("a count is not an integer");
        const auto n = kv.value().to_number<std::int64_t>();
        if (n < 0) throw std::invalid_argument("a negative count");
        r.counts.emplace_back(std::string(kv.key()), n);
      }
    }
    return r;
  } catch (const std::exception& e) {
    return error(errc::invalid_format, std::string("broker: a malformed node report: ") + e.what());
  }
}

}  // namespace sorak
