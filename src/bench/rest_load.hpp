// rest_load.hpp: rest_thread, one thread of keep-alive HTTP/1.1 GETs, used
// by the `rest` scenario (rest.cpp: closed loop, as fast as answers come) and
// by the `platform` scenario's bots (paced: each connection one request per
// interval). Requests are ready-made byte strings, taken in turn.
//
// Thread rule: the caller adds connections before start(), then calls
// start(), stop(), join() and settled() from its own thread; counts() and
// latency() after join(). The work runs on the rest_thread's own thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/histogram.hpp"
#include "bench/proc.hpp"

namespace sorak::bench {

struct rest_counts {
  std::uint64_t completed = 0, ok = 0, transport_errors = 0;
  std::map<int, std::uint64_t> statuses;
  std::string first_error;
};

class rest_thread {
 public:
  // `quota` requests in all, the first `requests[offset % size]`; with
  // `interval_ns` > 0 each connection sends one every interval, the
  // connections staggered over the first one. `requests` must outlive it.
  rest_thread(const target& where, const std::vector<std::string>& requests, std::uint64_t quota, std::uint64_t offset,
              std::int64_t interval_ns = 0);
  ~rest_thread();
  rest_thread(const rest_thread&) = delete;
  rest_thread& operator=(const rest_thread&) = delete;

  void add_connection();
  void start();
  void stop();  // closes every connection; what is in flight is not counted
  void join();
  std::uint64_t settled() const;  // requests answered or lost so far
  std::uint64_t quota() const;
  const rest_counts& counts() const;
  const latency_histogram& latency() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// "GET <where.path><path_and_query>", keep-alive, with a bearer token when one is given.
std::string get_request(const target& where, const std::string& path_and_query, const std::string& bearer);

}  // namespace sorak::bench
