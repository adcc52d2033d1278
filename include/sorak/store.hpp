// store.hpp: durable storage of streams, messages and user profiles.
//
// The only seam through which Sorak reaches a database; nothing outside
// src/store/ knows SQL. Implementations: sqlite_store (default), memory_store
// (tests; same contract, not durable), postgres_store (a later issue). Every
// implementation passes tests/contract/store_contract_test.cpp.
//
// Thread-safety: every method may be called from any thread concurrently.
// Control-plane writes (streams, users) may block the caller for one commit.
// Messages go through `append`, which never blocks: they are committed in
// groups by one writer, and `done` runs only after the group has committed,
// so a caller that broadcasts from `done` never shows a message a crash loses.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

struct new_stream {
  std::string broadcaster_user_id;
  std::string title;
  std::string room_name;
  std::optional<member_info> member;
  std::optional<std::string> room_id;  // assigned from 100001 up when absent
};

// Fields left empty are not changed.
struct stream_patch {
  std::optional<std::string> title;
  std::optional<std::string> room_name;
  std::optional<std::optional<member_info>> member;  // set to nullopt-inside to clear
  std::optional<stream_status> status;               // ending sets ended_at = now
  std::optional<chat_settings> settings;
};

struct history_page {
  std::vector<message> messages;  // oldest first
  bool has_more = false;
  std::optional<std::string> next_cursor;  // id of the oldest message in `messages`, when has_more
};

class store {
 public:
  virtual ~store() = default;

  // ---- streams ----------------------------------------------------------
  // Creates a live stream: id is a new UUID v7, created_at = started_at = now.
  // Errors: 409 `room_taken` when room_id is given and already used.
  virtual result<stream> create_stream(const new_stream& s) = 0;
  // Errors: 404 `stream_not_found`.
  virtual result<stream> get_stream(std::string_view stream_id) = 0;
  virtual result<stream> get_stream_by_room(std::string_view room_id) = 0;
  // Newest first (by created_at). No filter lists all.
  virtual std::vector<stream> list_streams(std::optional<stream_status> filter) = 0;
  // Applies the patch; setting status ended sets ended_at (once). 404 `stream_not_found`.
  virtual result<stream> update_stream(std::string_view stream_id, const stream_patch& p) = 0;

  // ---- users --------------------------------------------------------------
  // Keeps the last profile seen for user.id (badges not stored). Never blocks.
  virtual void remember_user(const user_profile& u) = 0;
  virtual std::optional<user_profile> get_user(std::string_view user_id) = 0;

  // ---- messages -----------------------------------------------------------
  using append_callback = std::function<void(const status&)>;
  // Queues m for the next group commit and returns at once. `done` runs on the
  // writer thread after the group holding m committed (or failed), in the
  // order append was called (an in-memory store may run it before append
  // returns). REQUIRES: m.id is new; within a stream, calls come in created_at
  // order. The caller must not block in `done`.
  virtual void append(message m, append_callback done) = 0;

  // REST history (CONTRACT §8): the `limit` newest messages older than
  // `before_id` (or the newest overall), oldest first, deleted ones left out.
  // REQUIRES: 1 <= limit <= 100. Errors: 400 `invalid_cursor` when before_id
  // is not a message of this stream.
  virtual result<history_page> history(std::string_view stream_id, int limit,
                                       std::optional<std::string_view> before_id) = 0;
  // The `n` newest non-deleted messages, oldest first (used to fill a room's
  // ring of recent messages when it opens).
  virtual std::vector<message> latest(std::string_view stream_id, int n) = 0;
  // Up to `max` non-deleted messages strictly after `message_id`, oldest
  // first. Errors: 404 `message_not_found` when the id is not in this stream.
  virtual result<std::vector<message>> after(std::string_view stream_id, std::string_view message_id,
                                             int max) = 0;
  // Errors: 404 `message_not_found`.
  virtual result<message> get_message(std::string_view stream_id, std::string_view message_id) = 0;

  // Blocks until everything appended before the call has committed (or failed).
  virtual void flush() = 0;
};

}  // namespace sorak
