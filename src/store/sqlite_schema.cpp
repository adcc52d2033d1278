#include "store/sqlite_schema.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sorak::sqlite {

namespace {

struct migration {
  int version;
  const char* sql;
};

// Append only: a released migration is never edited, a change is a new entry.
const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
      {1, R"sql(
CREATE TABLE streams (
  id                  TEXT PRIMARY KEY,
  room_id             TEXT NOT NULL UNIQUE,
  broadcaster_user_id TEXT NOT NULL,
  room_name           TEXT NOT NULL,
  title               TEXT NOT NULL,
  member_name         TEXT,             -- NULL: no member
  member_nickname     TEXT,
  member_team         TEXT,
  status              TEXT NOT NULL,    -- 'live' | 'ended'
  created_at          INTEGER NOT NULL, -- ms since the epoch, UTC
  started_at          INTEGER NOT NULL,
  ended_at            INTEGER,
  slow_mode_seconds   INTEGER NOT NULL,
  max_message_length  INTEGER NOT NULL,
  subscribers_only    INTEGER NOT NULL,
  chat_enabled        INTEGER NOT NULL
);
CREATE INDEX streams_by_created ON streams (created_at, id);

CREATE TABLE users (
  id           TEXT PRIMARY KEY,
  username     TEXT NOT NULL,
  display_name TEXT NOT NULL,
  avatar_url   TEXT NOT NULL,
  level        INTEGER NOT NULL,
  is_premium   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

-- seq is the append order: history pages and cursors walk it.
CREATE TABLE messages (
  seq               INTEGER PRIMARY KEY,
  id                TEXT NOT NULL UNIQUE,
  stream_id         TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  username          TEXT NOT NULL,
  display_name      TEXT NOT NULL,
  avatar_url        TEXT NOT NULL,
  level             INTEGER NOT NULL,
  is_premium        INTEGER NOT NULL,
  badges            TEXT NOT NULL,      -- JSON array of strings
  content           TEXT NOT NULL,
  type              TEXT NOT NULL,      -- 'message' | 'gift' | 'system' | 'moderation'
  gift_id           TEXT,               -- NULL: no gift
  gift_name         TEXT,
  gift_quantity     INTEGER,
  gift_total_stars  INTEGER,
  stars             INTEGER NOT NULL,
  reply_to          TEXT,
  created_at        INTEGER NOT NULL,
  client_id         TEXT NOT NULL,
  deleted           INTEGER NOT NULL
);
CREATE INDEX messages_by_stream ON messages (stream_id, seq);
)sql"},
      {2, R"sql(
-- Moderation (CONTRACT §6).
ALTER TABLE users ADD COLUMN badges TEXT NOT NULL DEFAULT '[]';  -- JSON: the token's global badges

-- The moderator or VIP badge a user holds in a stream (at most one).
CREATE TABLE stream_badges (
  stream_id   TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  id          TEXT NOT NULL UNIQUE,
  badge       TEXT NOT NULL,      -- 'moderator' | 'vip'
  granted_by  TEXT NOT NULL,
  granted_at  INTEGER NOT NULL,
  PRIMARY KEY (stream_id, user_id)
);

-- Timeouts and bans: at most one of each kind per user and stream.
CREATE TABLE sanctions (
  stream_id    TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  kind         TEXT NOT NULL,     -- 'timeout' | 'ban'
  id           TEXT NOT NULL UNIQUE,
  reason       TEXT NOT NULL,
  moderator_id TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,           -- NULL for bans
  PRIMARY KEY (stream_id, user_id, kind)
);

CREATE TABLE moderation_log (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  stream_id        TEXT NOT NULL,
  action           TEXT NOT NULL,
  moderator_id     TEXT NOT NULL,
  target_user_id   TEXT NOT NULL,
  message_id       TEXT NOT NULL,
  reason           TEXT NOT NULL,
  duration_seconds INTEGER,
  created_at       INTEGER NOT NULL
);
CREATE INDEX moderation_log_by_stream ON moderation_log (stream_id, seq);
)sql"},
      {3, R"sql(
-- The Showroom-style API (CONTRACT §9): `since` reads walk created_at.
CREATE INDEX messages_by_stream_time ON messages (stream_id, created_at);

-- API keys (CONTRACT §3): only a SHA-256 hash of each key is kept.
CREATE TABLE api_keys (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  key_hash    TEXT NOT NULL UNIQUE,  -- lowercase hex SHA-256 of the key
  prefix      TEXT NOT NULL,         -- the key's first characters, for lists
  created_at  INTEGER NOT NULL,
  revoked_at  INTEGER                -- NULL: in use
);
)sql"},
      {4, R"sql(
-- Issue 16: each message carries its stream's sequence number (1, 2, 3… with
-- no gaps), assigned at commit; pages, cursors and `since=` walk it, as they
-- do on PostgreSQL. Existing rows are numbered in their append order.
ALTER TABLE messages ADD COLUMN stream_seq INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET stream_seq = numbered.n
  FROM (SELECT seq, row_number() OVER (PARTITION BY stream_id ORDER BY seq) AS n FROM messages) AS numbered
  WHERE messages.seq = numbered.seq;
CREATE UNIQUE INDEX messages_by_stream_seq ON messages (stream_id, stream_seq);
DROP INDEX messages_by_stream;

-- Which migrations ran and when, one row each (PRAGMA user_version stays the
-- number an older sorak checks before it touches the file).
CREATE TABLE sorak_schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL  -- ms since the epoch, UTC; 0 for those applied before the table existed
);
INSERT INTO sorak_schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (3, 0);
)sql"},
      {5, R"sql(
-- Issue 18: words refused in a stream's chat, matched by their case- and
-- width-folded form (core/term_fold.hpp), one row per folded form.
CREATE TABLE blocked_terms (
  id          TEXT NOT NULL PRIMARY KEY,
  stream_id   TEXT NOT NULL,
  term        TEXT NOT NULL,      -- as typed
  folded      TEXT NOT NULL,
  created_by  TEXT NOT NULL,      -- user id, or 'admin'
  created_at  INTEGER NOT NULL,
  UNIQUE (stream_id, folded)
);

-- Issue 18: the message pinned at the top of a stream's chat, at most one.
-- A pin whose message has since been deleted is no pin (the store reads it
-- through the message).
CREATE TABLE pins (
  stream_id   TEXT NOT NULL PRIMARY KEY,
  message_id  TEXT NOT NULL,
  pinned_by   TEXT NOT NULL,
  pinned_at   INTEGER NOT NULL
);
)sql"},
      {6, R"sql(
-- Issue 18: polls. Options are a JSON array of their texts; votes one row per
-- user (the primary key keeps it one), counted when read.
CREATE TABLE polls (
  id          TEXT NOT NULL PRIMARY KEY,
  stream_id   TEXT NOT NULL,
  question    TEXT NOT NULL,
  options     TEXT NOT NULL,      -- JSON array of strings
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  closed_at   INTEGER             -- NULL while open
);
CREATE INDEX polls_by_stream ON polls (stream_id, created_at);
-- At most one open poll per stream, whichever process creates it.
CREATE UNIQUE INDEX polls_one_open ON polls (stream_id) WHERE closed_at IS NULL;
CREATE TABLE poll_votes (
  poll_id     TEXT NOT NULL,
  user_id     TEXT NOT NULL,
  option      INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (poll_id, user_id)
);
)sql"},
      {7, R"sql(
-- Issue 18: the video beside the chat (an HLS playlist URL, or NULL).
ALTER TABLE streams ADD COLUMN playback_url TEXT;
)sql"},
      {8, R"sql(
-- Issue 18, retention: per stream, the statistics of the messages pruned (text
-- the store never reads: core/stream_stats.hpp writes it) and the newest pruned
-- message's number and time, so a stream whose every message went numbers on.
CREATE TABLE stream_baselines (
  stream_id        TEXT NOT NULL PRIMARY KEY,
  stats            TEXT NOT NULL,
  last_seq         INTEGER NOT NULL,
  last_created_at  INTEGER NOT NULL
);
)sql"},
      {9, R"sql(
-- Issue 18: webhooks the admin registered, and each event's delivery to one
-- (the delivery log, and the queue of retries any node may claim).
CREATE TABLE webhooks (
  id          TEXT NOT NULL PRIMARY KEY,
  url         TEXT NOT NULL,
  events      TEXT NOT NULL,      -- comma-separated: message,gift,deletion,moderation,stream,poll
  stream_id   TEXT,               -- NULL: every stream
  secret      TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
  id               TEXT NOT NULL PRIMARY KEY,
  webhook_id       TEXT NOT NULL,
  event            TEXT NOT NULL,
  stream_id        TEXT NOT NULL,
  payload          TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  status           TEXT NOT NULL,  -- pending, delivered, failed
  attempts         INTEGER NOT NULL,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER NOT NULL,
  response_status  INTEGER NOT NULL,
  error            TEXT NOT NULL,
  delivered_at     INTEGER NOT NULL,
  lease_owner      TEXT NOT NULL,
  lease_until      INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_age ON webhook_deliveries (created_at) WHERE status <> 'pending';
)sql"},
  };
  return all;
}

