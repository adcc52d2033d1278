// postgres_store beyond the contract suite: several nodes on one database,
// query plans on a big stream, migrations, faults. Each test runs in a
// database of its own on SORAK_TEST_POSTGRES_URL, and fails (saying how to
// start a server) when it is not set.
#include "store/pg_store.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/pg_conn.hpp"
#include "store/pg_queries.hpp"
#include "store/pg_read_pool.hpp"
#include "store/pg_schema.hpp"
#include "store/pg_scratch_db.hpp"

namespace sorak {
namespace {

using namespace std::chrono_literals;

new_stream named(std::string title) {
  new_stream ns;
  ns.broadcaster_user_id = "b";
  ns.title = std::move(title);
  ns.room_name = "r";
  return ns;
}

class pg_store_test : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = pg::test_server_url();
    ASSERT_TRUE(server_) << pg::how_to_start_postgres();
    std::string hex;
    for (char c : new_uuid_v7())
      if (c != '-') hex.push_back(c);
    name_ = "sorak_t_" + hex;
    auto url = pg::create_scratch_database(*server_, name_);
    ASSERT_TRUE(url) << url.err().message;
    url_ = *url;
  }

  void TearDown() override {
    if (!server_ || name_.empty()) return;
    auto s = pg::drop_scratch_database(*server_, name_);
    EXPECT_TRUE(s) << s.err().message;
  }

  std::unique_ptr<postgres_store> open(const postgres_options& opts = {}) {
    auto s = postgres_store::open(url_, opts);
    EXPECT_TRUE(s) << s.err().message;
    return s ? std::move(*s) : nullptr;
  }

  std::unique_ptr<pg::pg_connection> connect(std::chrono::milliseconds timeout = 10s) {
    auto c = pg::pg_connection::open(url_, {.query_timeout = timeout});
    EXPECT_TRUE(c) << c.err().message;
    return c ? std::move(*c) : nullptr;
  }

  static message make_message(const std::string& stream_id, std::string content, millis at) {
    message m;
    m.id = new_uuid_v7();
    m.stream_id = stream_id;
    m.user = {.id = "u-1",
              .username = "alice",
              .display_name = "Alice",
              .avatar_url = "",
              .level = 1,
              .is_premium = false,
              .badges = {}};
    m.content = std::move(content);
    m.created_at = at;
    return m;
  }

  std::optional<std::string> server_;
  std::string name_;
  std::string url_;
};

// ---- two nodes, one stream ------------------------------------------------------

// Appends n messages from one node, created_at proposed as base, base+1, …;
// both nodes propose the same times, so the store must move them apart.
// Returns the seq each `done` reported, in append order (0: failed).
std::future<std::vector<std::int64_t>> append_from(postgres_store& node, const std::string& stream_id, int n,
                                                   millis base, const std::string& tag) {
  return std::async(std::launch::async, [&node, stream_id, n, base, tag] {
    // Written by the node's writer thread only; read after flush().
    std::vector<std::int64_t> seqs;
    for (int i = 0; i < n; ++i) {
      message m;
      m.id = new_uuid_v7();
      m.stream_id = stream_id;
      m.user.id = tag;
      m.content = tag + std::to_string(i);
      m.created_at = base + i;
      node.append(std::move(m), [&seqs](result<message> r) { seqs.push_back(r ? r->seq : 0); });
    }
    node.flush();
    return seqs;
  });
}

