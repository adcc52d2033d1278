#include "store/memory_store.hpp"
#include "store/stream_rules.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace sorak {

namespace {


error stream_not_found() { return error(errc::stream_not_found, "no such stream"); }
error message_not_found() { return error(errc::message_not_found, "no such message in this stream"); }
error poll_not_found() { return error(errc::poll_not_found, "no such poll in this stream"); }

// A room id counts toward the next one when it is all digits and fits an int64
// with room to add one (the SQLite store's rule).
std::int64_t numeric_room_id(const std::string& room_id) {
  if (room_id.empty() || room_id.size() > 18) return 0;
  if (!std::all_of(room_id.begin(), room_id.end(), [](char c) { return c >= '0' && c <= '9'; })) return 0;
  return std::stoll(room_id);
}

class memory_store final : public store {
 public:
  // ---- streams --------------------------------------------------------------
  result<stream> create_stream(const new_stream& s) override {
    std::lock_guard lock(mutex_);
    if (s.room_id && rooms_.count(*s.room_id))
      return error(errc::room_taken, "room_id " + *s.room_id + " is already used");
    stream out;
    out.id = new_uuid_v7();
    out.room_id = s.room_id ? *s.room_id : std::to_string(std::max(max_room_id_ + 1, first_room_id));
    out.broadcaster_user_id = s.broadcaster_user_id;
    out.room_name = s.room_name;
    out.title = s.title;
    out.member = s.member;
    out.playback_url = s.playback_url;
    out.created_at = out.started_at = now_millis();
    max_room_id_ = std::max(max_room_id_, numeric_room_id(out.room_id));
    rooms_[out.room_id] = out.id;
    streams_[out.id] = out;
    return out;
  }

  status import_stream(const stream& s) override {
    std::lock_guard lock(mutex_);
    if (streams_.count(s.id) || rooms_.count(s.room_id))
      return error(errc::room_taken, "stream " + s.id + " or room_id " + s.room_id + " is already used");
    max_room_id_ = std::max(max_room_id_, numeric_room_id(s.room_id));
    rooms_[s.room_id] = s.id;
    streams_[s.id] = s;
    return ok_value;
  }

  result<stream> get_stream(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return stream_not_found();
    return it->second;
  }

  result<stream> get_stream_by_room(std::string_view room_id) override {
    std::lock_guard lock(mutex_);
    auto room = rooms_.find(room_id);
    if (room == rooms_.end()) return stream_not_found();
    return streams_.at(room->second);
  }

