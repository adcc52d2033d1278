#include "net/blocking_pool.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace sorak {

namespace {
constexpr int lower_priority = 5;
}

blocking_pool::blocking_pool(unsigned threads) : work_(boost::asio::make_work_guard(ioc_)) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i)
    threads_.emplace_back([this] {
      // Linux gives each thread its own nice value.
      (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), lower_priority);
      ioc_.run();
    });
}

blocking_pool::~blocking_pool() { stop(); }

void blocking_pool::stop() {
  work_.reset();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace sorak
