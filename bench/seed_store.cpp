// seed_store.cpp: `sorak-seed`, which fills a SQLite data dir with big or many streams for the
// benchmarks and the integration tests (bench/run.sh's room-open case, tests/integration/room_*).
//
// It writes through the project's own store (include/sorak/store.hpp, sqlite_store), so the rows
// are exactly what sorakd writes: ids are UUID v7 from core/ids.hpp, and created_at is strictly
// increasing within a stream, ending before now and above the stream's newest stored message.
// Messages are appended in groups of --batch (one transaction and one fsync each: the store's
// group writer takes up to that many at once), then flushed before the next group, so memory stays
// bounded whatever --messages is. Streams are created from --threads threads at once, so their
// blocking commits share fsyncs too.
//
// sorakd may be running on the same file (SQLite WAL; a busy writer is waited for), but a room
// sorakd already opened does not see messages appended behind its back.
//
// Usage:
//   sorak-seed --data-dir DIR --messages 1000000                 one new stream, 1 M messages
//   sorak-seed --data-dir DIR --stream ID --messages 500         more messages in a stream
//   sorak-seed --data-dir DIR --streams 20000 --messages 3       20 k new streams, 3 messages each
// Prints one JSON line per stream on stdout: {"stream_id", "room_id", "messages", "first_message_id",
// "last_message_id"}; and a summary (counts, seconds, messages/s) on stderr. Exit 1 on any failure.
// Message k of a stream (1-based, counted from this run) has content "seed message k".
//
// For tests of retention (tests/integration/retention.test.mjs), old rows written the way sorakd
// writes them, on either store:
//   sorak-seed --store postgres://… --messages 30 --start-ms T --step-ms 3600000 --gift-every 3
// --store takes any store URL (sqlite:PATH too) instead of --data-dir; --start-ms puts message 1
// at T and message k at T + (k-1) * --step-ms (the store still raises a time that is not above the
// stream's newest); --gift-every N makes every Nth message a `star` gift (quantity 1 + k % 3,
// 10 stars each, as the default catalog prices it); --started-at-ms makes the new stream (one,
// with --room-id) begin then, so chat replay offsets reach its old messages.
#include "core/ids.hpp"
#include "store/sqlite_store.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace sorak;

struct seed_options {
  std::string data_dir;
  std::string db_path;  // default: data_dir/sorak.db, as bench/run.sh and the tests start sorakd
  std::string store_url;  // any store (sqlite:PATH, postgres://…) instead of db_path
  std::optional<millis> start_ms;
  std::optional<millis> started_at_ms;  // the new stream began then (needs --room-id)
  millis step_ms = 1;
  int gift_every = 0;
  std::string stream_id;
  std::string room_id;
  std::string title = "Seeded stream";
  std::string broadcaster = "seed-owner";
  int streams = 1;
  std::int64_t messages = 0;
  int batch = 50000;
  int users = 100;
  int threads = 32;
  int size = 0;  // pad content to this many bytes (0: "seed message k" as is)
};

struct seeded_stream {
  stream info;
  std::int64_t messages = 0;
  std::string first_id, last_id;
};

millis wall_millis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- streams ---------------------------------------------------------------------------------

// A stream; room_id is the one asked for, else the store's next free one.
result<stream> create_one(store& db, const seed_options& o, std::optional<std::string> room_id) {
  new_stream s;
  s.broadcaster_user_id = o.broadcaster;
  s.title = s.room_name = o.title;
  s.room_id = std::move(room_id);
  auto made = db.create_stream(s);
  // Someone else took that room id meanwhile: let the store pick one.
  if (!made && made.err().code == "room_taken" && s.room_id) return create_one(db, o, std::nullopt);
  return made;
}

