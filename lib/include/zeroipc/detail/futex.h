// zeroipc/detail/futex.h — process-shared futex wait/wake on a word in the segment.
//
// Shared memory is mapped at different addresses in different processes, so
// these use FUTEX_WAIT/FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the kernel keys
// the wait queue on the page and offset, not the virtual address.
#pragma once

#include <chrono>
#include <cstdint>

namespace zeroipc::detail {

enum class FutexResult { kWoken, kValueChanged, kTimedOut, kInterrupted };

/// Sleeps while *word == expected, at most `timeout`. Spurious returns are
/// possible: callers re-check their condition in a loop.
FutexResult futex_wait(std::uint32_t* word, std::uint32_t expected,
                       std::chrono::nanoseconds timeout) noexcept;

/// Wakes up to `count` processes sleeping on `word`; returns how many woke.
int futex_wake(std::uint32_t* word, int count) noexcept;

}  // namespace zeroipc::detail
