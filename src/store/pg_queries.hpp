// pg_queries.hpp: the SQL behind each postgres_store operation, one function each.
//
// Internal to src/store/. Each function runs on the connection it is given, by
// the one thread using it. Writes run on the writer connection inside a group
// transaction; an expected failure (not found, taken) is found by looking
// first, never by a failed statement, so it leaves the transaction usable for
// the rest of the group. Reads run on a leased connection, outside any
// transaction; a read of several statements stays correct without one because
// what it looks up first (a message's sequence number) never changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "sorak/store.hpp"
#include "store/pg_conn.hpp"

namespace sorak::pg {

// ---- writes (writer connection) --------------------------------------------
// Assigns id, room_id (unless given) and timestamps. 409 `room_taken`.
result<stream> insert_stream(pg_connection& db, const new_stream& s);
// s exactly as given (migrate-store). 409 `room_taken` when its id or room is used.
status insert_stream_as_is(pg_connection& db, const stream& s);
result<stream> patch_stream(pg_connection& db, std::string_view stream_id, const stream_patch& p);
status upsert_user(pg_connection& db, const user_profile& u);

// Partitions of `messages` the writer knows exist, and those the open
// transaction created (known once it commits).
struct partition_months {
  std::set<std::int64_t>& known;
  std::vector<std::int64_t>& created;
};
// Where a run of appends commits: in the transaction the caller opened (and
// commits), or in one of its own (`own`) whose BEGIN goes with the run's first
// statements and whose COMMIT goes with its last, so the run is two round
// trips; *commit_sent is set once that COMMIT may have reached the server.
struct append_txn {
  bool own = false;
  bool* commit_sent = nullptr;
  bool* one_trip = nullptr;  // set when the COMMIT went out with the BEGIN (head_cache)
};
// The heads this writer's own commits left: stream id → its last seq and
// created_at. A run of appends whose streams are all in it (and whose months
// have partitions) is numbered from it before anything is sent and written in
// ONE round trip: BEGIN, one statement that locks the heads and writes only if
// they are still what the cache says and no id of the run is stored, COMMIT.
// When another node wrote to one of the streams meanwhile, that statement
// writes nothing and the run is written the two-trip way (numbered from the
// locked heads). A stream found moved is written the two-trip way for
// `contended_pause` (several nodes writing it would otherwise cost every run
// a wasted trip). Writer thread only.
struct head_cache {
  struct head {
    std::int64_t seq = 0;
    millis created_at = 0;
  };
  boost::unordered_flat_map<std::string, head> heads;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> contended;  // until when
  std::chrono::milliseconds contended_pause{1000};
  std::size_t max_streams = 100'000;  // past this the cache starts again empty
  std::uint64_t one_trip = 0;         // runs written in one round trip
  std::uint64_t stale = 0;            // runs whose cached heads had moved
};
// Writes a run of appends (pg_messages.cpp): locks the head rows of their
// streams (in stream id order, so two nodes never deadlock), gives each
// message in turn its stream's next seq and a created_at above the last,
// creates a missing partition, inserts them. duplicate[i] is set for a
// message whose id is stored already (or earlier in `ms`); it is left out and
// keeps seq 0.
// With `cache` (and txn.own) a run the cache covers goes in one round trip,
// and the cache learns the heads of every run that commits.
status insert_appends(pg_connection& db, const std::vector<message*>& ms, std::vector<bool>& duplicate,
                      partition_months months, bool multi_row, append_txn txn = {}, head_cache* cache = nullptr);

// ---- reads (any connection) --------------------------------------------------
result<stream> select_stream(pg_connection& db, std::string_view stream_id);
result<stream> select_stream_by_room(pg_connection& db, std::string_view room_id);
result<std::vector<stream>> select_streams(pg_connection& db, std::optional<stream_status> filter);
result<std::optional<user_profile>> select_user(pg_connection& db, std::string_view user_id);
result<std::vector<user_profile>> select_users(pg_connection& db);  // by id

result<history_page> select_history(pg_connection& db, std::string_view stream_id, int limit,
                                    std::optional<std::string_view> before_id);
result<std::vector<message>> select_latest(pg_connection& db, std::string_view stream_id, int n);
result<std::vector<message>> select_after(pg_connection& db, std::string_view stream_id, std::string_view message_id,
                                          int max);
result<message> select_message(pg_connection& db, std::string_view stream_id, std::string_view message_id);
result<std::optional<millis>> select_last_created_at(pg_connection& db, std::string_view stream_id);
result<std::vector<message>> select_deleted_after(pg_connection& db, std::string_view stream_id,
                                                  std::string_view message_id);

// ---- moderation (pg_moderation.cpp) ------------------------------------------
result<message> mark_message_deleted(pg_connection& db, std::string_view stream_id, std::string_view message_id);
result<std::vector<std::string>> mark_user_messages_deleted(pg_connection& db, std::string_view stream_id,
                                                            std::string_view user_id);
result<badge_grant> upsert_badge(pg_connection& db, const badge_grant& g);
status delete_badge(pg_connection& db, std::string_view stream_id, std::string_view user_id);
status upsert_sanction(pg_connection& db, const sanction& s);
status delete_sanction(pg_connection& db, std::string_view stream_id, std::string_view user_id, sanction_kind kind);
status insert_action(pg_connection& db, const moderation_action& a);
result<std::vector<badge_grant>> select_badges(pg_connection& db, std::string_view stream_id);
result<std::vector<sanction>> select_sanctions(pg_connection& db, std::string_view stream_id);
result<std::vector<moderation_action>> select_actions(pg_connection& db, std::string_view stream_id, int limit);

// ---- blocked terms and the pin (pg_terms.cpp) ---------------------------------
// 409 `blocked_term_exists`; 404 `blocked_term_not_found`.
result<blocked_term> insert_blocked_term(pg_connection& db, const blocked_term& t);
result<blocked_term> delete_blocked_term(pg_connection& db, std::string_view stream_id, std::string_view term_id);
status upsert_pin(pg_connection& db, const pin_record& p);
status delete_pin(pg_connection& db, std::string_view stream_id);
result<std::vector<blocked_term>> select_blocked_terms(pg_connection& db, std::string_view stream_id);
result<std::optional<pin_record>> select_pin(pg_connection& db, std::string_view stream_id);

// ---- polls (pg_polls.cpp) --------------------------------------------------------
result<poll> insert_poll(pg_connection& db, const poll& p);
status insert_vote(pg_connection& db, std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                   int option, millis at);
result<poll> mark_poll_closed(pg_connection& db, std::string_view stream_id, std::string_view poll_id, millis at);
result<poll> select_poll(pg_connection& db, std::string_view stream_id, std::string_view poll_id);
result<std::vector<poll>> select_polls(pg_connection& db, std::string_view stream_id, int limit);
result<std::vector<poll_vote>> select_votes(pg_connection& db, std::string_view stream_id, std::string_view poll_id);
status insert_poll_as_is(pg_connection& db, const poll& p, const std::vector<poll_vote>& votes);

// ---- the Showroom-style feed and API keys (pg_showroom.cpp) --------------------
result<std::vector<message>> select_chat_feed(pg_connection& db, std::string_view stream_id, int limit,
                                              std::optional<millis> since);
// Non-deleted messages with from <= created_at < to, oldest first (chat replay).
result<std::vector<message>> select_between(pg_connection& db, std::string_view stream_id, millis from, millis to, int limit);
// Calls each(row) for every message of the stream, oldest first, from one
// snapshot, fetching a batch at a time.
status scan_stream_messages(pg_connection& db, std::string_view stream_id,
                            const std::function<void(const message&)>& each);
status insert_api_key(pg_connection& db, const api_key& k);
status mark_api_key_revoked(pg_connection& db, std::string_view id, millis at);
result<std::vector<api_key>> select_api_keys(pg_connection& db);
result<std::optional<api_key>> select_api_key_by_hash(pg_connection& db, std::string_view key_hash);

// ---- webhooks (pg_webhooks.cpp) ----------------------------------------------------
// None of these fails for a reason of data (no constraint can refuse them), so
// they may run inside a group transaction: 404 `webhook_not_found` is found, not raised.
status insert_webhook(pg_connection& db, const webhook& w);
status remove_webhook(pg_connection& db, std::string_view id);
result<std::vector<webhook>> select_webhooks(pg_connection& db);
result<webhook> select_webhook(pg_connection& db, std::string_view id);
// One statement each (autocommit on a pooled connection).
status insert_deliveries(pg_connection& db, const std::vector<webhook_delivery>& ds);
result<std::vector<webhook_delivery>> lease_deliveries(pg_connection& db, millis now, std::string_view owner,
                                                       millis lease_until, int limit);
status record_outcomes(pg_connection& db, const std::vector<delivery_outcome>& outcomes);
result<std::vector<webhook_delivery>> select_deliveries(pg_connection& db, std::string_view webhook_id, int limit);
result<std::int64_t> delete_finished_deliveries(pg_connection& db, millis before);
// ---- retention (pg_retention.cpp) ----------------------------------------------
// One prune pass (store.hpp: prune_messages). REQUIRES: a connection of its
// own, outside any transaction: each partition and each batch commits alone.
// Does nothing when another node holds the retention lock.
result<prune_report> prune_pass(pg_connection& db, millis cutoff, const stats_fold& fold);
// Writer: stores b as given; import_baseline_row also moves the stream's head
// up to b's last message, so the next one is numbered after it.
status upsert_baseline(pg_connection& db, const stream_baseline& b);
status import_baseline_row(pg_connection& db, const stream_baseline& b);
result<std::optional<std::string>> select_baseline(pg_connection& db, std::string_view stream_id);
result<std::vector<stream_baseline>> select_baselines(pg_connection& db);

// ---- statements whose plans pg_store_test checks -------------------------------
// The reads that must stay on an index however long a stream grows; the
// functions above run exactly these.
namespace statements {
extern const char* const message_place;   // $1 message id, $2 stream id → stream_seq, created_at
extern const char* const newest_below;    // $1 stream, $2 below seq, $3 at or below created_at, $4 limit
extern const char* const after;           // $1 stream, $2 above seq, $3 above created_at, $4 limit
extern const char* const feed_since;      // $1 stream, $2 since, $3 limit
extern const char* const feed_newest;     // $1 stream, $2 limit
extern const char* const moderation_log;  // $1 stream, $2 limit
}  // namespace statements

}  // namespace sorak::pg
