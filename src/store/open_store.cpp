// --store URL → the store behind it: the one place that picks the implementation
// (sorakd at start, `sorak migrate-store` for both ends).
#include <string_view>

#include "sorak/store.hpp"
#include "store/pg_store.hpp"
#include "store/sqlite_store.hpp"

namespace sorak {

result<std::unique_ptr<store>> open_store(const std::string& url) {
  constexpr std::string_view sqlite_prefix = "sqlite:";
  if (url.rfind(sqlite_prefix, 0) == 0) return open_sqlite_store(url.substr(sqlite_prefix.size()));
  // libpq reads the URL itself (user, password, host, port, database, ?sslmode=…).
  for (std::string_view scheme : {"postgres://", "postgresql://"})
    if (url.rfind(scheme, 0) == 0) return open_postgres_store(url);
  return error(errc::invalid_store, "Unsupported --store " + url +
                                        " (expected sqlite:PATH, postgres://USER@HOST:PORT/DB or postgresql://…)");
}

}  // namespace sorak
