// zeroipc/detail/wait.h — the one way a codata structure (Future, Lazy,
// Channel, Stream) blocks: spin briefly, then sleep on a process-shared futex
// on the word in the segment, in bounded slices, until the word changes, a
// deadline passes, or the process the waiter depends on is found dead.
//
//   WaitWord word(cell.state, cell.sleepers);           // the word, and its sleeper count
//   // waiter                                           // notifier
//   auto s = wait_while_equal(word, seen, deadline,     state.store(next, seq_cst);   (N1)
//                             &owner_check);            wake_all(word);               (N2)
//
// The word. A 32-bit word is the futex itself. A 64-bit word (a state with
// the owner's pid in its high half) is waited on through its low-order
// 32-bit half, which is what the kernel compares: every change a waiter must
// see has to change that half (keep a sequence number there). C++ code only
// ever touches the 64-bit word as a whole; only the kernel reads the half.
// An epoch or sequence word that the notifier bumps (a Stream's published
// count, a Channel's head) is waited on the same way: "while it still reads
// the value I saw".
//
// Sleepers. Next to each word lives a u32 count of processes that may be
// asleep on it, so a notifier makes the wake system call (~11 us here) only
// when someone may sleep. A waiter killed while counted leaves the count one
// too high for good: every later notification then costs one useless wake
// call, nothing else.
//
// Bounded sleeps. A waiter never sleeps longer than one slice:
//   kOwnerCheckInterval (20 ms) when it depends on an owner: after each slice
//     it asks the OwnerCheck whether the owner (its key, see
//     variants/detail/liveness.h) is dead, so a dead owner is noticed within
//     one slice plus one F_OFD_GETLK, even if nobody ever wakes the waiter;
//   kLostWakeInterval (250 ms) otherwise: a notifier killed between changing
//     the word and waking costs a sleeper at most this long.
// The spin (kWaitSpins rounds of the CPU's pause hint, a few microseconds)
// catches a change that is already on its way without a system call. There
// is no sleep-and-poll anywhere: every sleep is a futex wait that a change
// plus wake ends at once.
//
// Memory ordering (numbers used by the structures that call these):
//   (W1) the waiter's seq_cst increment of `sleepers` and (W2) its seq_cst
//        re-load of the word, against (N1) the notifier's seq_cst change of
//        the word and (N2) the seq_cst load of `sleepers` in wake_*(): in the
//        single total order of seq_cst operations either (W2) sees (N1) (the
//        waiter does not sleep) or (N2) sees (W1) (the notifier wakes it).
//        The kernel's own check of the value closes the rest of the window:
//        FUTEX_WAIT returns at once if the word no longer holds the value.
//        Callers must therefore make their change (N1) seq_cst.
//   (W3) the acquire load that observes the change pairs with the release
//        half of (N1): what the notifier wrote before its change is visible
//        to the waiter that returns kChanged.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <optional>
#include <span>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/futex.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc::detail {

/// Spin rounds (one pause each) before the first sleep: a few microseconds.
inline constexpr unsigned kWaitSpins = 64;
/// Longest sleep of a waiter that depends on an owner: its death is noticed within this.
inline constexpr std::chrono::milliseconds kOwnerCheckInterval{20};
/// Longest sleep of any other waiter: bounds the cost of a lost wake (notifier killed mid-way).
inline constexpr std::chrono::milliseconds kLostWakeInterval{250};

