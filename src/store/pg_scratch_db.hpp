// pg_scratch_db.hpp: throwaway PostgreSQL databases for tests.
//
// Internal to src/store/ and its tests: the contract suite and pg_store_test
// run each test in a database of its own, made through a maintenance
// connection to SORAK_TEST_POSTGRES_URL (whose user may CREATE DATABASE) and
// dropped afterwards. Any thread; each call opens its own connection.
#pragma once

#include <optional>
#include <string>

#include "sorak/result.hpp"

namespace sorak::pg {

// The environment variable naming the test server (a ctest fixture sets it).
inline constexpr const char* test_url_variable = "SORAK_TEST_POSTGRES_URL";
// What to do when it is not set: how to start a server for the tests.
std::string how_to_start_postgres();
// The variable's value, or nullopt when unset or empty.
std::optional<std::string> test_server_url();

// `url` with its database name replaced by `db`.
std::string with_database(const std::string& url, const std::string& db);
// Creates database `name` on the server of `url`; returns the URL naming it.
result<std::string> create_scratch_database(const std::string& url, const std::string& name);
// Drops it, closing any connection still open to it.
status drop_scratch_database(const std::string& url, const std::string& name);

}  // namespace sorak::pg
