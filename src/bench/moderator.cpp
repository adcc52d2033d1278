#include "bench/moderator.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>

#include "bench/connection.hpp"
#include "client/endpoint.hpp"
#include "client/http_client.hpp"

namespace sorak::bench {

namespace {

namespace json = boost::json;

constexpr auto request_timeout = std::chrono::seconds(5);
constexpr int history_limit = 20;

std::string_view string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

}  // namespace

moderator::moderator(target where, std::string stream, std::string token, double rate)
    : where_(std::move(where)), stream_(std::move(stream)), token_(std::move(token)), rate_(rate) {}

moderator::~moderator() {
  stop();
  join();
}

void moderator::start(double duration_s) {
  thread_ = std::thread([this, duration_s] { run(duration_s); });
}

void moderator::stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  wake_.notify_all();
}

void moderator::join() {
  if (thread_.joinable()) thread_.join();
}

void moderator::fail(std::string why) {
  ++failed_;
  if (first_error_.empty()) first_error_ = std::move(why);
}

void moderator::run(double duration_s) {
  using clock = std::chrono::steady_clock;
  const auto interval = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(1.0 / rate_));
  const auto end = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(duration_s));
  // The first one an interval in: the senders have sent something by then.
  auto next = clock::now() + interval;
  client::http_client http(client::endpoint{where_.address, std::to_string(where_.port), where_.path},
                           request_timeout);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, std::min(next, end), [this] { return stopping_; })) return;
    }
    if (clock::now() >= end) return;
    delete_one(http);
    // On schedule, but never in a burst to catch up with a slow answer.
    next = std::max(next + interval, clock::now());
  }
}

// The newest chat line of the stream not deleted yet (gifts are left alone:
// they are traced on their own), deleted by its id.
void moderator::delete_one(client::http_client& http) {
  const std::vector<client::http_header> auth{{"Authorization", "Bearer " + token_}};
  const client::endpoint ep{where_.address, std::to_string(where_.port), where_.path};
  auto page = http.request("GET",
                           client::make_target(ep, client::stream_path(stream_) + "/chat/history",
                                               {{"limit", std::to_string(history_limit)}}),
                           auth);
  if (!page || page->status != 200) {
    fail(page ? "history: HTTP " + std::to_string(page->status) + " " + page->body.substr(0, 200)
              : "history: " + page.err().message);
    return;
  }
  std::string id;
  try {
    const json::value v = json::parse(page->body);
    const json::array& messages = v.at("messages").as_array();
    for (auto it = messages.rbegin(); it != messages.rend() && id.empty(); ++it) {  // oldest first: newest last
      const json::object* m = it->if_object();
      if (!m || string_field(*m, "message_type") != "message") continue;
      const std::string_view candidate = string_field(*m, "id");
      if (candidate.empty() || std::find(deleted_ids_.begin(), deleted_ids_.end(), candidate) != deleted_ids_.end())
        continue;
      id = candidate;
    }
  } catch (const std::exception& e) {
    fail(std::string("history: not the expected JSON: ") + e.what());
    return;
  }
  if (id.empty()) {
    ++no_message_;
    return;
  }
  ++asked_;
  const std::int64_t t = now_ns();
  auto gone = http.request("DELETE", client::make_target(ep, client::stream_path(stream_) + "/chat/messages/" +
                                                                 client::url_encode(id)),
                           auth);
  if (!gone || gone->status != 204) {
    fail(gone ? "delete: HTTP " + std::to_string(gone->status) + " " + gone->body.substr(0, 200)
              : "delete: " + gone.err().message);
    return;
  }
  deleted_ids_.push_back(id);
  deletions_.push_back(traced_event{deletion_key(id), t});
  done_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace sorak::bench
