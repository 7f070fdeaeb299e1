// zeroipc/variants/detail/op_slots.h — thread slots for the lock-free
// variants whose operations hold a node or an index privately for a moment
// (treiber_tagged, elimination_backoff, scq, lcrq), and the recovery of
// what a killed process held.
//
// The leak. A push takes a free node (or index) off one list before it links
// it into another; a pop the other way round. A process killed in between
// takes that node with it: capacity - 1, for good. Which node it held cannot
// be told from the lists while others work on them (a node in flight looks
// exactly like a leaked one), so recovery makes the structure quiescent
// first, then sees every node that no list holds: those are the leaks.
//
// Layout (SPECIFICATION.md §7.7), kOpAreaBytes bytes inside the variant's body:
//
//   +0     control line
//          +0  u32 recovery_lock   owner lock (owner_lock.h): who recovers
//          +4  u32 recovering      0, or 1 while a recovery runs (futex word)
//          +8  u64 recovery_pid    the recoverer's pid (messages)
//          +16 u64 recoveries      completed recoveries
//          +24 u64 recovered       nodes or indices given back, in all
//          +32 u64 suspects        slots taken over from dead threads that were
//                                  inside an operation, since the last recovery
//   +64    kOpSlots slots, one cache line each (only the owner writes its line)
//          +0  u32 key     owner key (liveness.h) of the process; 0 = free
//          +4  u32 tid     the thread (in that process's namespace)
//          +8  u64 pid     for messages
//          +16 u32 active  1 while the thread is inside an operation
//          +24 u64 aux     for the variant (lcrq: its hazard)
//
// An operation: active = 1, then look at `recovering`; if it is set,
// active = 0 and wait until it is clear; else do the operation, active = 0.
// A recovery: take recovery_lock, recovering = 1, then wait until every
// live thread's `active` is 0: from then on no live operation is in flight
// (new ones wait), and the variant rebuilds its free list(s) from what its
// data lists hold. Then the slots of dead processes are freed and
// `recovering` cleared. A recoverer that dies is replaced by the first
// waiter that finds it dead: rebuilds only write the free side of the
// structure, from the data side, so a half-done rebuild is simply redone.
//
// Memory ordering (a Dekker pair): (D1) an operation's store active = 1 and
// (D2) its load of `recovering`, against (D3) the recoverer's store
// recovering = 1 and (D4) its load of every `active`: either D2 sees D3 (the
// operation waits) or D4 sees D1 (the recoverer waits for it). On Linux
// with membarrier(MEMBARRIER_CMD_GLOBAL), the operation side is a plain
// store and load with only a compiler barrier between them, and the
// recoverer issues the system-wide barrier between D3 and D4 (the
// asymmetric fence of userspace RCU): the fast path pays nothing. Without
// it (or under ThreadSanitizer, which does not model it), D1-D4 are
// sequentially consistent. (D5) the release store active = 0 at the end of
// an operation pairs with the recoverer's acquire load (D4): the rebuild
// sees everything the operation wrote.
//
// Cost of a crash here: a process killed in an operation leaves its slot
// active; the next recovery gives back what it held (push reports full: the
// variant recovers once by itself when some dead thread was in flight; or
// Queue::recover() / Stack::recover()). A recoverer that is stopped (not
// killed) stalls the structure until it resumes, like a lock holder.
#pragma once

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "zeroipc/layout/op_slots.h"
#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/futex.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc::variants::detail {

inline constexpr std::uint32_t kOpSlots = ZEROIPC_OP_SLOTS;
inline constexpr std::uint64_t kOpSlotBytes = ZEROIPC_OP_SLOT_SIZE;
inline constexpr std::uint64_t kOpAreaBytes = ZEROIPC_OP_AREA_SIZE;  // 8256

// The bytes of §7.7: the C99 layout header's structs, shared with lib/c.
using OpControl = ::zeroipc_op_control;
using OpSlot = ::zeroipc_op_slot;
static_assert(sizeof(OpControl) == 64, "the control line is one cache line (spec §7.7)");
static_assert(sizeof(OpSlot) == kOpSlotBytes,
              "one slot per cache line: its thread writes `active` on every operation");

