#include "store/pg_store.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "core/clock.hpp"
#include "core/log_text.hpp"
#include "store/pg_queries.hpp"
#include "store/pg_read_pool.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_writer.hpp"

namespace sorak {

namespace {

error closing() { return error(errc::shutting_down, "the store is closing"); }

// This month's partition and the next, so the first messages after a start
// and after midnight on the last day of a month need no DDL.
result<std::set<std::int64_t>> partitions_now(pg::pg_connection& db) {
  const std::int64_t month = pg::month_of(now_millis());
  for (std::int64_t m : {month, month + 1})
    if (auto s = pg::ensure_partition(db, m); !s) return s.err();
  return std::set<std::int64_t>{month, month + 1};
}

}  // namespace

// ---- opening and closing ----------------------------------------------------

result<std::unique_ptr<postgres_store>> postgres_store::open(const std::string& url, const postgres_options& opts) {
  const pg::conn_options conn{.query_timeout = opts.query_timeout,
                              .connect_timeout_seconds = opts.connect_timeout_seconds};
  auto db = pg::pg_connection::open(url, conn);
  if (!db) return db.err();
  if (auto s = pg::migrate(**db); !s) return s.err();
  auto months = partitions_now(**db);
  if (!months) return months.err();
  auto readers = std::make_unique<pg::read_pool>(url, conn, opts.max_readers);
  auto writer = std::make_unique<pg::group_writer>(
      url, conn, std::move(*db),
      pg::writer_options{.max_group = opts.max_group, .multi_row_insert = opts.multi_row_insert}, std::move(*months));
  return std::unique_ptr<postgres_store>(new postgres_store(url, conn, std::move(readers), std::move(writer)));
}

result<std::unique_ptr<store>> open_postgres_store(const std::string& url) {
  auto s = postgres_store::open(url);
  if (!s) return s.err();
  return std::unique_ptr<store>(std::move(*s));
}

postgres_store::postgres_store(std::string url, pg::conn_options conn, std::unique_ptr<pg::read_pool> readers,
                               std::unique_ptr<pg::group_writer> writer)
    : url_(std::move(url)), conn_(conn), readers_(std::move(readers)), writer_(std::move(writer)) {}

postgres_store::~postgres_store() {
  writer_->stop();
  writer_.reset();
  readers_.reset();
}

std::uint64_t postgres_store::commit_count() const { return writer_->commit_count(); }
std::uint64_t postgres_store::one_trip_runs() const { return writer_->cached_heads().one_trip; }
std::uint64_t postgres_store::stale_head_runs() const { return writer_->cached_heads().stale; }

// Reads change nothing, so one that failed on a pooled connection found dead
// (not one that timed out) is tried once more, on a new one.
template <class T, class F>
result<T> postgres_store::read(F&& query) {
  for (int attempt = 0;; ++attempt) {
    auto lease = readers_->acquire();
    if (!lease) return lease.err();
    result<T> r = query(lease->db());
    if (r || attempt > 0 || !lease->reused() || !lease->db().found_dead()) return r;
  }
}

template <class T, class F>
T postgres_store::read_or_empty(const char* what, F&& query) {
  auto r = read<T>(std::forward<F>(query));
  if (r) return std::move(*r);
  spdlog::error("store: {} failed: {}", what, r.err().message);
  return T{};
}

template <class T, class F>
result<T> postgres_store::write(F&& f) {
  return writer_->call<T>(std::function<result<T>(pg::pg_connection&)>(std::forward<F>(f)));
}

// ---- streams ----------------------------------------------------------------

result<stream> postgres_store::create_stream(const new_stream& s) {
  return write<stream>([&](pg::pg_connection& db) { return pg::insert_stream(db, s); });
}

result<stream> postgres_store::get_stream(std::string_view stream_id) {
  return read<stream>([&](pg::pg_connection& db) { return pg::select_stream(db, stream_id); });
}

result<stream> postgres_store::get_stream_by_room(std::string_view room_id) {
  return read<stream>([&](pg::pg_connection& db) { return pg::select_stream_by_room(db, room_id); });
}

std::vector<stream> postgres_store::list_streams(std::optional<stream_status> filter) {
  return read_or_empty<std::vector<stream>>("list_streams",
                                            [&](pg::pg_connection& db) { return pg::select_streams(db, filter); });
}

result<stream> postgres_store::update_stream(std::string_view stream_id, const stream_patch& p) {
  return write<stream>([&](pg::pg_connection& db) { return pg::patch_stream(db, stream_id, p); });
}

status postgres_store::import_stream(const stream& s) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_stream_as_is(db, s); });
}

