#include "store/sqlite_store.hpp"

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

#include "core/log_text.hpp"
#include "store/sqlite_queries.hpp"
#include "store/sqlite_read_pool.hpp"
#include "store/sqlite_schema.hpp"
#include "store/sqlite_writer.hpp"

namespace sorak {

namespace {

status create_parent_directories(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return ok_value;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return error(errc::internal, "cannot create " + parent.string() + ": " + ec.message());
  return ok_value;
}

error closing() { return error(errc::shutting_down, "the store is closing"); }

}  // namespace

// ---- opening and closing ----------------------------------------------------

result<std::unique_ptr<sqlite_store>> sqlite_store::open(const std::string& path, const sqlite_options& opts) {
  if (auto s = create_parent_directories(path); !s) return s.err();
  auto db = sqlite::sqlite_db::open(path, {.read_only = false, .busy_timeout_ms = opts.busy_timeout_ms});
  if (!db) return db.err();
  if (auto s = sqlite::migrate(**db); !s) return s.err();
  auto readers = std::make_unique<sqlite::read_pool>(path, opts.busy_timeout_ms, opts.max_idle_readers);
  auto writer = std::make_unique<sqlite::group_writer>(std::move(*db), opts.max_group);
  return std::unique_ptr<sqlite_store>(new sqlite_store(std::move(readers), std::move(writer)));
}

result<std::unique_ptr<store>> open_sqlite_store(const std::string& path) {
  auto s = sqlite_store::open(path);
  if (!s) return s.err();
  return std::unique_ptr<store>(std::move(*s));
}

sqlite_store::sqlite_store(std::unique_ptr<sqlite::read_pool> readers, std::unique_ptr<sqlite::group_writer> writer)
    : readers_(std::move(readers)), writer_(std::move(writer)) {}

sqlite_store::~sqlite_store() {
  writer_->stop();
  // Readers close first so the writer's connection is the file's last: closing
  // it checkpoints the WAL back into the database file.
  readers_.reset();
  writer_.reset();
}

std::uint64_t sqlite_store::commit_count() const { return writer_->commit_count(); }

template <class T, class F>
result<T> sqlite_store::read(F&& query) {
  auto lease = readers_->acquire();
  if (!lease) return lease.err();
  return query(lease->db());
}

template <class T, class F>
std::vector<T> sqlite_store::read_list(const char* what, F&& query) {
  auto r = read<std::vector<T>>(std::forward<F>(query));
  if (r) return std::move(*r);
  spdlog::error("store: {} failed: {}", what, r.err().message);
  return {};
}

// ---- streams ----------------------------------------------------------------

result<stream> sqlite_store::create_stream(const new_stream& s) {
  return writer_->call<stream>([&](sqlite::sqlite_db& db) { return sqlite::insert_stream(db, s); });
}

result<stream> sqlite_store::get_stream(std::string_view stream_id) {
  return read<stream>([&](sqlite::sqlite_db& db) { return sqlite::select_stream(db, stream_id); });
}

result<stream> sqlite_store::get_stream_by_room(std::string_view room_id) {
  return read<stream>([&](sqlite::sqlite_db& db) { return sqlite::select_stream_by_room(db, room_id); });
}

std::vector<stream> sqlite_store::list_streams(std::optional<stream_status> filter) {
  auto r = read<std::vector<stream>>([&](sqlite::sqlite_db& db) { return sqlite::select_streams(db, filter); });
  if (r) return std::move(*r);
  spdlog::error("store: list_streams failed: {}", r.err().message);
  return {};
}

result<stream> sqlite_store::update_stream(std::string_view stream_id, const stream_patch& p) {
  return writer_->call<stream>([&](sqlite::sqlite_db& db) { return sqlite::patch_stream(db, stream_id, p); });
}

status sqlite_store::import_stream(const stream& s) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_stream_as_is(db, s); });
}

// ---- users ------------------------------------------------------------------

void sqlite_store::remember_user(const user_profile& u) {
  const std::uint64_t ticket = profiles_.note(u);
  if (ticket == 0) return;
  sqlite::write_op op{[u](sqlite::sqlite_db& db) { return sqlite::upsert_user(db, u); },
                      [this, id = u.id, ticket](const status& s) {
                        if (!s) spdlog::warn("store: remembering user {} failed: {}", log_quoted(id), s.err().message);
                        profiles_.forget(id, ticket);  // the file answers for it again
                      },
                      /*background=*/true};
  // Refused only while closing: a profile is not worth an error.
  if (!writer_->enqueue(std::move(op))) profiles_.forget(u.id, ticket);
}