namespace op_detail {

inline pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

/// Whether the asymmetric fence is available: membarrier(GLOBAL) on this kernel.
inline bool asymmetric_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  return false;
#else
  static const bool available = [] {
    const long cmds = ::syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    return cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL) != 0;
  }();
  return available;
#endif
}

/// The recoverer's side of the fence: every thread of the system that runs
/// now passes a full barrier before this returns.
inline void heavy_fence() noexcept {
  if (asymmetric_fence()) ::syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
}

/// Identity of a structure handle in this process, for the per-thread slot cache.
inline std::uint64_t next_handle_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

struct CacheEntry {
  std::uint64_t handle = 0;
  std::uint32_t key = 0;  // the owner key this was claimed under (a forked child has another)
  std::uint32_t slot = 0;
};
/// The slots this thread holds, for the last few handles it used.
inline std::array<CacheEntry, 4>& slot_cache() noexcept {
  thread_local std::array<CacheEntry, 4> cache{};
  return cache;
}

}  // namespace op_detail

/// How long a recovery waits for live operations to finish, and an
/// operation for a live recoverer, before giving up.
inline constexpr std::chrono::seconds kRecoveryPatience{5};
/// A handle scans the slots for a dead thread in flight at most this often
/// (when a push finds the structure full).
inline constexpr std::chrono::milliseconds kDeadScanInterval{10};
/// dead_in_flight() reads the clock once per this many calls (the first included).
inline constexpr std::uint32_t kDeadScanEvery = 64;

class OpSlots {
 public:
  explicit OpSlots(std::byte* area) noexcept
      : control_(reinterpret_cast<OpControl*>(area)), slots_(reinterpret_cast<OpSlot*>(area + 64)) {}

  /// This thread's slot (claimed on first use; cached per handle and thread).
  /// Throws LimitReached when every slot is held by a live thread.
  std::uint32_t my_slot(std::uint64_t handle) {
    const std::uint32_t me = zeroipc::detail::self_key();
    for (const auto& e : op_detail::slot_cache()) {
      if (e.handle == handle && e.key == me) return e.slot;
    }
    const std::uint32_t s = claim(me);
    auto& cache = op_detail::slot_cache();
    std::rotate(cache.rbegin(), cache.rbegin() + 1, cache.rend());  // most recent first
    cache[0] = {handle, me, s};
    return s;
  }

  /// (D1)(D2): marks slot `s` inside an operation; while a recovery runs,
  /// waits for it (or, if the recoverer died, recovers with `rebuild`).
  template <class Rebuild>
  void enter(std::uint32_t s, Rebuild&& rebuild) {
    for (;;) {
      if (op_detail::asymmetric_fence()) {
        active(s).store(1, std::memory_order_relaxed);                     // (D1)
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (recovering().load(std::memory_order_relaxed) == 0) break;     // (D2)
      } else {
        active(s).store(1, std::memory_order_seq_cst);                     // (D1)
        if (recovering().load(std::memory_order_seq_cst) == 0) break;     // (D2)
      }
      active(s).store(0, std::memory_order_release);
      wait_out_recovery(rebuild);
    }
    std::atomic_thread_fence(std::memory_order_acquire);  // see what a finished recovery rebuilt
  }

  /// (D5): the operation in slot `s` is over.
  void leave(std::uint32_t s) noexcept {
    active(s).store(0, std::memory_order_release);  // (D5)
    if (recovering().load(std::memory_order_relaxed) != 0) {
      zeroipc::detail::futex_wake(&slots_[s].active, 1);  // a recoverer may wait for this slot
    }
  }

