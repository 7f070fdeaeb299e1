// zeroipc/variants/detail/pid_lock.h — a process-shared lock whose word holds
// the holder's pid, so waiters can tell a slow holder from a dead one.
//
//   word:  0 = free; otherwise holder_pid, OR 0x80000000 when someone may sleep on it
//   start: the holder's start time (/proc/<pid>/stat field 22), 0 = not known
//
// Lock: CAS 0 -> pid. Contended: spin briefly (kPidLockSpins), then set the
// waiters bit and FUTEX_WAIT (process-shared) on the observed value in
// slices of 20 ms; after each slice check that the holder lives (pid, not a zombie, same start time); a dead holder's
// lock is taken over with CAS observed -> pid|waiters, and the caller is told
// so it can repair what the holder left half-done. Unlock: exchange 0; wake
// one sleeper if the waiters bit was set.
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
#include "zeroipc/variants/detail/process.h"

namespace zeroipc::detail {

inline constexpr std::uint32_t kPidLockWaitersBit = 0x80000000u;
/// Reads of a held lock word (with the pause hint) before sleeping on it. A
/// running holder keeps the lock for well under a microsecond, which this
/// covers; a holder that is not running (preempted, stopped) keeps it for a
/// scheduler slice or more, and then only the futex sleep is right: the
/// unlock wakes the sleeper. Not sched_yield(): on a loaded machine a yield
/// hands the core to every other runnable task, milliseconds each, while
/// the lock may have been free since the first of them.
inline constexpr int kPidLockSpins = 256;

struct PidLockResult {
  enum Outcome { kAcquired, kTakenOver, kTimedOut } outcome;
  pid_t other;  // kTakenOver: the dead holder; kTimedOut: the live holder
};

/// Takes the lock at `word`, waiting at most `patience` for a live holder.
inline PidLockResult pid_lock_acquire(std::uint32_t& word_ref, std::uint64_t& start_ref,
                                      std::chrono::nanoseconds patience) noexcept {
  const auto me = static_cast<std::uint32_t>(current_pid());
  std::atomic_ref<std::uint32_t> word(word_ref);
  std::atomic_ref<std::uint64_t> start(start_ref);
  std::uint32_t expected = 0;
  if (word.compare_exchange_strong(expected, me, std::memory_order_acquire)) {  // (L1) fast path
    start.store(self_start_time(), std::memory_order_relaxed);
    return {PidLockResult::kAcquired, 0};
  }
  const auto deadline = std::chrono::steady_clock::now() + patience;
  bool contended = false;
  PidLockResult result{PidLockResult::kAcquired, 0};
  for (int spins = 0;; ++spins) {
    std::uint32_t v = word.load(std::memory_order_relaxed);
    if (v == 0) {
      if (word.compare_exchange_weak(v, contended ? me | kPidLockWaitersBit : me,
                                     std::memory_order_acquire)) {  // (L1)
        break;
      }
      continue;
    }
    if (spins < kPidLockSpins) {
      variants::detail::cpu_relax();
      continue;
    }
    if ((v & kPidLockWaitersBit) == 0) {
      if (!word.compare_exchange_weak(v, v | kPidLockWaitersBit, std::memory_order_relaxed)) {
        continue;
      }
      v |= kPidLockWaitersBit;
    }
    contended = true;
    const auto slice = std::min<std::chrono::nanoseconds>(
        std::chrono::milliseconds(20), deadline - std::chrono::steady_clock::now());
    const FutexResult r = futex_wait(&word_ref, v, slice);
    if (r == FutexResult::kTimedOut || slice.count() <= 0) {
      const auto holder = static_cast<pid_t>(v & ~kPidLockWaitersBit);
      if (!process_alive(holder, start.load(std::memory_order_relaxed))) {
        // If the word changed meanwhile (another waiter was faster, or the
        // holder released it), the CAS fails and we go round again.
        if (word.compare_exchange_strong(v, me | kPidLockWaitersBit, std::memory_order_acquire)) {  // (L1)
          result = {PidLockResult::kTakenOver, holder};
          break;
        }
        continue;
      }
      if (std::chrono::steady_clock::now() >= deadline) return {PidLockResult::kTimedOut, holder};
    }
  }
  start.store(self_start_time(), std::memory_order_relaxed);
  return result;
}

inline void pid_lock_release(std::uint32_t& word_ref, std::uint64_t& start_ref) noexcept {
  std::atomic_ref<std::uint64_t>(start_ref).store(0, std::memory_order_relaxed);
  const std::uint32_t old =
      std::atomic_ref<std::uint32_t>(word_ref).exchange(0, std::memory_order_release);  // (L2)
  if (old & kPidLockWaitersBit) futex_wake(&word_ref, 1);
}

}  // namespace zeroipc::detail