TEST_F(pg_store_test, two_nodes_appending_to_one_stream_number_it_without_gap_or_repeat) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  auto s = a->create_stream(named("t"));
  ASSERT_TRUE(s) << s.err().message;
  const millis base = now_millis();
  const auto started = std::chrono::steady_clock::now();
  auto from_a = append_from(*a, s->id, 2000, base, "a");
  auto from_b = append_from(*b, s->id, 2000, base, "b");
  std::vector<std::int64_t> acked = from_a.get();
  const auto from_b_seqs = from_b.get();
  ASSERT_EQ(acked.size(), 2000u);
  ASSERT_EQ(from_b_seqs.size(), 2000u);
  // Each node's own acks rise; together they are 1..4000 once each.
  EXPECT_TRUE(std::is_sorted(acked.begin(), acked.end()));
  EXPECT_TRUE(std::is_sorted(from_b_seqs.begin(), from_b_seqs.end()));
  acked.insert(acked.end(), from_b_seqs.begin(), from_b_seqs.end());
  std::sort(acked.begin(), acked.end());
  for (std::size_t i = 0; i < acked.size(); ++i) ASSERT_EQ(acked[i], static_cast<std::int64_t>(i + 1));

  std::vector<message> all;
  b->scan_messages(s->id, [&](const message& m) { all.push_back(m); });
  ASSERT_EQ(all.size(), 4000u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1)) << "at " << i;
    if (i) {
      ASSERT_LT(all[i - 1].created_at, all[i].created_at) << "at seq " << all[i].seq;
    }
  }
  // Each node's own messages keep their append order.
  for (const char* tag : {"a", "b"}) {
    int next = 0;
    for (const auto& m : all)
      if (m.user.id == tag) {
        EXPECT_EQ(m.content, tag + std::to_string(next++));
      }
    EXPECT_EQ(next, 2000);
  }
  EXPECT_EQ(a->last_created_at(s->id), all.back().created_at);
  EXPECT_LT(a->commit_count() + b->commit_count(), 4000u) << "appends were not grouped";
  // A node whose one-trip write found the stream moved leaves that way for a
  // second: at most about one wasted trip per node and second.
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  const auto bound = static_cast<std::uint64_t>(seconds.count()) + 2;
  EXPECT_LE(a->stale_head_runs(), bound);
  EXPECT_LE(b->stale_head_runs(), bound);
}

// A node alone on its streams writes each run after a stream's first in one
// round trip, numbered from the heads its own commits left; a node whose
// cached head another node moved finds out under the lock, writes nothing
// that way, and numbers the run from the locked head instead.
std::int64_t append_one(postgres_store& node, const std::string& stream_id, const std::string& content, millis at) {
  message m;
  m.id = new_uuid_v7();
  m.stream_id = stream_id;
  m.user.id = "u";
  m.content = content;
  m.created_at = at;
  std::int64_t seq = -1;
  node.append(std::move(m), [&seq](result<message> r) { seq = r ? r->seq : 0; });
  node.flush();
  return seq;
}

TEST_F(pg_store_test, a_node_alone_on_a_stream_writes_a_run_in_one_round_trip) {
  auto a = open();
  ASSERT_TRUE(a);
  auto s = a->create_stream(named("t"));
  ASSERT_TRUE(s) << s.err().message;
  const millis base = now_millis();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(append_one(*a, s->id, "m" + std::to_string(i), base + i), i + 1);
  EXPECT_EQ(a->one_trip_runs(), 4u) << "the first run learns the head, the others use it";
  EXPECT_EQ(a->stale_head_runs(), 0u);
  const auto latest = a->latest(s->id, 10);
  ASSERT_EQ(latest.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(latest[static_cast<std::size_t>(i)].content, "m" + std::to_string(i));
}

TEST_F(pg_store_test, a_head_another_node_moved_is_read_under_the_lock_and_nothing_is_numbered_twice) {
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a && b);
  auto s = a->create_stream(named("t"));
  ASSERT_TRUE(s) << s.err().message;
  const millis base = now_millis() + 60'000;  // b's message gets a later created_at than a's proposals
  EXPECT_EQ(append_one(*a, s->id, "a1", base), 1);
  EXPECT_EQ(append_one(*a, s->id, "a2", base + 1), 2);
  EXPECT_EQ(append_one(*b, s->id, "b1", base + 10), 3);
  // a's cache says seq 2: the head is at 3 now.
  EXPECT_EQ(append_one(*a, s->id, "a3", base + 2), 4);
  EXPECT_EQ(a->stale_head_runs(), 1u);
  // For a second the stream counts as written by several nodes: a4 goes the
  // two-trip way too, and finds nothing to redo.
  EXPECT_EQ(append_one(*a, s->id, "a4", base + 3), 5);
  EXPECT_EQ(a->one_trip_runs(), 1u) << "a2 only";
  EXPECT_EQ(a->stale_head_runs(), 1u);
  std::vector<message> all;
  b->scan_messages(s->id, [&](const message& m) { all.push_back(m); });
  ASSERT_EQ(all.size(), 5u);
  const std::vector<std::string> order{"a1", "a2", "b1", "a3", "a4"};
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].content, order[i]);
    EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
    if (i) {
      EXPECT_LT(all[i - 1].created_at, all[i].created_at) << "at seq " << all[i].seq;
    }
  }
}

// ---- plans on a big stream ------------------------------------------------------------

