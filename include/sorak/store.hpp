// store.hpp: durable storage of streams, messages, user profiles and moderation.
//
// The only seam through which Sorak reaches a database; nothing outside
// src/store/ knows SQL. Implementations: sqlite_store (default), memory_store
// (tests; same contract, not durable), postgres_store (several nodes). Every
// implementation passes tests/contract/store_contract_test.cpp.
//
// Thread-safety: every method may be called from any thread concurrently.
// Control-plane writes (streams, users) may block the caller for one commit.
// Messages go through `append`, which never blocks: they are committed in
// groups by one writer, and `done` runs only after the group has committed,
// so a caller that broadcasts from `done` never shows a message a crash loses.
#pragma once

#include <cstdint>
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
  std::optional<std::string> playback_url;
};

// Fields left empty are not changed.
struct stream_patch {
  std::optional<std::string> title;
  std::optional<std::string> room_name;
  std::optional<std::optional<member_info>> member;  // set to nullopt-inside to clear
  std::optional<stream_status> status;               // ending sets ended_at = now
  std::optional<chat_settings> settings;
  std::optional<std::optional<std::string>> playback_url;  // set to nullopt-inside to clear
};

// ---- retention (CONTRACT §12) -------------------------------------------------

// What one prune_messages pass removed.
struct prune_report {
  std::int64_t messages = 0;            // rows removed (deleted ones included)
  std::int64_t streams = 0;             // streams that lost rows
  std::int64_t partitions_dropped = 0;  // PostgreSQL: whole month partitions dropped
};

// Folds rows about to be pruned into a stream's statistics baseline: gets the
// stream id, its baseline so far ("" when none) and the rows, oldest first;
// returns the new baseline. The store keeps the text and never reads it
// (core/stream_stats.hpp knows what it means). Runs on the pruning thread,
// inside the store's transaction: it must not call back into the store.
using stats_fold = std::function<std::string(std::string_view stream_id, const std::string& baseline,
                                             const std::vector<message>& rows)>;

// A stream's pruned past as one row (moving a database: `sorak migrate-store`).
struct stream_baseline {
  std::string stream_id;
  std::string stats;               // the fold's last output
  std::int64_t last_seq = 0;       // the newest pruned message's sequence number
  millis last_created_at = 0;      // and its created_at
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
  // Applies the patch; setting status ended sets ended_at (once): now, or the
  // created_at of its last message when that is later. 404 `stream_not_found`.
  virtual result<stream> update_stream(std::string_view stream_id, const stream_patch& p) = 0;
  // Stores s exactly as given (id, room, times, status, settings): moving a
  // database from one store to another (`sorak migrate-store`). 409
  // `room_taken` when its id or room_id is already used.
  virtual status import_stream(const stream& s) = 0;

  // ---- users --------------------------------------------------------------
  // Keeps the last profile seen for user.id, with its global badges (the
  // token's `verified` / `subscriber`). Never blocks.
  virtual void remember_user(const user_profile& u) = 0;
  virtual std::optional<user_profile> get_user(std::string_view user_id) = 0;
  // Every remembered profile, by id (committed ones: flush() first).
  virtual std::vector<user_profile> list_users() = 0;

  // ---- messages -----------------------------------------------------------
  // Gets the message as stored (seq and created_at as committed), or the error.
  using append_callback = std::function<void(result<message>)>;
  // Queues m for the next group commit and returns at once. `done` runs on the
  // store's completion thread after the group holding m committed (or failed), in the
  // order append was called (an in-memory store may run it before append
  // returns). At commit the store gives m the stream's next sequence number
  // (no gaps, no duplicates, whichever node or process wrote it) and raises
  // m.created_at above the stream's newest when it is not already (so
  // created_at strictly increases with seq); everything that reads messages
  // in order reads them in that one order. REQUIRES: m.id is new. The caller
  // must not block in `done`.
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

  // The deleted messages strictly after `message_id`, oldest first (a room
  // that opens remembers where they were, for `since=` naming one). Empty when
  // the id is unknown.
  virtual std::vector<message> deleted_after(std::string_view stream_id, std::string_view message_id) = 0;
  // The created_at of the newest message of the stream, deleted ones included
  // (a room's clock starts above it after a restart); nullopt when none.
  virtual std::optional<millis> last_created_at(std::string_view stream_id) = 0;

  // ---- moderation (CONTRACT §6) -------------------------------------------
  // Control-plane writes: each blocks the caller until it has committed, and
  // is ordered after every append made before the call.

  // Marks a message deleted (it stays a valid cursor). Errors: 404
  // `message_not_found` when it is not in this stream or already deleted.
  virtual result<message> delete_message(std::string_view stream_id, std::string_view message_id) = 0;
  // Marks every message of user_id in the stream deleted; returns their ids,
  // oldest first (empty when there were none).
  virtual result<std::vector<std::string>> delete_user_messages(std::string_view stream_id,
                                                                std::string_view user_id) = 0;

