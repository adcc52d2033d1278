#include "bench/proc.hpp"

#include <arpa/inet.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

namespace sorak::bench {

namespace {

constexpr std::uint64_t max_connections = 19900;
constexpr std::uint64_t fd_reserve = 100;

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return true;
}

error bad_url(std::string_view url, std::string why) {
  return error(errc::usage, "--url '" + std::string(url) + "': " + std::move(why));
}

}  // namespace

proc_sample read_proc(int pid) {
  proc_sample s;
  std::string stat, status;
  const std::string dir = "/proc/" + std::to_string(pid);
  if (!read_file(dir + "/stat", stat) || !read_file(dir + "/status", status)) return s;
  // Fields after the command name "(…)", which may itself hold spaces:
  // state(3) … utime(14) stime(15).
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_s = static_cast<double>(utime + stime) / ticks;
  const std::size_t at = status.find("VmRSS:");
  if (at == std::string::npos) return s;  // a zombie has no VmRSS
  s.rss_mb = std::stod(status.substr(at + 6)) / 1024.0;
  s.ok = true;
  return s;
}

double own_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

std::uint64_t raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024;
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? max_connections + fd_reserve : static_cast<std::uint64_t>(lim.rlim_cur);
}

std::uint64_t connection_budget() {
  const std::uint64_t limit = raise_fd_limit();
  return limit <= fd_reserve ? 0 : std::min(limit - fd_reserve, max_connections);
}

result<target> parse_target(std::string_view url, wire_protocol protocol) {
  std::string_view rest = url;
  std::uint16_t port = 80;
  if (const std::size_t scheme_end = rest.find("://"); scheme_end != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, scheme_end);
    if (scheme == "irc") {
      port = 6667;
    } else if (scheme != "http" && scheme != "ws") {
      return bad_url(url, "the bench speaks plain TCP: use http://, ws:// or irc://");
    }
    rest.remove_prefix(scheme_end + 3);
  } else if (protocol == wire_protocol::irc) {
    port = 6667;
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string_view host = authority;
  if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    const std::string_view digits = authority.substr(colon + 1);
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      return bad_url(url, "the port is not a number from 1 to 65535");
    }
    port = static_cast<std::uint16_t>(value);
  }
  target t;
  t.address = host == "localhost" ? "127.0.0.1" : std::string(host);
  in_addr addr{};
  if (inet_pton(AF_INET, t.address.c_str(), &addr) != 1) {
    return bad_url(url, "give an IPv4 loopback address such as 127.0.0.1 (the bench never resolves names)");
  }
  if ((ntohl(addr.s_addr) >> 24) != 127) return bad_url(url, "the bench only connects to 127.0.0.0/8");
  t.port = port;
  t.host_port = std::string(host) + ":" + std::to_string(port);
  t.path = std::move(path);
  return t;
}

// ---- server_monitor ------------------------------------------------------

server_figures sum_figures(const std::vector<server_figures>& each) {
  server_figures sum;
  if (each.empty()) return sum;
  sum.measured = true;
  for (const server_figures& f : each) {
    sum.measured = sum.measured && f.measured;
    sum.cpu_s += f.cpu_s;
    sum.cpu_cores += f.cpu_cores;
    sum.rss_mb += f.rss_mb;
    sum.rss_start_mb += f.rss_start_mb;
    sum.rss_end_mb += f.rss_end_mb;
  }
  if (!sum.measured) return server_figures{};
  return sum;
}

server_monitor::server_monitor(const std::vector<int>& pids) {
  for (int pid : pids) {
    if (pid <= 0) continue;
    pids_.push_back(pid);
    procs_.push_back(watched{pid});
  }
}

void server_monitor::poll() {
  for (watched& w : procs_) {
    if (w.gone) continue;
    const proc_sample s = read_proc(w.pid);
    if (!s.ok) {
      w.gone = true;
      continue;
    }
    w.rss_max_mb = std::max(w.rss_max_mb, s.rss_mb);
  }
}

double server_monitor::rss_now_mb() {
  double sum = 0;
  for (watched& w : procs_) {
    const proc_sample s = read_proc(w.pid);
    if (!s.ok) continue;
    w.rss_max_mb = std::max(w.rss_max_mb, s.rss_mb);
    sum += s.rss_mb;
  }
  return sum;
}

void server_monitor::start_window() {
  for (watched& w : procs_) {
    w.start = read_proc(w.pid);
    if (w.start.ok) w.rss_max_mb = std::max(w.rss_max_mb, w.start.rss_mb);
  }
}

void server_monitor::end_window() {
  for (watched& w : procs_) {
    w.end = read_proc(w.pid);
    if (w.end.ok) w.rss_max_mb = std::max(w.rss_max_mb, w.end.rss_mb);
  }
}

server_figures server_monitor::figures_of(const watched& w, double window_s) {
  server_figures f;
  if (!w.start.ok || !w.end.ok) return f;
  f.measured = true;
  f.cpu_s = w.end.cpu_s - w.start.cpu_s;
  f.cpu_cores = window_s > 0 ? f.cpu_s / window_s : 0;
  f.rss_mb = w.rss_max_mb;
  f.rss_start_mb = w.start.rss_mb;
  f.rss_end_mb = w.end.rss_mb;
  return f;
}

std::vector<server_figures> server_monitor::each(double window_s) const {
  std::vector<server_figures> out;
  out.reserve(procs_.size());
  for (const watched& w : procs_) out.push_back(figures_of(w, window_s));
  return out;
}

server_figures server_monitor::figures(double window_s) const { return sum_figures(each(window_s)); }

}  // namespace sorak::bench
