// Pieces shared by the queue microbenchmarks (queue_variants_bench.cpp, for
// Google Benchmark, and variant_ratios.cpp, interleaved ratio runs): pinning,
// a scratch segment, and `ReferenceSpsc`, the least an SPSC ring can do.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zeroipc/memory.h>

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

// The reference: the least an SPSC ring can do. Indices on their own cache
// lines, each side caching the other's index, power-of-two mask.
class ReferenceSpsc {
 public:
  bool push(std::uint64_t v) noexcept {
    const std::uint64_t t = tail_.load(std::memory_order_relaxed);
    if (t - head_cache_ == kCapacity) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (t - head_cache_ == kCapacity) return false;
    }
    slots_[t & (kCapacity - 1)] = v;
    tail_.store(t + 1, std::memory_order_release);
    return true;
  }
  bool pop(std::uint64_t& v) noexcept {
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (h == tail_cache_) return false;
    }
    v = slots_[h & (kCapacity - 1)];
    head_.store(h + 1, std::memory_order_release);
    return true;
  }

 private:
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  alignas(64) std::uint64_t head_cache_ = 0;
  alignas(64) std::atomic<std::uint64_t> head_{0};
  alignas(64) std::uint64_t tail_cache_ = 0;
  alignas(64) std::uint64_t slots_[kCapacity] = {};
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

// One batch from a producer thread pinned to core 1 to the calling thread
// pinned to core 0 (unpinned afterwards): `batch` messages 0, 1, ... pushed
// through `producer_side` and popped from `consumer_side` (two handles of
// one queue, or the same one). Returns how many arrived out of order.
template <class Q>
std::uint64_t one_to_one_batch(Q& producer_side, Q& consumer_side, std::uint64_t batch) {
  std::thread producer([&] {
    pin_to(1);
    for (std::uint64_t i = 0; i < batch; ++i) {
      while (!producer_side.push(i)) {
      }
    }
  });
  pin_to(0);
  std::uint64_t bad = 0;
  for (std::uint64_t i = 0; i < batch; ++i) {
    std::uint64_t v;
    while (!pop_into(consumer_side, v)) {
    }
    bad += v != i;
  }
  producer.join();
  unpin();
  return bad;
}

// One batch through 4 producer and 4 consumer threads, unpinned, yielding
// when full or empty: batch / 4 messages per producer, all distinct. Returns
// whether every message arrived exactly once (count and sum checked).
template <class Q>
bool four_by_four_batch(Q& q, std::uint64_t batch) {
  const std::uint64_t per_producer = batch / 4, n = 4 * per_producer;
  std::atomic<std::uint64_t> popped{0}, sum{0};
  std::vector<std::thread> threads;
  for (std::uint64_t p = 0; p < 4; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        while (!q.push(p * per_producer + i)) std::this_thread::yield();
      }
    });
  }
  for (int c = 0; c < 4; ++c) {
    threads.emplace_back([&] {
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
