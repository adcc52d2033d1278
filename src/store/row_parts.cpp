#include "store/row_parts.hpp"

#include <iterator>

#include <boost/json.hpp>

namespace sorak::store_detail {

std::string encode_badges(const std::vector<std::string>& badges) {
  boost::json::array a;
  for (const auto& b : badges) a.emplace_back(b);
  return boost::json::serialize(a);
}

std::vector<std::string> decode_badges(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  std::vector<std::string> out;
  if (ec || !v.is_array()) return out;
  for (const auto& b : v.get_array())
    if (b.is_string()) out.emplace_back(b.get_string());
  return out;
}

history_page history_page_from_newest(std::vector<message> rows, int limit) {
  history_page page;
  page.has_more = rows.size() > static_cast<std::size_t>(limit);
  if (page.has_more) rows.pop_back();
  page.messages.assign(std::make_move_iterator(rows.rbegin()), std::make_move_iterator(rows.rend()));
  if (page.has_more) page.next_cursor = page.messages.front().id;
  return page;
}

}  // namespace sorak::store_detail