// Creates o.streams streams from o.threads threads (each create blocks for its commit; many in
// flight share one). The first takes --room-id or the store's next free room id; the others
// take the ids after it, as the store would, but without its search for the highest room id in
// use, which reads every stream each time. Returns them in order, or the first error.
result<std::vector<stream>> create_streams(store& db, const seed_options& o) {
  auto first = create_one(db, o, o.room_id.empty() ? std::nullopt : std::optional(o.room_id));
  if (!first) return first.err();
  const std::int64_t base = std::stoll(first->room_id);
  std::vector<stream> out(static_cast<std::size_t>(o.streams));
  out[0] = std::move(*first);
  std::atomic<int> next{1};
  std::mutex failure_mutex;
  std::optional<error> failure;
  auto work = [&] {
    for (int i; (i = next++) < o.streams;) {
      auto s = create_one(db, o, std::to_string(base + i));
      if (s) { out[static_cast<std::size_t>(i)] = std::move(*s); continue; }
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = s.err();
      next = o.streams;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < std::min(o.threads, o.streams - 1); ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  if (failure) return *failure;
  return out;
}

// ---- messages --------------------------------------------------------------------------------

user_profile seed_user(int k) {
  user_profile u;
  u.id = "seed-user-" + std::to_string(k);
  u.username = "seeduser" + std::to_string(k);
  u.display_name = "Seed user " + std::to_string(k);
  return u;
}

message seed_message(const stream& s, std::int64_t k, millis at, const seed_options& o) {
  message m;
  m.id = new_uuid_v7();
  m.stream_id = s.id;
  m.user = seed_user(static_cast<int>(k % std::max(o.users, 1)));
  m.content = "seed message " + std::to_string(k);
  if (static_cast<int>(m.content.size()) < o.size) m.content.append(o.size - m.content.size(), '.');
  m.created_at = at;
  if (o.gift_every > 0 && k % o.gift_every == 0) {
    const int quantity = 1 + static_cast<int>(k % 3);
    m.type = message_type::gift;
    m.gift = gift_info{"star", "Star", quantity, 10 * quantity};
    m.stars = 10 * quantity;
  }
  return m;
}

// Where a stream's clock starts: n messages 1 ms apart ending before now, but above anything stored.
millis first_created_at(store& db, const stream& s, std::int64_t n, const seed_options& o) {
  if (o.start_ms) return *o.start_ms;
  millis start = wall_millis() - n - 1000;
  if (auto last = db.last_created_at(s.id); last && *last >= start) start = *last + 1;
  return start;
}

// Appends o.messages to every stream, round-robin in groups of o.batch, flushing after each group.
// Returns the number of appends that failed.
std::int64_t append_all(store& db, std::vector<seeded_stream>& streams, const seed_options& o) {
  std::atomic<std::int64_t> failed{0};
  auto done = [&failed](const result<message>& s) { if (!s) ++failed; };
  std::vector<millis> clock;
  for (auto& s : streams) clock.push_back(first_created_at(db, s.info, o.messages, o));
  std::int64_t queued = 0;
  for (std::int64_t k = 1; k <= o.messages; ++k) {
    for (std::size_t i = 0; i < streams.size(); ++i) {
      message m = seed_message(streams[i].info, k, clock[i], o);
      clock[i] += o.step_ms;
      if (k == 1) streams[i].first_id = m.id;
      streams[i].last_id = m.id;
      ++streams[i].messages;
      db.append(std::move(m), done);
      if (++queued % o.batch == 0) db.flush();
    }
  }
  db.flush();
  return failed.load();
}

// ---- main ------------------------------------------------------------------------------------

result<std::vector<seeded_stream>> the_streams(store& db, const seed_options& o) {
  std::vector<seeded_stream> out;
  if (!o.stream_id.empty()) {
    auto s = db.get_stream(o.stream_id);
    if (!s) return s.err();
    out.emplace_back().info = std::move(*s);
    return out;
  }
  if (o.started_at_ms) {  // a stream that began in the past: stored as given
    stream s;
    s.id = new_uuid_v7();
    s.room_id = o.room_id;
    s.broadcaster_user_id = o.broadcaster;
    s.title = s.room_name = o.title;
    s.created_at = s.started_at = *o.started_at_ms;
    if (auto r = db.import_stream(s); !r) return r.err();
    out.emplace_back().info = std::move(s);
    return out;
  }
  auto made = create_streams(db, o);
  if (!made) return made.err();
  for (auto& s : *made) out.emplace_back().info = std::move(s);
  return out;
}

void print_stream(const seeded_stream& s) {
  boost::json::object line{{"stream_id", s.info.id}, {"room_id", s.info.room_id}, {"messages", s.messages}};
  if (s.messages > 0) {
    line["first_message_id"] = s.first_id;
    line["last_message_id"] = s.last_id;
  }
  std::cout << boost::json::serialize(line) << '\n';
}

int parse(int argc, char** argv, seed_options& o) {
  CLI::App app{"sorak-seed: write big or many streams into a Sorak SQLite data dir"};
  app.add_option("--data-dir", o.data_dir, "sorakd's --data-dir (the store is DIR/sorak.db)");
  app.add_option("--db", o.db_path, "the SQLite file itself (instead of --data-dir)");
  app.add_option("--store", o.store_url, "any store URL, sqlite:PATH or postgres://… (instead of --data-dir)");
  app.add_option("--start-ms", o.start_ms, "created_at of the first message, ms since the epoch (default: ending now)");
  app.add_option("--started-at-ms", o.started_at_ms, "the new stream started then, ms since the epoch (with --room-id)");
  app.add_option("--step-ms", o.step_ms, "ms between messages of a stream")->check(CLI::Range(millis{1}, millis{1} << 40));
  app.add_option("--gift-every", o.gift_every, "every Nth message is a star gift (0 = none)")->check(CLI::Range(0, 1'000'000));
  app.add_option("--stream", o.stream_id, "append to this existing stream instead of creating one");
  app.add_option("--room-id", o.room_id, "room id of the (first) stream created (default: the next free)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{999'999'999'999}));
  app.add_option("--title", o.title, "title of the streams created");
  app.add_option("--streams", o.streams, "streams to create")->check(CLI::Range(1, 10'000'000));
  app.add_option("--messages", o.messages, "messages per stream")->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  app.add_option("--batch", o.batch, "messages per transaction (and per flush)")->check(CLI::Range(1, 1'000'000));
  app.add_option("--users", o.users, "distinct authors the messages cycle through")->check(CLI::Range(1, 1'000'000));
  app.add_option("--threads", o.threads, "threads creating streams at once")->check(CLI::Range(1, 1024));
  app.add_option("--size", o.size, "pad each message's content with dots to this many bytes")->check(CLI::Range(0, 2000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.db_path.empty() && o.data_dir.empty() && o.store_url.empty()) {
    std::cerr << "sorak-seed: give --data-dir, --db or --store\n";
    return 2;
  }
  if (!o.stream_id.empty() && (o.streams != 1 || !o.room_id.empty())) {
    std::cerr << "sorak-seed: --stream appends to one stream; --streams and --room-id create new ones\n";
    return 2;
  }
  if (o.started_at_ms && (o.room_id.empty() || o.streams != 1 || !o.stream_id.empty())) {
    std::cerr << "sorak-seed: --started-at-ms creates one stream and needs --room-id\n";
    return 2;
  }
  if (o.db_path.empty() && o.store_url.empty()) o.db_path = o.data_dir + "/sorak.db";
  return -1;
}

result<std::unique_ptr<store>> open_seed_store(const seed_options& o) {
  if (!o.store_url.empty()) return open_store(o.store_url);
  sqlite_options so;
  so.max_group = static_cast<std::size_t>(o.batch);
  auto s = sqlite_store::open(o.db_path, so);
  if (!s) return s.err();
  return std::unique_ptr<store>(std::move(*s));
}

int run(const seed_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  auto opened = open_seed_store(o);
  if (!opened) { std::cerr << "sorak-seed: " << o.db_path << o.store_url << ": " << opened.err().message << '\n'; return 1; }
  store& db = **opened;
  auto streams = the_streams(db, o);
  if (!streams) { std::cerr << "sorak-seed: " << streams.err().message << '\n'; return 1; }
  const double create_s = seconds_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  const std::int64_t failed = append_all(db, *streams, o);
  const double append_s = seconds_since(t1);
  for (const auto& s : *streams) print_stream(s);
  const double total = static_cast<double>(o.messages) * static_cast<double>(streams->size());
  std::fprintf(stderr, "sorak-seed: %zu stream(s) ready in %.2f s; %.0f messages appended in %.2f s (%.0f/s); %lld failed\n",
               streams->size(), create_s, total, append_s, append_s > 0 ? total / append_s : 0.0,
               static_cast<long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  seed_options o;
  if (int rc = parse(argc, argv, o); rc >= 0) return rc;
  return run(o);
}
