// pagination.cpp: the `limit` query parameter (CONTRACT §8).
#include "core/pagination.hpp"

#include <charconv>
#include <string>

namespace sorak {
namespace {

error invalid_limit(int max_value) {
  return error(errc::invalid_limit, 
                            "limit must be a whole number from 1 to " + std::to_string(max_value) + ".");
}

}  // namespace

result<int> parse_limit(std::optional<std::string_view> raw, int default_value, int max_value) {
  if (!raw) return default_value;
  const std::string_view text = *raw;
  // from_chars takes a leading '-' but not '+' or spaces, which is what we want:
  // only plain decimal digits, optionally negative (refused below).
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool whole = !text.empty() && end == text.data() + text.size();
  if (ec == std::errc::result_out_of_range && whole && text.front() != '-') return max_value;
  if (ec != std::errc() || !whole || value <= 0) return invalid_limit(max_value);
  return value > max_value ? max_value : static_cast<int>(value);
}

}  // namespace sorak