std::optional<user_profile> sqlite_store::get_user(std::string_view user_id) {
  if (auto p = profiles_.pending(user_id)) return p;
  auto r = read<std::optional<user_profile>>([&](sqlite::sqlite_db& db) { return sqlite::select_user(db, user_id); });
  if (r) return std::move(*r);
  spdlog::error("store: get_user failed: {}", r.err().message);
  return std::nullopt;
}

std::vector<user_profile> sqlite_store::list_users() {
  return read_list<user_profile>("list_users", [](sqlite::sqlite_db& db) { return sqlite::select_users(db); });
}

// ---- messages ---------------------------------------------------------------

void sqlite_store::append(message m, append_callback done) {
  // insert_message fills in seq and created_at; `done` hands the result on.
  auto stored = std::make_shared<message>(std::move(m));
  sqlite::write_op op{[stored](sqlite::sqlite_db& db) { return sqlite::insert_message(db, *stored); },
                      [stored, done = std::move(done)](const status& s) {
                        if (!done) return;
                        if (s) done(result<message>(std::move(*stored)));
                        else done(result<message>(s.err()));
                      }};
  if (!writer_->enqueue(std::move(op))) op.done(closing());
}

result<history_page> sqlite_store::history(std::string_view stream_id, int limit,
                                           std::optional<std::string_view> before_id) {
  return read<history_page>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_history(db, stream_id, limit, before_id); });
}

std::vector<message> sqlite_store::latest(std::string_view stream_id, int n) {
  auto r = read<std::vector<message>>([&](sqlite::sqlite_db& db) { return sqlite::select_latest(db, stream_id, n); });
  if (r) return std::move(*r);
  spdlog::error("store: latest failed: {}", r.err().message);
  return {};
}

result<std::vector<message>> sqlite_store::after(std::string_view stream_id, std::string_view message_id, int max) {
  return read<std::vector<message>>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_after(db, stream_id, message_id, max); });
}

result<message> sqlite_store::get_message(std::string_view stream_id, std::string_view message_id) {
  return read<message>([&](sqlite::sqlite_db& db) { return sqlite::select_message(db, stream_id, message_id); });
}

std::vector<message> sqlite_store::deleted_after(std::string_view stream_id, std::string_view message_id) {
  return read_list<message>("deleted_after", [&](sqlite::sqlite_db& db) {
    return sqlite::select_deleted_after(db, stream_id, message_id);
  });
}

std::optional<millis> sqlite_store::last_created_at(std::string_view stream_id) {
  auto r = read<std::optional<millis>>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_last_created_at(db, stream_id); });
  if (r) return *r;
  spdlog::error("store: last_created_at failed: {}", r.err().message);
  return std::nullopt;
}

// ---- moderation -------------------------------------------------------------

result<message> sqlite_store::delete_message(std::string_view stream_id, std::string_view message_id) {
  return writer_->call<message>(
      [&](sqlite::sqlite_db& db) { return sqlite::mark_message_deleted(db, stream_id, message_id); });
}

result<std::vector<std::string>> sqlite_store::delete_user_messages(std::string_view stream_id,
                                                                    std::string_view user_id) {
  return writer_->call<std::vector<std::string>>(
      [&](sqlite::sqlite_db& db) { return sqlite::mark_user_messages_deleted(db, stream_id, user_id); });
}

result<badge_grant> sqlite_store::grant_badge(const badge_grant& g) {
  return writer_->call<badge_grant>([&](sqlite::sqlite_db& db) { return sqlite::upsert_badge(db, g); });
}

status sqlite_store::revoke_badge(std::string_view stream_id, std::string_view user_id) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::delete_badge(db, stream_id, user_id); });
}

std::vector<badge_grant> sqlite_store::list_badges(std::string_view stream_id) {
  return read_list<badge_grant>("list_badges",
                                [&](sqlite::sqlite_db& db) { return sqlite::select_badges(db, stream_id); });
}

status sqlite_store::put_sanction(const sanction& s) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::upsert_sanction(db, s); });
}

status sqlite_store::lift_sanction(std::string_view stream_id, std::string_view user_id, sanction_kind kind) {
  return writer_->call<ok_t>(
      [&](sqlite::sqlite_db& db) { return sqlite::delete_sanction(db, stream_id, user_id, kind); });
}

std::vector<sanction> sqlite_store::list_sanctions(std::string_view stream_id) {
  return read_list<sanction>("list_sanctions",
                             [&](sqlite::sqlite_db& db) { return sqlite::select_sanctions(db, stream_id); });
}

