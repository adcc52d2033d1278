// pagination.hpp: the `limit` query parameter of paged REST reads.
//
// parse_limit: absent → default_value; above max_value → max_value (clamped);
// 0, negative, empty, or not a decimal integer → 400 `invalid_limit`. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "sorak/result.hpp"

namespace sorak {

result<int> parse_limit(std::optional<std::string_view> raw, int default_value, int max_value);

}  // namespace sorak
