// row_parts.hpp: the parts of a row both SQL stores write and read alike.
//
// Internal to src/store/. Badges are kept as JSON text in both stores (any
// text stays intact, the sqlite3 and psql shells show it, and a table copies
// from one store to the other as it is). A member and a gift are each a run
// of nullable columns, read the same way from either store's row reader; a
// history page is cut from the rows the same way too.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sorak/store.hpp"
#include "sorak/types.hpp"

namespace sorak::store_detail {

std::string encode_badges(const std::vector<std::string>& badges);
// Unreadable text gives no badges (never an error: a row is still a row).
std::vector<std::string> decode_badges(const std::string& text);

// member_name, member_nickname, member_team; no name means no member.
template <class Reader>
std::optional<member_info> read_member(Reader& r) {
  auto name = r.optional_text();
  auto nickname = r.optional_text();
  auto team = r.optional_text();
  if (!name) return std::nullopt;
  return member_info{*name, nickname.value_or(""), team.value_or("")};
}

// gift_id, gift_name, gift_quantity, gift_total_stars; no id means no gift.
template <class Reader>
std::optional<gift_info> read_gift(Reader& r) {
  auto id = r.optional_text();
  auto name = r.optional_text();
  auto quantity = r.optional_int64();
  auto total = r.optional_int64();
  if (!id) return std::nullopt;
  return gift_info{*id, name.value_or(""), static_cast<int>(quantity.value_or(1)), total.value_or(0)};
}

// A history page from up to limit + 1 rows read newest first (the extra row
// only tells that an older page exists): oldest first, with the cursor.
history_page history_page_from_newest(std::vector<message> rows, int limit);

}  // namespace sorak::store_detail