// The plan of `sql` with `params`, as JSON text.
std::string plan_of(pg::pg_connection& db, const char* sql, const pg::pg_params& params) {
  auto r = db.query(std::string("EXPLAIN (FORMAT JSON) ") + sql, params);
  EXPECT_TRUE(r) << r.err().message;
  return r && r->rows() ? r->text(0, 0) : std::string();
}

void collect_seq_scans(const boost::json::value& node, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& v : node.get_array()) collect_seq_scans(v, out);
    return;
  }
  if (!node.is_object()) return;
  const auto& o = node.get_object();
  if (const auto* type = o.if_contains("Node Type"); type && *type == "Seq Scan")
    out.emplace_back(o.at("Relation Name").as_string());
  for (const auto& [key, v] : o) collect_seq_scans(v, out);
}

// The tables a plan reads whole, leaving out empty ones (next month's
// partition, planned as a free scan of nothing).
std::vector<std::string> full_scans(pg::pg_connection& db, const std::string& plan) {
  std::vector<std::string> scanned, out;
  collect_seq_scans(boost::json::parse(plan), scanned);
  for (const auto& table : scanned) {
    auto rows = db.query("SELECT reltuples FROM pg_class WHERE relname = $1", pg::pg_params().add(table));
    if (!rows || rows->rows() == 0 || std::stod(rows->text(0, 0)) > 0) out.push_back(table);
  }
  return out;
}

