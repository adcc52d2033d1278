// moderation_service: blocked terms and the pinned message (CONTRACT §12).
// Each change is written to the store, then published as a room event, so
// every node's room applies it (terms bite on the next message, a pin reaches
// every viewer) exactly as the other moderation changes do.
#include "core/clock.hpp"
#include "core/content.hpp"
#include "core/ids.hpp"
#include "core/moderation_service.hpp"
#include "core/room_events.hpp"
#include "core/term_fold.hpp"

namespace sorak {

namespace {
constexpr int max_term_code_points = 100;

std::string actor_id(const mod_actor& a) { return a.admin ? std::string(admin_actor_id) : a.user.id; }
}  // namespace

// ---- blocked terms ------------------------------------------------------------------

result<std::vector<blocked_term>> moderation_service::blocked_terms(const mod_actor& a, std::string_view stream) {
  auto c = enter(a, stream, mod_action::manage_terms);
  if (!c) return c.err();
  return store_.list_blocked_terms(c->info.id);
}

result<blocked_term> moderation_service::add_blocked_term(const mod_actor& a, std::string_view stream,
                                                          std::string_view term) {
  auto c = enter(a, stream, mod_action::manage_terms);
  if (!c) return c.err();
  auto text = validate_content(term, max_term_code_points);
  if (!text) {
    if (text.err().is(errc::message_too_long))
      return error(errc::invalid_field, "term is at most " + std::to_string(max_term_code_points) + " characters");
    if (text.err().is(errc::empty_content)) return error(errc::invalid_field, "term must not be empty");
    return error(errc::invalid_field, "term contains characters that are not allowed");
  }
  blocked_term t;
  t.id = new_uuid_v7();
  t.stream_id = c->info.id;
  t.folded = fold_term(*text);
  t.term = std::move(*text);
  t.created_by = actor_id(a);
  t.created_at = now_millis();
  if (t.folded.empty()) return error(errc::invalid_field, "term must not be empty");
  auto stored = store_.add_blocked_term(t);
  if (!stored) return stored.err();
  // The whole list, as stored: two moderators adding at once on two nodes
  // end with the same list everywhere, whichever event arrives last.
  chat_.publish(terms_changed(c->info.id, store_.list_blocked_terms(c->info.id)));
  moderation_action entry;
  entry.action = "add_blocked_term";
  entry.reason = stored->term;
  record(*c, a, std::move(entry));
  return stored;
}

status moderation_service::remove_blocked_term(const mod_actor& a, std::string_view stream, std::string_view term_id) {
  auto c = enter(a, stream, mod_action::manage_terms);
  if (!c) return c.err();
  auto removed = store_.remove_blocked_term(c->info.id, term_id);
  if (!removed) return removed.err();
  chat_.publish(terms_changed(c->info.id, store_.list_blocked_terms(c->info.id)));
  moderation_action entry;
  entry.action = "remove_blocked_term";
  entry.reason = removed->term;
  record(*c, a, std::move(entry));
  return ok_value;
}

// ---- the pinned message ---------------------------------------------------------------

result<message> moderation_service::pin(const mod_actor& a, std::string_view stream, std::string_view message_id) {
  auto c = enter(a, stream, mod_action::pin);
  if (!c) return c.err();
  auto m = store_.get_message(c->info.id, message_id);
  if (!m || m->deleted) return error(errc::message_not_found, "no such message in this stream");
  if (m->type != message_type::message && m->type != message_type::gift)
    return error(errc::invalid_field, "only chat messages and gifts can be pinned");
  pin_record p{c->info.id, m->id, actor_id(a), now_millis()};
  if (auto s = store_.put_pin(p); !s) return s.err();
  chat_.publish(pin_changed(c->info.id, std::make_shared<const message>(*m)));
  moderation_action entry;
  entry.action = "pin_message";
  entry.target_user_id = m->user.id;
  entry.message_id = m->id;
  record(*c, a, std::move(entry));
  return m;
}

status moderation_service::unpin(const mod_actor& a, std::string_view stream) {
  auto c = enter(a, stream, mod_action::pin);
  if (!c) return c.err();
  auto was = store_.get_pin(c->info.id);
  if (auto s = store_.clear_pin(c->info.id); !s) return s;
  if (!was && !c->r->pinned()) return ok_value;  // nothing to tell anyone
  chat_.publish(pin_changed(c->info.id, nullptr));
  moderation_action entry;
  entry.action = "unpin_message";
  if (was) entry.message_id = was->message_id;
  record(*c, a, std::move(entry));
  return ok_value;
}

result<std::shared_ptr<const message>> moderation_service::pinned(std::string_view stream) {
  auto r = rooms_.open(stream);
  if (!r) return r.err();
  return (*r)->pinned();
}

void moderation_service::unpin_if(const context& c, const std::function<bool(const message&)>& deleted) {
  auto pinned = pinned_message(store_, c.info.id);  // null already when the pinned message was just deleted
  auto shown = c.r->pinned();
  if (pinned || !shown || !deleted(*shown)) return;
  (void)store_.clear_pin(c.info.id);
  chat_.publish(pin_changed(c.info.id, nullptr));
}

}  // namespace sorak
