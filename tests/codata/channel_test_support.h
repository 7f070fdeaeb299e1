// Helpers of the Channel tests (channel_*_test.cpp): a page of counters
// shared with children, bounded polling of a condition, and a crash hook that
// SIGKILLs the calling process at one named step of the channel protocol.
#pragma once

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <poll.h>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>

#include <zeroipc/detail/channel_layout.h>

#include "test_support.h"

namespace channel_test {

using namespace std::chrono_literals;
using zeroipc::test::Signal;  // one byte per event through a pipe (tests/support/test_support.h)


/// A page of 64-bit atomic counters shared with forked children (not part
/// of any zeroipc segment: the tests' own side channel).
class SharedCounters {
 public:
  static constexpr std::size_t kCount = 64;
  SharedCounters() {
    void* p = ::mmap(nullptr, kCount * 8, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) std::abort();
    words_ = static_cast<std::uint64_t*>(p);
  }
  ~SharedCounters() { ::munmap(words_, kCount * 8); }
  SharedCounters(const SharedCounters&) = delete;
  SharedCounters& operator=(const SharedCounters&) = delete;
  [[nodiscard]] std::atomic_ref<std::uint64_t> operator[](std::size_t i) const { return std::atomic_ref(words_[i]); }

 private:
  std::uint64_t* words_ = nullptr;
};

/// CLOCK_MONOTONIC in nanoseconds: comparable between processes.
inline std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Polls `pred` until it holds or `timeout` passes (for tests only: waiting
/// for another process to reach a state the channel does not announce).
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds timeout = 3s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// Makes this process SIGKILL itself when the channel protocol reaches `point`.
inline void kill_me_at(zeroipc::detail::ChannelCrashPoint point) {
  static std::atomic<int> target{0};
  target.store(static_cast<int>(point));
  zeroipc::detail::channel_crash_hook().store(+[](zeroipc::detail::ChannelCrashPoint p) {
    if (static_cast<int>(p) == target.load()) ::raise(SIGKILL);
  });
}

}  // namespace channel_test
