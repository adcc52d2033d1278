// blocking_pool.hpp: the threads that may block, so the event loops never do.
//
// Store reads (a room opening, `since=` older than the ring, a REST handler)
// run here; their results are posted back to the worker that asked. The
// threads run at a lower scheduling priority than the workers (nice +5): a
// long read, such as the walk over a million messages when a big stream's
// room opens, takes what CPU the workers leave and never delays delivery.
//
// Thread-safety: post() may be called from any thread; tasks run in any
// order across threads.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <thread>
#include <vector>

namespace sorak {

class blocking_pool {
 public:
  explicit blocking_pool(unsigned threads);
  ~blocking_pool();
  blocking_pool(const blocking_pool&) = delete;
  blocking_pool& operator=(const blocking_pool&) = delete;

  template <class F>
  void post(F&& f) {
    boost::asio::post(ioc_, std::forward<F>(f));
  }
  // Finishes the queued tasks and joins the threads.
  void stop();

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace sorak
