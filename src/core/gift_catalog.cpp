#include "core/gift_catalog.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fstream>
#include <iterator>
#include <set>

#include "core/utf8.hpp"

namespace sorak {

namespace json = boost::json;

namespace {

error invalid_catalog(std::string msg) { return error(errc::invalid_gift_catalog, std::move(msg)); }

bool valid_gift_id(std::string_view id) {
  return !id.empty() && id.size() <= 32 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

result<gift_kind> parse_entry(const json::value& v, std::size_t index) {
  const std::string where = "gifts[" + std::to_string(index) + "]";
  if (!v.is_object()) return invalid_catalog(where + " must be an object");
  const auto& o = v.get_object();
  gift_kind g;
  auto id = o.find("gift_id");
  if (id == o.end() || !id->value().is_string() || !valid_gift_id(id->value().get_string()))
    return invalid_catalog(where + ".gift_id must be 1 to 32 characters of a-z, 0-9, _ and -");
  g.gift_id = std::string(id->value().get_string());
  auto name = o.find("gift_name");
  if (name == o.end() || !name->value().is_string()) return invalid_catalog(where + ".gift_name must be a string");
  g.gift_name = std::string(name->value().get_string());
  if (g.gift_name.empty() || !is_valid_utf8(g.gift_name) || count_code_points(g.gift_name) > 64)
    return invalid_catalog(where + ".gift_name must be 1 to 64 characters");
  auto stars = o.find("stars");
  if (stars == o.end() || !stars->value().is_int64() || stars->value().get_int64() < 0 ||
      stars->value().get_int64() > 1'000'000)
    return invalid_catalog(where + ".stars must be a whole number from 0 to 1000000");
  g.stars = stars->value().get_int64();
  return g;
}

}  // namespace

gift_catalog gift_catalog::defaults() {
  return gift_catalog({{"star", "Star", 10},
                       {"heart", "Heart", 5},
                       {"clap", "Clap", 1},
                       {"rose", "Rose", 20},
                       {"crown", "Crown", 100}});
}

result<gift_catalog> gift_catalog::parse(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return invalid_catalog("the gift catalog must be a JSON object {\"gifts\": [...]}");
  auto list = v.get_object().find("gifts");
  if (list == v.get_object().end() || !list->value().is_array() || list->value().get_array().empty())
    return invalid_catalog("\"gifts\" must be a non-empty array");
  std::vector<gift_kind> gifts;
  std::set<std::string> seen;
  const auto& arr = list->value().get_array();
  for (std::size_t i = 0; i < arr.size(); ++i) {
    auto g = parse_entry(arr[i], i);
    if (!g) return g.err();
    if (!seen.insert(g->gift_id).second) return invalid_catalog("gift_id \"" + g->gift_id + "\" appears twice");
    gifts.push_back(std::move(*g));
  }
  return gift_catalog(std::move(gifts));
}

result<gift_catalog> gift_catalog::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalid_catalog("cannot read the gift catalog " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text);
}

const gift_kind* gift_catalog::find(std::string_view gift_id) const {
  for (const auto& g : gifts_)
    if (g.gift_id == gift_id) return &g;
  return nullptr;
}

result<gift_info> price_gift(const gift_catalog& catalog, std::string_view gift_id, std::int64_t quantity) {
  const gift_kind* kind = catalog.find(gift_id);
  if (!kind) return error(errc::unknown_gift, "There is no gift \"" + std::string(gift_id) + "\"");
  if (quantity < min_gift_quantity || quantity > max_gift_quantity)
    return error(errc::invalid_quantity, "quantity must be a whole number from 1 to 100");
  gift_info g;
  g.gift_id = kind->gift_id;
  g.gift_name = kind->gift_name;
  g.quantity = static_cast<int>(quantity);
  g.total_stars = kind->stars * quantity;
  return g;
}

}  // namespace sorak
