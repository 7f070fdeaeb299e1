// zeroipc/detail/stream_wait.h — how a Stream waits: on one or more words of
// the segment (a stream's `published`, or its `epoch` for a blocked
// producer), plus an optional in-process cancel word, with the owners those
// words depend on checked every kOwnerCheckInterval. Built on wait.h only:
//
//   one word, no cancel      wait_while_equal() with the word's OwnerCheck;
//   otherwise                wait_any() (FUTEX_WAITV over every word and the
//                            cancel word, so a cancel wakes the waiter at once)
//                            in slices of kOwnerCheckInterval, calling each
//                            word's OwnerCheck between slices.
//
// The first owner check comes one interval after the wait starts, as in
// wait_while_equal(): a reader woken by every item never reads /proc.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/wait.h"

namespace zeroipc::detail::stream {

/// An in-process word that ends a wait at once: the stop request of a
/// Subscription, an operator's thread or a Cursor. Private memory is fine for
/// a futex that is not FUTEX_PRIVATE (the kernel keys it on this process's mm).
struct alignas(kCacheLine) CancelToken {
  std::uint32_t word = 0;
  std::uint32_t sleepers = 0;

  void cancel() noexcept {
    atomic_of(word).store(1, std::memory_order_seq_cst);  // (N1)
    wake_all(wait_word());                                 // (N2)
  }
  [[nodiscard]] bool cancelled() noexcept { return atomic_of(word).load(std::memory_order_acquire) != 0; }
  [[nodiscard]] WaitWord wait_word() noexcept { return {word, sleepers}; }
};

enum class Woke { kChanged, kCancelled, kOwnerDead, kTimedOut };

struct WakeStatus {
  Woke why;
  std::size_t index = 0;  // kChanged / kOwnerDead: which word
  pid_t who = 0;          // kOwnerDead: the dead owner
};

/// Blocks while every `words[i]` holds its expected value (at most 3 words).
/// `checks[i]` (same length; `dead` may be null) is asked every
/// kOwnerCheckInterval whether the owner of word i is dead.
inline WakeStatus wait_words(std::span<const WaitTarget> words, std::span<const OwnerCheck> checks,
                             CancelToken* cancel, const Deadline& deadline) noexcept {
  using Clock = Deadline::Clock;
  if (cancel == nullptr && words.size() == 1) {
    const OwnerCheck* check = checks[0].dead != nullptr ? &checks[0] : nullptr;
    const WaitStatus s = wait_while_equal(words[0].word, words[0].expected, deadline, check);
    if (s.result == WaitResult::kChanged) return {Woke::kChanged, 0};
    if (s.result == WaitResult::kOwnerDead) return {Woke::kOwnerDead, 0, s.owner};
    return {Woke::kTimedOut};
  }
  std::array<WaitTarget, 4> all{words[0], words[0], words[0], words[0]};
  const std::size_t n = words.size() < 3 ? words.size() : 3;
  for (std::size_t i = 0; i < n; ++i) all[i] = words[i];
  std::size_t total = n;
  if (cancel != nullptr) {
    if (cancel->cancelled()) return {Woke::kCancelled};
    all[total++] = WaitTarget{cancel->wait_word(), 0};
  }
  Clock::time_point next_check = Clock::now() + kOwnerCheckInterval;
  for (;;) {
    const WaitStatus s = wait_any(std::span<const WaitTarget>(all.data(), total),
                                  deadline.earlier(Deadline::at(next_check)));
    if (s.result == WaitResult::kChanged) {
      return s.index == n ? WakeStatus{Woke::kCancelled} : WakeStatus{Woke::kChanged, s.index};
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_check) {
      for (std::size_t i = 0; i < n; ++i) {
        pid_t who = 0;
        if (checks[i].dead != nullptr && checks[i].dead(checks[i].context, &who)) {
          return {Woke::kOwnerDead, i, who};
        }
      }
      next_check = now + kOwnerCheckInterval;
    }
    if (deadline.passed(now)) return {Woke::kTimedOut};
  }
}

}  // namespace zeroipc::detail::stream