TEST_F(pg_store_test, reads_of_a_stream_of_a_million_messages_use_indexes) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("big"));
  auto other = st->create_stream(named("small"));
  ASSERT_TRUE(s && other);
  auto db = connect(300s);  // the fill takes a while
  ASSERT_TRUE(db);
  // Server-side rows: this month's partition, one message per ms from day 2 on.
  const millis base = now_millis() - 20LL * 60 * 1000;
  ASSERT_TRUE(pg::ensure_partition(*db, pg::month_of(base)));
  ASSERT_TRUE(pg::ensure_partition(*db, pg::month_of(base + 2'000'000)));
  const char* fill =
      "INSERT INTO messages (stream_id, stream_seq, id, user_id, username, display_name, avatar_url, level, "
      "is_premium, badges, content, type, stars, created_at, client_id, deleted) "
      "SELECT $1, g, 'm-' || $1 || '-' || g, 'u-' || (g % 1000), 'user', 'User', '', 1, false, '[]', "
      "'hello ' || g, CASE WHEN g % 10 = 0 THEN 'gift' ELSE 'message' END, 0, $2 + g, '', g % 50 = 0 "
      "FROM generate_series(1, $3::bigint) g";
  for (auto [id, n] : {std::pair{s->id, std::int64_t{1'000'000}}, std::pair{other->id, std::int64_t{1000}}}) {
    auto filled = db->query(fill, pg::pg_params().add_all(id, base, n));
    ASSERT_TRUE(filled) << filled.err().message;
  }
  ASSERT_TRUE(
      db->query("INSERT INTO moderation_log (id, stream_id, action, moderator_id, target_user_id, "
                "message_id, reason, created_at) SELECT 'a-' || g, $1, 'timeout', 'm', 'u', '', '', g "
                "FROM generate_series(1, 100000) g",
                pg::pg_params().add(s->id)));
  ASSERT_TRUE(db->exec("ANALYZE"));

  const std::string id = "m-" + s->id + "-500000";
  const millis mid = base + 500'000;
  const std::pair<const char*, pg::pg_params> reads[] = {
      {pg::statements::message_place, pg::pg_params().add_all(id, s->id)},
      {pg::statements::newest_below, pg::pg_params().add_all(s->id, INT64_MAX, INT64_MAX, 51)},
      {pg::statements::newest_below, pg::pg_params().add_all(s->id, std::int64_t{500'000}, mid, 51)},
      {pg::statements::after, pg::pg_params().add_all(s->id, std::int64_t{500'000}, mid, 100)},
      {pg::statements::feed_since, pg::pg_params().add_all(s->id, mid, 100)},
      {pg::statements::feed_newest, pg::pg_params().add_all(s->id, 100)},
      {pg::statements::moderation_log, pg::pg_params().add_all(s->id, 50)},
  };
  for (const auto& [sql, params] : reads) {
    const std::string plan = plan_of(*db, sql, params);
    EXPECT_EQ(full_scans(*db, plan), std::vector<std::string>()) << sql << "\n" << plan;
  }
  // And the store answers from them.
  auto page = st->history(s->id, 50, id);
  ASSERT_TRUE(page) << page.err().message;
  ASSERT_EQ(page->messages.size(), 50u);
  EXPECT_EQ(page->messages.back().seq, 499'999);
  auto next = st->after(s->id, id, 10);
  ASSERT_TRUE(next);
  ASSERT_EQ(next->size(), 10u);
  EXPECT_EQ(next->front().seq, 500'001);
}

// ---- migrations --------------------------------------------------------------------

TEST_F(pg_store_test, opening_again_migrates_nothing_and_every_version_is_recorded) {
  ASSERT_TRUE(open());
  auto db = connect();
  ASSERT_TRUE(db);
  auto versions = pg::applied_versions(*db);
  ASSERT_TRUE(versions);
  std::vector<int> all;
  for (int v = 1; v <= pg::latest_schema_version(); ++v) all.push_back(v);
  EXPECT_EQ(*versions, all);
  auto stamps = db->query(
      "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) "
      "FROM sorak_schema_migrations");
  ASSERT_TRUE(stamps);
  // Two nodes starting at once: both succeed, nothing is applied twice.
  auto one = std::async(std::launch::async, [&] { return postgres_store::open(url_).ok(); });
  auto two = std::async(std::launch::async, [&] { return postgres_store::open(url_).ok(); });
  EXPECT_TRUE(one.get());
  EXPECT_TRUE(two.get());
  EXPECT_EQ(*pg::applied_versions(*db), all);
  auto again = db->query(
      "SELECT string_agg(version || '@' || applied_at, ',' ORDER BY version) "
      "FROM sorak_schema_migrations");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->text(0, 0), stamps->text(0, 0));
}

TEST_F(pg_store_test, a_message_in_a_month_without_a_partition_gets_one) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  ASSERT_TRUE(s);
  const millis long_ago = 1'500'000'000'000;  // 2017-07-14
  for (millis at : {long_ago, long_ago + millis{40} * 24 * 3600 * 1000}) {
    std::promise<bool> done;
    st->append(make_message(s->id, "old", at), [&](result<message> r) { done.set_value(r.ok()); });
    EXPECT_TRUE(done.get_future().get());
  }
  auto db = connect();
  auto parts = db->query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'messages'::regclass");
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->int64(0, 0), 4);  // this month, next month, 2017-07, 2017-08
  EXPECT_EQ(st->latest(s->id, 10).size(), 2u);
}

TEST_F(pg_store_test, a_nul_in_a_users_profile_is_dropped_and_fails_nothing) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  ASSERT_TRUE(s);
  message odd = make_message(s->id, "hi", now_millis());
  odd.user.display_name = std::string("Al\0ice", 6);
  message plain = make_message(s->id, "ho", now_millis());
  std::promise<result<message>> first, second;
  st->append(odd, [&](result<message> r) { first.set_value(std::move(r)); });
  st->append(plain, [&](result<message> r) { second.set_value(std::move(r)); });
  auto a = first.get_future().get();
  auto b = second.get_future().get();
  ASSERT_TRUE(a) << a.err().message;
  ASSERT_TRUE(b) << b.err().message;
  auto got = st->get_message(s->id, odd.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user.display_name, "Alice");
}

// ---- faults ---------------------------------------------------------------------------

TEST_F(pg_store_test, an_unreachable_server_is_503_store_unavailable_quickly) {
  const auto started = std::chrono::steady_clock::now();
  auto s = postgres_store::open("postgres://postgres@127.0.0.1:1/nothing");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.err().code, "store_unavailable");
  EXPECT_EQ(s.err().http_status, 503);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
}

TEST_F(pg_store_test, settings_in_the_url_win_over_the_stores_defaults) {
  auto plain = connect();
  ASSERT_TRUE(plain);
  auto name = plain->query("SHOW application_name");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->text(0, 0), "sorakd");
  auto c = pg::pg_connection::open(url_ + "?application_name=ops-console");
  ASSERT_TRUE(c) << c.err().message;
  auto named_by_url = (*c)->query("SHOW application_name");
  ASSERT_TRUE(named_by_url);
  EXPECT_EQ(named_by_url->text(0, 0), "ops-console");
}

TEST_F(pg_store_test, a_statement_without_an_answer_fails_at_the_deadline) {
  auto c = pg::pg_connection::open(url_, {.query_timeout = 300ms});
  ASSERT_TRUE(c);
  const auto started = std::chrono::steady_clock::now();
  auto r = (*c)->query("SELECT pg_sleep(5)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, "store_unavailable");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_TRUE((*c)->broken());
}

// Appends one message and waits for its `done`.
result<message> append_and_wait(store& st, message m) {
  std::promise<result<message>> p;
  st.append(std::move(m), [&](result<message> r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

TEST_F(pg_store_test, after_its_connections_are_cut_the_store_reconnects_by_itself) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(st->get_stream(s->id));  // a pooled read connection exists
  auto db = connect();
  ASSERT_TRUE(
      db->query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  std::this_thread::sleep_for(100ms);
  // Both found their connection broken before sending anything, and retried.
  auto stored = append_and_wait(*st, make_message(s->id, "after the cut", now_millis()));
  ASSERT_TRUE(stored) << stored.err().message;
  EXPECT_EQ(stored->seq, 1);
  auto got = st->get_stream(s->id);
  ASSERT_TRUE(got) << got.err().message;
  auto msgs = st->latest(s->id, 10);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].content, "after the cut");
  // Again, now that the writer knows the stream's head: its next run goes in
  // one round trip whose COMMIT goes out with its BEGIN, so the dead connection
  // is found with the COMMIT sent; the run is found not stored and is retried.
  ASSERT_TRUE(db->query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"));
  std::this_thread::sleep_for(100ms);
  stored = append_and_wait(*st, make_message(s->id, "after the second cut", now_millis()));
  ASSERT_TRUE(stored) << stored.err().message;
  EXPECT_EQ(stored->seq, 2);
  EXPECT_EQ(st->latest(s->id, 10).size(), 2u);
}

TEST_F(pg_store_test, a_group_that_gets_no_answer_fails_unacked_and_the_writer_goes_on) {
  auto st = open({.query_timeout = 500ms});
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  ASSERT_TRUE(s);
  // Another session holds the stream's head row: the writer's group waits.
  auto blocker = connect();
  ASSERT_TRUE(blocker->exec("BEGIN"));
  ASSERT_TRUE(blocker->query("SELECT 1 FROM stream_heads WHERE stream_id = $1 FOR UPDATE", pg::pg_params().add(s->id)));
  const auto started = std::chrono::steady_clock::now();
  auto stuck = append_and_wait(*st, make_message(s->id, "stuck", now_millis()));
  ASSERT_FALSE(stuck);
  EXPECT_EQ(stuck.err().code, "store_unavailable");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  ASSERT_TRUE(blocker->exec("ROLLBACK"));
  auto next = append_and_wait(*st, make_message(s->id, "next", now_millis()));
  ASSERT_TRUE(next) << next.err().message;
  EXPECT_EQ(next->seq, 1);  // the stuck one never committed
  auto msgs = st->latest(s->id, 10);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].content, "next");
}

// ---- a COMMIT whose answer is lost ------------------------------------------------------

// A TCP relay in front of the test's PostgreSQL. Once armed, the next COMMIT
// a client sends is either forwarded and its answer lost (the server commits,
// the client hears nothing: both sides are cut 300 ms later), or dropped (cut
// before the server sees it). Connections after that are relayed plainly.
class commit_cutter {
 public:
  enum class mode { pass, lose_answer, drop_commit };

  // Listens on `listen_port` (0: any free one).
  commit_cutter(std::string host, int port, int listen_port = 0) : host_(std::move(host)), port_(port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(listen_port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(listener_, 16);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    local_port_ = ntohs(a.sin_port);
    accepter_ = std::thread([this] { accept_loop(); });
  }
  ~commit_cutter() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    accepter_.join();
    for (auto& t : pumps_) t.join();
  }
  int port() const { return local_port_; }
  void arm(mode m) { mode_ = m; }
  int cuts() const { return cuts_; }

 private:
  void accept_loop() {
    for (;;) {
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) return;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(port_));
      ::inet_pton(AF_INET, host_.c_str(), &a.sin_addr);
      if (::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(client);
        ::close(server);
        continue;
      }
      pumps_.emplace_back([this, client, server] { pump(client, server); });
    }
  }

  void pump(int client, int server) {
    char buf[65536];
    bool cut = false;
    while (!stopping_ && !cut) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 100) <= 0) continue;
      if (p[0].revents) {
        const ssize_t n = ::recv(client, buf, sizeof buf, 0);
        if (n <= 0) break;
        const std::string_view chunk(buf, static_cast<std::size_t>(n));
        const mode m = mode_;
        if (m != mode::pass && chunk.find(std::string_view("COMMIT\0", 7)) != std::string_view::npos) {
          mode_ = mode::pass;
          ++cuts_;
          if (m == mode::lose_answer) {
            ::send(server, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
            std::this_thread::sleep_for(300ms);  // the server commits; its answer is not relayed
          }
          cut = true;
          break;
        }
        if (::send(server, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
      if (p[1].revents) {
        const ssize_t n = ::recv(server, buf, sizeof buf, 0);
        if (n <= 0) break;
        if (::send(client, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
      }
    }
    ::close(client);
    ::close(server);
  }

  const std::string host_;
  const int port_;
  int listener_ = -1;
  int local_port_ = 0;
  std::atomic<mode> mode_{mode::pass};
  std::atomic<int> cuts_{0};
  std::atomic<bool> stopping_{false};
  std::thread accepter_;
  std::vector<std::thread> pumps_;  // the accepter's only
};

// postgres://user@HOST:PORT/db → the same through 127.0.0.1:port.
std::string through(const std::string& url, int port) {
  const auto at = url.find('@');
  const auto slash = url.find('/', at);
  return url.substr(0, at + 1) + "127.0.0.1:" + std::to_string(port) + url.substr(slash);
}

int port_of(const std::string& url) {
  const auto at = url.find('@');
  const auto colon = url.find(':', at);
  return std::stoi(url.substr(colon + 1, url.find('/', colon) - colon - 1));
}

// A store whose connections go through `relay`, with one stream.
struct relayed {
  std::unique_ptr<postgres_store> st;
  stream s;
};

class pg_relayed_test : public pg_store_test {
 protected:
  relayed open_through(commit_cutter& relay) {
    relayed out;
    auto st = postgres_store::open(through(url_, relay.port()), {});
    EXPECT_TRUE(st) << st.err().message;
    if (!st) return out;
    out.st = std::move(*st);
    auto s = out.st->create_stream(named("t"));
    EXPECT_TRUE(s);
    if (s) out.s = *s;
    return out;
  }
  int server_port() const {
    EXPECT_NE(url_.find("@127.0.0.1:"), std::string::npos) << "the relay expects a loopback URL: " << url_;
    return port_of(url_);
  }
};

// A free loopback port (nothing listens on it once this returns).
int free_loopback_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(s);
  return ntohs(a.sin_port);
}

// Reads refused while the server is away must not keep the pool from trying
// again: a readiness probe every 20 ms (faster than the reconnect pause) used
// to push the pause on and on, and the pool never reconnected.
TEST_F(pg_relayed_test, reads_polled_faster_than_the_reconnect_pause_get_a_connection_once_the_server_is_back) {
  const int port = free_loopback_port();
  pg::read_pool pool(through(url_, port), {.query_timeout = 2s}, 2);
  for (int i = 0; i < 30; ++i) {
    EXPECT_FALSE(pool.acquire()) << "nothing listens yet";
    std::this_thread::sleep_for(20ms);
  }
  commit_cutter relay("127.0.0.1", server_port(), port);  // the server is back
  ASSERT_EQ(relay.port(), port);
  bool back = false;
  for (int i = 0; i < 50 && !back; ++i) {
    auto lease = pool.acquire();
    back = static_cast<bool>(lease) && static_cast<bool>(lease->db().query("SELECT 1"));
    if (!back) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(back) << "still refused a second after the server came back";
}

TEST_F(pg_relayed_test, a_group_whose_commit_answer_was_lost_but_is_stored_is_acked_once) {
  commit_cutter relay("127.0.0.1", server_port());
  auto [st, s] = open_through(relay);
  ASSERT_TRUE(st);
  relay.arm(commit_cutter::mode::lose_answer);
  auto lost = append_and_wait(*st, make_message(s.id, "committed, answer lost", now_millis()));
  EXPECT_EQ(relay.cuts(), 1);
  // The server kept it, so the client is told so: it will not resend it.
  ASSERT_TRUE(lost) << lost.err().message;
  EXPECT_EQ(lost->seq, 1);
  auto next = append_and_wait(*st, make_message(s.id, "next", now_millis()));
  ASSERT_TRUE(next) << next.err().message;
  EXPECT_EQ(next->seq, 2);
  auto msgs = st->latest(s.id, 10);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].content, "committed, answer lost");
  EXPECT_EQ(msgs[1].content, "next");
}

TEST_F(pg_relayed_test, a_group_whose_commit_never_arrived_fails_and_is_not_stored) {
  commit_cutter relay("127.0.0.1", server_port());
  auto [st, s] = open_through(relay);
  ASSERT_TRUE(st);
  relay.arm(commit_cutter::mode::drop_commit);
  auto dropped = append_and_wait(*st, make_message(s.id, "never committed", now_millis()));
  EXPECT_EQ(relay.cuts(), 1);
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.err().code, "store_unavailable");
  auto next = append_and_wait(*st, make_message(s.id, "next", now_millis()));
  ASSERT_TRUE(next) << next.err().message;
  EXPECT_EQ(next->seq, 1);
  auto msgs = st->latest(s.id, 10);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].content, "next");
}

