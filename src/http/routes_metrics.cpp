// GET /metrics: Prometheus text format (CONTRACT §13, docs/operations.md).
//
// The registry's counters and histograms (src/core/metrics.hpp), the rooms
// and viewers open on this node, and the process basics read from /proc.
// Everything is summed or read at scrape time; nothing here runs per event.
#include <sys/resource.h>
#include <unistd.h>

#include <dirent.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/routes.hpp"
#include "net/webhook_dispatcher.hpp"

namespace sorak {

namespace {

namespace m = metrics;

void write_rooms(std::string& out, services& svc) {
  const auto rooms = svc.rooms.all();
  std::int64_t viewers = 0;
  for (const auto& r : rooms) viewers += r->viewers_here().load(std::memory_order_relaxed);
  m::write_metric(out, "sorak_rooms", "gauge", "Streams with a room open on this node (watched since start-up).",
                  static_cast<double>(rooms.size()));
  m::write_metric(out, "sorak_viewers", "gauge", "Viewers joined to a room on this node (sum of every room's count).",
                  static_cast<double>(viewers));
  m::write_metric(out, "sorak_ready", "gauge", "1 while the node takes traffic, 0 once it is shutting down.",
                  svc.shutting_down.load() ? 0 : 1);
}

void write_broker(std::string& out, const broker& b) {
  m::write_metric(out, "sorak_broker_connected", "gauge", "1 while the broker carries events between the nodes.",
                  b.connected() ? 1 : 0);
  m::write_metric(out, "sorak_broker_gaps_total", "counter",
                  "Jumps seen in another node's event counters (events lost between nodes).",
                  static_cast<double>(b.gaps()));
  m::write_metric(out, "sorak_broker_recovered_total", "counter",
                  "Messages the broker read back from the store: lost between nodes, or published during an outage.",
                  static_cast<double>(b.recovered()));
}

void write_webhooks(std::string& out, const webhook_dispatcher* d) {
  if (!d) return;
  const auto c = d->counters();
  m::write_metric(out, "sorak_webhook_deliveries_total", "counter", "Webhook POSTs the receiver answered 2xx.",
                  static_cast<double>(c.delivered));
  m::write_metric(out, "sorak_webhook_failed_attempts_total", "counter",
                  "Webhook POSTs that failed (no answer in time, no connection, or not 2xx); each is retried.",
                  static_cast<double>(c.failed_attempts));
  m::write_metric(out, "sorak_webhook_given_up_total", "counter",
                  "Webhook deliveries given up after an hour of failures.", static_cast<double>(c.given_up));
  m::write_metric(out, "sorak_webhook_dropped_total", "counter",
                  "Events not delivered to webhooks because the queue in front of the store was full.",
                  static_cast<double>(c.dropped));
  m::write_metric(out, "sorak_webhook_queue", "gauge", "Events waiting to become webhook deliveries on this node.",
                  static_cast<double>(c.queued));
}

int count_open_fds() {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  while (const dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n - 1;  // the directory handle itself
}

// Seconds since the epoch at which the machine booted (/proc/stat btime).
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

// The standard process_* metrics, from /proc/self/stat (proc(5)).
void write_process(std::string& out) {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return;
  std::istringstream fields(stat.substr(close_paren + 2));  // from field 3, state
  std::string f[22];  // fields 3 … 24
  for (auto& s : f) fields >> s;
  // f[i] is field i + 3: utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const auto num = [](const std::string& s) { return s.empty() ? 0.0 : std::stod(s); };
  m::write_metric(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.",
                  (num(f[11]) + num(f[12])) / ticks);
  m::write_metric(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", num(f[21]) * page);
  m::write_metric(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", num(f[20]));
  m::write_metric(out, "process_threads", "gauge", "Threads of the process.", num(f[17]));
  m::write_metric(out, "process_start_time_seconds", "gauge", "Start time of the process since the epoch, in seconds.",
                  boot_time_seconds() + num(f[19]) / ticks);
  if (const int fds = count_open_fds(); fds >= 0) {
    m::write_metric(out, "process_open_fds", "gauge", "Open file descriptors.", fds);
  }
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    m::write_metric(out, "process_max_fds", "gauge", "Limit on open file descriptors.",
                    static_cast<double>(lim.rlim_cur));
  }
}

}  // namespace

void add_metrics_routes(router& r, services& svc) {
  r.add("GET", "/metrics", [&svc](http_request&) {
    http_response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body.reserve(8192);
    m::render(res.body);
    write_rooms(res.body, svc);
    write_broker(res.body, svc.message_broker);
    write_webhooks(res.body, svc.webhook_out);
    write_process(res.body);
    return res;
  });
}

}  // namespace sorak
