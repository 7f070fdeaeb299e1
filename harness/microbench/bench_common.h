// Pieces shared by the microbenchmarks (queue_variants_bench.cpp, for
// Google Benchmark, and variant_ratios.cpp, interleaved ratio runs): pinning,
// a scratch segment, `ReferenceSpsc`, the least an SPSC ring can do, and the
// peer (PeerThread, PeerProcess, OneToOne): the other side of a two-sided
// case, started once and met on a start line each batch.
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

#include <zeroipc/harness/reference_spsc.h>
#include <zeroipc/memory.h>
#include <zeroipc/variants/detail/cpu_relax.h>
#include <zeroipc/variants/detail/futex.h>

namespace zeroipc::bench {

constexpr std::uint64_t kBatch = 1 << 16;  // messages per benchmark iteration
constexpr std::size_t kCapacity = 1024;

inline void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % static_cast<int>(std::thread::hardware_concurrency()), &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

inline void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (unsigned c = 0; c < std::thread::hardware_concurrency(); ++c) CPU_SET(c, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// A scratch segment, removed at the end.
struct Segment {
  std::string name = "/zeroipc_bench_" + std::to_string(::getpid());
  zeroipc::Memory mem{(zeroipc::Memory::unlink(name), name), 64 << 20};
  ~Segment() { zeroipc::Memory::unlink(name); }
};

// The reference: the least an SPSC ring can do (zeroipc/harness/reference_spsc.h,
// the same ring the harness runs as structure "reference"), of 8-byte values
// with kCapacity slots, in 64-byte aligned memory of its own.
class ReferenceMemory {
 protected:
  explicit ReferenceMemory(std::size_t bytes)
      : at_(::operator new(bytes, std::align_val_t{64})) {}
  ~ReferenceMemory() { ::operator delete(at_, std::align_val_t{64}); }
  ReferenceMemory(const ReferenceMemory&) = delete;
  ReferenceMemory& operator=(const ReferenceMemory&) = delete;
  void* at_;
};
class ReferenceSpsc : private ReferenceMemory, public zeroipc::harness::ReferenceSpsc<std::uint64_t> {
 public:
  ReferenceSpsc() : ReferenceMemory(bytes(kCapacity)), zeroipc::harness::ReferenceSpsc<std::uint64_t>(at_, kCapacity) {}
};

// Adapts Queue's optional-returning pop to the reference's shape.
template <class Q>
bool pop_into(Q& q, std::uint64_t& v) {
  if (auto x = q.pop()) {
    v = *x;
    return true;
  }
  return false;
}
inline bool pop_into(ReferenceSpsc& q, std::uint64_t& v) { return q.pop(v); }

// Polls `attempt` until it succeeds, pausing after each failure (as a
// user's polling loop should); returns the failures: this side's waits.
template <class Attempt>
std::uint64_t poll_until(Attempt&& attempt) {
  std::uint64_t waits = 0;
  while (!attempt()) {
    ++waits;
    zeroipc::variants::detail::cpu_relax();
  }
  return waits;
}

// ------------------------------------------------------------ the peer side
//
// The two-sided cases (one producer, one consumer) run the other side on a
// peer started once per benchmark (PeerThread; PeerProcess, a forked child,
// for cross_process), pinned once to core 1, while the calling thread, the
// lead, is pinned to core 0 for the peer's life (unpinned when it ends).
// Each batch the two meet on a StartLine and only the transfer is timed:
// creating and pinning a thread per batch (what made a 65536-message batch
// take about 4.0 or 7.7 ms whatever the queue) is no longer in the batch.
//
// StartLine, batch g = 1, 2, ... (each word on its own cache line):
//   lead                                   peer
//   go = g (B1); futex wake                wait until go == g (B1'): spin up to
//                                          kPeerSpin, then sleep on the futex
//   spin until ready == g (B2')            ready = g (B2)
//   t0 = now; start = g (B3)               spin until start == g (B3')
//   its own part (returns its waits)       its part; result = errors, waits
//   spin until done == g (B4'); t1 = now   done = g (B4)
//   -> t1 - t0 and the peer's result, which the caller checks untimed
// (Bn) release stores pair with (Bn') acquire loads: the peer's part sees
// all the lead did before `start`, the lead sees `result` after `done`.
// Both sides are spinning when `start` is stored, so the transfer begins on
// both together (skew: one cache-line transfer) however long the peer took
// to wake; the wake system call and the wake-up itself are before t0. The
// peer spins at most kPeerSpin for the next batch: Google Benchmark's next
// batch comes within microseconds and finds it spinning; between benchmarks,
// or while variant_ratios runs other cases, it sleeps and burns no core.
// The futex is process-shared (variants/detail/futex.h), so the same line
// works in a MAP_SHARED page between the lead and a forked peer.

// What one batch gave: the transfer's seconds, the errors found (the
// peer's, plus whatever the caller adds from its own untimed checks), and
// each side's waits: the polls that found the queue empty (a consumer) or
// full (a producer) and were tried again. Waits say which side kept up: a
// consumer that polls an empty queue reads lines its producer writes, and
// takes them from it (README, Microbenchmarks).
struct Batch {
  double seconds = 0;
  std::uint64_t errors = 0;
  std::uint64_t lead_waits = 0;
  std::uint64_t peer_waits = 0;
};

// What a peer's part returns: the errors it saw and the polls it waited.
struct PartResult {
  std::uint64_t errors = 0;
  std::uint64_t waits = 0;
};

// The part a peer runs once per batch.
using PeerPart = std::function<PartResult()>;

inline constexpr std::chrono::microseconds kPeerSpin{50};

class StartLine {
 public:
  // Lead: runs one batch, `own` being the lead's part (it returns how many
  // polls it waited). `peer_alive` is asked
  // about every millisecond while the lead waits (a dead process never says
  // ready or done); if it says no, this throws.
  template <class Own, class Alive>
  Batch lead(Own&& own, Alive&& peer_alive) {
    const std::uint32_t g = ++generation_;
    go_.store(g, std::memory_order_release);  // (B1)
    zeroipc::detail::futex_wake(word(go_), 1);
    await(ready_, g, peer_alive);  // (B2')
    const auto t0 = std::chrono::steady_clock::now();
    start_.store(g, std::memory_order_release);  // (B3)
    const std::uint64_t own_waits = own();
    await(done_, g, peer_alive);  // (B4')
    const auto t1 = std::chrono::steady_clock::now();
    return {std::chrono::duration<double>(t1 - t0).count(), result_.errors, own_waits, result_.waits};
  }

  // Peer: runs `part` once per batch until the lead calls stop().
  void serve(const PeerPart& part) {
    for (std::uint32_t seen = 0;;) {
      const std::uint32_t g = wait_for_go(seen);  // (B1')
      if (stopping_.load(std::memory_order_relaxed)) return;  // ordered by (B1)/(B1')
      ready_.store(g, std::memory_order_release);  // (B2)
      while (start_.load(std::memory_order_acquire) != g) zeroipc::variants::detail::cpu_relax();  // (B3')
      result_ = part();
      done_.store(g, std::memory_order_release);  // (B4)
      seen = g;
    }
  }

  // Lead: makes serve() return (the peer is between batches).
  void stop() {
    stopping_.store(true, std::memory_order_relaxed);
    go_.store(++generation_, std::memory_order_release);  // (B1)
    zeroipc::detail::futex_wake(word(go_), 1);
  }

 private:
  static std::uint32_t* word(std::atomic<std::uint32_t>& a) {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free);
    return reinterpret_cast<std::uint32_t*>(&a);
  }

  // Spins (kPeerSpin at most), then sleeps on the futex, until go != seen.
  std::uint32_t wait_for_go(std::uint32_t seen) {
    const auto spin_until = std::chrono::steady_clock::now() + kPeerSpin;
    for (unsigned n = 1;; ++n) {
      const std::uint32_t g = go_.load(std::memory_order_acquire);
      if (g != seen) return g;
      if (n % 64 != 0) {
        zeroipc::variants::detail::cpu_relax();
      } else if (std::chrono::steady_clock::now() > spin_until) {
        zeroipc::detail::futex_wait(word(go_), seen, std::chrono::milliseconds(100));
      }
    }
  }

  // Spins until w == g; after ~1 ms also yields and asks peer_alive().
  template <class Alive>
  static void await(const std::atomic<std::uint32_t>& w, std::uint32_t g, Alive& peer_alive) {
    const auto patient_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
    for (unsigned n = 1; w.load(std::memory_order_acquire) != g; ++n) {
      if (n % 1024 != 0 || std::chrono::steady_clock::now() < patient_until) {
        zeroipc::variants::detail::cpu_relax();
      } else if (!peer_alive()) {
        throw std::runtime_error("the benchmark's peer process died");
      } else {
        std::this_thread::yield();
      }
    }
  }

  alignas(64) std::atomic<std::uint32_t> go_{0};
  alignas(64) std::atomic<std::uint32_t> ready_{0};
  alignas(64) std::atomic<std::uint32_t> start_{0};
  alignas(64) std::atomic<std::uint32_t> done_{0};
  PartResult result_;                 // the peer writes it before (B4)
  std::atomic<bool> stopping_{false};
  alignas(64) std::uint32_t generation_ = 0;  // the lead's alone
};

// A peer thread pinned to `peer_cpu`, running `part` once per batch(); the
// constructing thread (the lead) is pinned to `own_cpu` until destruction.
class PeerThread {
 public:
  explicit PeerThread(PeerPart part, int own_cpu = 0, int peer_cpu = 1)
      : part_(std::move(part)), thread_([this, peer_cpu] {
          pin_to(peer_cpu);
          line_.serve(part_);
        }) {
    pin_to(own_cpu);
  }
  PeerThread(const PeerThread&) = delete;
  PeerThread& operator=(const PeerThread&) = delete;
  ~PeerThread() {
    line_.stop();
    thread_.join();
    unpin();
  }

