// moderation_service: polls (CONTRACT §12). Staff open and close them; every
// change is stored, then published as a poll_changed room event, so every
// node's viewers see the same poll. Votes and the counts between: chat_polls.cpp.
#include "core/clock.hpp"
#include "core/content.hpp"
#include "core/ids.hpp"
#include "core/moderation_service.hpp"
#include "core/room_events.hpp"

namespace sorak {

namespace {

constexpr std::size_t min_options = 2, max_options = 5;
constexpr std::int64_t min_duration_s = 10, max_duration_s = 3600;

result<std::string> text_field(std::string_view raw, const char* name, int max) {
  auto t = validate_content(raw, max);
  if (t) return t;
  if (t.err().is(errc::empty_content)) return error(errc::invalid_field, std::string(name) + " must not be empty");
  if (t.err().is(errc::message_too_long))
    return error(errc::invalid_field, std::string(name) + " is at most " + std::to_string(max) + " characters");
  return error(errc::invalid_field, std::string(name) + " contains characters that are not allowed");
}

}  // namespace

result<poll> moderation_service::create_poll(const mod_actor& a, std::string_view stream, const poll_request& req) {
  auto c = enter(a, stream, mod_action::manage_polls);
  if (!c) return c.err();
  if (c->r->ended()) return error(errc::stream_ended, "The stream has ended; it takes no polls");
  poll p;
  auto question = text_field(req.question, "question", 200);
  if (!question) return question.err();
  p.question = std::move(*question);
  if (req.options.size() < min_options || req.options.size() > max_options)
    return error(errc::invalid_field, "options must hold 2 to 5 choices");
  for (const auto& o : req.options) {
    auto text = text_field(o, "an option", 100);
    if (!text) return text.err();
    p.options.push_back({std::move(*text), 0});
  }
  if (req.duration_seconds < min_duration_s || req.duration_seconds > max_duration_s)
    return error(errc::invalid_field, "duration_seconds must be 10 to 3600");
  p.id = new_uuid_v7();
  p.stream_id = c->info.id;
  p.created_by = a.admin ? std::string(admin_actor_id) : a.user.id;
  p.created_at = now_millis();
  p.ends_at = p.created_at + req.duration_seconds * 1000;
  auto stored = store_.create_poll(p);
  if (!stored) return stored.err();
  chat_.publish(poll_changed(std::make_shared<const poll>(*stored), p.created_at));
  moderation_action entry;
  entry.action = "create_poll";
  entry.reason = stored->question;
  entry.duration_seconds = req.duration_seconds;
  record(*c, a, std::move(entry));
  return stored;
}

result<poll> moderation_service::close_poll(const mod_actor& a, std::string_view stream, std::string_view poll_id) {
  auto c = enter(a, stream, mod_action::manage_polls);
  if (!c) return c.err();
  const millis now = now_millis();
  auto closed = store_.close_poll(c->info.id, poll_id, now);
  if (!closed) return closed.err();
  chat_.publish(poll_changed(std::make_shared<const poll>(*closed), now));
  moderation_action entry;
  entry.action = "close_poll";
  entry.reason = closed->question;
  record(*c, a, std::move(entry));
  return closed;
}

result<std::vector<poll>> moderation_service::polls(std::string_view stream) {
  auto r = rooms_.open(stream);
  if (!r) return r.err();
  return store_.list_polls((*r)->stream_id(), 50);
}

result<poll> moderation_service::poll_of(std::string_view stream, std::string_view poll_id) {
  auto r = rooms_.open(stream);
  if (!r) return r.err();
  return store_.get_poll((*r)->stream_id(), poll_id);
}

}  // namespace sorak
