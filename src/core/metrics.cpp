// metrics.cpp: the per-thread slots, the histograms and the text format.
#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>

namespace sorak::metrics {

// ---- per-thread slots ----------------------------------------------------------

namespace {

// Every slot ever handed out, kept for the process's life so that a thread's
// counts survive it (counters never go backwards).
struct slot_list {
  std::mutex mutex;
  std::vector<std::unique_ptr<thread_slot>> slots;  // GUARDED_BY(mutex)
};

slot_list& all_slots() {
  static auto* list = new slot_list;  // never destroyed: threads may outlive static destruction
  return *list;
}

}  // namespace

thread_slot* detail::register_slot() {
  auto& list = all_slots();
  std::lock_guard lk(list.mutex);
  list.slots.push_back(std::make_unique<thread_slot>());
  return list.slots.back().get();
}

totals sum() {
  totals t;
  auto& list = all_slots();
  std::lock_guard lk(list.mutex);
  for (const auto& s : list.slots) {
    t.ws_connections += s->ws_connections.get();
    t.messages_in += s->messages_in.get();
    t.deliveries += s->deliveries.get();
    t.slow_consumers_cut += s->slow_consumers_cut.get();
    t.viewers_thinned += s->viewers_thinned.get();
    t.chat_lines_skipped += s->chat_lines_skipped.get();
    t.ws_deflate_sessions += s->ws_deflate_sessions.get();
    t.ws_frames_deflated += s->ws_frames_deflated.get();
    t.ws_deflate_bytes_in += s->ws_deflate_bytes_in.get();
    t.ws_deflate_bytes_out += s->ws_deflate_bytes_out.get();
    for (std::size_t i = 0; i < t.http_responses.size(); ++i) t.http_responses[i] += s->http_responses[i].get();
  }
  return t;
}

// ---- histograms ----------------------------------------------------------------

histogram::histogram(std::vector<double> upper_bounds_seconds)
    : bounds_(std::move(upper_bounds_seconds)), buckets_(bounds_.size() + 1) {}

void histogram::observe(std::chrono::nanoseconds d) {
  const auto ns = std::max<std::int64_t>(d.count(), 0);
  const double seconds = static_cast<double>(ns) / 1e9;
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);  // le: first bound >= value
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  s.bounds = bounds_;
  std::uint64_t running = 0;
  for (const auto& b : buckets_) {
    running += b.load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return s;
}

namespace {
std::vector<double> latency_bounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
}
}  // namespace

histogram& store_commit_seconds() {
  static auto* h = new histogram(latency_bounds());
  return *h;
}

histogram& broker_lag_seconds() {
  static auto* h = new histogram({0.000001, 0.00001, 0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1});
  return *h;
}

std::atomic<std::int64_t>& retention_pruned_messages() {
  static std::atomic<std::int64_t> n{0};
  return n;
}

// ---- text format -----------------------------------------------------------------

namespace {
void append_number(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  const double rounded = std::nearbyint(v);
  const int n = (rounded == v && std::fabs(v) < 1e15) ? std::snprintf(buf, sizeof buf, "%.0f", v)
                                                      : std::snprintf(buf, sizeof buf, "%.15g", v);
  out.append(buf, static_cast<std::size_t>(std::max(n, 0)));
}
}  // namespace

void write_header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void write_sample(std::string& out, std::string_view name, double value, std::string_view labels) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ");
  append_number(out, value);
  out.append("\n");
}

void write_metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  write_header(out, name, type, help);
  write_sample(out, name, value);
}

void write_histogram(std::string& out, std::string_view name, std::string_view help, const histogram::snapshot& s) {
  write_header(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
    std::string le = "le=\"";
    if (i < s.bounds.size()) {
      append_number(le, s.bounds[i]);
    } else {
      le += "+Inf";
    }
    le += "\"";
    write_sample(out, bucket, static_cast<double>(s.cumulative[i]), le);
  }
  write_sample(out, std::string(name) + "_sum", s.sum_seconds);
  write_sample(out, std::string(name) + "_count", static_cast<double>(s.count));
}

void render(std::string& out) {
  const totals t = sum();
  write_metric(out, "sorak_websocket_connections", "gauge", "Chat WebSocket connections open on this node.",
               static_cast<double>(t.ws_connections));
  write_metric(out, "sorak_messages_in_total", "counter",
               "Chat messages and gifts received from WebSocket clients and accepted for storing.",
               static_cast<double>(t.messages_in));
  write_metric(out, "sorak_deliveries_total", "counter",
               "Live event frames (messages, deletions, status, viewer counts) queued to a viewer.",
               static_cast<double>(t.deliveries));
  write_metric(out, "sorak_slow_consumers_cut_total", "counter",
               "Viewers closed with 1008 \"slow consumer\" because their queue passed --max-queue-bytes.",
               static_cast<double>(t.slow_consumers_cut));
  write_metric(out, "sorak_viewers_thinned_total", "counter",
               "Times a viewer's queue passed --soft-queue-bytes and its chat lines were left out until it caught up.",
               static_cast<double>(t.viewers_thinned));
  write_metric(out, "sorak_chat_lines_skipped_total", "counter",
               "Chat lines left out for viewers behind, each told in a `skipped` event.",
               static_cast<double>(t.chat_lines_skipped));
  write_metric(out, "sorak_ws_deflate_sessions_total", "counter",
               "Chat WebSockets that negotiated permessage-deflate (--ws-compression shared).",
               static_cast<double>(t.ws_deflate_sessions));
  write_metric(out, "sorak_ws_compressed_frames_total", "counter",
               "Room event frames deflated once and shared by every viewer with permessage-deflate on a worker.",
               static_cast<double>(t.ws_frames_deflated));
  write_metric(out, "sorak_ws_deflate_input_bytes_total", "counter",
               "Bytes of room event frames given to the shared deflater.", static_cast<double>(t.ws_deflate_bytes_in));
  write_metric(out, "sorak_ws_deflate_output_bytes_total", "counter",
               "Bytes of the shared deflater's frames (each frame deflated, or plain where that was smaller).",
               static_cast<double>(t.ws_deflate_bytes_out));
  write_header(out, "sorak_http_requests_total", "counter", "HTTP responses sent, by status class.");
  for (std::size_t i = 0; i < t.http_responses.size(); ++i) {
    const std::string label = "code=\"" + std::to_string(i + 1) + "xx\"";
    write_sample(out, "sorak_http_requests_total", static_cast<double>(t.http_responses[i]), label);
  }
  write_metric(out, "sorak_retention_pruned_messages_total", "counter",
               "Messages older than --retention-days removed by this node's retention passes.",
               static_cast<double>(retention_pruned_messages().load(std::memory_order_relaxed)));
  write_histogram(out, "sorak_store_commit_seconds",
                  "Store group commits: BEGIN to COMMIT of one group of writes, fsync included.",
                  store_commit_seconds().read());
  write_histogram(out, "sorak_broker_lag_seconds",
                  "From broker publish to this node's fan-out receiving the event.", broker_lag_seconds().read());
}

}  // namespace sorak::metrics