/// A point in time to stop waiting at, or never.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  static constexpr Deadline forever() noexcept { return Deadline(Clock::time_point::max()); }
  /// `d` from now; zero or negative: already passed; too large to represent: forever.
  static Deadline after(std::chrono::nanoseconds d) noexcept {
    const Clock::time_point now = Clock::now();
    if (d <= std::chrono::nanoseconds::zero()) return Deadline(now);
    if (d >= std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::time_point::max() - now)) {
      return forever();
    }
    return Deadline(now + std::chrono::duration_cast<Clock::duration>(d));
  }
  static constexpr Deadline at(Clock::time_point t) noexcept { return Deadline(t); }

  [[nodiscard]] constexpr bool is_forever() const noexcept { return when_ == Clock::time_point::max(); }
  [[nodiscard]] constexpr Clock::time_point when() const noexcept { return when_; }
  [[nodiscard]] bool passed(Clock::time_point now = Clock::now()) const noexcept {
    return !is_forever() && now >= when_;
  }
  /// Time left (zero once passed; nanoseconds::max() for forever).
  [[nodiscard]] std::chrono::nanoseconds remaining(Clock::time_point now = Clock::now()) const noexcept {
    if (is_forever()) return std::chrono::nanoseconds::max();
    if (now >= when_) return std::chrono::nanoseconds::zero();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(when_ - now);
  }
  [[nodiscard]] constexpr Deadline earlier(const Deadline& other) const noexcept {
    return when_ <= other.when_ ? *this : other;
  }

 private:
  constexpr explicit Deadline(Clock::time_point t) noexcept : when_(t) {}
  Clock::time_point when_;
};

/// A 32- or 64-bit word in the segment that waiters sleep on, with its
/// sleeper count (both atomic fields of some structure's layout).
class WaitWord {
 public:
  WaitWord(std::uint32_t& word, std::uint32_t& sleepers) noexcept
      : word_(&word), sleepers_(&sleepers), wide_(false) {}
  WaitWord(std::uint64_t& word, std::uint32_t& sleepers) noexcept
      : word_(&word), sleepers_(&sleepers), wide_(true) {}

  [[nodiscard]] std::uint64_t load(std::memory_order order) const noexcept {
    if (wide_) return std::atomic_ref<std::uint64_t>(*static_cast<std::uint64_t*>(word_)).load(order);
    return std::atomic_ref<std::uint32_t>(*static_cast<std::uint32_t*>(word_)).load(order);
  }
  /// The 32 bits the kernel compares: the word, or the low-order half of a 64-bit word.
  [[nodiscard]] std::uint32_t* futex_address() const noexcept {
    std::uint32_t* p = static_cast<std::uint32_t*>(word_);
    return wide_ && std::endian::native == std::endian::big ? p + 1 : p;
  }
  /// The futex value of a word value: its low-order 32 bits.
  [[nodiscard]] static constexpr std::uint32_t futex_value(std::uint64_t v) noexcept {
    return static_cast<std::uint32_t>(v);
  }
  [[nodiscard]] std::atomic_ref<std::uint32_t> sleepers() const noexcept {
    static_assert(std::atomic_ref<std::uint32_t>::is_always_lock_free &&
                      std::atomic_ref<std::uint64_t>::is_always_lock_free,
                  "wait words live in shared memory: a lock-based atomic would lock only this process");
    return std::atomic_ref<std::uint32_t>(*sleepers_);
  }

 private:
  void* word_;
  std::uint32_t* sleepers_;
  bool wide_;
};

/// What a waiter depends on: a process that is expected to change the word
/// (the producer of a Future, the process computing a Lazy). `dead` returns
/// true, and the owner's pid in *who, when that process is known dead; it
/// must re-check that the word still names that owner (no false alarm after
/// a takeover).
struct OwnerCheck {
  bool (*dead)(const void* context, pid_t* who) noexcept = nullptr;
  const void* context = nullptr;
};

enum class WaitResult {
  kChanged,    // the word no longer holds the value: `value` is what it holds now
  kTimedOut,   // the deadline passed with the word unchanged
  kOwnerDead,  // the owner died with the word unchanged: `owner` is its pid
};

struct WaitStatus {
  WaitResult result;
  std::uint64_t value = 0;  // the word as last read
  pid_t owner = 0;          // kOwnerDead: the dead owner
  std::size_t index = 0;    // wait_any, kChanged: which word changed
};

