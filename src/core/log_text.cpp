#include "core/log_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string_view.hpp>

namespace sorak {

std::string quote_for_log(std::string_view s, std::size_t max) {
  bool cut = false;
  if (s.size() > max) {
    std::size_t n = max;
    // Back off over continuation bytes so a code point is never split.
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
    cut = true;
  }
  std::string out = boost::json::serialize(boost::json::string_view(s.data(), s.size()));
  if (cut) out += "…";
  return out;
}

}  // namespace sorak