  // Grants g.badge to g.user_id in g.stream_id, replacing any badge the user
  // held there (then the old grant's id and time are kept when the badge is
  // the same). Returns the grant as stored, username filled in.
  virtual result<badge_grant> grant_badge(const badge_grant& g) = 0;
  // Errors: 404 `badge_not_found` when the user holds no badge in the stream.
  virtual status revoke_badge(std::string_view stream_id, std::string_view user_id) = 0;
  // Every grant of the stream, oldest first, username from the last profile seen.
  virtual std::vector<badge_grant> list_badges(std::string_view stream_id) = 0;

  // Stores s, replacing the user's sanction of the same kind in that stream.
  virtual status put_sanction(const sanction& s) = 0;
  // Errors: 404 `timeout_not_found` / `ban_not_found`. An expired timeout
  // still counts as present here; callers decide what expired means.
  virtual status lift_sanction(std::string_view stream_id, std::string_view user_id, sanction_kind kind) = 0;
  // Every sanction of the stream (expired timeouts included), oldest first.
  virtual std::vector<sanction> list_sanctions(std::string_view stream_id) = 0;

  virtual status log_action(const moderation_action& a) = 0;
  // The `limit` newest actions of the stream, newest first.
  virtual std::vector<moderation_action> moderation_log(std::string_view stream_id, int limit) = 0;

  // ---- blocked terms and the pinned message (CONTRACT §12) --------------------
  // Control-plane writes: each blocks until it has committed.
  // Stores t as given. Errors: 409 `blocked_term_exists` when the stream has
  // a term with the same `folded` form.
  virtual result<blocked_term> add_blocked_term(const blocked_term& t) = 0;
  // Removes it and returns it. Errors: 404 `blocked_term_not_found` when the
  // stream has no term with this id.
  virtual result<blocked_term> remove_blocked_term(std::string_view stream_id, std::string_view term_id) = 0;
  // Every term of the stream, oldest first.
  virtual std::vector<blocked_term> list_blocked_terms(std::string_view stream_id) = 0;
  // Replaces the stream's pin (the caller checked the message).
  virtual status put_pin(const pin_record& p) = 0;
  // Removes the stream's pin; ok also when there was none.
  virtual status clear_pin(std::string_view stream_id) = 0;
  // The stream's pin as stored (its message may have been deleted since:
  // callers read it with get_message), nullopt when none.
  virtual std::optional<pin_record> get_pin(std::string_view stream_id) = 0;

  // ---- polls (CONTRACT §12) -----------------------------------------------------
  // Control-plane writes: each blocks until it has committed.
  // Stores p (its votes ignored: 0). A poll of the stream that is still marked
  // open but whose deadline passed is closed at its deadline first. 409
  // `poll_open` when another poll of the stream is open at p.created_at.
  virtual result<poll> create_poll(const poll& p) = 0;
  // With its counts. 404 `poll_not_found` (also for a poll of another stream).
  virtual result<poll> get_poll(std::string_view stream_id, std::string_view poll_id) = 0;
  // Newest first, at most `limit`, with their counts.
  virtual std::vector<poll> list_polls(std::string_view stream_id, int limit) = 0;
  // The user's one vote: 404 `poll_not_found`; 409 `poll_closed` when it is
  // closed or past its deadline at `at`; 400 `invalid_option` when `option` is
  // not an index of its options; 409 `already_voted` (whichever node took the
  // first one).
  virtual status add_vote(std::string_view stream_id, std::string_view poll_id, std::string_view user_id, int option,
                          millis at) = 0;
  // Closes it at min(at, its deadline) and returns it with its final counts.
  // 409 `poll_closed` when it was closed already (another node got there
  // first), 404 `poll_not_found`.
  virtual result<poll> close_poll(std::string_view stream_id, std::string_view poll_id, millis at) = 0;
  // Every vote of the poll, oldest first (`sorak migrate-store`).
  virtual std::vector<poll_vote> list_votes(std::string_view stream_id, std::string_view poll_id) = 0;
  // Stores p exactly as given (closed or not) with its votes (moving a
  // database). 409 `poll_open` when it is open and the stream has an open one.
  virtual status import_poll(const poll& p, const std::vector<poll_vote>& votes) = 0;