  /// True when something may be held by nobody: a slot is active and its
  /// process is dead, or such a slot was taken over since the last
  /// recovery. The scan of the 128 slots (128 cache lines, and the kernel
  /// asked for each active one) runs at most once per kDeadScanInterval per
  /// handle: a producer that spins on a full structure must not pay it on
  /// every attempt.
  [[nodiscard]] bool dead_in_flight() noexcept {
    if (std::atomic_ref<std::uint64_t>(control_->suspects).load(std::memory_order_acquire) != 0) return true;
    // The clock itself (a vDSO call, ~20 ns) only every kDeadScanEvery calls:
    // a producer polling a full structure calls this on every attempt.
    const std::uint32_t polls = polls_.load(std::memory_order_relaxed);  // a hint: no RMW, races only miscount
    polls_.store(polls + 1, std::memory_order_relaxed);
    if (polls % kDeadScanEvery != 0) return false;
    const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (now < next_scan_.load(std::memory_order_relaxed)) return false;
    next_scan_.store(now + std::chrono::nanoseconds(kDeadScanInterval).count(), std::memory_order_relaxed);
    for (std::uint32_t s = 0; s < kOpSlots; ++s) {
      if (active(s).load(std::memory_order_acquire) == 0) continue;
      const std::uint32_t key = slot_key(s).load(std::memory_order_acquire);
      if (key != 0 && !zeroipc::detail::owner_alive(control_, key)) return true;
    }
    return false;
  }