/// Blocks while `word` holds `expected`: spins briefly, then sleeps on the
/// futex in slices (see the top of this file). Returns when the word changes
/// (acquire: (W3)), when `deadline` passes, or when `owner` (if given) is dead.
inline WaitStatus wait_while_equal(const WaitWord& word, std::uint64_t expected,
                                   const Deadline& deadline,
                                   const OwnerCheck* owner = nullptr) noexcept {
  using Clock = Deadline::Clock;
  for (unsigned i = 0; i < kWaitSpins; ++i) {
    const std::uint64_t v = word.load(std::memory_order_acquire);  // (W3)
    if (v != expected) return {WaitResult::kChanged, v};
    variants::detail::cpu_relax();
  }
  const std::chrono::nanoseconds interval =
      owner != nullptr ? std::chrono::nanoseconds(kOwnerCheckInterval)
                       : std::chrono::nanoseconds(kLostWakeInterval);
  Clock::time_point next_check = Clock::now() + interval;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (owner != nullptr && now >= next_check) {
      pid_t who = 0;
      const bool dead = owner->dead(owner->context, &who);
      const std::uint64_t v = word.load(std::memory_order_acquire);  // (W3)
      if (v != expected) return {WaitResult::kChanged, v};
      if (dead) return {WaitResult::kOwnerDead, v, who};
      next_check = now + interval;
    }
    if (deadline.passed(now)) {
      const std::uint64_t v = word.load(std::memory_order_acquire);  // (W3)
      return {v != expected ? WaitResult::kChanged : WaitResult::kTimedOut, v};
    }
    const std::chrono::nanoseconds until_check =
        owner != nullptr ? std::chrono::duration_cast<std::chrono::nanoseconds>(next_check - now) : interval;
    const std::chrono::nanoseconds slice = std::min(deadline.remaining(now), until_check);

    word.sleepers().fetch_add(1, std::memory_order_seq_cst);             // (W1)
    if (word.load(std::memory_order_seq_cst) == expected) {              // (W2)
      futex_wait(word.futex_address(), WaitWord::futex_value(expected), slice);
    }
    word.sleepers().fetch_sub(1, std::memory_order_relaxed);
    const std::uint64_t v = word.load(std::memory_order_acquire);        // (W3)
    if (v != expected) return {WaitResult::kChanged, v};
  }
}

/// Wakes every process asleep on `word`. Call after a seq_cst change (N1).
inline void wake_all(const WaitWord& word) noexcept {
  if (word.sleepers().load(std::memory_order_seq_cst) != 0) {  // (N2)
    futex_wake(word.futex_address(), INT_MAX);
  }
}

/// Wakes one process asleep on `word` (e.g. one blocked sender per freed
/// slot). Only for words whose waiters all wait for the same thing: a
/// wait_any() sleeper may take the wake. Call after a seq_cst change (N1).
inline void wake_one(const WaitWord& word) noexcept {
  if (word.sleepers().load(std::memory_order_seq_cst) != 0) {  // (N2)
    futex_wake(word.futex_address(), 1);
  }
}

/// One word of a wait_any(): wait while it holds `expected`.
struct WaitTarget {
  WaitWord word;
  std::uint64_t expected;
};

namespace wait_detail {

inline std::optional<std::size_t> first_changed(std::span<const WaitTarget> targets,
                                                std::memory_order order) noexcept {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    if (targets[i].word.load(order) != targets[i].expected) return i;
  }
  return std::nullopt;
}