  // ---- the Showroom-style feed and analytics (CONTRACT §9, §10) ---------------
  // Non-deleted `message` and `gift` messages (no system or moderation
  // notices), oldest first. Without `since`: the `limit` newest. With `since`:
  // the `limit` OLDEST whose created_at is strictly greater than *since, so a
  // reader walking forward from the newest timestamp it saw never skips one.
  // REQUIRES: limit >= 1.
  virtual std::vector<message> chat_feed(std::string_view stream_id, int limit, std::optional<millis> since) = 0;
  // Chat replay (CONTRACT §12): up to `limit` non-deleted messages with
  // from <= created_at < to, oldest first. REQUIRES: limit >= 1.
  virtual std::vector<message> messages_between(std::string_view stream_id, millis from, millis to, int limit) = 0;
  // Calls `each` for every message of the stream, deleted ones included,
  // oldest first (a room's statistics are rebuilt from it once, when it opens).
  // `each` must not call back into the store.
  virtual void scan_messages(std::string_view stream_id, const std::function<void(const message&)>& each) = 0;

  // ---- retention (CONTRACT §12) -------------------------------------------------
  // Removes every message (deleted ones too) with created_at < cutoff, in
  // batches of at most prune_batch rows per stream, each its own short
  // transaction, so appends are never held up for long. Before a batch goes,
  // `fold` gets it and its stream's baseline, and the new baseline is stored in
  // the same transaction as the delete: a crash loses nothing and counts
  // nothing twice. A pin whose message goes is cleared. The stream's numbering
  // goes on from the pruned messages (a later message never reuses a number).
  // Several processes may prune one database at once; each row goes once.
  virtual result<prune_report> prune_messages(millis cutoff, const stats_fold& fold) = 0;
  // The baseline last stored for the stream; nullopt when nothing was pruned.
  virtual std::optional<std::string> stats_baseline(std::string_view stream_id) = 0;
  // Every stream's baseline, by stream id.
  virtual std::vector<stream_baseline> list_baselines() = 0;
  // Stores b as given, before any message of its stream is appended (moving a
  // database): the stream's next message is number b.last_seq + 1.
  virtual status import_baseline(const stream_baseline& b) = 0;
  static constexpr int prune_batch = 2000;

  // ---- API keys (CONTRACT §3) -----------------------------------------------
  // Control-plane writes: each blocks until it has committed.
  // Errors: 409 `api_key_taken` when the id or the hash is already stored.
  virtual status put_api_key(const api_key& k) = 0;
  // Every key, revoked ones included, oldest first.
  virtual std::vector<api_key> list_api_keys() = 0;
  // The key with this hash, revoked or not; nullopt when none.
  virtual std::optional<api_key> find_api_key(std::string_view key_hash) = 0;
  // Marks the key revoked at `at`. Errors: 404 `api_key_not_found` when no
  // key has this id or it is revoked already.
  virtual status revoke_api_key(std::string_view id, millis at) = 0;

  // ---- webhooks (CONTRACT §12) ------------------------------------------------------
  // Control-plane writes: each blocks until it has committed.
  virtual status create_webhook(const webhook& w) = 0;
  // Every webhook, oldest first, with its secret.
  virtual std::vector<webhook> list_webhooks() = 0;
  // Errors: 404 `webhook_not_found`.
  virtual result<webhook> get_webhook(std::string_view id) = 0;
  // Removes it with every delivery of it. Errors: 404 `webhook_not_found`.
  virtual status delete_webhook(std::string_view id) = 0;
  // Stores the deliveries as given (pending; leased or not), in one transaction.
  // Deliveries of a webhook deleted meanwhile are left out.
  virtual status add_deliveries(const std::vector<webhook_delivery>& ds) = 0;
  // Leases to `owner` until `lease_until` up to `limit` pending deliveries that
  // are due at `now` and that no node holds (no lease, or one run out), oldest
  // first, and returns them. Two nodes claiming at once never get the same one.
  virtual std::vector<webhook_delivery> claim_deliveries(millis now, std::string_view owner, millis lease_until,
                                                         int limit) = 0;
  // Records what became of each (status, attempts, times, last answer) and
  // frees its lease. Unknown ids (a webhook deleted meanwhile) are skipped.
  virtual status finish_deliveries(const std::vector<delivery_outcome>& outcomes) = 0;
  // The webhook's `limit` newest deliveries, newest first.
  virtual std::vector<webhook_delivery> list_deliveries(std::string_view webhook_id, int limit) = 0;
  // Removes delivered and failed deliveries created before `before`; returns how many.
  virtual std::int64_t prune_deliveries(millis before) = 0;

  // Blocks until everything appended before the call has committed (or failed).
  virtual void flush() = 0;
  // Hands back memory the store only keeps to answer reads faster (page
  // caches of idle connections); called when idle rooms have closed.
  virtual void release_memory() {}
};

// The store a --store URL names (`sqlite:PATH`, `postgres://USER@HOST:PORT/DB`
// or `postgresql://…`), opened and migrated.
// Errors: `invalid_store` for an unknown scheme; the store's own when it
// cannot open.
result<std::unique_ptr<store>> open_store(const std::string& url);

}  // namespace sorak
