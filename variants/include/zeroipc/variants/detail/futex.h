// zeroipc/variants/detail/futex.h — process-shared futex wait/wake on a word in the segment.
//
// Shared memory is mapped at different addresses in different processes, so
// these use FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the kernel keys
// the wait queue on the page and offset, not the virtual address.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zeroipc::detail {

enum class FutexResult { kWoken, kValueChanged, kTimedOut, kInterrupted };

/// Sleeps while *word == expected, at most `timeout`. Spurious returns are
/// possible: callers re-check their condition in a loop.
inline FutexResult futex_wait(std::uint32_t* word, std::uint32_t expected,
                       std::chrono::nanoseconds timeout) noexcept {
  if (timeout.count() < 0) timeout = std::chrono::nanoseconds(0);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(timeout.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(timeout.count() % 1'000'000'000);
  // FUTEX_WAIT, not FUTEX_WAIT_PRIVATE: the word is shared between processes.
  // The timeout is relative.
  long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, nullptr, 0);
  if (rc == 0) return FutexResult::kWoken;
  switch (errno) {
    case EAGAIN: return FutexResult::kValueChanged;
    case ETIMEDOUT: return FutexResult::kTimedOut;
    default: return FutexResult::kInterrupted;  // EINTR
  }
}

/// Wakes up to `count` processes sleeping on `word`; returns how many woke.
inline int futex_wake(std::uint32_t* word, int count) noexcept {
  long rc = syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
  return rc < 0 ? 0 : static_cast<int>(rc);
}

}  // namespace zeroipc::detail
