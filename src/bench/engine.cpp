// engine.cpp: chat_load, the driver's side of `sorak bench`'s chat
// scenarios: it deals the connections out to the load threads
// (load_thread.hpp), posts the driver's requests to them, and sums what they
// publish. The work itself is done on the threads, by the parts named in
// load_thread.hpp.
#include "bench/engine.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <thread>

#include "bench/connection.hpp"
#include "bench/load_tally.hpp"
#include "bench/load_thread.hpp"

namespace sorak::bench {

namespace asio = boost::asio;

void load_counters::add(const load_counters& o) {
  for (int r = 0; r < role_count; ++r) {
    ready[r] += o.ready[r];
    open[r] += o.open[r];
  }
  failed += o.failed;
  delivered += o.delivered;
  stalled_delivered += o.stalled_delivered;
  sender_received += o.sender_received;
  foreign += o.foreign;
  sent += o.sent;
  write_failed += o.write_failed;
  unsent += o.unsent;
  closed += o.closed;
  stalled_cut += o.stalled_cut;
  error_events += o.error_events;
  out_of_order += o.out_of_order;
  acked += o.acked;
  viewer_bytes += o.viewer_bytes;
  compressed_frames += o.compressed_frames;
  left += o.left;
  gifts_sent += o.gifts_sent;
  gifts_read += o.gifts_read;
  deletions_read += o.deletions_read;
  last_delivery_ns = std::max(last_delivery_ns, o.last_delivery_ns);
}

// ==== conn_spec helpers ======================================================

void deal_over_nodes(std::vector<conn_spec>& specs, std::size_t nodes) {
  std::size_t next[role_count] = {};
  const std::size_t n = std::max<std::size_t>(1, nodes);
  for (conn_spec& s : specs) {
    // A stalled viewer is still a viewer: both share one count.
    std::size_t& k = next[s.role == conn_role::sender ? 1 : 0];
    s.node = static_cast<std::uint8_t>(k++ % n);
  }
}

std::vector<std::uint8_t> sender_nodes(const std::vector<conn_spec>& specs) {
  std::vector<std::uint8_t> out;
  for (const conn_spec& s : specs) {
    if (s.role == conn_role::sender) out.push_back(s.node);
  }
  return out;
}

// ==== chat_load ==============================================================

struct chat_load::impl {
  load_settings settings;
  std::vector<std::unique_ptr<load_thread>> threads;
  std::vector<connection*> all;  // by index
  bool finished = false;

  load_thread& thread_of(std::size_t i) { return *threads[i % threads.size()]; }

  // Waits until pred() holds or `timeout_s` passes; false on timeout.
  template <class Pred>
  static bool wait_until(Pred pred, double timeout_s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (!pred()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }
};

chat_load::chat_load(load_settings settings, std::vector<conn_spec> conns) : impl_(std::make_unique<impl>()) {
  impl_->settings = std::move(settings);
  const load_settings& s = impl_->settings;
  std::vector<sockaddr_in> peers;
  for (const target& node : s.nodes) {
    sockaddr_in& peer = peers.emplace_back();
    peer.sin_family = AF_INET;
    peer.sin_port = htons(node.port);
    inet_pton(AF_INET, node.address.c_str(), &peer.sin_addr);  // parse_target checked it
  }
  const std::vector<std::uint8_t> by_sender = sender_nodes(conns);
  const unsigned n = std::max(1u, s.threads);
  for (unsigned t = 0; t < n; ++t) {
    impl_->threads.push_back(std::make_unique<load_thread>(s, peers));
    impl_->threads.back()->plan_nodes(by_sender, peers.size());
  }
  std::uint32_t senders = 0;
  impl_->all.reserve(conns.size());
  for (std::size_t i = 0; i < conns.size(); ++i) {
    const bool is_sender = conns[i].role == conn_role::sender;
    connection& c = impl_->thread_of(i).add(std::move(conns[i]), is_sender ? senders : 0);
    senders += is_sender;
    impl_->all.push_back(&c);
  }
  for (auto& t : impl_->threads) t->plan_order_table(senders);
  for (auto& t : impl_->threads) t->start();
}

chat_load::~chat_load() {
  if (!impl_->finished) finish();
}

void chat_load::open(std::uint32_t first, std::uint32_t count, std::uint32_t concurrency, double timeout_s,
                     double rate) {
  const std::size_t n = impl_->threads.size();
  std::vector<std::vector<connection*>> groups(n);
  for (std::uint32_t i = first; i < first + count && i < impl_->all.size(); ++i) groups[i % n].push_back(impl_->all[i]);
  const load_counters before = snapshot();
  const std::uint64_t settled_before = before.failed + before.ready[0] + before.ready[1] + before.ready[2];
  const auto per_thread = static_cast<std::uint32_t>((std::max<std::uint32_t>(1, concurrency) + n - 1) / n);
  for (std::size_t t = 0; t < n; ++t) {
    load_thread* th = impl_->threads[t].get();
    const double thread_rate = rate / static_cast<double>(n);
    asio::post(th->io(), [th, g = std::move(groups[t]), per_thread, thread_rate]() mutable {
      th->open(std::move(g), per_thread, thread_rate);
    });
  }
  auto settled = [&] {
    const load_counters now = snapshot();
    return now.failed + now.ready[0] + now.ready[1] + now.ready[2] - settled_before >= count;
  };
  if (impl::wait_until(settled, timeout_s)) return;
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th] { th->abandon(); });
  }
  impl::wait_until(settled, 5);
}

