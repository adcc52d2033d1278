// sqlite_schema.hpp: the SQLite schema and its versioned migrations.
//
// Internal to src/store/. The schema version lives in PRAGMA user_version (and
// from version 4 on, each migration's row in sorak_schema_migrations);
// each migration runs in its own transaction, so a crash mid-upgrade leaves the
// file at the last whole version. Call migrate() on the writer connection,
// before any other thread uses the file.
#pragma once

#include "sorak/result.hpp"
#include "store/sqlite_db.hpp"

namespace sorak::sqlite {

// The version this build writes; a file with a higher one is refused, since an
// older binary cannot know what the newer schema means.
int latest_schema_version();

// Brings the database up to latest_schema_version().
status migrate(sqlite_db& db);
// Brings it up to version `up_to` only: the schema an older sorak shipped
// (tests build such databases to check that every upgrade keeps the data).
status migrate(sqlite_db& db, int up_to);

}  // namespace sorak::sqlite
