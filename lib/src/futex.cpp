#include "zeroipc/detail/futex.h"

#include <cerrno>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace zeroipc::detail {

FutexResult futex_wait(std::uint32_t* word, std::uint32_t expected,
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

int futex_wake(std::uint32_t* word, int count) noexcept {
  long rc = syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0);
  return rc < 0 ? 0 : static_cast<int>(rc);
}

}  // namespace zeroipc::detail
