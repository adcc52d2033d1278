#include "protocol/plain_json.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <system_error>

namespace sorak {
namespace {

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// The number token `num` as a plain decimal; `num` unchanged when it has no
// exponent or does not parse.
void append_number(std::string& out, std::string_view num) {
  double d = 0;
  const bool exponent = num.find_first_of("eE") != std::string_view::npos;
  if (!exponent || std::from_chars(num.data(), num.data() + num.size(), d).ec != std::errc{}) {
    out.append(num);
    return;
  }
  char buf[400];  // a double in fixed notation is at most ~330 characters
  const auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  const std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
  out.append(text);
  if (text.find('.') == std::string_view::npos) out.append(".0");
}

// The end of the string literal that opens at json[i] (one past its quote).
std::size_t string_end(std::string_view json, std::size_t i) {
  for (++i; i < json.size(); ++i) {
    if (json[i] == '\\') ++i;
    else if (json[i] == '"') return i + 1;
  }
  return json.size();
}

}  // namespace

std::string plain_decimals(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (std::size_t i = 0; i < json.size();) {
    std::size_t end = i + 1;
    if (json[i] == '"') {
      end = string_end(json, i);
      out.append(json.substr(i, end - i));
    } else if (is_number_char(json[i])) {
      while (end < json.size() && is_number_char(json[end])) ++end;
      append_number(out, json.substr(i, end - i));
    } else {
      out.push_back(json[i]);
    }
    i = end;
  }
  return out;
}

std::string serialize_plain(const boost::json::value& v) {
  std::string text = boost::json::serialize(v);
  if (text.find_first_of("eE") == std::string::npos) return text;  // no exponent anywhere
  return plain_decimals(text);
}

}  // namespace sorak
