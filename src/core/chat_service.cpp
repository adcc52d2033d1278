#include "core/chat_service.hpp"

#include <algorithm>

#include "core/clock.hpp"
#include "core/content.hpp"
#include "core/ids.hpp"
#include "core/room_events.hpp"
#include "protocol/events.hpp"
#include "protocol/json_codec.hpp"

namespace sorak {

std::vector<std::string> badges_in_stream(const principal& who, const stream& s, std::optional<stream_badge> granted) {
  std::vector<std::string> badges;
  if (who.user.id == s.broadcaster_user_id) badges.emplace_back("broadcaster");
  if (granted) badges.emplace_back(to_string(*granted));
  for (const auto& b : who.user.badges) badges.push_back(b);
  return badges;
}

namespace {
const gift_catalog& default_catalog() {
  static const gift_catalog catalog = gift_catalog::defaults();
  return catalog;
}
}  // namespace

chat_service::chat_service(store& st, broker& br, chat_limits limits, const room_registry* rooms,
                           const gift_catalog* gifts)
    : store_(st), broker_(br), limits_(limits), rooms_(rooms), gifts_(gifts ? gifts : &default_catalog()) {}

result<std::string> chat_service::checked_content(const client_chat& chat, int max_length) const {
  if (chat.gift && chat.content.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  return validate_content(chat.content, max_length);
}

status chat_service::send_chat(room& r, const principal& who, client_chat chat, ack_callback on_stored) {
  const millis now = now_millis();
  std::string key;
  if (!chat.client_id.empty()) {
    // A resend of something already stored is acked whatever changed since
    // (the stream ended, a limit was reached): the client must learn it landed.
    key = room::dedup_key(who.user.id, chat.client_id);
    if (r.dedup_known(key, now, on_stored)) return ok_value;
  }
  if (who.read_only) return error(errc::read_only, "This token may read the chat but not send");
  if (r.ended()) return error(errc::stream_ended);
  auto& mod = r.moderation();
  if (auto s = mod.check_sender(who.user.id, now); !s) return s;
  const stream info = r.info();
  const stream_role role = mod.role_of(who.user.id, who.user.badges, info);
  if (auto s = check_settings(who, role, info.settings); !s) return s;
  auto content = checked_content(chat, info.settings.max_message_length);
  if (!content) return content.err();
  if (!is_exempt(role, chat_rule::blocked_terms))
    if (auto s = mod.check_terms(*content); !s) return s;
  std::optional<gift_info> gift;
  if (chat.gift) {
    auto priced = price_gift(*gifts_, chat.gift->gift_id, chat.gift->quantity);
    if (!priced) return priced.err();
    gift = std::move(*priced);
  }
  if (auto s = check_reply_to(r, chat.reply_to); !s) return s;

  if (!key.empty() && !r.dedup_begin(key, now, on_stored)) return ok_value;  // raced with a resend
  slow_mode_claim slow;
  if (info.settings.slow_mode_seconds > 0 && !is_exempt(role, chat_rule::slow_mode)) {
    slow = mod.claim_slow_mode(who.user.id, info.settings.slow_mode_seconds * millis{1000}, now);
    if (!slow.allowed) {
      error e(errc::slow_mode);
      e.retry_after_ms = slow.retry_after_ms;
      if (!key.empty()) r.dedup_fail(key, e);
      return e;
    }
  }
  if (auto s = check_rate(r, who, limit_for(role), now); !s) {
    mod.release_slow_mode(who.user.id, slow);
    if (!key.empty()) r.dedup_fail(key, s.err());
    return s;
  }

  message m;
  m.stream_id = r.stream_id();
  m.user = who.user;
  m.user.badges = badges_in_stream(who, info, mod.badge_of(who.user.id));
  m.content = std::move(*content);
  m.type = gift ? message_type::gift : message_type::message;
  if (gift) m.stars = gift->total_stars;
  m.gift = std::move(gift);
  m.reply_to = std::move(chat.reply_to);
  m.client_id = std::move(chat.client_id);
  store_and_publish(r, std::move(m), std::move(key), std::move(on_stored));
  return ok_value;
}

status chat_service::check_reply_to(room& r, const std::optional<std::string>& reply_to) {
  if (!reply_to) return ok_value;
  if (r.find_recent(*reply_to)) return ok_value;
  if (store_.get_message(r.stream_id(), *reply_to)) return ok_value;
  return error(errc::invalid_reply_to, "reply_to must name a message of this stream");
}

status chat_service::check_settings(const principal& who, stream_role role, const chat_settings& settings) {
  if (!settings.chat_enabled && !is_exempt(role, chat_rule::chat_disabled))
    return error(errc::chat_disabled, "Chat is turned off in this stream");
  const auto& badges = who.user.badges;
  const bool subscriber = std::find(badges.begin(), badges.end(), "subscriber") != badges.end();
  if (settings.subscribers_only && !subscriber && !is_exempt(role, chat_rule::subscribers_only))
    return error(errc::subscribers_only, "Only subscribers may chat in this stream right now");
  return ok_value;
}

const rate_limit& chat_service::limit_for(stream_role sender) const {
  return is_exempt(sender, chat_rule::user_rate_limit) ? limits_.privileged : limits_.user;
}

const rate_limit& chat_service::limit_for(const principal& who, const stream& s) const {
  std::shared_ptr<room> r = rooms_ ? rooms_->find(s.id) : nullptr;
  if (r) return limit_for(r->moderation().role_of(who.user.id, who.user.badges, s));
  return limit_for(who.user.id == s.broadcaster_user_id ? stream_role::broadcaster : stream_role::viewer);
}

status chat_service::check_rate(room& r, const principal& who, const rate_limit& limit, millis now) {
  if (!limit.enabled()) return ok_value;
  std::string key = room::dedup_key(r.stream_id(), who.user.id);
  auto d = rate_.check(key, limit, now);
  if (d.allowed) return ok_value;
  error e(errc::rate_limited);
  e.retry_after_ms = d.retry_after_ms;
  return e;
}

void chat_service::store_and_publish(room& r, message m, std::string key, ack_callback on_stored) {
  std::lock_guard lk(r.submit_mutex());
  m.id = new_uuid_v7();
  m.created_at = r.next_created_at(now_millis());
  // The store numbers the message and may raise created_at (another node wrote
  // to the stream meanwhile), so it is encoded once, as committed.
  // The callback holds the room: it is not closed while a message is in flight.
  store_.append(std::move(m), [this, room = r.shared_from_this(), key = std::move(key),
                               on_stored = std::move(on_stored)](result<message> stored) {
    if (!stored) {
      if (!key.empty()) room->dedup_fail(key, stored.err());
      if (on_stored) on_stored(result<ack_info>(stored.err()));
      return;
    }
    auto msg = std::make_shared<const message>(std::move(*stored));
    auto event = std::make_shared<const std::string>(message_event(encode_message(*msg)));
    // Every node's room (this one's too) counts it when the event arrives.
    broker_.publish(message_posted(msg, event));
    const ack_info info{msg->id, msg->created_at};
    if (!key.empty()) room->dedup_commit(key, info);
    if (on_stored) on_stored(result<ack_info>(info));
  });
}

status chat_service::post_gift(room& r, const user_profile& from, gift_order order, std::string content,
                               ack_callback on_stored) {
  if (r.ended()) return error(errc::stream_ended);
  auto priced = price_gift(*gifts_, order.gift_id, order.quantity);
  if (!priced) return priced.err();
  client_chat chat;
  chat.content = std::move(content);
  chat.gift = std::move(order);
  auto text = checked_content(chat, r.info().settings.max_message_length);
  if (!text) return text.err();
  message m;
  m.stream_id = r.stream_id();
  m.user = from;
  m.user.badges = badges_in_stream(principal{from}, r.info(), r.moderation().badge_of(from.id));
  m.content = std::move(*text);
  m.type = message_type::gift;
  m.stars = priced->total_stars;
  m.gift = std::move(*priced);
  store_and_publish(r, std::move(m), std::string(), std::move(on_stored));
  return ok_value;
}

void chat_service::post_notice(room& r, message m) {
  m.stream_id = r.stream_id();
  store_and_publish(r, std::move(m), std::string(), nullptr);
}

void chat_service::publish(room_event ev) { broker_.publish(std::move(ev)); }

void chat_service::note_remote_message(room& r, const message& m) {
  if (m.type != message_type::message && m.type != message_type::gift) return;
  const rate_limit& limit = limit_for(r.role_of(m.user.id, m.user.badges));
  rate_.note(room::dedup_key(r.stream_id(), m.user.id), limit, m.created_at);
}

void chat_service::sweep(const std::vector<std::shared_ptr<room>>& rooms, millis now) {
  const millis widest = std::max(limits_.user.seconds, limits_.privileged.seconds) * millis{1000};
  rate_.sweep(now, widest);
  for (const auto& r : rooms) {
    r->stats().sample_viewers(r->viewer_total(), now);
    r->dedup_sweep(now);
    r->moderation().sweep(now, 120'000);  // slow mode is at most 120 s
  }
}

}  // namespace sorak
