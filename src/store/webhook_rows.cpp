#include "store/webhook_rows.hpp"

namespace sorak::store_rows {

std::string encode_events(const std::vector<webhook_event>& events) {
  std::string out;
  for (auto e : events) {
    if (!out.empty()) out += ',';
    out += to_string(e);
  }
  return out;
}

std::vector<webhook_event> decode_events(std::string_view text) {
  std::vector<webhook_event> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    if (auto e = parse_webhook_event(name)) out.push_back(*e);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace sorak::store_rows
