#include "net/send_ring.hpp"

#include <liburing.h>

#include <cerrno>

namespace sorak {

std::unique_ptr<send_ring> send_ring::create(unsigned entries) {
  auto ring = std::make_unique<io_uring>();
  io_uring_params p{};
  // Only this worker submits, and completions are reaped in the same call.
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
  if (io_uring_queue_init_params(entries, ring.get(), &p) < 0) {
    p = io_uring_params{};
    if (io_uring_queue_init_params(entries, ring.get(), &p) < 0) return nullptr;
  }
  return std::unique_ptr<send_ring>(new send_ring(std::move(ring), p.sq_entries));
}

send_ring::send_ring(std::unique_ptr<io_uring> ring, std::size_t capacity)
    : ring_(std::move(ring)), capacity_(capacity) {}

send_ring::~send_ring() { io_uring_queue_exit(ring_.get()); }

void send_ring::add(int fd, const msghdr* msg, std::uint64_t tag) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring_.get());
  io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  io_uring_sqe_set_data64(sqe, tag);
  ++queued_;
}

void send_ring::run(const std::function<void(std::uint64_t tag, int result)>& done) {
  std::size_t left = queued_;
  queued_ = 0;
  int submitted = 0;
  do {
    submitted = io_uring_submit_and_wait(ring_.get(), static_cast<unsigned>(left));
  } while (submitted == -EINTR);
  while (left > 0) {
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(ring_.get(), &cqe);
    if (rc == -EINTR) continue;
    if (rc < 0) break;  // cannot happen with entries in flight; nothing sensible to add
    const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(ring_.get(), cqe);
    --left;
    done(tag, res);
  }
}

}  // namespace sorak