// ---- users ------------------------------------------------------------------

void postgres_store::remember_user(const user_profile& u) {
  const std::uint64_t ticket = profiles_.note(u);
  if (ticket == 0) return;
  pg::write_op op;
  op.apply = [u](pg::pg_connection& db) { return pg::upsert_user(db, u); };
  op.done = [this, id = u.id, ticket](const status& s) {
    if (!s) spdlog::warn("store: remembering user {} failed: {}", log_quoted(id), s.err().message);
    profiles_.forget(id, ticket);  // the database answers for it again
  };
  op.background = true;
  // Refused only while closing: a profile is not worth an error.
  if (!writer_->enqueue(std::move(op))) profiles_.forget(u.id, ticket);
}

std::optional<user_profile> postgres_store::get_user(std::string_view user_id) {
  if (auto p = profiles_.pending(user_id)) return p;
  return read_or_empty<std::optional<user_profile>>(
      "get_user", [&](pg::pg_connection& db) { return pg::select_user(db, user_id); });
}

std::vector<user_profile> postgres_store::list_users() {
  return read_or_empty<std::vector<user_profile>>("list_users",
                                                  [](pg::pg_connection& db) { return pg::select_users(db); });
}

// ---- messages ---------------------------------------------------------------

void postgres_store::append(message m, append_callback done) {
  pg::write_op op;
  op.append = std::move(m);
  op.appended = std::move(done);
  if (!writer_->enqueue(std::move(op)) && op.appended) op.appended(closing());
}

result<history_page> postgres_store::history(std::string_view stream_id, int limit,
                                             std::optional<std::string_view> before_id) {
  return read<history_page>([&](pg::pg_connection& db) { return pg::select_history(db, stream_id, limit, before_id); });
}

std::vector<message> postgres_store::latest(std::string_view stream_id, int n) {
  return read_or_empty<std::vector<message>>(
      "latest", [&](pg::pg_connection& db) { return pg::select_latest(db, stream_id, n); });
}

result<std::vector<message>> postgres_store::after(std::string_view stream_id, std::string_view message_id, int max) {
  return read<std::vector<message>>(
      [&](pg::pg_connection& db) { return pg::select_after(db, stream_id, message_id, max); });
}

result<message> postgres_store::get_message(std::string_view stream_id, std::string_view message_id) {
  return read<message>([&](pg::pg_connection& db) { return pg::select_message(db, stream_id, message_id); });
}

std::vector<message> postgres_store::deleted_after(std::string_view stream_id, std::string_view message_id) {
  return read_or_empty<std::vector<message>>(
      "deleted_after", [&](pg::pg_connection& db) { return pg::select_deleted_after(db, stream_id, message_id); });
}

std::optional<millis> postgres_store::last_created_at(std::string_view stream_id) {
  return read_or_empty<std::optional<millis>>(
      "last_created_at", [&](pg::pg_connection& db) { return pg::select_last_created_at(db, stream_id); });
}

// ---- moderation -------------------------------------------------------------

result<message> postgres_store::delete_message(std::string_view stream_id, std::string_view message_id) {
  return write<message>([&](pg::pg_connection& db) { return pg::mark_message_deleted(db, stream_id, message_id); });
}

result<std::vector<std::string>> postgres_store::delete_user_messages(std::string_view stream_id,
                                                                      std::string_view user_id) {
  return write<std::vector<std::string>>(
      [&](pg::pg_connection& db) { return pg::mark_user_messages_deleted(db, stream_id, user_id); });
}

result<badge_grant> postgres_store::grant_badge(const badge_grant& g) {
  return write<badge_grant>([&](pg::pg_connection& db) { return pg::upsert_badge(db, g); });
}

status postgres_store::revoke_badge(std::string_view stream_id, std::string_view user_id) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::delete_badge(db, stream_id, user_id); });
}

std::vector<badge_grant> postgres_store::list_badges(std::string_view stream_id) {
  return read_or_empty<std::vector<badge_grant>>(
      "list_badges", [&](pg::pg_connection& db) { return pg::select_badges(db, stream_id); });
}

