// pg_schema.hpp: the PostgreSQL schema, its migrations and the monthly
// partitions of `messages`.
//
// Internal to src/store/. Migrations are an append-only list; each runs in its
// own transaction under a transaction-scoped advisory lock and records itself
// in sorak_schema_migrations, so two nodes starting at once migrate once (the
// second waits for the lock, then sees the version recorded).
// `messages` is partitioned by RANGE on created_at (ms, UTC) by calendar
// month; partitions are created by ensure_partition, also under an advisory
// lock, with CREATE TABLE IF NOT EXISTS. Functions run on the connection they
// are given, by the one thread using it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"
#include "store/pg_conn.hpp"

namespace sorak::pg {

int latest_schema_version();
// Applies every migration not applied yet. Fails on a database whose schema is
// newer than this build knows.
status migrate(pg_connection& db);
// The versions recorded in sorak_schema_migrations, ascending.
result<std::vector<int>> applied_versions(pg_connection& db);

// The calendar month (UTC) holding t, as months since 1970-01 (0 = 1970-01).
std::int64_t month_of(millis t);
// The first millisecond (UTC) of that month, and its partition's name
// (messages_YYYY_MM); partition_month reads such a name back.
millis month_start(std::int64_t month);
std::string partition_name(std::int64_t month);
std::optional<std::int64_t> partition_month(std::string_view name);
// The advisory lock a retention pass holds (pg_retention.cpp).
std::int64_t retention_lock_key();
// Creates the partition of `messages` for that month if it is missing. Runs in
// the caller's transaction when there is one (the lock is then held until it
// ends), else in one of its own.
status ensure_partition(pg_connection& db, std::int64_t month);

}  // namespace sorak::pg
