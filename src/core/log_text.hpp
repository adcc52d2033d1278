// log_text.hpp: text a client chose (a token's user id, a request path, a
// close reason), made safe to put in a log line.
//
// quote_for_log(s) is s as a JSON string literal: quotes, backslashes and
// every control character are escaped, so a newline cannot split a line into
// a forged second one and an ESC cannot drive the reader's terminal. Longer
// text is cut to `max` bytes (at a UTF-8 boundary) and marked with "…".
//
// log_quoted(s) is the same for a log call's argument, done lazily: it only
// holds the view, and the quoting runs when the line is formatted, so a
// debug line that is not written costs nothing (the join and close lines
// run once per connection).
#pragma once

#include <fmt/format.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace sorak {

std::string quote_for_log(std::string_view s, std::size_t max = 200);

struct log_quoted {
  explicit log_quoted(std::string_view s, std::size_t max = 200) : text(s), max(max) {}
  std::string_view text;  // must outlive the log call
  std::size_t max;
};

}  // namespace sorak

template <>
struct fmt::formatter<sorak::log_quoted> : fmt::formatter<std::string_view> {
  template <class Context>
  auto format(const sorak::log_quoted& q, Context& ctx) const {
    return fmt::formatter<std::string_view>::format(sorak::quote_for_log(q.text, q.max), ctx);
  }
};
