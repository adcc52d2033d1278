#include "bench/event_trace.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace sorak::bench {

std::uint64_t deletion_key(std::string_view message_id) {
  std::uint64_t h = 14695981039346656037ull;
  for (const char ch : message_id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return h;
}

bool find_deleted_id(std::string_view payload, std::string_view& message_id) {
  constexpr std::string_view prefix = R"({"type":"message_deleted")";
  constexpr std::string_view field = R"("message_id":")";
  if (payload.substr(0, prefix.size()) != prefix) return false;
  const std::size_t at = payload.find(field, prefix.size());
  if (at == std::string_view::npos) return false;
  const std::size_t start = at + field.size();
  const std::size_t end = payload.find('"', start);
  if (end == std::string_view::npos || end == start) return false;
  message_id = payload.substr(start, end - start);
  return true;
}

owed_count count_owed(const std::vector<viewer_session>& sessions, std::vector<traced_event> events,
                      std::vector<std::uint64_t> viewer_session::*read, std::int64_t grace_ns, std::int64_t end_ns,
                      const conn_role* only_role) {
  return count_owed_where(sessions, std::move(events), read, grace_ns, end_ns,
                          [only_role](const viewer_session& s) { return !only_role || s.role == *only_role; });
}

owed_count count_owed_where(const std::vector<viewer_session>& sessions, std::vector<traced_event> events,
                            std::vector<std::uint64_t> viewer_session::*read, std::int64_t grace_ns,
                            std::int64_t end_ns, const std::function<bool(const viewer_session&)>& counted) {
  // Once per key (the earliest report of it), then in time order.
  std::sort(events.begin(), events.end(), [](const traced_event& a, const traced_event& b) {
    return a.key != b.key ? a.key < b.key : a.t_ns < b.t_ns;
  });
  events.erase(std::unique(events.begin(), events.end(),
                           [](const traced_event& a, const traced_event& b) { return a.key == b.key; }),
               events.end());
  std::sort(events.begin(), events.end(), [](const traced_event& a, const traced_event& b) { return a.t_ns < b.t_ns; });
  owed_count n;
  std::vector<std::uint64_t> got;
  for (const viewer_session& s : sessions) {
    if (!counted(s)) continue;
    ++n.viewers;
    const std::int64_t until = (s.left_ns != 0 ? s.left_ns : end_ns) - grace_ns;
    got = s.*read;
    std::sort(got.begin(), got.end());
    bool short_of_one = false;
    for (const traced_event& e : events) {
      if (e.t_ns < s.joined_ns) continue;
      if (e.t_ns > until) break;
      ++n.owed;
      const bool has = std::binary_search(got.begin(), got.end(), e.key);
      n.delivered += has;
      short_of_one = short_of_one || !has;
    }
    n.viewers_short += short_of_one;
  }
  return n;
}

}  // namespace sorak::bench
