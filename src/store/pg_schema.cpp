#include "store/pg_schema.hpp"

#include <chrono>
#include <cstdio>

namespace sorak::pg {

namespace {

struct migration {
  int version;
  const char* sql;
};

// Keys of pg_advisory_xact_lock: any fixed numbers no other user of the
// database takes ("sorak" in ASCII, then a counter).
constexpr std::int64_t migration_lock = 0x736f72616b01;
constexpr std::int64_t partition_lock = 0x736f72616b02;
// Session lock of a retention pass (pg_retention.cpp): one node prunes at a time.
constexpr std::int64_t retention_lock = 0x736f72616b03;

// Append only: a released migration is never edited, a change is a new entry.
// The tables mean what the SQLite ones mean (sqlite_schema.cpp); times are ms
// since the epoch, UTC, as bigint.
const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
      {1, R"sql(
CREATE TABLE streams (
  id                  text PRIMARY KEY,
  room_id             text NOT NULL UNIQUE,
  broadcaster_user_id text NOT NULL,
  room_name           text NOT NULL,
  title               text NOT NULL,
  member_name         text,             -- NULL: no member
  member_nickname     text,
  member_team         text,
  status              text NOT NULL,    -- 'live' | 'ended'
  created_at          bigint NOT NULL,
  started_at          bigint NOT NULL,
  ended_at            bigint,
  slow_mode_seconds   integer NOT NULL,
  max_message_length  integer NOT NULL,
  subscribers_only    boolean NOT NULL,
  chat_enabled        boolean NOT NULL
);
CREATE INDEX streams_by_created ON streams (created_at, id);

CREATE TABLE users (
  id           text PRIMARY KEY,
  username     text NOT NULL,
  display_name text NOT NULL,
  avatar_url   text NOT NULL,
  level        bigint NOT NULL,
  is_premium   boolean NOT NULL,
  badges       text NOT NULL,       -- JSON array of strings: the token's global badges
  updated_at   bigint NOT NULL
);

-- The last sequence number and created_at given out in each stream. Writers
-- lock a stream's row for their transaction, so one stream's messages are
-- numbered 1, 2, 3, … without gap or repeat whichever node writes them.
CREATE TABLE stream_heads (
  stream_id       text PRIMARY KEY,
  last_seq        bigint NOT NULL,
  last_created_at bigint NOT NULL
);

-- A partitioned table's unique keys must hold the partition key, so the
-- primary key is (stream_id, stream_seq, created_at); stream_heads makes
-- (stream_id, stream_seq) unique by itself. Ids are checked by the writer
-- (pg_messages.cpp) under the stream's lock, and found through messages_by_id.
CREATE TABLE messages (
  stream_id         text NOT NULL,
  stream_seq        bigint NOT NULL,
  id                text NOT NULL,
  user_id           text NOT NULL,
  username          text NOT NULL,
  display_name      text NOT NULL,
  avatar_url        text NOT NULL,
  level             bigint NOT NULL,
  is_premium        boolean NOT NULL,
  badges            text NOT NULL,      -- JSON array of strings
  content           text NOT NULL,
  type              text NOT NULL,      -- 'message' | 'gift' | 'system' | 'moderation'
  gift_id           text,               -- NULL: no gift
  gift_name         text,
  gift_quantity     bigint,
  gift_total_stars  bigint,
  stars             bigint NOT NULL,
  reply_to          text,
  created_at        bigint NOT NULL,
  client_id         text NOT NULL,
  deleted           boolean NOT NULL,
  PRIMARY KEY (stream_id, stream_seq, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX messages_by_id ON messages (id);
CREATE INDEX messages_by_stream_time ON messages (stream_id, created_at);
)sql"},
      {2, R"sql(
-- Moderation (CONTRACT §6).
CREATE TABLE stream_badges (
  stream_id   text NOT NULL,
  user_id     text NOT NULL,
  id          text NOT NULL UNIQUE,
  badge       text NOT NULL,      -- 'moderator' | 'vip'
  granted_by  text NOT NULL,
  granted_at  bigint NOT NULL,
  PRIMARY KEY (stream_id, user_id)
);

CREATE TABLE sanctions (
  stream_id    text NOT NULL,
  user_id      text NOT NULL,
  kind         text NOT NULL,     -- 'timeout' | 'ban'
  id           text NOT NULL UNIQUE,
  reason       text NOT NULL,
  moderator_id text NOT NULL,
  created_at   bigint NOT NULL,
  expires_at   bigint,            -- NULL for bans
  PRIMARY KEY (stream_id, user_id, kind)
);

CREATE TABLE moderation_log (
  seq              bigserial PRIMARY KEY,
  id               text NOT NULL UNIQUE,
  stream_id        text NOT NULL,
  action           text NOT NULL,
  moderator_id     text NOT NULL,
  target_user_id   text NOT NULL,
  message_id       text NOT NULL,
  reason           text NOT NULL,
  duration_seconds bigint,
  created_at       bigint NOT NULL
);
CREATE INDEX moderation_log_by_stream ON moderation_log (stream_id, seq);
)sql"},
      {3, R"sql(
-- API keys (CONTRACT §3): only a SHA-256 hash of each key is kept.
CREATE TABLE api_keys (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  name        text NOT NULL,
  key_hash    text NOT NULL UNIQUE,  -- lowercase hex SHA-256 of the key
  prefix      text NOT NULL,
  created_at  bigint NOT NULL,
  revoked_at  bigint                 -- NULL: in use
);
)sql"},
      {4, R"sql(
-- Issue 18: blocked terms and the pinned message (see sqlite_schema.cpp, 5).
CREATE TABLE blocked_terms (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  stream_id   text NOT NULL,
  term        text NOT NULL,
  folded      text NOT NULL,
  created_by  text NOT NULL,
  created_at  bigint NOT NULL,
  UNIQUE (stream_id, folded)
);

CREATE TABLE pins (
  stream_id   text PRIMARY KEY,
  message_id  text NOT NULL,
  pinned_by   text NOT NULL,
  pinned_at   bigint NOT NULL
);
)sql"},
      {5, R"sql(
-- Issue 18: polls (see sqlite_schema.cpp, 6).
CREATE TABLE polls (
  id          text PRIMARY KEY,
  stream_id   text NOT NULL,
  question    text NOT NULL,
  options     text NOT NULL,
  created_by  text NOT NULL,
  created_at  bigint NOT NULL,
  ends_at     bigint NOT NULL,
  closed_at   bigint
);
CREATE INDEX polls_by_stream ON polls (stream_id, created_at);
CREATE UNIQUE INDEX polls_one_open ON polls (stream_id) WHERE closed_at IS NULL;
CREATE TABLE poll_votes (
  poll_id     text NOT NULL,
  user_id     text NOT NULL,
  option      integer NOT NULL,
  created_at  bigint NOT NULL,
  PRIMARY KEY (poll_id, user_id)
);
)sql"},
      {6, R"sql(
-- Issue 18: see sqlite_schema.cpp, 7.
ALTER TABLE streams ADD COLUMN playback_url text;
)sql"},
      {7, R"sql(
-- Issue 18, retention: see sqlite_schema.cpp, 8. stream_heads already keeps
-- the numbering going; last_seq and last_created_at here say where the
-- pruned part of the stream ends (what migrate-store carries over).
CREATE TABLE stream_baselines (
  stream_id        text PRIMARY KEY,
  stats            text NOT NULL,
  last_seq         bigint NOT NULL,
  last_created_at  bigint NOT NULL
);
)sql"},
      {8, R"sql(
-- Issue 18: webhooks and their deliveries (see sqlite_schema.cpp, 9).
CREATE TABLE webhooks (
  id          text PRIMARY KEY,
  url         text NOT NULL,
  events      text NOT NULL,
  stream_id   text,
  secret      text NOT NULL,
  created_at  bigint NOT NULL
);
CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,
  webhook_id       text NOT NULL,  -- no foreign key: a delete racing a batch of deliveries must not fail it
  event            text NOT NULL,
  stream_id        text NOT NULL,
  payload          text NOT NULL,
  created_at       bigint NOT NULL,
  status           text NOT NULL,
  attempts         integer NOT NULL,
  next_attempt_at  bigint NOT NULL,
  last_attempt_at  bigint NOT NULL,
  response_status  integer NOT NULL,
  error            text NOT NULL,
  delivered_at     bigint NOT NULL,
  lease_owner      text NOT NULL,
  lease_until      bigint NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at) WHERE status <> 'pending';
)sql"},
  };
  return all;
}

constexpr const char* create_version_table =
    "CREATE TABLE IF NOT EXISTS sorak_schema_migrations ("
    "version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";

// One transaction: lock, then re-read the versions, since another node may
// have applied `m` while we waited for the lock.
status lock(pg_connection& db, std::int64_t key) {
  auto r = db.query("SELECT pg_advisory_xact_lock($1)", pg_params().add(key));
  return r ? status(ok_value) : status(r.err());
}

// Applies m unless it is recorded already. REQUIRES: inside a transaction.
status apply_once(pg_connection& db, const migration& m) {
  if (auto s = lock(db, migration_lock); !s) return s;
  if (auto s = db.exec(create_version_table); !s) return s;
  auto done = db.query("SELECT 1 FROM sorak_schema_migrations WHERE version = $1", pg_params().add(m.version));
  if (!done) return done.err();
  if (done->rows() > 0) return ok_value;
  if (auto s = db.exec(m.sql); !s) return s;
  auto r = db.query("INSERT INTO sorak_schema_migrations (version) VALUES ($1)", pg_params().add(m.version));
  return r ? status(ok_value) : status(r.err());
}

// One transaction per migration: the lock is taken, then the versions are
// re-read, since another node may have applied `m` while we waited.
status apply(pg_connection& db, const migration& m) {
  if (auto s = db.exec("BEGIN"); !s) return s;
  status s = apply_once(db, m);
  if (s) return db.commit();
  if (db.in_transaction()) db.exec("ROLLBACK");
  return s;
}

std::string two_digits(int v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

std::int64_t retention_lock_key() { return retention_lock; }

millis month_start(std::int64_t m) {
  using namespace std::chrono;
  year_month_day d{year(1970 + static_cast<int>(m / 12)), month(static_cast<unsigned>(m % 12) + 1), day(1)};
  return duration_cast<milliseconds>(sys_days(d).time_since_epoch()).count();
}

std::string partition_name(std::int64_t month) {
  return "messages_" + std::to_string(1970 + month / 12) + "_" + two_digits(static_cast<int>(month % 12) + 1);
}

std::optional<std::int64_t> partition_month(std::string_view name) {
  int y = 0, mo = 0;
  char tail = 0;
  const std::string n(name);
  if (std::sscanf(n.c_str(), "messages_%4d_%2d%c", &y, &mo, &tail) != 2 || y < 1970 || mo < 1 || mo > 12)
    return std::nullopt;
  if (partition_name((y - 1970) * 12 + mo - 1) != n) return std::nullopt;
  return (y - 1970) * 12 + (mo - 1);
}

int latest_schema_version() { return migrations().back().version; }

result<std::vector<int>> applied_versions(pg_connection& db) {
  std::vector<int> out;
  auto exists = db.query("SELECT to_regclass('sorak_schema_migrations') IS NOT NULL");
  if (!exists) return exists.err();
  if (!exists->boolean(0, 0)) return out;  // a new database: nothing applied
  auto r = db.query("SELECT version FROM sorak_schema_migrations ORDER BY version");
  if (!r) return r.err();
  for (int i = 0; i < r->rows(); ++i) out.push_back(static_cast<int>(r->int64(i, 0)));
  return out;
}

status migrate(pg_connection& db) {
  auto applied = applied_versions(db);
  if (!applied) return applied.err();
  int current = applied->empty() ? 0 : applied->back();
  if (current > latest_schema_version())
    return error(errc::internal, "the database has schema version " + std::to_string(current) +
                                     ", newer than this sorak knows (" + std::to_string(latest_schema_version()) +
                                     "); upgrade sorak");
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    if (auto s = apply(db, m); !s) return s;
  }
  return ok_value;
}

std::int64_t month_of(millis t) {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(sys_time<milliseconds>(milliseconds(t)));
  year_month_day d{days};
  return (static_cast<int>(d.year()) - 1970) * 12 + (static_cast<unsigned>(d.month()) - 1);
}

status ensure_partition(pg_connection& db, std::int64_t month) {
  // DDL takes no bound parameters; the name and bounds are our own integers.
  const std::string ddl = "CREATE TABLE IF NOT EXISTS " + partition_name(month) + " PARTITION OF messages FOR VALUES FROM (" + std::to_string(month_start(month)) + ") TO (" +
                          std::to_string(month_start(month + 1)) + ")";
  const bool own = !db.in_transaction();
  if (own)
    if (auto s = db.exec("BEGIN"); !s) return s;
  // IF NOT EXISTS alone still fails when two nodes create it at once.
  status s = lock(db, partition_lock);
  if (s) s = db.exec(ddl);
  if (!own) return s;
  if (s) return db.commit();
  if (db.in_transaction()) db.exec("ROLLBACK");
  return s;
}

}  // namespace sorak::pg
