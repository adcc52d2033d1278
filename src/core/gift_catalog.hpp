// gift_catalog.hpp: the gifts viewers may send and what each is worth
// (CONTRACT §7). The catalog is data: the defaults below, or a JSON file named
// by --gifts:
//
//   {"gifts": [{"gift_id": "star", "gift_name": "Star", "stars": 10}, …]}
//
// gift_id: 1 to 32 characters of [a-z0-9_-]; gift_name: 1 to 64 characters;
// stars: 0 to 1000000; ids unique; at least one gift. A file that breaks a
// rule is a start-up error naming the rule.
//
// Immutable after construction: any thread may read it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sorak/result.hpp"
#include "sorak/types.hpp"

namespace sorak {

inline constexpr std::int64_t min_gift_quantity = 1;
inline constexpr std::int64_t max_gift_quantity = 100;

class gift_catalog {
 public:
  // The built-in catalog: star (10), heart (5), clap (1), rose (20), crown (100).
  static gift_catalog defaults();
  // Parses the JSON text of a catalog file. 400 `invalid_gift_catalog`.
  static result<gift_catalog> parse(std::string_view json_text);
  // Reads and parses a catalog file.
  static result<gift_catalog> load(const std::string& path);

  // The gift with this id, or null.
  const gift_kind* find(std::string_view gift_id) const;
  // In catalog order.
  const std::vector<gift_kind>& all() const { return gifts_; }

 private:
  explicit gift_catalog(std::vector<gift_kind> gifts) : gifts_(std::move(gifts)) {}
  std::vector<gift_kind> gifts_;
};

// The gift a sender asked for, priced: 400 `unknown_gift` for an id not in
// the catalog, 400 `invalid_quantity` outside 1..100.
result<gift_info> price_gift(const gift_catalog& catalog, std::string_view gift_id, std::int64_t quantity);

}  // namespace sorak