/// FUTEX_WAITV (Linux 5.16+) on up to FUTEX_WAITV_MAX words, process-shared
/// (no FUTEX2_PRIVATE), with an absolute CLOCK_MONOTONIC timeout (the clock
/// of std::chrono::steady_clock). Returns false if the kernel lacks it.
inline bool futex_waitv_until(std::span<const WaitTarget> targets, const Deadline& until) noexcept {
  std::array<futex_waitv, FUTEX_WAITV_MAX> waiters{};
  const std::size_t n = std::min<std::size_t>(targets.size(), FUTEX_WAITV_MAX);
  for (std::size_t i = 0; i < n; ++i) {
    waiters[i].val = WaitWord::futex_value(targets[i].expected);
    waiters[i].uaddr = reinterpret_cast<std::uintptr_t>(targets[i].word.futex_address());
    waiters[i].flags = FUTEX_32;
  }
  timespec ts{};
  const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(
      until.when().time_since_epoch());
  ts.tv_sec = static_cast<time_t>(since_epoch.count() / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(since_epoch.count() % 1'000'000'000);
  const long rc = ::syscall(SYS_futex_waitv, waiters.data(), static_cast<unsigned>(n), 0u,
                            until.is_forever() ? nullptr : &ts, CLOCK_MONOTONIC);
  return !(rc < 0 && errno == ENOSYS);
}

}  // namespace wait_detail

/// Blocks while every target's word holds its expected value: returns the
/// index of a word that changed (kChanged), or kTimedOut at `deadline`.
/// Sleeps on all of them at once with FUTEX_WAITV, so no word is polled;
/// past FUTEX_WAITV_MAX (128) targets, the rest are checked whenever the
/// sleep ends, at most kLostWakeInterval apart. Owners are not checked here:
/// pass a deadline one slice away and check them between calls. Without
/// FUTEX_WAITV (kernels before 5.16) it sleeps on one word at a time, 1 ms
/// each, in turns: a change on another word is seen within a millisecond.
inline WaitStatus wait_any(std::span<const WaitTarget> targets, const Deadline& deadline) noexcept {
  using Clock = Deadline::Clock;
  if (targets.empty()) return {WaitResult::kTimedOut};
  for (unsigned i = 0; i < kWaitSpins; ++i) {
    if (auto c = wait_detail::first_changed(targets, std::memory_order_acquire)) {  // (W3)
      return {WaitResult::kChanged, targets[*c].word.load(std::memory_order_relaxed), 0, *c};
    }
    variants::detail::cpu_relax();
  }
  const std::size_t watched = std::min<std::size_t>(targets.size(), FUTEX_WAITV_MAX);
  static std::atomic<bool> have_waitv{true};
  std::size_t turn = 0;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (deadline.passed(now)) break;
    Deadline slice = deadline.earlier(Deadline::at(now + kLostWakeInterval));
    for (std::size_t i = 0; i < watched; ++i) {
      targets[i].word.sleepers().fetch_add(1, std::memory_order_seq_cst);  // (W1)
    }
    if (!wait_detail::first_changed(targets, std::memory_order_seq_cst)) {  // (W2)
      if (!have_waitv.load(std::memory_order_relaxed) ||
          !wait_detail::futex_waitv_until(targets.first(watched), slice)) {
        have_waitv.store(false, std::memory_order_relaxed);
        const WaitTarget& t = targets[turn++ % watched];
        slice = slice.earlier(Deadline::at(now + std::chrono::milliseconds(1)));
        futex_wait(t.word.futex_address(), WaitWord::futex_value(t.expected), slice.remaining());
      }
    }
    for (std::size_t i = 0; i < watched; ++i) {
      targets[i].word.sleepers().fetch_sub(1, std::memory_order_relaxed);
    }
    if (auto c = wait_detail::first_changed(targets, std::memory_order_acquire)) {  // (W3)
      return {WaitResult::kChanged, targets[*c].word.load(std::memory_order_relaxed), 0, *c};
    }
  }
  if (auto c = wait_detail::first_changed(targets, std::memory_order_acquire)) {  // (W3)
    return {WaitResult::kChanged, targets[*c].word.load(std::memory_order_relaxed), 0, *c};
  }
  return {WaitResult::kTimedOut};
}

}  // namespace zeroipc::detail
