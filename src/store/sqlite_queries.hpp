// sqlite_queries.hpp: the SQL behind each store operation, one function each.
//
// Internal to src/store/. Each function runs on the connection it is given, by
// the one thread using that connection. Writes run on the writer connection
// inside a group transaction and make at most one change (one INSERT or
// UPDATE), so a failed one leaves nothing behind; reads run on a leased reader.
#pragma once

#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "sorak/store.hpp"
#include "store/sqlite_db.hpp"

namespace sorak::sqlite {

// ---- writes (writer connection) --------------------------------------------
// Assigns id, room_id (unless given) and timestamps. 409 `room_taken`.
result<stream> insert_stream(sqlite_db& db, const new_stream& s);
// 404 `stream_not_found`.
result<stream> patch_stream(sqlite_db& db, std::string_view stream_id, const stream_patch& p);
status upsert_user(sqlite_db& db, const user_profile& u);
// The stream exactly as given. 409 `room_taken` when its id or room is used.
status insert_stream_as_is(sqlite_db& db, const stream& s);
// Gives m the stream's next stream_seq and raises m.created_at above the
// stream's newest. 409 `duplicate_message` when the id is already stored.
status insert_message(sqlite_db& db, message& m);

// Retention (sqlite_retention.cpp): folds and deletes the stream's oldest
// batch (at most store::prune_batch rows older than cutoff) with its baseline
// and pin, all or nothing (a savepoint); returns how many rows went.
result<std::int64_t> prune_stream_batch(sqlite_db& db, std::string_view stream_id, millis cutoff,
                                        const stats_fold& fold);
// Stores b; the stream's numbering goes on after b.last_seq.
status upsert_baseline(sqlite_db& db, const stream_baseline& b);

// ---- reads (any connection) --------------------------------------------------
// Streams holding a message older than cutoff.
result<std::vector<std::string>> select_streams_to_prune(sqlite_db& db, millis cutoff);
result<std::optional<std::string>> select_baseline(sqlite_db& db, std::string_view stream_id);
result<std::vector<stream_baseline>> select_baselines(sqlite_db& db);
result<stream> select_stream(sqlite_db& db, std::string_view stream_id);
result<stream> select_stream_by_room(sqlite_db& db, std::string_view room_id);
result<std::vector<stream>> select_streams(sqlite_db& db, std::optional<stream_status> filter);
result<std::optional<user_profile>> select_user(sqlite_db& db, std::string_view user_id);
result<std::vector<user_profile>> select_users(sqlite_db& db);

result<history_page> select_history(sqlite_db& db, std::string_view stream_id, int limit,
                                    std::optional<std::string_view> before_id);
result<std::vector<message>> select_latest(sqlite_db& db, std::string_view stream_id, int n);
result<std::vector<message>> select_after(sqlite_db& db, std::string_view stream_id,
                                          std::string_view message_id, int max);
result<message> select_message(sqlite_db& db, std::string_view stream_id, std::string_view message_id);
result<std::optional<millis>> select_last_created_at(sqlite_db& db, std::string_view stream_id);
result<std::vector<message>> select_deleted_after(sqlite_db& db, std::string_view stream_id, std::string_view message_id);

// ---- moderation (sqlite_moderation.cpp) ------------------------------------
// Writes (writer connection): each makes at most one change.
result<message> mark_message_deleted(sqlite_db& db, std::string_view stream_id, std::string_view message_id);
result<std::vector<std::string>> mark_user_messages_deleted(sqlite_db& db, std::string_view stream_id,
                                                            std::string_view user_id);
result<badge_grant> upsert_badge(sqlite_db& db, const badge_grant& g);
status delete_badge(sqlite_db& db, std::string_view stream_id, std::string_view user_id);
status upsert_sanction(sqlite_db& db, const sanction& s);
status delete_sanction(sqlite_db& db, std::string_view stream_id, std::string_view user_id, sanction_kind kind);
status insert_action(sqlite_db& db, const moderation_action& a);
// Reads.
result<std::vector<badge_grant>> select_badges(sqlite_db& db, std::string_view stream_id);
result<std::vector<sanction>> select_sanctions(sqlite_db& db, std::string_view stream_id);
result<std::vector<moderation_action>> select_actions(sqlite_db& db, std::string_view stream_id, int limit);

// ---- blocked terms and the pin (sqlite_terms.cpp) -----------------------------
// Writes: 409 `blocked_term_exists`; 404 `blocked_term_not_found`.
result<blocked_term> insert_blocked_term(sqlite_db& db, const blocked_term& t);
result<blocked_term> delete_blocked_term(sqlite_db& db, std::string_view stream_id, std::string_view term_id);
status upsert_pin(sqlite_db& db, const pin_record& p);
status delete_pin(sqlite_db& db, std::string_view stream_id);
// Reads.
result<std::vector<blocked_term>> select_blocked_terms(sqlite_db& db, std::string_view stream_id);
result<std::optional<pin_record>> select_pin(sqlite_db& db, std::string_view stream_id);

// ---- polls (sqlite_polls.cpp) --------------------------------------------------
// Writes: 409 `poll_open`, `poll_closed`, `already_voted`; 404 `poll_not_found`;
// 400 `invalid_option`.
result<poll> insert_poll(sqlite_db& db, const poll& p);
status insert_vote(sqlite_db& db, std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                   int option, millis at);
result<poll> mark_poll_closed(sqlite_db& db, std::string_view stream_id, std::string_view poll_id, millis at);
// Reads, with counts.
result<poll> select_poll(sqlite_db& db, std::string_view stream_id, std::string_view poll_id);
result<std::vector<poll>> select_polls(sqlite_db& db, std::string_view stream_id, int limit);
result<std::vector<poll_vote>> select_votes(sqlite_db& db, std::string_view stream_id, std::string_view poll_id);
status insert_poll_as_is(sqlite_db& db, const poll& p, const std::vector<poll_vote>& votes);

// ---- the Showroom-style feed and API keys (sqlite_showroom.cpp) ---------------
result<std::vector<message>> select_chat_feed(sqlite_db& db, std::string_view stream_id, int limit,
                                              std::optional<millis> since);
// Non-deleted messages with from <= created_at < to, oldest first (chat replay).
result<std::vector<message>> select_between(sqlite_db& db, std::string_view stream_id, millis from, millis to, int limit);
// Calls each(row) for every message of the stream, oldest first.
status scan_stream_messages(sqlite_db& db, std::string_view stream_id, const std::function<void(const message&)>& each);
// Writes: 409 `api_key_taken`; 404 `api_key_not_found`.
status insert_api_key(sqlite_db& db, const api_key& k);
status mark_api_key_revoked(sqlite_db& db, std::string_view id, millis at);
// Reads.
result<std::vector<api_key>> select_api_keys(sqlite_db& db);
result<std::optional<api_key>> select_api_key_by_hash(sqlite_db& db, std::string_view key_hash);

// ---- webhooks (sqlite_webhooks.cpp) ------------------------------------------------
// Writes: 404 `webhook_not_found`. Those of several rows change all or none.
status insert_webhook(sqlite_db& db, const webhook& w);
status remove_webhook(sqlite_db& db, std::string_view id);
status insert_deliveries(sqlite_db& db, const std::vector<webhook_delivery>& ds);
result<std::vector<webhook_delivery>> lease_deliveries(sqlite_db& db, millis now, std::string_view owner,
                                                       millis lease_until, int limit);
status record_outcomes(sqlite_db& db, const std::vector<delivery_outcome>& outcomes);
result<std::int64_t> delete_finished_deliveries(sqlite_db& db, millis before);
// Reads.
result<std::vector<webhook>> select_webhooks(sqlite_db& db);
result<webhook> select_webhook(sqlite_db& db, std::string_view id);
result<std::vector<webhook_delivery>> select_deliveries(sqlite_db& db, std::string_view webhook_id, int limit);

}  // namespace sorak::sqlite
