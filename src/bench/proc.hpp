// proc.hpp: what `sorak bench` needs from the operating system: the
// server's CPU time and RSS from /proc, its own CPU time, the file-descriptor
// limit, and where to connect (loopback only).
//
// Thread-safety: free functions are safe from any thread; a server_monitor is
// used by the one thread that drives a scenario.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/options.hpp"
#include "sorak/result.hpp"

namespace sorak::bench {

struct proc_sample {
  bool ok = false;
  double cpu_s = 0;   // utime + stime
  double rss_mb = 0;  // VmRSS
};

// Reads /proc/PID/stat and /proc/PID/status; ok=false when the process is gone.
proc_sample read_proc(int pid);
// User + system CPU seconds of this process so far.
double own_cpu_seconds();

// Raises RLIMIT_NOFILE's soft limit to the hard one; returns the soft limit.
std::uint64_t raise_fd_limit();
// How many sockets a scenario may open: the fd limit less a reserve for
// files, epoll and setup connections, and never above 19,900.
std::uint64_t connection_budget();

// Where the bench connects: an IPv4 address in 127.0.0.0/8.
struct target {
  std::string address;  // dotted quad
  std::uint16_t port = 0;
  std::string host_port;  // for the Host header
  std::string path;       // "" or "/prefix" from the URL
};
// Reads http://, ws://, irc:// or a bare HOST:PORT. "localhost" is 127.0.0.1;
// any other name, and any address outside 127.0.0.0/8, is refused.
result<target> parse_target(std::string_view url, wire_protocol protocol);

// The figures of several processes as one server: CPU seconds, cores and
// RSS added up (rss_mb is then the sum of each one's largest RSS, an upper
// bound of the largest they reached together). Measured only when each was.
server_figures sum_figures(const std::vector<server_figures>& each);

// Samples the server's processes (one per node) over a run: CPU over a
// window, RSS at the window's ends and its largest value whenever poll() is
// called. A pid ≤ 0 is ignored; with none, nothing is measured.
class server_monitor {
 public:
  explicit server_monitor(const std::vector<int>& pids);
  bool enabled() const { return !procs_.empty(); }
  void poll();
  void start_window();  // also polls
  void end_window();    // also polls
  // The processes together (sum_figures): cpu_s, cpu_cores (over `window_s`),
  // rss_mb, rss_start_mb, rss_end_mb.
  server_figures figures(double window_s) const;
  // The same for each process, in the order of the pids.
  std::vector<server_figures> each(double window_s) const;
  const std::vector<int>& pids() const { return pids_; }
  double rss_now_mb();  // summed

 private:
  struct watched {
    int pid = 0;
    bool gone = false;
    proc_sample start, end;
    double rss_max_mb = 0;
  };
  static server_figures figures_of(const watched& w, double window_s);

  std::vector<int> pids_;
  std::vector<watched> procs_;
};

}  // namespace sorak::bench