  /// Makes the structure quiescent and calls `rebuild()` (which returns how
  /// many nodes or indices it gave back), then frees dead processes' slots.
  /// nullopt when a live process kept the recovery lock or an operation in
  /// flight for longer than `patience`. The calling thread must not be
  /// inside an operation.
  template <class Rebuild>
  std::optional<std::uint64_t> recover(Rebuild&& rebuild, std::chrono::nanoseconds patience) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + patience;
    const auto r = zeroipc::detail::owner_lock_acquire(control_->recovery_lock, control_->recovery_pid, patience);
    if (r.outcome == zeroipc::detail::OwnerLockResult::kTimedOut) return std::nullopt;
    struct Unlock {
      OpControl* c;
      ~Unlock() {
        std::atomic_ref<std::uint32_t>(c->recovering).store(0, std::memory_order_seq_cst);
        zeroipc::detail::futex_wake(&c->recovering, INT_MAX);
        zeroipc::detail::owner_lock_release(c->recovery_lock, c->recovery_pid);
      }
    } unlock{control_};
    recovering().store(1, std::memory_order_seq_cst);  // (D3)
    op_detail::heavy_fence();
    for (std::uint32_t s = 0; s < kOpSlots; ++s) {
      if (!wait_until_idle(s, deadline)) return std::nullopt;
    }
    const std::uint64_t given_back = rebuild();
    std::atomic_ref<std::uint64_t>(control_->suspects).store(0, std::memory_order_relaxed);
    for (std::uint32_t s = 0; s < kOpSlots; ++s) {
      std::uint32_t key = slot_key(s).load(std::memory_order_acquire);
      if (key == 0 || zeroipc::detail::owner_alive(control_, key)) continue;
      active(s).store(0, std::memory_order_relaxed);
      aux(s).store(0, std::memory_order_relaxed);
      slot_key(s).compare_exchange_strong(key, 0, std::memory_order_acq_rel);
    }
    std::atomic_ref<std::uint64_t>(control_->recoveries).fetch_add(1, std::memory_order_relaxed);
    std::atomic_ref<std::uint64_t>(control_->recovered).fetch_add(given_back, std::memory_order_relaxed);
    return given_back;
  }

  /// A push in slot `s`: `attempt()` runs inside an operation and returns
  /// true when it pushed, false when it found nothing free. If nothing was
  /// free while a dead thread was in flight, recovers once with `rebuild`
  /// (what the dead held comes back) and tries again.
  template <class Attempt, class Rebuild>
  bool push(std::uint32_t s, Attempt&& attempt, Rebuild&& rebuild);

  /// recover() with the default patience; throws Busy if it could not run.
  template <class Rebuild>
  std::uint64_t recover_or_throw(Rebuild&& rebuild) {
    const std::optional<std::uint64_t> r = recover(rebuild, kRecoveryPatience);
    if (!r) {
      throw Busy("a live thread stayed inside an operation (or held the recovery) for more than " +
                 std::to_string(kRecoveryPatience.count()) + " s");
    }
    return *r;
  }

  /// Slot fields, for the variant (lcrq keeps its hazard in `aux`).
  [[nodiscard]] std::atomic_ref<std::uint64_t> aux(std::uint32_t s) const noexcept {
    return std::atomic_ref<std::uint64_t>(slots_[s].aux);
  }
  [[nodiscard]] std::atomic_ref<std::uint32_t> slot_key(std::uint32_t s) const noexcept {
    return std::atomic_ref<std::uint32_t>(slots_[s].key);
  }
  /// Whether slot `s`'s thread is inside an operation: the recoverer's load
  /// (D4), for lcrq's standing hazards (after op_detail::heavy_fence()).
  [[nodiscard]] bool slot_active(std::uint32_t s) const noexcept {
    return active(s).load(std::memory_order_seq_cst) != 0;
  }
  /// Whether the thread holding slot `s` may still use it (for lcrq's hazards).
  [[nodiscard]] bool slot_owner_alive(std::uint32_t s) const noexcept {
    const std::uint32_t key = slot_key(s).load(std::memory_order_seq_cst);
    if (key == 0) return false;
    if (key == zeroipc::detail::self_key()) {
      const auto tid = static_cast<pid_t>(std::atomic_ref<std::uint32_t>(slots_[s].tid).load(std::memory_order_relaxed));
      return tid == 0 || ::syscall(SYS_tgkill, zeroipc::detail::current_pid(), tid, 0) == 0;
    }
    return zeroipc::detail::owner_alive(control_, key);
  }
  [[nodiscard]] std::uint64_t recoveries() const noexcept {
    return std::atomic_ref<std::uint64_t>(control_->recoveries).load(std::memory_order_relaxed);
  }

  /// Zero-filled area: nothing to write (every field starts at 0).
  static void init(std::byte*) noexcept {}

 private:
  std::atomic_ref<std::uint32_t> active(std::uint32_t s) const noexcept {
    return std::atomic_ref<std::uint32_t>(slots_[s].active);
  }
  std::atomic_ref<std::uint32_t> recovering() const noexcept {
    return std::atomic_ref<std::uint32_t>(control_->recovering);
  }

  // Claims a slot for (this process, this thread): the one it already has, a
  // free one, a dead process's, or one of this process's exited threads'.
  std::uint32_t claim(std::uint32_t me) {
    const pid_t tid = op_detail::current_tid();
    auto slot_tid = [&](std::uint32_t s) { return std::atomic_ref<std::uint32_t>(slots_[s].tid); };
    for (std::uint32_t s = 0; s < kOpSlots; ++s) {
      if (slot_key(s).load(std::memory_order_acquire) == me &&
          slot_tid(s).load(std::memory_order_relaxed) == static_cast<std::uint32_t>(tid)) {
        return s;
      }
    }
    for (int pass = 0; pass < 3; ++pass) {
      for (std::uint32_t s = 0; s < kOpSlots; ++s) {
        std::uint32_t holder = slot_key(s).load(std::memory_order_acquire);
        bool take = false;
        if (pass == 0) take = holder == 0;
        if (pass == 1) take = holder != 0 && holder != me && !zeroipc::detail::owner_alive(control_, holder);
        if (pass == 2 && holder == me) {
          // One of this process's threads that exited: its slot is idle for good.
          const auto t = static_cast<pid_t>(slot_tid(s).load(std::memory_order_relaxed));
          if (t != 0 && active(s).load(std::memory_order_acquire) == 0 &&
              ::syscall(SYS_tgkill, zeroipc::detail::current_pid(), t, 0) != 0) {
            slot_tid(s).store(static_cast<std::uint32_t>(tid), std::memory_order_relaxed);
            std::atomic_ref<std::uint64_t>(slots_[s].pid).store(
                static_cast<std::uint64_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
            return s;
          }
        }
        if (take && slot_key(s).compare_exchange_strong(holder, me, std::memory_order_acq_rel)) {
          // A dead owner may have left its slot active: it is idle now, and
          // what it held waits for the next recovery, which `suspects` asks for.
          if (active(s).load(std::memory_order_acquire) != 0) {
            std::atomic_ref<std::uint64_t>(control_->suspects).fetch_add(1, std::memory_order_acq_rel);
          }
          active(s).store(0, std::memory_order_relaxed);
          aux(s).store(0, std::memory_order_relaxed);
          slot_tid(s).store(static_cast<std::uint32_t>(tid), std::memory_order_relaxed);
          std::atomic_ref<std::uint64_t>(slots_[s].pid).store(
              static_cast<std::uint64_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
          return s;
        }
      }
    }
    throw LimitReached("all " + std::to_string(kOpSlots) +
                       " thread slots are held by live threads (one per thread using the structure)");
  }

  // (D4): waits until slot `s` is idle, free, or its owner dead.
  bool wait_until_idle(std::uint32_t s, std::chrono::steady_clock::time_point deadline) {
    using Clock = std::chrono::steady_clock;
    for (unsigned spins = 0;; ++spins) {
      const std::uint32_t key = slot_key(s).load(std::memory_order_seq_cst);
      if (key == 0 || active(s).load(std::memory_order_seq_cst) == 0) return true;  // (D4)
      if (spins < 64) {
        cpu_relax();
        continue;
      }
      if (!zeroipc::detail::owner_alive(control_, key)) return true;  // in flight for good: recovered now
      const Clock::time_point now = Clock::now();
      if (now >= deadline) return false;
      zeroipc::detail::futex_wait(&slots_[s].active, 1,
                                  std::min<std::chrono::nanoseconds>(deadline - now, zeroipc::detail::kOwnerCheckEvery));
    }
  }

  // An operation found a recovery running: sleep until it ends; take it over
  // if its recoverer died (the structure may be half rebuilt: rebuild again).
  template <class Rebuild>
  void wait_out_recovery(Rebuild& rebuild) {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point deadline = Clock::now() + kRecoveryPatience;
    for (;;) {
      if (recovering().load(std::memory_order_acquire) == 0) return;
      const std::uint32_t holder =
          std::atomic_ref<std::uint32_t>(control_->recovery_lock).load(std::memory_order_acquire) &
          zeroipc::detail::kOwnerKeyMask;
      if (holder == 0 || !zeroipc::detail::owner_alive(control_, holder)) {
        if (recover(rebuild, kRecoveryPatience)) return;
        continue;
      }
      const Clock::time_point now = Clock::now();
      if (now >= deadline) {
        throw Busy("a recovery by a live process has run for more than " +
                   std::to_string(kRecoveryPatience.count()) + " s");
      }
      zeroipc::detail::futex_wait(&control_->recovering, 1, zeroipc::detail::kOwnerCheckEvery);
    }
  }

  OpControl* control_;
  OpSlot* slots_;
  // Written by a thread polling a full (or empty) structure, on a line of
  // their own: a handle's threads read control_ and slots_ on every
  // operation, and a poller's writes beside them would take that line from
  // the thread doing the work (one handle shared by a producer thread and a
  // consumer thread: issue 19).
  alignas(64) std::atomic<std::int64_t> next_scan_{0};  // steady_clock ticks: dead_in_flight() scans from then on
  std::atomic<std::uint32_t> polls_{0};  // dead_in_flight() calls: the clock is read every kDeadScanEvery
};

/// One operation, as a scope: enters on construction, leaves on destruction.
class OpScope {
 public:
  template <class Rebuild>
  OpScope(OpSlots& slots, std::uint32_t s, Rebuild&& rebuild) : slots_(slots), s_(s) {
    slots_.enter(s_, rebuild);
  }
  ~OpScope() { slots_.leave(s_); }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  OpSlots& slots_;
  std::uint32_t s_;
};

template <class Attempt, class Rebuild>
bool OpSlots::push(std::uint32_t s, Attempt&& attempt, Rebuild&& rebuild) {
  for (int round = 0;; ++round) {
    {
      OpScope op(*this, s, rebuild);
      if (attempt()) return true;
    }
    if (round > 0 || !dead_in_flight()) return false;
    recover_or_throw(rebuild);
  }
}

}  // namespace zeroipc::variants::detail