// The same two cuts once the writer knows the stream's head, so that a run's
// COMMIT goes out with its BEGIN: an answer lost after the commit is found
// stored and acked once; a run the server never got is found not stored and
// written again on a new connection (nothing of it can have been kept).
TEST_F(pg_relayed_test, a_one_trip_run_whose_answer_was_lost_is_acked_once_and_one_never_received_is_sent_again) {
  commit_cutter relay("127.0.0.1", server_port());
  auto [st, s] = open_through(relay);
  ASSERT_TRUE(st);
  auto first = append_and_wait(*st, make_message(s.id, "first", now_millis()));
  ASSERT_TRUE(first) << first.err().message;
  relay.arm(commit_cutter::mode::lose_answer);
  auto lost = append_and_wait(*st, make_message(s.id, "committed, answer lost", now_millis()));
  EXPECT_EQ(relay.cuts(), 1);
  ASSERT_TRUE(lost) << lost.err().message;
  EXPECT_EQ(lost->seq, 2);
  auto warm = append_and_wait(*st, make_message(s.id, "warm again", now_millis()));
  ASSERT_TRUE(warm) << warm.err().message;
  EXPECT_EQ(warm->seq, 3);
  // "warm again" found the cached head moved (the lost answer's run was never
  // cached): the stream goes the two-trip way for a second.
  std::this_thread::sleep_for(1100ms);
  relay.arm(commit_cutter::mode::drop_commit);
  auto resent = append_and_wait(*st, make_message(s.id, "never received, sent again", now_millis()));
  EXPECT_EQ(relay.cuts(), 2);
  ASSERT_TRUE(resent) << resent.err().message;
  EXPECT_EQ(resent->seq, 4);
  // The lost answer left the cache one behind ("warm again" found it moved);
  // the run sent again went in one trip.
  EXPECT_EQ(st->stale_head_runs(), 1u);
  EXPECT_EQ(st->one_trip_runs(), 1u);
  auto msgs = st->latest(s.id, 10);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[1].content, "committed, answer lost");
  EXPECT_EQ(msgs[3].content, "never received, sent again");
}