void chat_load::start_opening(std::uint32_t first, std::uint32_t count, std::uint32_t concurrency, double rate) {
  const std::size_t n = impl_->threads.size();
  std::vector<std::vector<connection*>> groups(n);
  for (std::uint32_t i = first; i < first + count && i < impl_->all.size(); ++i) groups[i % n].push_back(impl_->all[i]);
  const auto per_thread = static_cast<std::uint32_t>((std::max<std::uint32_t>(1, concurrency) + n - 1) / n);
  for (std::size_t t = 0; t < n; ++t) {
    load_thread* th = impl_->threads[t].get();
    const double thread_rate = rate / static_cast<double>(n);
    asio::post(th->io(), [th, g = std::move(groups[t]), per_thread, thread_rate]() mutable {
      th->open(std::move(g), per_thread, thread_rate);
    });
  }
}

void chat_load::leave(std::uint32_t i) {
  if (i >= impl_->all.size()) return;
  load_thread* th = &impl_->thread_of(i);
  connection* c = impl_->all[i];
  asio::post(th->io(), [th, c] { th->leave(*c); });
}

namespace {

// Each thread's share of the senders: its ready ones (every sender sends
// about as many messages), or with weights the weight of all it holds
// (weights are set before the threads start, so the driver may read them).
std::vector<double> sender_shares(const std::vector<std::unique_ptr<load_thread>>& threads,
                                  const std::vector<connection*>& all, bool weighted) {
  const std::size_t n = threads.size();
  std::vector<double> share(n);
  if (!weighted) {
    for (std::size_t t = 0; t < n; ++t) {
      share[t] = static_cast<double>(
          threads[t]->counters().ready[static_cast<int>(conn_role::sender)].load(std::memory_order_relaxed));
    }
    return share;
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i]->role == conn_role::sender) share[i % n] += all[i]->weight;
  }
  return share;
}

}  // namespace

void chat_load::start_sending(std::uint64_t total, double duration_s) {
  const std::size_t n = impl_->threads.size();
  const std::vector<double> shares = sender_shares(impl_->threads, impl_->all, impl_->settings.weighted);
  double all = 0;
  for (double x : shares) all += x;
  const std::int64_t start = now_ns() + 2000000;  // 2 ms: every thread starts at the same instant
  const auto duration_ns = static_cast<std::int64_t>(duration_s * 1e9);
  std::uint64_t given = 0;
  for (std::size_t t = 0; t < n; ++t) {
    std::uint64_t quota =
        all == 0 ? (t == 0 ? total : 0) : static_cast<std::uint64_t>(static_cast<double>(total) * shares[t] / all);
    if (t + 1 == n) quota = total - given;  // the rounding remainder
    given += quota;
    load_thread* th = impl_->threads[t].get();
    asio::post(th->io(), [th, quota, start, duration_ns] { th->start_sending(quota, start, duration_ns); });
  }
}

void chat_load::start_closed_loop(std::uint32_t window, double duration_s) {
  const std::int64_t end = now_ns() + static_cast<std::int64_t>(duration_s * 1e9);
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th, window, end] { th->start_closed_loop(window, end); });
  }
}

void chat_load::resume_stalled() {
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th] { th->resume_stalled(); });
  }
}

load_counters chat_load::snapshot() const {
  load_counters sum;
  for (const auto& t : impl_->threads) sum.add(read_published(t->counters()));
  return sum;
}

load_totals chat_load::finish() {
  load_totals totals;
  if (impl_->finished) return totals;
  impl_->finished = true;
  std::atomic<std::size_t> closed{0};
  for (auto& t : impl_->threads) {
    load_thread* th = t.get();
    asio::post(th->io(), [th, &closed] {
      th->close_all();
      closed.fetch_add(1);
    });
  }
  impl::wait_until([&] { return closed.load() == impl_->threads.size(); }, 10);
  for (auto& t : impl_->threads) t->join();
  totals.io_uring_reads = true;
  for (auto& t : impl_->threads) {
    t->collect(totals);
    totals.io_uring_reads = totals.io_uring_reads && t->reads_through_ring();
  }
  return totals;
}

}  // namespace sorak::bench
