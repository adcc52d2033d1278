// stream_stats.hpp: one stream's chat analytics, kept up to date as messages
// commit (CONTRACT §9 stats, §10 analytics).
//
// A room owns one. It is filled once from the store when the room opens
// (record() over every stored message, oldest first) and then gets record()
// once per committed message, so a statistics request costs O(users + gifts +
// minutes), never a walk over the stream's history. Counted: `message` and
// `gift` messages (not system or moderation notices), deleted ones included:
// the figures say what was sent. Viewer figures come from sample_viewers()
// (the periodic sweep and every commit); they live in memory only and start
// again when the process does.
//
// Thread-safety: every method may be called from any thread; one internal
// mutex, taken alone and never held while calling out.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "sorak/types.hpp"

namespace sorak {

struct user_tally {
  user_profile user;          // as on their newest message
  std::int64_t messages = 0;  // chat and gift messages
  std::int64_t gifts = 0;     // gift messages
  std::int64_t stars = 0;
};

struct gift_tally {
  std::string gift_id;
  std::string gift_name;
  std::int64_t messages = 0;  // gift messages
  std::int64_t quantity = 0;  // gifts sent (sum of quantities)
  std::int64_t stars = 0;
};

struct minute_tally {
  millis minute = 0;  // start of the UTC minute
  std::int64_t messages = 0;
  std::int64_t gifts = 0;
  std::int64_t stars = 0;
  std::int64_t viewers = 0;  // the most viewers sampled in that minute
};

// The viewer figures, which the store does not hold: kept by the registry
// while a room is closed, so they survive it.
struct viewer_samples {
  std::int64_t peak = 0;
  std::vector<std::pair<millis, std::int64_t>> minutes;  // minute start → most viewers sampled
};

struct stats_snapshot {
  std::int64_t total_messages = 0;  // chat + gift
  std::int64_t chat_messages = 0;
  std::int64_t gift_count = 0;  // gift messages
  std::int64_t total_stars = 0;
  std::int64_t unique_users = 0;
  std::int64_t peak_viewers = 0;
  std::vector<gift_tally> gifts;         // most stars first, then gift_id
  std::vector<user_tally> top_chatters;  // most messages first, then user id
  std::vector<user_tally> top_gifters;   // most stars first, then user id; only users who gave stars or gifts
  std::vector<minute_tally> timeline;    // every minute of the asked range, oldest first
};

class stream_stats {
 public:
  // Folds one message in. Messages of other types, and messages not newer
  // than the last one folded (a rebuild racing a commit), are ignored.
  void record(const message& m);
  // Remembers `count` viewers at `now` (for peak_viewers and the timeline).
  void sample_viewers(std::int64_t count, millis now);
  viewer_samples viewers() const;
  void restore_viewers(const viewer_samples& v);

  // Totals, the `top` first chatters and gifters, every gift, and the
  // timeline from the minute holding `from` to the minute holding `to`
  // (at most max_timeline_minutes, the newest kept).
  stats_snapshot snapshot(std::size_t top, millis from, millis to) const;
  // The gift leaderboard: the `limit` users with the most stars.
  std::vector<user_tally> top_gifters(std::size_t limit) const;

  // The message figures (totals, users with their profiles, gifts, minutes,
  // the newest message folded) as JSON text, and back: a stream's statistics
  // baseline, which the store keeps for messages it pruned (retention). Viewer
  // figures are left out: they live in memory only. restore() replaces the
  // message figures (viewer samples stay) and returns false, changing nothing,
  // on text it cannot read.
  std::string save() const;
  bool restore(const std::string& text);

  static constexpr std::size_t max_timeline_minutes = 1440;

 private:
  mutable std::mutex mutex_;
  millis last_recorded_ = 0;                                                               // GUARDED_BY(mutex_)
  std::int64_t total_ = 0, chats_ = 0, gift_messages_ = 0, stars_ = 0, peak_viewers_ = 0;  // GUARDED_BY(mutex_)
  boost::unordered_flat_map<std::string, user_tally> users_;  // GUARDED_BY(mutex_), by user id
  std::map<std::string, gift_tally> gifts_;            // GUARDED_BY(mutex_), by gift id
  std::map<millis, minute_tally> minutes_;             // GUARDED_BY(mutex_), minutes with activity
};

// A baseline (stream_stats::save text, "" for none) with `rows` folded in,
// oldest first: the store's stats_fold when it prunes. Baseline text it cannot
// read is logged and counted from empty.
std::string fold_stats_baseline(const std::string& baseline, const std::vector<message>& rows);

// The seed's messages_per_minute: chat and gift messages over the minutes the
// stream has run (started_at to ended_at, or to now; at least one minute),
// rounded to one decimal.
double messages_per_minute(std::int64_t total, millis started_at, millis until);
// The top `n` gift ids, most stars first (ties: gift id).
std::vector<std::string> top_gift_ids(const std::vector<gift_tally>& gifts, std::size_t n);
// "HH:MM:SS" of a span (hours may pass 99).
std::string format_duration(millis span);

}  // namespace sorak