status sqlite_store::log_action(const moderation_action& a) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_action(db, a); });
}

std::vector<moderation_action> sqlite_store::moderation_log(std::string_view stream_id, int limit) {
  return read_list<moderation_action>(
      "moderation_log", [&](sqlite::sqlite_db& db) { return sqlite::select_actions(db, stream_id, limit); });
}

// ---- blocked terms and the pin ------------------------------------------------------

result<blocked_term> sqlite_store::add_blocked_term(const blocked_term& t) {
  return writer_->call<blocked_term>([&](sqlite::sqlite_db& db) { return sqlite::insert_blocked_term(db, t); });
}

result<blocked_term> sqlite_store::remove_blocked_term(std::string_view stream_id, std::string_view term_id) {
  return writer_->call<blocked_term>(
      [&](sqlite::sqlite_db& db) { return sqlite::delete_blocked_term(db, stream_id, term_id); });
}

std::vector<blocked_term> sqlite_store::list_blocked_terms(std::string_view stream_id) {
  return read_list<blocked_term>("list_blocked_terms",
                                 [&](sqlite::sqlite_db& db) { return sqlite::select_blocked_terms(db, stream_id); });
}

status sqlite_store::put_pin(const pin_record& p) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::upsert_pin(db, p); });
}

status sqlite_store::clear_pin(std::string_view stream_id) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::delete_pin(db, stream_id); });
}

std::optional<pin_record> sqlite_store::get_pin(std::string_view stream_id) {
  auto r = read<std::optional<pin_record>>([&](sqlite::sqlite_db& db) { return sqlite::select_pin(db, stream_id); });
  if (!r) {
    spdlog::warn("store: get_pin failed: {}", r.err().message);
    return std::nullopt;
  }
  return *r;
}

// ---- polls ---------------------------------------------------------------------------

result<poll> sqlite_store::create_poll(const poll& p) {
  return writer_->call<poll>([&](sqlite::sqlite_db& db) { return sqlite::insert_poll(db, p); });
}

result<poll> sqlite_store::get_poll(std::string_view stream_id, std::string_view poll_id) {
  return read<poll>([&](sqlite::sqlite_db& db) { return sqlite::select_poll(db, stream_id, poll_id); });
}

std::vector<poll> sqlite_store::list_polls(std::string_view stream_id, int limit) {
  return read_list<poll>("list_polls", [&](sqlite::sqlite_db& db) { return sqlite::select_polls(db, stream_id, limit); });
}

status sqlite_store::add_vote(std::string_view stream_id, std::string_view poll_id, std::string_view user_id,
                              int option, millis at) {
  return writer_->call<ok_t>(
      [&](sqlite::sqlite_db& db) { return sqlite::insert_vote(db, stream_id, poll_id, user_id, option, at); });
}

std::vector<poll_vote> sqlite_store::list_votes(std::string_view stream_id, std::string_view poll_id) {
  return read_list<poll_vote>("list_votes", [&](sqlite::sqlite_db& db) { return sqlite::select_votes(db, stream_id, poll_id); });
}

status sqlite_store::import_poll(const poll& p, const std::vector<poll_vote>& votes) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_poll_as_is(db, p, votes); });
}

result<poll> sqlite_store::close_poll(std::string_view stream_id, std::string_view poll_id, millis at) {
  return writer_->call<poll>([&](sqlite::sqlite_db& db) { return sqlite::mark_poll_closed(db, stream_id, poll_id, at); });
}

// ---- the Showroom-style feed, statistics and API keys -----------------------------

std::vector<message> sqlite_store::chat_feed(std::string_view stream_id, int limit, std::optional<millis> since) {
  return read_list<message>(
      "chat_feed", [&](sqlite::sqlite_db& db) { return sqlite::select_chat_feed(db, stream_id, limit, since); });
}

std::vector<message> sqlite_store::messages_between(std::string_view stream_id, millis from, millis to, int limit) {
  return read_list<message>("messages_between", [&](sqlite::sqlite_db& db) {
    return sqlite::select_between(db, stream_id, from, to, limit);
  });
}

void sqlite_store::scan_messages(std::string_view stream_id, const std::function<void(const message&)>& each) {
  auto r = read<ok_t>([&](sqlite::sqlite_db& db) {
    sqlite::read_transaction txn(db);  // one snapshot for the whole walk
    if (!txn.began()) return txn.began();
    return sqlite::scan_stream_messages(db, stream_id, each);
  });
  if (!r) spdlog::error("store: scan_messages failed: {}", r.err().message);
}

status sqlite_store::put_api_key(const api_key& k) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_api_key(db, k); });
}

