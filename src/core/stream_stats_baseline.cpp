// stream_stats_baseline.cpp: a stream's message figures as JSON text and back
// (stream_stats::save/restore), the statistics baseline the store keeps for
// the messages retention pruned (store.hpp: prune_messages).
#include "core/stream_stats.hpp"

#include <algorithm>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

namespace sorak {

namespace json = boost::json;

namespace {

constexpr std::int64_t baseline_version = 1;

json::object user_json(const user_tally& u) {
  json::array badges;
  for (const auto& b : u.user.badges) badges.emplace_back(b);
  return {{"id", u.user.id},         {"username", u.user.username}, {"display_name", u.user.display_name},
          {"avatar_url", u.user.avatar_url}, {"level", u.user.level},   {"premium", u.user.is_premium},
          {"badges", std::move(badges)},     {"messages", u.messages},  {"gifts", u.gifts},
          {"stars", u.stars}};
}

user_tally user_from(const json::object& o) {
  user_tally u;
  u.user.id = json::value_to<std::string>(o.at("id"));
  u.user.username = json::value_to<std::string>(o.at("username"));
  u.user.display_name = json::value_to<std::string>(o.at("display_name"));
  u.user.avatar_url = json::value_to<std::string>(o.at("avatar_url"));
  u.user.level = o.at("level").to_number<std::int64_t>();
  u.user.is_premium = o.at("premium").as_bool();
  for (const auto& b : o.at("badges").as_array()) u.user.badges.push_back(json::value_to<std::string>(b));
  u.messages = o.at("messages").to_number<std::int64_t>();
  u.gifts = o.at("gifts").to_number<std::int64_t>();
  u.stars = o.at("stars").to_number<std::int64_t>();
  return u;
}

json::object gift_json(const gift_tally& g) {
  return {{"id", g.gift_id}, {"name", g.gift_name}, {"messages", g.messages}, {"quantity", g.quantity}, {"stars", g.stars}};
}

gift_tally gift_from(const json::object& o) {
  return {json::value_to<std::string>(o.at("id")), json::value_to<std::string>(o.at("name")),
          o.at("messages").to_number<std::int64_t>(), o.at("quantity").to_number<std::int64_t>(),
          o.at("stars").to_number<std::int64_t>()};
}

std::int64_t num(const json::object& o, std::string_view key) { return o.at(key).to_number<std::int64_t>(); }

}  // namespace

std::string stream_stats::save() const {
  json::object out;
  std::lock_guard lk(mutex_);
  out["v"] = baseline_version;
  out["last"] = last_recorded_;
  out["total"] = total_;
  out["chats"] = chats_;
  out["gift_messages"] = gift_messages_;
  out["stars"] = stars_;
  json::array users, gifts, minutes;
  std::vector<const user_tally*> by_id;  // one text for one state, whatever the hash order
  by_id.reserve(users_.size());
  for (const auto& [id, u] : users_) by_id.push_back(&u);
  std::sort(by_id.begin(), by_id.end(), [](const user_tally* a, const user_tally* b) { return a->user.id < b->user.id; });
  for (const user_tally* u : by_id) users.push_back(user_json(*u));
  for (const auto& [id, g] : gifts_) gifts.push_back(gift_json(g));
  for (const auto& [start, m] : minutes_)
    if (m.messages > 0) minutes.push_back(json::array{start, m.messages, m.gifts, m.stars});
  out["users"] = std::move(users);
  out["gifts"] = std::move(gifts);
  out["minutes"] = std::move(minutes);
  return json::serialize(out);
}

bool stream_stats::restore(const std::string& text) {
  boost::unordered_flat_map<std::string, user_tally> users;
  std::map<std::string, gift_tally> gifts;
  std::vector<minute_tally> minutes;
  std::int64_t last = 0, total = 0, chats = 0, gift_messages = 0, stars = 0;
  try {
    const auto v = json::parse(text);
    const auto& o = v.as_object();
    if (num(o, "v") != baseline_version) return false;
    last = num(o, "last");
    total = num(o, "total");
    chats = num(o, "chats");
    gift_messages = num(o, "gift_messages");
    stars = num(o, "stars");
    for (const auto& u : o.at("users").as_array()) {
      auto t = user_from(u.as_object());
      users.emplace(t.user.id, std::move(t));
    }
    for (const auto& g : o.at("gifts").as_array()) {
      auto t = gift_from(g.as_object());
      gifts.emplace(t.gift_id, std::move(t));
    }
    for (const auto& m : o.at("minutes").as_array()) {
      const auto& a = m.as_array();
      minutes.push_back({a.at(0).to_number<millis>(), a.at(1).to_number<std::int64_t>(),
                         a.at(2).to_number<std::int64_t>(), a.at(3).to_number<std::int64_t>(), 0});
    }
  } catch (const std::exception&) {
    return false;  // not JSON, or not this shape
  }
  std::lock_guard lk(mutex_);
  last_recorded_ = last;
  total_ = total;
  chats_ = chats;
  gift_messages_ = gift_messages;
  stars_ = stars;
  users_ = std::move(users);
  gifts_ = std::move(gifts);
  for (auto& [start, m] : minutes_) m.messages = m.gifts = m.stars = 0;  // viewer samples stay
  for (const auto& m : minutes) {
    auto& slot = minutes_[m.minute];
    const std::int64_t viewers = slot.viewers;
    slot = m;
    slot.viewers = viewers;
  }
  return true;
}

std::string fold_stats_baseline(const std::string& baseline, const std::vector<message>& rows) {
  stream_stats s;
  if (!baseline.empty() && !s.restore(baseline))
    spdlog::error("retention: a stream's statistics baseline could not be read; counting from empty");
  for (const auto& m : rows) s.record(m);
  return s.save();
}

}  // namespace sorak
