// --store URL → the store behind it: the one place that picks the implementation
// (sorakd at start, `sorak migrate-store` for both ends).
#include <string_view>

#include "sorak/store.hpp"
#include "store/sqlite_store.hpp"

namespace sorak {

result<std::unique_ptr<store>> open_store(const std::string& url) {
  constexpr std::string_view sqlite_prefix = "sqlite:";
  if (url.rfind(sqlite_prefix, 0) == 0) return open_sqlite_store(url.substr(sqlite_prefix.size()));
  return error(errc::invalid_store, "Unsupported --store " + url + " (expected sqlite:PATH)");
}

}  // namespace sorak