// ---- one INSERT per group against one per message ---------------------------------------

// Not a check: prints appends per second both ways (SORAK_PG_MEASURE=1).
TEST_F(pg_store_test, measure_multi_row_against_per_row_insert) {
  if (!std::getenv("SORAK_PG_MEASURE")) GTEST_SKIP() << "set SORAK_PG_MEASURE=1 to measure";
  constexpr int n = 40'000;
  for (bool multi_row : {true, false, true, false}) {
    auto st = open({.multi_row_insert = multi_row});
    ASSERT_TRUE(st);
    auto s = st->create_stream(named("t"));
    ASSERT_TRUE(s);
    std::vector<message> ms;
    const millis base = now_millis();
    for (int i = 0; i < n; ++i) ms.push_back(make_message(s->id, "hello " + std::to_string(i), base + i));
    const auto started = std::chrono::steady_clock::now();
    std::atomic<int> ok{0};
    for (auto& m : ms) st->append(std::move(m), [&ok](result<message> r) { ok += r ? 1 : 0; });
    st->flush();
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    EXPECT_EQ(ok.load(), n);
    std::printf("%s: %d appends in %.2f s = %.0f/s, %llu commits\n", multi_row ? "multi-row" : "per-row  ", n, secs,
                n / secs, static_cast<unsigned long long>(st->commit_count()));
  }
  // One message per group: what a quiet stream pays per message.
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("quiet"));
  ASSERT_TRUE(s);
  constexpr int quiet = 500;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < quiet; ++i) ASSERT_TRUE(append_and_wait(*st, make_message(s->id, "q", now_millis())));
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf("one at a time: %d appends, %.2f ms each (append to done)\n", quiet, ms / quiet);
}

