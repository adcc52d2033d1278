// moderation_service.hpp: every moderation operation of CONTRACT §6, minus
// the HTTP: badges, message deletion, timeouts and bans, chat settings and the
// log.
//
// Each operation: opens the stream's room (404 stream_not_found), decides the
// caller's role there and asks the permission table (core/permissions.hpp;
// 403 `forbidden`), validates the input (400 `invalid_field`), writes the store
// (which waits for the commit), then publishes the change as a room event
// (core/room_events.hpp) through the broker: every node's room, this one's
// included, applies it when it arrives, so the change bites on the next
// message of every open connection of every node. Then it logs the action
// and, for timeouts, bans and settings, posts a `moderation` message to the
// chat.
//
// Thread-safety: every method may be called from any thread; they block for
// the store's commit, so they run on the blocking pool, never on a worker.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/chat_service.hpp"
#include "core/permissions.hpp"
#include "core/room_registry.hpp"
#include "sorak/result.hpp"
#include "sorak/store.hpp"

namespace sorak {

// Who asks: the admin key, or a user with their token's profile.
struct mod_actor {
  bool admin = false;
  user_profile user;  // unset for the admin
};

struct sanction_request {
  std::string user_id;
  sanction_kind kind = sanction_kind::timeout;
  std::int64_t duration_seconds = 0;  // timeouts: 1..1209600
  std::string reason;
  bool purge = false;  // also delete the user's messages in the stream (chat_cleared)
};

// Fields left empty are not changed.
struct settings_patch {
  std::optional<std::int64_t> slow_mode_seconds;   // 0..120
  std::optional<std::int64_t> max_message_length;  // 1..2000
  std::optional<bool> subscribers_only;
  std::optional<bool> chat_enabled;
};

// A timeout or ban as listed, with the user's name when known.
struct sanction_view {
  sanction entry;
  std::string username;
};

inline constexpr std::int64_t max_timeout_seconds = 1'209'600;  // 14 days

struct poll_request {
  std::string question;
  std::vector<std::string> options;
  std::int64_t duration_seconds = 0;
};

class moderation_service {
 public:
  moderation_service(store& st, room_registry& rooms, chat_service& chat);

  // ---- badges (seed 004) ----------------------------------------------------
  result<badge_grant> grant_badge(const mod_actor& a, std::string_view stream, std::string_view user_id,
                                  stream_badge badge);
  status revoke_badge(const mod_actor& a, std::string_view stream, std::string_view user_id);
  result<std::vector<badge_grant>> list_badges(const mod_actor& a, std::string_view stream,
                                               std::optional<stream_badge> filter);
  // broadcaster, moderator / vip, subscriber, verified: in that order.
  result<std::vector<std::string>> user_badges(const mod_actor& a, std::string_view stream, std::string_view user_id);

  // ---- messages -----------------------------------------------------------------
  // 404 message_not_found (also for a message already deleted).
  status delete_message(const mod_actor& a, std::string_view stream, std::string_view message_id);

  // ---- timeouts and bans -----------------------------------------------------------
  result<sanction> impose(const mod_actor& a, std::string_view stream, const sanction_request& req);
  // 404 timeout_not_found / ban_not_found.
  status lift(const mod_actor& a, std::string_view stream, std::string_view user_id, sanction_kind kind);
  // Those in force now (expired timeouts left out), oldest first.
  result<std::vector<sanction_view>> list_sanctions(const mod_actor& a, std::string_view stream, sanction_kind kind);

  // ---- chat settings -------------------------------------------------------------
  result<chat_settings> settings(const mod_actor& a, std::string_view stream);
  result<chat_settings> change_settings(const mod_actor& a, std::string_view stream, const settings_patch& p);

  // ---- blocked terms (CONTRACT §12; moderation_chat_tools.cpp) -------------------------
  // Oldest first.
  result<std::vector<blocked_term>> blocked_terms(const mod_actor& a, std::string_view stream);
  // The term trimmed, 1..100 code points (400 invalid_field); 409
  // blocked_term_exists when its folded form is blocked already.
  result<blocked_term> add_blocked_term(const mod_actor& a, std::string_view stream, std::string_view term);
  // 404 blocked_term_not_found.
  status remove_blocked_term(const mod_actor& a, std::string_view stream, std::string_view term_id);

  // ---- the pinned message (CONTRACT §12) -------------------------------------------
  // Pins a chat message or gift of the stream, replacing any pin: 404
  // message_not_found (also when deleted), 400 invalid_field for a notice.
  result<message> pin(const mod_actor& a, std::string_view stream, std::string_view message_id);
  // Unpins; ok also when nothing was pinned.
  status unpin(const mod_actor& a, std::string_view stream);
  // Anyone: the pinned message or null. 404 stream_not_found.
  result<std::shared_ptr<const message>> pinned(std::string_view stream);

  // ---- polls (CONTRACT §12; moderation_polls.cpp) ------------------------------------
  // question 1..200, 2..5 options of 1..100, duration 10..3600 s (400
  // invalid_field); 409 poll_open while the stream has an open poll.
  result<poll> create_poll(const mod_actor& a, std::string_view stream, const poll_request& req);
  // Closes it now: 409 poll_closed, 404 poll_not_found.
  result<poll> close_poll(const mod_actor& a, std::string_view stream, std::string_view poll_id);
  // Anyone: the stream's polls newest first (at most 50), or one.
  result<std::vector<poll>> polls(std::string_view stream);
  result<poll> poll_of(std::string_view stream, std::string_view poll_id);

  // ---- the log -------------------------------------------------------------------
  // Newest first. REQUIRES: 1 <= limit.
  result<std::vector<moderation_action>> log(const mod_actor& a, std::string_view stream, int limit);

 private:
  struct context {
    std::shared_ptr<room> r;
    stream info;
    stream_role actor_role;
  };
  // Opens the room and checks that the actor may perform `action` at all.
  result<context> enter(const mod_actor& a, std::string_view stream, mod_action action);
  stream_role role_of_user(const context& c, std::string_view user_id);
  status check_target(const context& c, mod_action action, std::string_view target_user_id);
  void record(const context& c, const mod_actor& a, moderation_action entry);
  void post(const context& c, const mod_actor& a, std::string content);
  std::string name_of(std::string_view user_id);
  // After messages were deleted: unpins when the pin was one of them.
  void unpin_if(const context& c, const std::function<bool(const message&)>& deleted);

  store& store_;
  room_registry& rooms_;
  chat_service& chat_;
};

// The id a moderation record names for the admin key.
inline constexpr std::string_view admin_actor_id = "admin";

}  // namespace sorak
