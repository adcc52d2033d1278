// pg_store.hpp: the store on PostgreSQL, for several sorakd nodes sharing one
// database (issue 16).
//
// Durability: a message's `done` runs only after its group's COMMIT returned
// success, with synchronous_commit as the server has it (on by default).
// Messages are committed in groups by one writer thread and connection (see
// pg_writer.hpp); each stream's messages are numbered 1, 2, 3, … at commit
// under a row lock of that stream, so numbers are gap-free and unique however
// many nodes write. Control-plane writes go through the same queue and wait
// for their commit; remember_user is queued without waiting. Reads use a pool
// of up to `max_readers` connections and see every write whose callback ran.
//
// Faults: when the server cannot be reached, a connection breaks or a
// statement gets no answer within `query_timeout`, the operation fails with
// 503 `store_unavailable`; the writer and the readers reconnect by themselves
// on later operations, at most one attempt per 250 ms each.
//
// Thread-safety: every method may be called from any thread, except that the
// blocking ones must not be called from an append's `done` callback, which
// runs on the store's completion thread. Destroying the store commits everything queued.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sorak/store.hpp"
#include "store/pg_conn.hpp"
#include "store/profile_memo.hpp"

namespace sorak {

namespace pg {
class read_pool;
class group_writer;
}  // namespace pg

struct postgres_options {
  std::size_t max_group = 4096;  // writes per transaction, at most
  std::size_t max_readers = 8;   // read connections open at once, at most
  std::chrono::milliseconds query_timeout{10'000};
  int connect_timeout_seconds = 5;
  bool multi_row_insert = true;  // false: one INSERT per message (to measure against)
};

class postgres_store final : public store {
 public:
  // Connects, migrates the schema and makes sure this month's and next
  // month's message partitions exist. 503 when the server cannot be reached.
  static result<std::unique_ptr<postgres_store>> open(const std::string& url, const postgres_options& opts = {});
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  result<stream> create_stream(const new_stream& s) override;
  result<stream> get_stream(std::string_view stream_id) override;
  result<stream> get_stream_by_room(std::string_view room_id) override;
  std::vector<stream> list_streams(std::optional<stream_status> filter) override;
  result<stream> update_stream(std::string_view stream_id, const stream_patch& p) override;
  status import_stream(const stream& s) override;

  void remember_user(const user_profile& u) override;
  std::optional<user_profile> get_user(std::string_view user_id) override;
  std::vector<user_profile> list_users() override;

  void append(message m, append_callback done) override;
  result<history_page> history(std::string_view stream_id, int limit,
                               std::optional<std::string_view> before_id) override;
  std::vector<message> latest(std::string_view stream_id, int n) override;
  result<std::vector<message>> after(std::string_view stream_id, std::string_view message_id, int max) override;
  result<message> get_message(std::string_view stream_id, std::string_view message_id) override;
  std::vector<message> deleted_after(std::string_view stream_id, std::string_view message_id) override;
  std::optional<millis> last_created_at(std::string_view stream_id) override;

  result<message> delete_message(std::string_view stream_id, std::string_view message_id) override;
  result<std::vector<std::string>> delete_user_messages(std::string_view stream_id, std::string_view user_id) override;
  result<badge_grant> grant_badge(const badge_grant& g) override;
  status revoke_badge(std::string_view stream_id, std::string_view user_id) override;
  std::vector<badge_grant> list_badges(std::string_view stream_id) override;
  status put_sanction(const sanction& s) override;
  status lift_sanction(std::string_view stream_id, std::string_view user_id, sanction_kind kind) override;
  std::vector<sanction> list_sanctions(std::string_view stream_id) override;
  status log_action(const moderation_action& a) override;
  std::vector<moderation_action> moderation_log(std::string_view stream_id, int limit) override;

  result<blocked_term> add_blocked_term(const blocked_term& t) override;
  result<blocked_term> remove_blocked_term(std::string_view stream_id, std::string_view term_id) override;
  std::vector<blocked_term> list_blocked_terms(std::string_view stream_id) override;
  status put_pin(const pin_record& p) override;
  status clear_pin(std::string_view stream_id) override;
  std::optional<pin_record> get_pin(std::string_view stream_id) override;

  result<poll> create_poll(const poll& p) override;
  result<poll> get_poll(std::string_view stream_id, std::string_view poll_id) override;
  std::vector<poll> list_polls(std::string_view stream_id, int limit) override;
  status add_vote(std::string_view stream_id, std::string_view poll_id, std::string_view user_id, int option,
                  millis at) override;
  result<poll> close_poll(std::string_view stream_id, std::string_view poll_id, millis at) override;
  std::vector<poll_vote> list_votes(std::string_view stream_id, std::string_view poll_id) override;
  status import_poll(const poll& p, const std::vector<poll_vote>& votes) override;

  std::vector<message> chat_feed(std::string_view stream_id, int limit, std::optional<millis> since) override;
  std::vector<message> messages_between(std::string_view stream_id, millis from, millis to, int limit) override;
  void scan_messages(std::string_view stream_id, const std::function<void(const message&)>& each) override;
  status put_api_key(const api_key& k) override;
  std::vector<api_key> list_api_keys() override;
  std::optional<api_key> find_api_key(std::string_view key_hash) override;
  status revoke_api_key(std::string_view id, millis at) override;

  status create_webhook(const webhook& w) override;
  std::vector<webhook> list_webhooks() override;
  result<webhook> get_webhook(std::string_view id) override;
  status delete_webhook(std::string_view id) override;
  status add_deliveries(const std::vector<webhook_delivery>& ds) override;
  std::vector<webhook_delivery> claim_deliveries(millis now, std::string_view owner, millis lease_until,
                                                 int limit) override;
  status finish_deliveries(const std::vector<delivery_outcome>& outcomes) override;
  std::vector<webhook_delivery> list_deliveries(std::string_view webhook_id, int limit) override;
  std::int64_t prune_deliveries(millis before) override;
  // Retention: a pass on a connection of its own (pg_retention.cpp), never the
  // writer's, so appends go on meanwhile.
  result<prune_report> prune_messages(millis cutoff, const stats_fold& fold) override;
  std::optional<std::string> stats_baseline(std::string_view stream_id) override;
  std::vector<stream_baseline> list_baselines() override;
  status import_baseline(const stream_baseline& b) override;

  void flush() override;
  // Closes the idle read connections.
  void release_memory() override;

  // Transactions committed so far (one per group).
  std::uint64_t commit_count() const;
  // Runs of appends written in one round trip from the writer's cached heads,
  // and runs whose cached heads another node had moved (pg_queries.hpp).
  // Read after flush().
  std::uint64_t one_trip_runs() const;
  std::uint64_t stale_head_runs() const;

 private:
  postgres_store(std::string url, pg::conn_options conn, std::unique_ptr<pg::read_pool> readers,
                 std::unique_ptr<pg::group_writer> writer);
  template <class T, class F>
  result<T> read(F&& query);
  // A read whose failure is logged and answered with an empty value.
  template <class T, class F>
  T read_or_empty(const char* what, F&& query);
  template <class T, class F>
  result<T> write(F&& f);

  const std::string url_;
  const pg::conn_options conn_;
  std::unique_ptr<pg::read_pool> readers_;
  std::unique_ptr<pg::group_writer> writer_;
  profile_memo profiles_;
};

// postgres_store::open with default options, as the `store` interface.
// Accepts postgres://USER@HOST:PORT/DB and postgresql://… (any libpq URI).
result<std::unique_ptr<store>> open_postgres_store(const std::string& url);

}  // namespace sorak
