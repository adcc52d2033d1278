// A throwaway redis-server for one test process (scripts/redis-test.sh): started
// on first use on a free 127.0.0.1 port, stopped by PID when the process ends.
// kill9() and restart() are the fault tests' crash and recovery.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "redis/redis_broker.hpp"

namespace sorak::testing {

class redis_test_server {
 public:
  static redis_test_server& get() {
    static redis_test_server server;
    return server;
  }
  const std::string& url() const { return url_; }
  redis_address address() const { return *parse_redis_url(url_); }
  bool ok() const { return !url_.empty(); }
  void kill9() { run("kill9"); }
  void restart() { run("restart"); }

  redis_test_server(const redis_test_server&) = delete;
  redis_test_server& operator=(const redis_test_server&) = delete;

 private:
  redis_test_server() {
    char tmpl[] = "/tmp/sorak-redis.XXXXXX";
    if (!mkdtemp(tmpl)) return;
    dir_ = tmpl;
    if (!run("start")) return;
    std::ifstream in(dir_ + "/url");
    std::getline(in, url_);
  }
  ~redis_test_server() {
    if (dir_.empty()) return;
    run("stop");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  bool run(const char* what) {
    const std::string cmd =
        std::string("bash '") + SORAK_SOURCE_DIR + "/scripts/redis-test.sh' " + what + " '" + dir_ + "' >/dev/null";
    return std::system(cmd.c_str()) == 0;
  }

  std::string dir_;
  std::string url_;
};

}  // namespace sorak::testing
