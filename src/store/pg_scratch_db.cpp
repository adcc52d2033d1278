#include "store/pg_scratch_db.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "store/pg_conn.hpp"

namespace sorak::pg {

namespace {

// Database names are our own (letters, digits, underscores), yet quoted:
// CREATE DATABASE takes no bound parameters.
bool plain_name(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

status run_on_server(const std::string& url, const std::string& sql) {
  auto db = pg_connection::open(url);
  if (!db) return db.err();
  return (*db)->exec(sql);
}

}  // namespace

std::string how_to_start_postgres() {
  return std::string(test_url_variable) +
         " is not set, so the postgres store cannot be tested. Start a PostgreSQL server (it refuses to run as "
         "root), e.g.\n  d=$(mktemp -d); chown postgres \"$d\"\n"
         "  runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D \"$d/data\" -A trust -U postgres\n"
         "  runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D \"$d/data\" "
         "-o \"-p 55432 -k $d -c listen_addresses=127.0.0.1\" -l \"$d/log\" start\n"
         "then run the tests with " +
         test_url_variable + "=postgres://postgres@127.0.0.1:55432/postgres (a user that may CREATE DATABASE).";
}

std::optional<std::string> test_server_url() {
  const char* v = std::getenv(test_url_variable);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string with_database(const std::string& url, const std::string& db) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url + " dbname=" + db;  // a key=value string: the last one wins
  const auto query = url.find('?', scheme + 3);
  const auto path = url.find('/', scheme + 3);
  const auto authority_end = std::min(path, query);
  std::string out = url.substr(0, authority_end) + "/" + db;
  if (query != std::string::npos) out += url.substr(query);
  return out;
}

result<std::string> create_scratch_database(const std::string& url, const std::string& name) {
  if (!plain_name(name)) return error(errc::internal, "not a plain database name: " + name);
  if (auto s = run_on_server(url, "CREATE DATABASE \"" + name + "\""); !s) return s.err();
  return with_database(url, name);
}

status drop_scratch_database(const std::string& url, const std::string& name) {
  if (!plain_name(name)) return error(errc::internal, "not a plain database name: " + name);
  return run_on_server(url, "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
}

}  // namespace sorak::pg
