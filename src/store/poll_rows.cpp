#include "store/poll_rows.hpp"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace sorak {

std::string options_column(const std::vector<poll_option>& options) {
  boost::json::array a;
  for (const auto& o : options) a.emplace_back(o.text);
  return boost::json::serialize(a);
}

std::vector<poll_option> options_of_column(std::string_view column) {
  boost::system::error_code ec;
  auto v = boost::json::parse(column, ec);
  std::vector<poll_option> out;
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.get_array())
    if (e.is_string()) out.push_back({std::string(e.get_string()), 0});
  return out;
}

}  // namespace sorak