  // One batch: `own` on this thread and the peer's part, started together.
  template <class Own>
  Batch batch(Own&& own) {
    return line_.lead(own, [] { return true; });
  }

 private:
  StartLine line_;
  PeerPart part_;
  std::thread thread_;  // last: it starts once the line and the part exist
};

// A forked peer process pinned to `peer_cpu`: it calls `make_part` once
// (open the segment there) and runs the part it returns once per batch().
// The lead is pinned to `own_cpu` until destruction. A peer that throws or
// dies makes batch() throw instead of waiting forever.
class PeerProcess {
 public:
  explicit PeerProcess(const std::function<PeerPart()>& make_part, int own_cpu = 0, int peer_cpu = 1) {
    void* page = ::mmap(nullptr, sizeof(StartLine), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) throw std::system_error(errno, std::generic_category(), "mmap of the start line");
    line_ = new (page) StartLine;
    pid_ = ::fork();
    if (pid_ < 0) {
      ::munmap(page, sizeof(StartLine));
      throw std::system_error(errno, std::generic_category(), "fork of the benchmark's peer");
    }
    if (pid_ == 0) {
      try {
        pin_to(peer_cpu);
        line_->serve(make_part());
        ::_exit(0);
      } catch (...) {
        ::_exit(2);
      }
    }
    pin_to(own_cpu);
  }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  ~PeerProcess() {
    if (alive()) {
      line_->stop();
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    line_->~StartLine();
    ::munmap(line_, sizeof(StartLine));
    unpin();
  }

  template <class Own>
  Batch batch(Own&& own) {
    return line_->lead(own, [this] { return alive(); });
  }

 private:
  bool alive() {
    if (reaped_) return false;
    int status = 0;
    reaped_ = ::waitpid(pid_, &status, WNOHANG) == pid_;
    return !reaped_;
  }

  StartLine* line_ = nullptr;
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// One producer (a PeerThread) and one consumer (the lead), for as many
// batches as asked: each batch, messages 0, 1, ..., batch - 1 pushed through
// `producer_side` and popped in order from `consumer_side` (two handles of
// one queue, or the same one). The consumer compares each message with the
// one expected (a register compare, part of the transfer); after the timed
// region it checks that nothing more is in the queue (no duplicate).
template <class Q>
class OneToOne {
 public:
  OneToOne(Q& producer_side, Q& consumer_side, std::uint64_t batch)
      : consumer_side_(consumer_side), batch_(batch), producer_([&producer_side, batch]() -> PartResult {
          PartResult r;
          for (std::uint64_t i = 0; i < batch; ++i) r.waits += poll_until([&] { return producer_side.push(i); });
          return r;
        }) {}

  // One batch; errors = messages out of order or corrupt, plus one if the
  // queue still held a message afterwards. The consumer is the lead: its
  // waits (empty polls) are lead_waits, the producer's (full) peer_waits.
  Batch run() {
    std::uint64_t bad = 0;
    Batch b = producer_.batch([&] {
      std::uint64_t waits = 0;
      for (std::uint64_t i = 0; i < batch_; ++i) {
        std::uint64_t v;
        waits += poll_until([&] { return pop_into(consumer_side_, v); });
        bad += v != i;
      }
      return waits;
    });
    std::uint64_t extra;
    b.errors += bad + (pop_into(consumer_side_, extra) ? 1 : 0);
    return b;
  }

 private:
  Q& consumer_side_;
  std::uint64_t batch_;
  PeerThread producer_;
};

// One batch through 4 producer and 4 consumer threads, unpinned (each unpins
// itself: a lead pinned by a peer would pass its core on), yielding
// when full or empty: batch / 4 messages per producer, all distinct. Returns
// whether every message arrived exactly once (count and sum checked).
template <class Q>
bool four_by_four_batch(Q& q, std::uint64_t batch) {
  const std::uint64_t per_producer = batch / 4, n = 4 * per_producer;
  std::atomic<std::uint64_t> popped{0}, sum{0};
  std::vector<std::thread> threads;
  for (std::uint64_t p = 0; p < 4; ++p) {
    threads.emplace_back([&, p] {
      unpin();
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        while (!q.push(p * per_producer + i)) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < 4; ++c) {
    threads.emplace_back([&] {
      unpin();
      while (popped.load(std::memory_order_relaxed) < n) {
        if (auto v = q.pop()) {
          sum.fetch_add(*v, std::memory_order_relaxed);
          popped.fetch_add(1, std::memory_order_relaxed);
        } else {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return popped.load() == n && sum.load() == n * (n - 1) / 2;
}

}  // namespace zeroipc::bench