// ---- retention ------------------------------------------------------------------------

std::vector<std::string> partitions(pg::pg_connection& db) {
  auto r = db.query(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'messages'::regclass ORDER BY c.relname");
  std::vector<std::string> out;
  if (!r) return out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->text(i, 0));
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

TEST_F(pg_store_test, retention_drops_a_wholly_old_month_and_deletes_rows_of_a_partial_one) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  auto other = st->create_stream(named("other"));
  ASSERT_TRUE(s && other);
  constexpr millis sep_10 = 1788998400000, nov_05 = 1793836800000, nov_15 = 1794700800000, nov_20 = 1795132800000;
  std::vector<std::string> expected_s, kept;
  for (int i = 0; i < 3; ++i) {
    auto m = append_and_wait(*st, make_message(s->id, "september", sep_10 + i));
    ASSERT_TRUE(m) << m.err().message;
    expected_s.push_back(m->id);
  }
  ASSERT_TRUE(append_and_wait(*st, make_message(other->id, "september, other", sep_10 + 5)));
  for (int i = 0; i < 2; ++i) {
    auto m = append_and_wait(*st, make_message(s->id, "early november", nov_05 + i));
    ASSERT_TRUE(m);
    expected_s.push_back(m->id);
  }
  for (int i = 0; i < 2; ++i) {
    auto m = append_and_wait(*st, make_message(s->id, "late november", nov_20 + i));
    ASSERT_TRUE(m);
    kept.push_back(m->id);
  }
  auto db = connect();
  ASSERT_TRUE(db);
  ASSERT_TRUE(has(partitions(*db), "messages_2026_09"));
  std::vector<std::size_t> batches;
  const stats_fold fold = [&](std::string_view, const std::string& baseline, const std::vector<message>& rows) {
    batches.push_back(rows.size());
    std::string out = baseline;
    for (const auto& m : rows) out += "|" + m.id;
    return out;
  };
  auto report = st->prune_messages(nov_15, fold);
  ASSERT_TRUE(report) << report.err().message;
  EXPECT_EQ(report->partitions_dropped, 1);
  EXPECT_EQ(report->messages, 6);
  EXPECT_EQ(report->streams, 2);
  auto after = partitions(*db);
  EXPECT_FALSE(has(after, "messages_2026_09")) << "the wholly old month is dropped";
  EXPECT_TRUE(has(after, "messages_2026_11")) << "the partial month stays";
  auto left = db->query("SELECT id FROM messages_2026_11 ORDER BY stream_seq");
  ASSERT_TRUE(left);
  ASSERT_EQ(left->rows(), 2);
  EXPECT_EQ(left->text(0, 0), kept[0]);
  EXPECT_EQ(left->text(1, 0), kept[1]);
  std::string joined;
  for (const auto& id : expected_s) joined += "|" + id;
  EXPECT_EQ(st->stats_baseline(s->id), joined) << "september, then the november rows, each once";
  ASSERT_TRUE(st->stats_baseline(other->id).has_value());

  // A later message of that month (an import) gets its partition again.
  auto s2 = st->create_stream(named("late import"));
  ASSERT_TRUE(s2);
  auto back = append_and_wait(*st, make_message(s2->id, "september again", sep_10 + 100));
  ASSERT_TRUE(back) << back.err().message;
  EXPECT_TRUE(has(partitions(*db), "messages_2026_09"));
}

TEST_F(pg_store_test, while_one_node_prunes_another_skips_its_pass) {
  auto st = open();
  ASSERT_TRUE(st);
  auto s = st->create_stream(named("t"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(append_and_wait(*st, make_message(s->id, "old", 1788998400000)));
  auto holder = connect();
  ASSERT_TRUE(holder);
  ASSERT_TRUE(holder->query("SELECT pg_advisory_lock($1)", pg::pg_params().add(pg::retention_lock_key())));
  const stats_fold fold = [](std::string_view, const std::string& b, const std::vector<message>&) { return b + "x"; };
  auto skipped = st->prune_messages(now_millis(), fold);
  ASSERT_TRUE(skipped) << skipped.err().message;
  EXPECT_EQ(skipped->messages, 0);
  EXPECT_EQ(st->latest(s->id, 10).size(), 1u);
  ASSERT_TRUE(holder->query("SELECT pg_advisory_unlock($1)", pg::pg_params().add(pg::retention_lock_key())));
  auto done = st->prune_messages(now_millis(), fold);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->messages, 1);
  EXPECT_TRUE(st->latest(s->id, 10).empty());
}

}  // namespace
}  // namespace sorak