result<int> user_version(sqlite_db& db) {
  auto st = db.prepare("PRAGMA user_version");
  if (!st) return st.err();
  auto row = st->step();
  if (!row) return row.err();
  return *row ? static_cast<int>(st->int64(0)) : 0;
}

// Notes a migration in the version table (which migration 4 creates).
status record(sqlite_db& db, int version) {
  auto st = db.prepare(
      "INSERT INTO sorak_schema_migrations (version, applied_at)"
      " VALUES (?1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
  if (!st) return st.err();
  st->bind(1, static_cast<std::int64_t>(version));
  return st->run();
}

// Re-reads the version under the write lock: another process opening the same
// file at the same moment may have applied `m` already.
status apply(sqlite_db& db, const migration& m) {
  if (auto s = db.exec("BEGIN IMMEDIATE"); !s) return s;
  auto current = user_version(db);
  status s = current ? status(ok_value) : status(current.err());
  if (s && *current < m.version) {
    // PRAGMA takes no bound parameters; the version is our own integer.
    std::string bump = "PRAGMA user_version = " + std::to_string(m.version);
    s = db.exec(m.sql);
    if (s) s = db.exec(bump.c_str());
    if (s && m.version >= 4) s = record(db, m.version);
  }
  if (s) s = db.exec("COMMIT");
  if (!s && db.in_transaction()) db.exec("ROLLBACK");
  return s;
}

}  // namespace

int latest_schema_version() { return migrations().back().version; }

status migrate(sqlite_db& db) { return migrate(db, latest_schema_version()); }

status migrate(sqlite_db& db, int up_to) {
  auto current = user_version(db);
  if (!current) return current.err();
  if (*current > latest_schema_version())
    return error(errc::internal, "the database has schema version " + std::to_string(*current) +
                           ", newer than this sorak knows (" + std::to_string(latest_schema_version()) +
                           "); upgrade sorak");
  for (const auto& m : migrations()) {
    if (m.version <= *current || m.version > up_to) continue;
    if (auto s = apply(db, m); !s) return s;
  }
  return ok_value;
}

}  // namespace sorak::sqlite