std::vector<api_key> sqlite_store::list_api_keys() {
  return read_list<api_key>("list_api_keys", [](sqlite::sqlite_db& db) { return sqlite::select_api_keys(db); });
}

std::optional<api_key> sqlite_store::find_api_key(std::string_view key_hash) {
  auto r = read<std::optional<api_key>>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_api_key_by_hash(db, key_hash); });
  if (r) return std::move(*r);
  spdlog::error("store: find_api_key failed: {}", r.err().message);
  return std::nullopt;
}

status sqlite_store::revoke_api_key(std::string_view id, millis at) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::mark_api_key_revoked(db, id, at); });
}

// ---- webhooks ------------------------------------------------------------------------
status sqlite_store::create_webhook(const webhook& w) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_webhook(db, w); });
}

std::vector<webhook> sqlite_store::list_webhooks() {
  return read_list<webhook>("list_webhooks", [](sqlite::sqlite_db& db) { return sqlite::select_webhooks(db); });
}

result<webhook> sqlite_store::get_webhook(std::string_view id) {
  return read<webhook>([&](sqlite::sqlite_db& db) { return sqlite::select_webhook(db, id); });
}

status sqlite_store::delete_webhook(std::string_view id) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::remove_webhook(db, id); });
}

status sqlite_store::add_deliveries(const std::vector<webhook_delivery>& ds) {
  if (ds.empty()) return ok_value;
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::insert_deliveries(db, ds); });
}

std::vector<webhook_delivery> sqlite_store::claim_deliveries(millis now, std::string_view owner, millis lease_until,
                                                             int limit) {
  auto r = writer_->call<std::vector<webhook_delivery>>(
      [&](sqlite::sqlite_db& db) { return sqlite::lease_deliveries(db, now, owner, lease_until, limit); });
  if (r) return std::move(*r);
  spdlog::error("store: claim_deliveries failed: {}", r.err().message);
  return {};
}

status sqlite_store::finish_deliveries(const std::vector<delivery_outcome>& outcomes) {
  if (outcomes.empty()) return ok_value;
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::record_outcomes(db, outcomes); });
}

std::vector<webhook_delivery> sqlite_store::list_deliveries(std::string_view webhook_id, int limit) {
  return read_list<webhook_delivery>(
      "list_deliveries", [&](sqlite::sqlite_db& db) { return sqlite::select_deliveries(db, webhook_id, limit); });
}

std::int64_t sqlite_store::prune_deliveries(millis before) {
  auto r = writer_->call<std::int64_t>([&](sqlite::sqlite_db& db) { return sqlite::delete_finished_deliveries(db, before); });
  if (r) return *r;
  spdlog::error("store: prune_deliveries failed: {}", r.err().message);
  return 0;
}

// ---- retention ----------------------------------------------------------------

// Each batch is one write op: it shares its group's commit with appends, and
// the writer takes the next appends as soon as it committed.
result<prune_report> sqlite_store::prune_messages(millis cutoff, const stats_fold& fold) {
  auto streams = read<std::vector<std::string>>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_streams_to_prune(db, cutoff); });
  if (!streams) return streams.err();
  prune_report report;
  for (const auto& id : *streams) {
    std::int64_t removed = 0;
    for (;;) {
      auto n = writer_->call<std::int64_t>(
          [&](sqlite::sqlite_db& db) { return sqlite::prune_stream_batch(db, id, cutoff, fold); });
      if (!n) return n.err();
      removed += *n;
      if (*n < store::prune_batch) break;
    }
    report.messages += removed;
    report.streams += removed > 0 ? 1 : 0;
  }
  return report;
}

std::optional<std::string> sqlite_store::stats_baseline(std::string_view stream_id) {
  auto r = read<std::optional<std::string>>(
      [&](sqlite::sqlite_db& db) { return sqlite::select_baseline(db, stream_id); });
  if (r) return std::move(*r);
  spdlog::error("store: stats_baseline failed: {}", r.err().message);
  return std::nullopt;
}

std::vector<stream_baseline> sqlite_store::list_baselines() {
  return read_list<stream_baseline>("list_baselines",
                                    [](sqlite::sqlite_db& db) { return sqlite::select_baselines(db); });
}

status sqlite_store::import_baseline(const stream_baseline& b) {
  return writer_->call<ok_t>([&](sqlite::sqlite_db& db) { return sqlite::upsert_baseline(db, b); });
}

void sqlite_store::flush() { writer_->flush(); }

void sqlite_store::release_memory() { readers_->release_memory(); }

}  // namespace sorak
