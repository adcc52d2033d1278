// sqlite_store.hpp: the default store, one SQLite file in WAL mode.
//
// Durability: synchronous=FULL, so a message whose `done` ran survives kill -9
// and power loss. Messages are committed in groups by one writer thread (see
// sqlite_writer.hpp): many appends share one transaction and one fsync.
// Control-plane writes (create_stream, update_stream, the moderation writes)
// go through the same queue and wait for their commit; remember_user is queued without waiting, as a background op (sqlite_writer.hpp: it may linger up to 20 ms for company).
// Reads use their own connections (WAL readers), so they never wait for the
// writer, and see every write whose `done` ran (or whose call returned).
//
// Thread-safety: every method may be called from any thread, except that the
// blocking ones (create_stream, update_stream, flush) must not be called from
// an append's `done` callback, which runs on the store's completion thread. Destroying the
// store commits everything already queued, then closes the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sorak/store.hpp"
#include "store/profile_memo.hpp"

namespace sorak {

namespace sqlite {
class read_pool;
class group_writer;
}  // namespace sqlite

struct sqlite_options {
  int busy_timeout_ms = 5000;     // how long a connection waits for a lock held by another process
  std::size_t max_group = 4096;   // writes per transaction, at most
  std::size_t max_idle_readers = 8;
};

class sqlite_store final : public store {
 public:
  // Creates the parent directories and the file if needed and migrates the
  // schema. Fails on a file it cannot open, cannot put in WAL mode, or whose
  // schema is newer than this build knows.
  static result<std::unique_ptr<sqlite_store>> open(const std::string& path, const sqlite_options& opts = {});
  ~sqlite_store() override;
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  result<stream> create_stream(const new_stream& s) override;
  result<stream> get_stream(std::string_view stream_id) override;
  result<stream> get_stream_by_room(std::string_view room_id) override;
  std::vector<stream> list_streams(std::optional<stream_status> filter) override;
  result<stream> update_stream(std::string_view stream_id, const stream_patch& p) override;
  status import_stream(const stream& s) override;

  // Visible to get_user once committed: after the next flush() at the latest.
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

  // Moderation: writes wait for their commit (like update_stream).
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
  // Retention: each batch is one op of the writer's queue (sqlite_retention.cpp).
  result<prune_report> prune_messages(millis cutoff, const stats_fold& fold) override;
  std::optional<std::string> stats_baseline(std::string_view stream_id) override;
  std::vector<stream_baseline> list_baselines() override;
  status import_baseline(const stream_baseline& b) override;

  // Waits for every write queued before the call (appends and remember_user).
  void flush() override;
  void release_memory() override;

  // Transactions committed so far (one per group): with commits well below the
  // messages appended, appends are being grouped.
  std::uint64_t commit_count() const;

 private:
  sqlite_store(std::unique_ptr<sqlite::read_pool> readers, std::unique_ptr<sqlite::group_writer> writer);
  template <class T, class F>
  result<T> read(F&& query);
  // A read whose failure is logged and answered with an empty list.
  template <class T, class F>
  std::vector<T> read_list(const char* what, F&& query);

  std::unique_ptr<sqlite::read_pool> readers_;
  std::unique_ptr<sqlite::group_writer> writer_;
  // Every connect remembers its user, but only a change costs a write; a
  // profile queued but not committed yet (a background write may linger) is
  // answered from here, so it is readable at once.
  profile_memo profiles_;
};

// The same as sqlite_store::open with default options, as the `store` interface.
result<std::unique_ptr<store>> open_sqlite_store(const std::string& path);

}  // namespace sorak