  std::vector<stream> list_streams(std::optional<stream_status> filter) override {
    std::vector<stream> out;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [id, s] : streams_)
        if (!filter || s.status == *filter) out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const stream& a, const stream& b) {
      return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
    });
    return out;
  }

  result<stream> update_stream(std::string_view stream_id, const stream_patch& p) override {
    std::lock_guard lock(mutex_);
    auto it = streams_.find(stream_id);
    if (it == streams_.end()) return stream_not_found();
    const bool was_ended = it->second.ended_at.has_value();
    apply_stream_patch(it->second, p);
    if (!was_ended && it->second.ended_at)  // no earlier than its last message (the SQL stores' rule)
      if (auto m = messages_.find(stream_id); m != messages_.end() && !m->second.empty())
        for (const auto& x : m->second) it->second.ended_at = std::max(*it->second.ended_at, x.created_at);
    return it->second;
  }

  // ---- users ----------------------------------------------------------------
  void remember_user(const user_profile& u) override {
    std::lock_guard lock(mutex_);
    users_[u.id] = u;  // badges: the token's global ones
  }

  std::optional<user_profile> get_user(std::string_view user_id) override {
    std::lock_guard lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return std::nullopt;
    return it->second;
  }

  std::vector<user_profile> list_users() override {
    std::lock_guard lock(mutex_);
    std::vector<user_profile> out;
    for (const auto& [id, u] : users_) out.push_back(u);
    return out;
  }

  // ---- messages -------------------------------------------------------------
  void append(message m, append_callback done) override {
    auto stored = insert(std::move(m));
    if (done) done(std::move(stored));
  }

  result<history_page> history(std::string_view stream_id, int limit,
                               std::optional<std::string_view> before_id) override {
    limit = std::max(limit, 1);
    std::lock_guard lock(mutex_);
    const auto& all = messages_of(stream_id);
    std::size_t end = all.size();
    if (before_id) {
      auto pos = position_of(stream_id, *before_id);
      if (!pos) return error(errc::invalid_cursor, "`before` is not a message of this stream");
      end = *pos;
    }
    history_page page;
    std::size_t i = end;
    for (; i > 0 && page.messages.size() < static_cast<std::size_t>(limit); --i)
      if (!all[i - 1].deleted) page.messages.push_back(all[i - 1]);
    page.has_more = std::any_of(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(i),
                                [](const message& m) { return !m.deleted; });
    std::reverse(page.messages.begin(), page.messages.end());
    if (page.has_more) page.next_cursor = page.messages.front().id;
    return page;
  }

  std::vector<message> latest(std::string_view stream_id, int n) override {
    std::lock_guard lock(mutex_);
    const auto& all = messages_of(stream_id);
    std::vector<message> out;
    for (auto it = all.rbegin(); it != all.rend() && static_cast<int>(out.size()) < n; ++it)
      if (!it->deleted) out.push_back(*it);
    std::reverse(out.begin(), out.end());
    return out;
  }

  result<std::vector<message>> after(std::string_view stream_id, std::string_view message_id, int max) override {
    std::lock_guard lock(mutex_);
    auto pos = position_of(stream_id, message_id);
    if (!pos) return message_not_found();
    const auto& all = messages_of(stream_id);
    std::vector<message> out;
    for (std::size_t i = *pos + 1; i < all.size() && static_cast<int>(out.size()) < max; ++i)
      if (!all[i].deleted) out.push_back(all[i]);
    return out;
  }

  result<message> get_message(std::string_view stream_id, std::string_view message_id) override {
    std::lock_guard lock(mutex_);
    auto pos = position_of(stream_id, message_id);
    if (!pos) return message_not_found();
    return messages_of(stream_id)[*pos];
  }

  std::vector<message> deleted_after(std::string_view stream_id, std::string_view message_id) override {
    std::lock_guard lock(mutex_);
    std::vector<message> out;
    auto pos = position_of(stream_id, message_id);
    if (!pos) return out;
    const auto& all = messages_of(stream_id);
    for (std::size_t i = *pos + 1; i < all.size(); ++i)
      if (all[i].deleted) out.push_back(all[i]);
    return out;
  }

  std::optional<millis> last_created_at(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    const auto& all = messages_of(stream_id);
    if (all.empty()) return std::nullopt;
    return all.back().created_at;
  }

  // ---- moderation -------------------------------------------------------------
  result<message> delete_message(std::string_view stream_id, std::string_view message_id) override {
    std::lock_guard lock(mutex_);
    auto pos = position_of(stream_id, message_id);
    if (!pos) return message_not_found();
    auto& m = messages_.find(stream_id)->second[*pos];
    if (m.deleted) return message_not_found();
    m.deleted = true;
    return m;
  }

  result<std::vector<std::string>> delete_user_messages(std::string_view stream_id,
                                                        std::string_view user_id) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    auto it = messages_.find(stream_id);
    if (it == messages_.end()) return ids;
    for (auto& m : it->second) {
      if (m.deleted || m.user.id != user_id) continue;
      m.deleted = true;
      ids.push_back(m.id);
    }
    return ids;
  }

  result<badge_grant> grant_badge(const badge_grant& g) override {
    std::lock_guard lock(mutex_);
    auto& list = badges_[g.stream_id];
    auto it = std::find_if(list.begin(), list.end(), [&](const badge_grant& b) { return b.user_id == g.user_id; });
    if (it != list.end() && it->badge == g.badge) return with_username(*it);
    if (it != list.end()) list.erase(it);
    list.push_back(g);
    return with_username(list.back());
  }

  status revoke_badge(std::string_view stream_id, std::string_view user_id) override {
    std::lock_guard lock(mutex_);
    auto found = badges_.find(stream_id);
    if (found == badges_.end()) return badge_not_found();
    auto& list = found->second;
    auto it = std::find_if(list.begin(), list.end(), [&](const badge_grant& b) { return b.user_id == user_id; });
    if (it == list.end()) return badge_not_found();
    list.erase(it);
    return ok_value;
  }

  std::vector<badge_grant> list_badges(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    std::vector<badge_grant> out;
    if (auto it = badges_.find(stream_id); it != badges_.end())
      for (const auto& g : it->second) out.push_back(with_username(g));
    return out;
  }

  status put_sanction(const sanction& s) override {
    std::lock_guard lock(mutex_);
    auto& list = sanctions_[s.stream_id];
    std::erase_if(list, [&](const sanction& x) { return x.user_id == s.user_id && x.kind == s.kind; });
    list.push_back(s);
    return ok_value;
  }

  status lift_sanction(std::string_view stream_id, std::string_view user_id, sanction_kind kind) override {
    std::lock_guard lock(mutex_);
    auto found = sanctions_.find(stream_id);
    if (found == sanctions_.end()) return sanction_not_found(kind);
    const auto removed =
        std::erase_if(found->second, [&](const sanction& x) { return x.user_id == user_id && x.kind == kind; });
    if (removed == 0) return sanction_not_found(kind);
    return ok_value;
  }

  std::vector<sanction> list_sanctions(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    auto it = sanctions_.find(stream_id);
    return it == sanctions_.end() ? std::vector<sanction>{} : it->second;
  }

  // ---- blocked terms and the pinned message ------------------------------------
  result<blocked_term> add_blocked_term(const blocked_term& t) override {
    std::lock_guard lock(mutex_);
    auto& list = terms_[t.stream_id];
    for (const auto& x : list)
      if (x.folded == t.folded) return error(errc::blocked_term_exists, "\"" + x.term + "\" is blocked here already");
    list.push_back(t);
    return t;
  }

  result<blocked_term> remove_blocked_term(std::string_view stream_id, std::string_view term_id) override {
    std::lock_guard lock(mutex_);
    auto found = terms_.find(stream_id);
    if (found != terms_.end()) {
      auto& list = found->second;
      auto it = std::find_if(list.begin(), list.end(), [&](const blocked_term& x) { return x.id == term_id; });
      if (it != list.end()) {
        blocked_term out = *it;
        list.erase(it);
        return out;
      }
    }
    return error(errc::blocked_term_not_found, "no such blocked term in this stream");
  }

  std::vector<blocked_term> list_blocked_terms(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    auto it = terms_.find(stream_id);
    return it == terms_.end() ? std::vector<blocked_term>{} : it->second;
  }

  status put_pin(const pin_record& p) override {
    std::lock_guard lock(mutex_);
    pins_.insert_or_assign(p.stream_id, p);
    return ok_value;
  }

  status clear_pin(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    if (auto it = pins_.find(stream_id); it != pins_.end()) pins_.erase(it);
    return ok_value;
  }

  std::optional<pin_record> get_pin(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    auto it = pins_.find(stream_id);
    if (it == pins_.end()) return std::nullopt;
    return it->second;
  }

  // ---- polls ----------------------------------------------------------------------
  result<poll> create_poll(const poll& p) override {
    std::lock_guard lock(mutex_);
    for (auto& [id, x] : polls_) {
      if (x.stream_id != p.stream_id || x.closed_at) continue;
      if (x.ends_at <= p.created_at) {
        x.closed_at = x.ends_at;  // its deadline passed unnoticed
        continue;
      }
      return error(errc::poll_open, "this stream has an open poll already (" + x.id + ")");
    }
    poll stored = p;
    for (auto& o : stored.options) o.votes = 0;
    polls_[p.id] = stored;
    return stored;
  }

  result<poll> get_poll(std::string_view stream_id, std::string_view poll_id) override {
    std::lock_guard lock(mutex_);
    auto it = polls_.find(poll_id);
    if (it == polls_.end() || it->second.stream_id != stream_id) return poll_not_found();
    return it->second;
  }

  std::vector<poll> list_polls(std::string_view stream_id, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<poll> out;
    for (const auto& [id, x] : polls_)
      if (x.stream_id == stream_id) out.push_back(x);
    std::sort(out.begin(), out.end(), [](const poll& a, const poll& b) {
      return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
    });
    if (out.size() > static_cast<std::size_t>(std::max(limit, 0))) out.resize(static_cast<std::size_t>(std::max(limit, 0)));
    return out;
  }

  status add_vote(std::string_view stream_id, std::string_view poll_id, std::string_view user_id, int option,
                  millis at) override {
    std::lock_guard lock(mutex_);
    auto it = polls_.find(poll_id);
    if (it == polls_.end() || it->second.stream_id != stream_id) return poll_not_found();
    poll& p = it->second;
    if (!p.open_at(at)) return error(errc::poll_closed);
    if (option < 0 || option >= static_cast<int>(p.options.size())) return error(errc::invalid_option);
    if (!voters_[p.id].insert(std::string(user_id)).second) return error(errc::already_voted);
    ++p.options[static_cast<std::size_t>(option)].votes;
    votes_[p.id].push_back({std::string(user_id), option, at});
    return ok_value;
  }

  std::vector<poll_vote> list_votes(std::string_view stream_id, std::string_view poll_id) override {
    std::lock_guard lock(mutex_);
    auto it = votes_.find(poll_id);
    if (it == votes_.end() || polls_.at(std::string(poll_id)).stream_id != stream_id) return {};
    return it->second;
  }

  status import_poll(const poll& p, const std::vector<poll_vote>& votes) override {
    std::lock_guard lock(mutex_);
    if (!p.closed_at)
      for (const auto& [id, x] : polls_)
        if (x.stream_id == p.stream_id && !x.closed_at) return error(errc::poll_open);
    poll stored = p;
    for (auto& o : stored.options) o.votes = 0;
    for (const auto& v : votes) {
      if (v.option < 0 || v.option >= static_cast<int>(stored.options.size())) continue;
      if (!voters_[p.id].insert(v.user_id).second) continue;
      ++stored.options[static_cast<std::size_t>(v.option)].votes;
      votes_[p.id].push_back(v);
    }
    polls_[p.id] = std::move(stored);
    return ok_value;
  }

  result<poll> close_poll(std::string_view stream_id, std::string_view poll_id, millis at) override {
    std::lock_guard lock(mutex_);
    auto it = polls_.find(poll_id);
    if (it == polls_.end() || it->second.stream_id != stream_id) return poll_not_found();
    poll& p = it->second;
    if (p.closed_at) return error(errc::poll_closed);
    p.closed_at = std::min(at, p.ends_at);
    return p;
  }

  std::vector<message> messages_between(std::string_view stream_id, millis from, millis to, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<message> out;
    auto it = messages_.find(stream_id);
    if (it == messages_.end()) return out;
    for (const auto& m : it->second) {
      if (m.deleted || m.created_at < from || m.created_at >= to) continue;
      out.push_back(m);
      if (static_cast<int>(out.size()) >= limit) break;
    }
    return out;
  }

  status log_action(const moderation_action& a) override {
    std::lock_guard lock(mutex_);
    log_[a.stream_id].push_back(a);
    return ok_value;
  }

  std::vector<moderation_action> moderation_log(std::string_view stream_id, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<moderation_action> out;
    auto it = log_.find(stream_id);
    if (it == log_.end()) return out;
    for (auto a = it->second.rbegin(); a != it->second.rend() && static_cast<int>(out.size()) < limit; ++a)
      out.push_back(*a);
    return out;
  }

  // ---- the Showroom-style feed and analytics ---------------------------------
  std::vector<message> chat_feed(std::string_view stream_id, int limit, std::optional<millis> since) override {
    limit = std::max(limit, 1);
    std::lock_guard lock(mutex_);
    const auto& all = messages_of(stream_id);
    std::vector<message> out;
    if (since) {
      auto first = std::upper_bound(all.begin(), all.end(), *since,
                                    [](millis t, const message& m) { return t < m.created_at; });
      for (; first != all.end() && static_cast<int>(out.size()) < limit; ++first)
        if (in_feed(*first)) out.push_back(*first);
      return out;
    }
    for (auto it = all.rbegin(); it != all.rend() && static_cast<int>(out.size()) < limit; ++it)
      if (in_feed(*it)) out.push_back(*it);
    std::reverse(out.begin(), out.end());
    return out;
  }

  void scan_messages(std::string_view stream_id, const std::function<void(const message&)>& each) override {
    std::vector<message> copy;
    {
      std::lock_guard lock(mutex_);
      copy = messages_of(stream_id);
    }
    for (const auto& m : copy) each(m);
  }

  // ---- API keys -------------------------------------------------------------
  status put_api_key(const api_key& k) override {
    std::lock_guard lock(mutex_);
    for (const auto& existing : api_keys_)
      if (existing.id == k.id || existing.key_hash == k.key_hash)
        return error(errc::api_key_taken, "an API key with this id or hash exists");
    api_keys_.push_back(k);
    return ok_value;
  }

  std::vector<api_key> list_api_keys() override {
    std::lock_guard lock(mutex_);
    return api_keys_;
  }

  std::optional<api_key> find_api_key(std::string_view key_hash) override {
    std::lock_guard lock(mutex_);
    for (const auto& k : api_keys_)
      if (k.key_hash == key_hash) return k;
    return std::nullopt;
  }

  status revoke_api_key(std::string_view id, millis at) override {
    std::lock_guard lock(mutex_);
    for (auto& k : api_keys_) {
      if (k.id != id || k.revoked_at) continue;
      k.revoked_at = at;
      return ok_value;
    }
    return error(errc::api_key_not_found, "no such API key (or it is revoked already)");
  }

  // ---- webhooks ---------------------------------------------------------------
  status create_webhook(const webhook& w) override {
    std::lock_guard lock(mutex_);
    webhooks_.push_back(w);
    return ok_value;
  }

  std::vector<webhook> list_webhooks() override {
    std::lock_guard lock(mutex_);
    return webhooks_;
  }

  result<webhook> get_webhook(std::string_view id) override {
    std::lock_guard lock(mutex_);
    for (const auto& w : webhooks_)
      if (w.id == id) return w;
    return error(errc::webhook_not_found, "no such webhook");
  }

  status delete_webhook(std::string_view id) override {
    std::lock_guard lock(mutex_);
    auto it = std::find_if(webhooks_.begin(), webhooks_.end(), [&](const webhook& w) { return w.id == id; });
    if (it == webhooks_.end()) return error(errc::webhook_not_found, "no such webhook");
    webhooks_.erase(it);
    std::erase_if(deliveries_, [&](const auto& d) { return d.second.webhook_id == id; });
    return ok_value;
  }

  status add_deliveries(const std::vector<webhook_delivery>& ds) override {
    std::lock_guard lock(mutex_);
    for (const auto& d : ds) {
      const bool known = std::any_of(webhooks_.begin(), webhooks_.end(), [&](const webhook& w) { return w.id == d.webhook_id; });
      if (known) deliveries_.emplace(d.id, d);
    }
    return ok_value;
  }

  std::vector<webhook_delivery> claim_deliveries(millis now, std::string_view owner, millis lease_until,
                                                 int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<webhook_delivery> out;
    for (auto& [id, d] : deliveries_) {
      if (static_cast<int>(out.size()) >= limit) break;
      if (d.status != delivery_status::pending || d.next_attempt_at > now || d.lease_until > now) continue;
      d.lease_owner = owner;
      d.lease_until = lease_until;
      out.push_back(d);
    }
    return out;
  }

  status finish_deliveries(const std::vector<delivery_outcome>& outcomes) override {
    std::lock_guard lock(mutex_);
    for (const auto& o : outcomes) {
      auto it = deliveries_.find(o.id);
      if (it == deliveries_.end()) continue;
      auto& d = it->second;
      d.status = o.status;
      d.attempts = o.attempts;
      d.next_attempt_at = o.next_attempt_at;
      d.last_attempt_at = o.last_attempt_at;
      d.response_status = o.response_status;
      d.error = o.error;
      d.delivered_at = o.delivered_at;
      d.lease_owner.clear();
      d.lease_until = 0;
    }
    return ok_value;
  }

  std::vector<webhook_delivery> list_deliveries(std::string_view webhook_id, int limit) override {
    std::lock_guard lock(mutex_);
    std::vector<webhook_delivery> out;
    for (auto it = deliveries_.rbegin(); it != deliveries_.rend() && static_cast<int>(out.size()) < limit; ++it)
      if (it->second.webhook_id == webhook_id) out.push_back(it->second);
    return out;
  }

  std::int64_t prune_deliveries(millis before) override {
    std::lock_guard lock(mutex_);
    return static_cast<std::int64_t>(std::erase_if(deliveries_, [&](const auto& d) {
      return d.second.status != delivery_status::pending && d.second.created_at < before;
    }));
  }

  // ---- retention ------------------------------------------------------------
  result<prune_report> prune_messages(millis cutoff, const stats_fold& fold) override {
    std::lock_guard lock(mutex_);
    prune_report report;
    for (auto& [stream_id, list] : messages_) {
      const std::int64_t n = prune_stream(stream_id, list, cutoff, fold);
      report.messages += n;
      report.streams += n > 0 ? 1 : 0;
    }
    return report;
  }

  std::optional<std::string> stats_baseline(std::string_view stream_id) override {
    std::lock_guard lock(mutex_);
    auto it = baselines_.find(stream_id);
    if (it == baselines_.end()) return std::nullopt;
    return it->second.stats;
  }

  std::vector<stream_baseline> list_baselines() override {
    std::lock_guard lock(mutex_);
    std::vector<stream_baseline> out;
    for (const auto& [id, b] : baselines_) out.push_back(b);
    return out;
  }

  status import_baseline(const stream_baseline& b) override {
    std::lock_guard lock(mutex_);
    baselines_[b.stream_id] = b;
    auto& head = heads_[b.stream_id];
    head.seq = std::max(head.seq, b.last_seq);
    head.created_at = std::max(head.created_at, b.last_created_at);
    return ok_value;
  }

  void flush() override {}  // append stores before it returns

 private:
  // REQUIRES: mutex_ is held.
  badge_grant with_username(badge_grant g) const {
    auto u = users_.find(g.user_id);
    g.username = u == users_.end() ? std::string() : u->second.username;
    return g;
  }

  static bool in_feed(const message& m) {
    return !m.deleted && (m.type == message_type::message || m.type == message_type::gift);
  }

  struct message_place {
    std::string stream_id;
    std::size_t position;  // index in messages_[stream_id]
  };

  // Numbers m in its stream and keeps created_at rising, as the SQL stores do at commit.
  result<message> insert(message m) {
    std::lock_guard lock(mutex_);
    if (places_.count(m.id)) return error(errc::duplicate_message, "message " + m.id + " is already stored");
    auto& list = messages_[m.stream_id];
    auto head = heads_.find(m.stream_id);
    m.seq = head == heads_.end() ? 1 : head->second.seq + 1;
    if (head != heads_.end()) m.created_at = std::max(m.created_at, head->second.created_at + 1);
    heads_[m.stream_id] = {m.seq, m.created_at};
    places_[m.id] = {m.stream_id, list.size()};
    list.push_back(m);
    return m;
  }

  // Removes the messages of one stream older than cutoff, a batch at a time.
  // REQUIRES: mutex_ is held.
  std::int64_t prune_stream(const std::string& stream_id, std::vector<message>& list, millis cutoff,
                            const stats_fold& fold) {
    std::int64_t removed = 0;
    for (;;) {
      std::size_t n = 0;
      while (n < list.size() && n < static_cast<std::size_t>(prune_batch) && list[n].created_at < cutoff) ++n;
      if (n == 0) return removed;
      std::vector<message> batch(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n));
      auto& b = baselines_[stream_id];
      b.stream_id = stream_id;
      b.stats = fold(stream_id, b.stats, batch);
      b.last_seq = batch.back().seq;
      b.last_created_at = batch.back().created_at;
      for (const auto& m : batch) {
        places_.erase(m.id);
        if (auto pin = pins_.find(stream_id); pin != pins_.end() && pin->second.message_id == m.id) pins_.erase(pin);
      }
      list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n));
      for (std::size_t i = 0; i < list.size(); ++i) places_[list[i].id].position = i;
      removed += static_cast<std::int64_t>(n);
    }
  }

  // REQUIRES: mutex_ is held.
  const std::vector<message>& messages_of(std::string_view stream_id) const {
    static const std::vector<message> none;
    auto it = messages_.find(stream_id);
    return it == messages_.end() ? none : it->second;
  }

  // REQUIRES: mutex_ is held.
  std::optional<std::size_t> position_of(std::string_view stream_id, std::string_view message_id) const {
    auto it = places_.find(message_id);
    if (it == places_.end() || it->second.stream_id != stream_id) return std::nullopt;
    return it->second.position;
  }

  std::mutex mutex_;
  // std::less<> lets a string_view look up a std::string key without a copy.
  std::map<std::string, stream, std::less<>> streams_;            // GUARDED_BY(mutex_), by id
  std::map<std::string, std::string, std::less<>> rooms_;         // GUARDED_BY(mutex_), room_id → id
  std::int64_t max_room_id_ = 0;                                  // GUARDED_BY(mutex_)
  std::map<std::string, user_profile, std::less<>> users_;        // GUARDED_BY(mutex_)
  std::map<std::string, std::vector<message>, std::less<>> messages_;  // GUARDED_BY(mutex_), append order
  std::map<std::string, message_place, std::less<>> places_;      // GUARDED_BY(mutex_), by message id
  struct stream_head {
    std::int64_t seq = 0;
    millis created_at = 0;
  };
  // GUARDED_BY(mutex_): the newest number and time given out per stream (pruned ones count).
  std::map<std::string, stream_head, std::less<>> heads_;
  std::map<std::string, stream_baseline, std::less<>> baselines_;  // GUARDED_BY(mutex_)
  // GUARDED_BY(mutex_), by stream id, oldest first:
  std::map<std::string, std::vector<badge_grant>, std::less<>> badges_;
  std::map<std::string, std::vector<sanction>, std::less<>> sanctions_;
  std::map<std::string, std::vector<blocked_term>, std::less<>> terms_;
  std::map<std::string, pin_record, std::less<>> pins_;
  std::map<std::string, poll, std::less<>> polls_;
  std::map<std::string, std::set<std::string>, std::less<>> voters_;
  std::map<std::string, std::vector<poll_vote>, std::less<>> votes_;
  std::map<std::string, std::vector<moderation_action>, std::less<>> log_;
  std::vector<api_key> api_keys_;  // GUARDED_BY(mutex_), oldest first
  std::vector<webhook> webhooks_;  // GUARDED_BY(mutex_), oldest first
  std::map<std::string, webhook_delivery, std::less<>> deliveries_;  // GUARDED_BY(mutex_), by id: oldest first
};

}  // namespace

std::unique_ptr<store> make_memory_store() { return std::make_unique<memory_store>(); }

}  // namespace sorak
