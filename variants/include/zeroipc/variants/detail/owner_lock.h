// zeroipc/variants/detail/owner_lock.h — a process-shared lock whose word
// holds the holder's owner key (liveness.h), so waiters can tell a slow
// holder from a dead one and take the lock over from a dead one.
//
//   word:   0 = free; otherwise holder key (31 bits) | 0x80000000 when someone may sleep on it
//   holder: the holder's pid, for messages and tools only (0 = free or not yet written)
//
// Lock: CAS 0 -> key. The key is in the word the CAS installs, so whoever
// sees the lock held knows exactly which process holds it: there is no
// window in which a holder is recorded without its identity.
// Contended: read the word kOwnerLockSpins times with the pause hint, then
// set the waiters bit and FUTEX_WAIT (process-shared) on the observed value.
// Every sleep ends at the next liveness check or at the deadline, whichever
// is first, and both are absolute times: a signal that interrupts the sleep
// (EINTR) only shortens it, so a program with a 1 ms interval timer still
// has its dead holder found within kOwnerCheckEvery. A dead holder's lock
// is taken over with CAS observed -> key | waiters, and the caller is told,
// so it can repair what the holder left half-done. Unlock: clear `holder`,
// exchange 0; wake one sleeper if the waiters bit was set.
//
// Two waiters that both find the holder dead: their takeover CASes expect
// the same observed word, so exactly one succeeds; the other sees the new
// holder's key, which is alive. (With the pid and start time in separate
// words, as before, the second could judge the *new* holder by the old
// holder's start time and take the lock from it.)
//
// Memory ordering: (L1) the acquire CAS that takes the lock pairs with (L2)
// the release exchange that frees it: everything a holder wrote is visible
// to the next holder. A takeover CAS is acquire too, but a dead holder may
// have stopped in the middle of anything: that is what recovery is for.
//
// Not a pthread mutex: its layout is libc's, and C and Python implementations
// must be able to take this lock from SPECIFICATION.md alone.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <unistd.h>

#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/futex.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc::detail {

inline constexpr std::uint32_t kOwnerLockWaitersBit = 0x80000000u;
/// Reads of a held lock word (with the pause hint) before sleeping on it. A
/// running holder keeps the lock for well under a microsecond, which this
/// covers; a holder that is not running (preempted, stopped) keeps it for a
/// scheduler slice or more, and then only the futex sleep is right: the
/// unlock wakes the sleeper. Not sched_yield(): on a loaded machine a yield
/// hands the core to every other runnable task, milliseconds each, while
/// the lock may have been free since the first of them.
inline constexpr int kOwnerLockSpins = 256;
/// How often a waiter asks whether the holder is alive.
inline constexpr std::chrono::milliseconds kOwnerCheckEvery{20};

struct OwnerLockResult {
  enum Outcome { kAcquired, kTakenOver, kTimedOut } outcome;
  pid_t other;  // kTakenOver: the dead holder's pid; kTimedOut: the live holder's (0 if not known)
};

/// Takes the lock at `word`, waiting at most `patience` for a live holder.
inline OwnerLockResult owner_lock_acquire(std::uint32_t& word_ref, std::uint64_t& holder_ref,
                                          std::chrono::nanoseconds patience) noexcept {
  using Clock = std::chrono::steady_clock;
  const std::uint32_t me = self_key();
  std::atomic_ref<std::uint32_t> word(word_ref);
  std::atomic_ref<std::uint64_t> holder(holder_ref);
  std::uint32_t expected = 0;
  if (word.compare_exchange_strong(expected, me, std::memory_order_acquire)) {  // (L1) fast path
    holder.store(static_cast<std::uint64_t>(current_pid()), std::memory_order_relaxed);
    return {OwnerLockResult::kAcquired, 0};
  }
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      patience >= Clock::time_point::max() - start ? Clock::time_point::max() : start + patience;
  Clock::time_point next_check = start + kOwnerCheckEvery;
  bool contended = false;
  OwnerLockResult result{OwnerLockResult::kAcquired, 0};
  for (int spins = 0;; ++spins) {
    std::uint32_t v = word.load(std::memory_order_relaxed);
    if (v == 0) {
      if (word.compare_exchange_weak(v, contended ? me | kOwnerLockWaitersBit : me,
                                     std::memory_order_acquire)) {  // (L1)
        break;
      }
      continue;
    }
    if (spins < kOwnerLockSpins) {
      variants::detail::cpu_relax();
      continue;
    }
    if ((v & kOwnerLockWaitersBit) == 0) {
      if (!word.compare_exchange_weak(v, v | kOwnerLockWaitersBit, std::memory_order_relaxed)) {
        continue;
      }
      v |= kOwnerLockWaitersBit;
    }
    contended = true;
    const Clock::time_point now = Clock::now();
    if (now >= next_check || now >= deadline) {
      const std::uint32_t key = v & kOwnerKeyMask;
      if (!owner_alive(&word_ref, key)) {
        const auto dead_pid = static_cast<pid_t>(holder.load(std::memory_order_relaxed));
        // If the word changed meanwhile (another waiter was faster, or the
        // holder released it), the CAS fails and we go round again.
        if (word.compare_exchange_strong(v, me | kOwnerLockWaitersBit, std::memory_order_acquire)) {  // (L1)
          result = {OwnerLockResult::kTakenOver, dead_pid};
          break;
        }
        continue;
      }
      if (now >= deadline) {
        return {OwnerLockResult::kTimedOut, static_cast<pid_t>(holder.load(std::memory_order_relaxed))};
      }
      next_check = now + kOwnerCheckEvery;
    }
    // Sleep until the next check or the deadline; a signal only cuts it short.
    futex_wait(&word_ref, v, std::min(next_check, deadline) - now);
  }
  holder.store(static_cast<std::uint64_t>(current_pid()), std::memory_order_relaxed);
  return result;
}

inline void owner_lock_release(std::uint32_t& word_ref, std::uint64_t& holder_ref) noexcept {
  std::atomic_ref<std::uint64_t>(holder_ref).store(0, std::memory_order_relaxed);
  const std::uint32_t old =
      std::atomic_ref<std::uint32_t>(word_ref).exchange(0, std::memory_order_release);  // (L2)
  if (old & kOwnerLockWaitersBit) futex_wake(&word_ref, 1);
}

}  // namespace zeroipc::detail