status postgres_store::put_sanction(const sanction& s) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::upsert_sanction(db, s); });
}

status postgres_store::lift_sanction(std::string_view stream_id, std::string_view user_id, sanction_kind kind) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::delete_sanction(db, stream_id, user_id, kind); });
}

std::vector<sanction> postgres_store::list_sanctions(std::string_view stream_id) {
  return read_or_empty<std::vector<sanction>>(
      "list_sanctions", [&](pg::pg_connection& db) { return pg::select_sanctions(db, stream_id); });
}

status postgres_store::log_action(const moderation_action& a) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_action(db, a); });
}

std::vector<moderation_action> postgres_store::moderation_log(std::string_view stream_id, int limit) {
  return read_or_empty<std::vector<moderation_action>>(
      "moderation_log", [&](pg::pg_connection& db) { return pg::select_actions(db, stream_id, limit); });
}

// ---- blocked terms and the pin ----------------------------------------------------

result<blocked_term> postgres_store::add_blocked_term(const blocked_term& t) {
  return write<blocked_term>([&](pg::pg_connection& db) { return pg::insert_blocked_term(db, t); });
}

result<blocked_term> postgres_store::remove_blocked_term(std::string_view stream_id, std::string_view term_id) {
  return write<blocked_term>([&](pg::pg_connection& db) { return pg::delete_blocked_term(db, stream_id, term_id); });
}

std::vector<blocked_term> postgres_store::list_blocked_terms(std::string_view stream_id) {
  return read_or_empty<std::vector<blocked_term>>(
      "list_blocked_terms", [&](pg::pg_connection& db) { return pg::select_blocked_terms(db, stream_id); });
}

status postgres_store::put_pin(const pin_record& p) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::upsert_pin(db, p); });
}

status postgres_store::clear_pin(std::string_view stream_id) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::delete_pin(db, stream_id); });
}

std::optional<pin_record> postgres_store::get_pin(std::string_view stream_id) {
  return read_or_empty<std::optional<pin_record>>(
      "get_pin", [&](pg::pg_connection& db) { return pg::select_pin(db, stream_id); });
}

// ---- polls ---------------------------------------------------------------------------

result<poll> postgres_store::create_poll(const poll& p) {
  return write<poll>([&](pg::pg_connection& db) { return pg::insert_poll(db, p); });
}

result<poll> postgres_store::get_poll(std::string_view stream_id, std::string_view poll_id) {
  return read<poll>([&](pg::pg_connection& db) { return pg::select_poll(db, stream_id, poll_id); });
}

std::vector<poll> postgres_store::list_polls(std::string_view stream_id, int limit) {
  return read_or_empty<std::vector<poll>>(
      "list_polls", [&](pg::pg_connection& db) { return pg::select_polls(db, stream_id, limit); });
}

status postgres_store::add_vote(std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                                int option, millis at) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_vote(db, stream_id, poll_id, user_id, option, at); });
}

std::vector<poll_vote> postgres_store::list_votes(std::string_view stream_id, std::string_view poll_id) {
  return read_or_empty<std::vector<poll_vote>>(
      "list_votes", [&](pg::pg_connection& db) { return pg::select_votes(db, stream_id, poll_id); });
}

status postgres_store::import_poll(const poll& p, const std::vector<poll_vote>& votes) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_poll_as_is(db, p, votes); });
}

result<poll> postgres_store::close_poll(std::string_view stream_id, std::string_view poll_id, millis at) {
  return write<poll>([&](pg::pg_connection& db) { return pg::mark_poll_closed(db, stream_id, poll_id, at); });
}

// ---- the Showroom-style feed, statistics and API keys -------------------------

std::vector<message> postgres_store::chat_feed(std::string_view stream_id, int limit, std::optional<millis> since) {
  return read_or_empty<std::vector<message>>(
      "chat_feed", [&](pg::pg_connection& db) { return pg::select_chat_feed(db, stream_id, limit, since); });
}

std::vector<message> postgres_store::messages_between(std::string_view stream_id, millis from, millis to, int limit) {
  return read_or_empty<std::vector<message>>(
      "messages_between", [&](pg::pg_connection& db) { return pg::select_between(db, stream_id, from, to, limit); });
}

void postgres_store::scan_messages(std::string_view stream_id, const std::function<void(const message&)>& each) {
  auto r = read<ok_t>([&](pg::pg_connection& db) { return pg::scan_stream_messages(db, stream_id, each); });
  if (!r) spdlog::error("store: scan_messages failed: {}", r.err().message);
}

status postgres_store::put_api_key(const api_key& k) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_api_key(db, k); });
}

std::vector<api_key> postgres_store::list_api_keys() {
  return read_or_empty<std::vector<api_key>>("list_api_keys",
                                             [](pg::pg_connection& db) { return pg::select_api_keys(db); });
}

std::optional<api_key> postgres_store::find_api_key(std::string_view key_hash) {
  return read_or_empty<std::optional<api_key>>(
      "find_api_key", [&](pg::pg_connection& db) { return pg::select_api_key_by_hash(db, key_hash); });
}

status postgres_store::revoke_api_key(std::string_view id, millis at) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::mark_api_key_revoked(db, id, at); });
}

// ---- webhooks ----------------------------------------------------------------------
// The webhooks themselves are control-plane writes through the writer; the
// deliveries are written by one statement each on a pooled connection, so a
// batch of them neither waits for nor holds up a group of messages.

status postgres_store::create_webhook(const webhook& w) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::insert_webhook(db, w); });
}

std::vector<webhook> postgres_store::list_webhooks() {
  return read_or_empty<std::vector<webhook>>("list_webhooks", [](pg::pg_connection& db) { return pg::select_webhooks(db); });
}

result<webhook> postgres_store::get_webhook(std::string_view id) {
  return read<webhook>([&](pg::pg_connection& db) { return pg::select_webhook(db, id); });
}

status postgres_store::delete_webhook(std::string_view id) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::remove_webhook(db, id); });
}

status postgres_store::add_deliveries(const std::vector<webhook_delivery>& ds) {
  if (ds.empty()) return ok_value;
  return read<ok_t>([&](pg::pg_connection& db) { return pg::insert_deliveries(db, ds); });
}

std::vector<webhook_delivery> postgres_store::claim_deliveries(millis now, std::string_view owner, millis lease_until,
                                                               int limit) {
  return read_or_empty<std::vector<webhook_delivery>>("claim_deliveries", [&](pg::pg_connection& db) {
    return pg::lease_deliveries(db, now, owner, lease_until, limit);
  });
}

status postgres_store::finish_deliveries(const std::vector<delivery_outcome>& outcomes) {
  if (outcomes.empty()) return ok_value;
  return read<ok_t>([&](pg::pg_connection& db) { return pg::record_outcomes(db, outcomes); });
}

std::vector<webhook_delivery> postgres_store::list_deliveries(std::string_view webhook_id, int limit) {
  return read_or_empty<std::vector<webhook_delivery>>(
      "list_deliveries", [&](pg::pg_connection& db) { return pg::select_deliveries(db, webhook_id, limit); });
}

std::int64_t postgres_store::prune_deliveries(millis before) {
  return read_or_empty<std::int64_t>("prune_deliveries",
                                     [&](pg::pg_connection& db) { return pg::delete_finished_deliveries(db, before); });
}

// ---- retention ------------------------------------------------------------------

result<prune_report> postgres_store::prune_messages(millis cutoff, const stats_fold& fold) {
  auto db = pg::pg_connection::open(url_, conn_);
  if (!db) return db.err();
  auto report = pg::prune_pass(**db, cutoff, fold);
  if (report && report->partitions_dropped > 0) writer_->forget_months_before(pg::month_of(cutoff));
  return report;
}

std::optional<std::string> postgres_store::stats_baseline(std::string_view stream_id) {
  return read_or_empty<std::optional<std::string>>(
      "stats_baseline", [&](pg::pg_connection& db) { return pg::select_baseline(db, stream_id); });
}

std::vector<stream_baseline> postgres_store::list_baselines() {
  return read_or_empty<std::vector<stream_baseline>>("list_baselines",
                                                     [](pg::pg_connection& db) { return pg::select_baselines(db); });
}

status postgres_store::import_baseline(const stream_baseline& b) {
  return write<ok_t>([&](pg::pg_connection& db) { return pg::import_baseline_row(db, b); });
}

void postgres_store::flush() { writer_->flush(); }

void postgres_store::release_memory() { readers_->release_memory(); }

}  // namespace sorak
