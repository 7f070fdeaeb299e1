// zeroipc/detail/channel_core.h — the algorithm of Channel<T> on untyped
// elements of element_size bytes: one copy of the code for every T, and one
// type that select() can drive for any channel. The design, the memory-
// ordering pairs and the crash table are in zeroipc/channel.h; the bytes in
// detail/channel_layout.h and SPECIFICATION.md §7.6.
//
// Every change of the channel happens under its owner lock, in this order:
//
//   lock (C1) -> check -> copy the element -> bump the epoch (C3) -> commit (one store) -> unlock (C2) -> wake
//
// The bump comes *before* the commit so that a holder killed between the two
// leaves a spurious wake-up, never a sleeper that missed a change: a woken
// waiter then queues on the lock, takes it over from the dead holder (which
// also bumps both epochs) and sees the commit or its absence.
#pragma once

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "zeroipc/detail/channel_layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/wait.h"
#include "zeroipc/error.h"
#include "zeroipc/future.h"  // the §7.4 state-word encoding (detail::codata), deadline_after, codata_where
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc {

namespace detail {

enum class SendStatus { kSent, kNotReady };               // kNotReady: full, no taker, or timed out
enum class RecvStatus { kReceived, kNotReady, kClosed };  // kClosed: closed and drained

/// How long a non-blocking send on a rendezvous channel (try_send, a select
/// send case) that saw a receiver waiting lets it take the offer before
/// withdrawing it; it withdraws at once when no receiver is waiting any more.
/// A woken receiver takes it within microseconds on an idle machine; the
/// margin is for a loaded one (a sanitizer build on 2 busy cores missed 20 ms).
inline constexpr std::chrono::milliseconds kHandoffGrace{100};
/// Extra time a timed operation gives a live lock holder beyond its own
/// deadline (a holder keeps the lock for microseconds unless it is stopped).
inline constexpr std::chrono::milliseconds kLockSlack{50};

class ChannelCore {
 public:
  /// Checks the channel-specific header fields of `opened`; `requested` is
  /// the capacity the caller asked for (nullopt: any).
  ChannelCore(std::shared_ptr<Mapping> mapping, std::string_view name, const OpenedStructure& opened,
              std::uint32_t element_size, std::optional<std::uint64_t> requested)
      : mapping_(std::move(mapping)),
        name_(name),
        layout_(reinterpret_cast<ChannelLayout*>(opened.base)),
        cells_(opened.base + kChannelCellsOffset),
        created_(opened.created) {
    // open_structure() checked kind, element size, and total_size against
    // capacity on this private copy; everything below comes from it too.
    const StructHeader& h = opened.header;
    std::uint64_t declared = 0;
    std::memcpy(&declared, h.kind_specific + (kChannelCapacityField - offsetof(StructHeader, kind_specific)),
                sizeof declared);
    if (opened.capacity != h.capacity || (declared == 0 ? h.capacity != 1 : declared != h.capacity)) {
      throw CorruptSegment(where() + ": header says " + std::to_string(h.capacity) +
                           " cells and channel capacity " + std::to_string(declared) +
                           " (expected equal, or 1 cell for a rendezvous channel of capacity 0)");
    }
    if (requested && *requested != declared) {
      throw Mismatch(where() + ": exists with " + capacity_text(declared) + ", requested " +
                     capacity_text(*requested));
    }
    element_size_ = element_size;
    capacity_ = declared;
    mask_ = channel::slot_count(h.capacity) - 1;
  }

  // ------------------------------------------------------------------ operations

  /// Sends `value` (element_size bytes). Blocks until there is room (buffered)
  /// or a receiver took it (rendezvous), or `deadline`. try_only: never waits
  /// for room; a rendezvous send then offers only if a receiver is waiting,
  /// and waits kHandoffGrace for it. Throws ChannelClosed.
  SendStatus send(const void* value, const Deadline& deadline, bool try_only) {
    if (try_only && surely_no_room()) return SendStatus::kNotReady;
    return capacity_ == 0 ? send_rendezvous(value, deadline, try_only) : send_buffered(value, deadline, try_only);
  }

  /// Receives into `out`. Blocks until an element is there, the channel is
  /// closed and drained, or `deadline`. try_only: never waits.
  RecvStatus receive(void* out, const Deadline& deadline, bool try_only) {
    if (try_only && surely_nothing_to_receive()) return RecvStatus::kNotReady;
    return capacity_ == 0 ? receive_rendezvous(out, deadline, try_only) : receive_buffered(out, deadline, try_only);
  }

  /// Closes the channel; true if this call closed it, false if it was closed.
  bool close() {
    Guard g(*this);
    g.acquire(Deadline::forever());
    if (load_closed()) return false;
    bump(layout_->data_epoch);  // (C3) wakes receivers (they drain, then see closed) ...
    bump(layout_->space_epoch);  // ... and senders (they throw, or withdraw their offer)
    g.wake_data();
    g.wake_space();
    channel_crash_point(ChannelCrashPoint::kClosing);
    atomic_of(layout_->closed_by).store(static_cast<std::uint32_t>(current_pid()), std::memory_order_relaxed);
    atomic_of(layout_->closed).store(1, std::memory_order_release);  // (C6)
    return true;
  }

  // ------------------------------------------------------------------ state

  [[nodiscard]] bool is_closed() const noexcept {
    return atomic_of(layout_->closed).load(std::memory_order_acquire) != 0;  // (C7)
  }
  [[nodiscard]] pid_t closed_by() const noexcept {
    return static_cast<pid_t>(atomic_of(layout_->closed_by).load(std::memory_order_relaxed));
  }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint32_t element_size() const noexcept { return element_size_; }
  [[nodiscard]] std::uint64_t size_approx() const noexcept {
    const std::uint64_t t = atomic_of(layout_->tail).load(std::memory_order_relaxed);
    const std::uint64_t h = atomic_of(layout_->head).load(std::memory_order_relaxed);
    const std::uint64_t d = t - h;  // modulo 2^64; a receive between the loads reads as 0
    return static_cast<std::int64_t>(d) > 0 ? std::min(d, capacity_) : 0;
  }
  /// Rendezvous: the process whose offer is posted now, 0 if none.
  [[nodiscard]] pid_t offer_owner() const noexcept {
    const std::uint64_t w = atomic_of(layout_->handoff).load(std::memory_order_acquire);
    return codata::phase(w) == channel::kOffered ? offer_pid(w) : 0;
  }
  /// Rendezvous: receivers (and selects) blocked for an offer, as counted in the segment.
  [[nodiscard]] std::uint32_t receivers_waiting() const noexcept {
    return atomic_of(layout_->receivers_waiting).load(std::memory_order_relaxed);
  }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool created() const noexcept { return created_; }
  [[nodiscard]] std::string where() const { return codata_where(*mapping_, "channel", name_); }

  // ------------------------------------------------------------------ for select()

  /// The word a receiver sleeps on, and its value now.
  [[nodiscard]] WaitTarget data_target() const noexcept {
    return {data_word(), atomic_of(layout_->data_epoch).load(std::memory_order_seq_cst)};
  }
  /// The word a sender sleeps on, and its value now.
  [[nodiscard]] WaitTarget space_target() const noexcept {
    return {space_word(), atomic_of(layout_->space_epoch).load(std::memory_order_seq_cst)};
  }
  /// Rendezvous: counts this process as a receiver waiting for an offer
  /// (so try_send and select send cases offer to it) until unregister_receiver().
  void register_receiver() {
    Guard g(*this);
    g.acquire(Deadline::forever());
    register_locked(g);
  }
  void unregister_receiver() noexcept {
    Guard g(*this);
    g.acquire(Deadline::forever());
    unregister_locked(g);
  }

  [[noreturn]] void throw_closed(const std::string& what) const {
    throw ChannelClosed(where() + ": " + what + " (closed by process " + std::to_string(closed_by()) + ")");
  }

 private:
  // The owner lock, with the wakes its holder owes: made after the unlock.
  class Guard {
   public:
    explicit Guard(const ChannelCore& c) noexcept : c_(c) {}
    ~Guard() { release(); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

    /// Takes the lock; false if a live holder kept it past `deadline` + kLockSlack.
    bool acquire(const Deadline& deadline) noexcept {
      ChannelLayout& l = *c_.layout_;
      for (;;) {
        const std::chrono::nanoseconds patience =
            deadline.is_forever() ? std::chrono::nanoseconds(std::chrono::hours(1))
                                  : deadline.remaining() + std::chrono::nanoseconds(kLockSlack);
        const OwnerLockResult r = owner_lock_acquire(l.lock, l.lock_pid, patience);  // (C1)
        if (r.outcome == OwnerLockResult::kTimedOut) {
          if (deadline.is_forever()) continue;
          return false;
        }
        held_ = true;
        if (r.outcome == OwnerLockResult::kTakenOver) {
          // The dead holder may have stopped between any two steps; every
          // state it can leave is consistent (one commit store per change),
          // but its wake never came: make every sleeper look again.
          c_.bump(l.data_epoch);
          c_.bump(l.space_epoch);
          wake_data_ = wake_space_ = true;
        }
        channel_crash_point(ChannelCrashPoint::kLocked);
        return true;
      }
    }
    void release() noexcept {
      if (held_) {
        held_ = false;
        owner_lock_release(c_.layout_->lock, c_.layout_->lock_pid);  // (C2)
      }
      if (wake_data_) wake_all(c_.data_word());    // (N2)
      if (wake_space_) wake_all(c_.space_word());  // (N2)
      wake_data_ = wake_space_ = false;
    }
    void wake_data() noexcept { wake_data_ = true; }
    void wake_space() noexcept { wake_space_ = true; }

   private:
    const ChannelCore& c_;
    bool held_ = false;
    bool wake_data_ = false;
    bool wake_space_ = false;
  };

  [[nodiscard]] WaitWord data_word() const noexcept { return {layout_->data_epoch, layout_->data_sleepers}; }
  [[nodiscard]] WaitWord space_word() const noexcept { return {layout_->space_epoch, layout_->space_sleepers}; }
  void bump(std::uint64_t& epoch) const noexcept {
    atomic_of(epoch).fetch_add(1, std::memory_order_seq_cst);  // (C3) = wait.h (N1)
  }
  [[nodiscard]] std::byte* cell(std::uint64_t position) const noexcept {
    return cells_ + (position & mask_) * element_size_;  // mask_ is our own copy: always in bounds
  }

  static constexpr const char* kClosedAlready = "cannot send: the channel is closed";
  static constexpr const char* kClosedWhileWaiting =
      "send interrupted: the channel was closed while this send waited for room (the value was not sent)";

  static std::string capacity_text(std::uint64_t c) {
    return c == 0 ? std::string("capacity 0 (rendezvous)") : "capacity " + std::to_string(c) + " (buffered)";
  }

  // ---- reads of the segment, checked (it is untrusted input)

  bool load_closed() const {
    const std::uint32_t c = atomic_of(layout_->closed).load(std::memory_order_relaxed);
    if (c > 1) throw CorruptSegment(where() + ": `closed` holds " + std::to_string(c) + " (expected 0 or 1)");
    return c != 0;
  }
  // Under the lock: head and tail, at most `capacity` apart.
  void load_positions(std::uint64_t& head, std::uint64_t& tail) const {
    head = atomic_of(layout_->head).load(std::memory_order_relaxed);
    tail = atomic_of(layout_->tail).load(std::memory_order_relaxed);
    if (tail - head > capacity_) {
      throw CorruptSegment(where() + ": head " + std::to_string(head) + " and tail " + std::to_string(tail) +
                           " are more than the capacity " + std::to_string(capacity_) + " apart");
    }
  }
  std::uint64_t load_handoff() const {
    const std::uint64_t w = atomic_of(layout_->handoff).load(std::memory_order_relaxed);
    if (codata::phase(w) > channel::kOffered) {
      throw CorruptSegment(where() + ": unknown handoff phase " + std::to_string(codata::phase(w)) +
                           " (expected 0 empty or 1 offered)");
    }
    return w;
  }

  // ---- the lock-free "not ready" answer of try_* (and select's first look)
  //
  // A polling receiver must not take the lock to learn that the channel is
  // empty: it would contend with the very sender it waits for, and a sender
  // that finds the lock held by a receiver that was preempted while holding
  // it waits a scheduler slice (a spinning ping-pong on a loaded machine went
  // from 2 us to 12 ms per round trip). These reads decide only "not ready",
  // never an operation: anything else goes to the locked path, which decides
  // again. Each answer was true at the moment of its last load (positions
  // only grow, and head <= tail), so the try_* stays linearizable. A closed
  // channel always takes the locked path (a send must throw; a receive must
  // drain, then report the end), and so does anything a valid channel
  // cannot hold (a corrupt segment gets its clear error there).

  // Empty, and open, when its last load ran.
  bool surely_nothing_to_receive() const noexcept {
    if (atomic_of(layout_->closed).load(std::memory_order_acquire) != 0) return false;  // (C7)
    if (capacity_ == 0) {
      return codata::phase(atomic_of(layout_->handoff).load(std::memory_order_acquire)) == channel::kEmpty;
    }
    // head first: tail(t2) == head(t1) <= head(t2) <= tail(t2) means empty at t2.
    const std::uint64_t h = atomic_of(layout_->head).load(std::memory_order_acquire);
    return atomic_of(layout_->tail).load(std::memory_order_relaxed) == h;
  }
  // No room (buffered: full; rendezvous: no receiver waiting), and open.
  bool surely_no_room() const noexcept {
    if (atomic_of(layout_->closed).load(std::memory_order_acquire) != 0) return false;  // (C7)
    if (capacity_ == 0) return receivers_waiting() == 0;
    // tail first: head(t2) + capacity == tail(t1) <= tail(t2) means full at t2.
    const std::uint64_t t = atomic_of(layout_->tail).load(std::memory_order_acquire);
    return t - atomic_of(layout_->head).load(std::memory_order_relaxed) == capacity_;
  }

  // ---- rendezvous bookkeeping (under the lock)

  void register_locked(Guard& g) const noexcept {
    bump(layout_->space_epoch);  // (C3) a non-blocking sender waiting for a taker looks again
    g.wake_space();
    atomic_of(layout_->receivers_waiting).fetch_add(1, std::memory_order_relaxed);
  }
  void unregister_locked(Guard& g) const noexcept {
    bump(layout_->space_epoch);  // (C3) a non-blocking sender waiting for a taker may give up now
    g.wake_space();
    auto n = atomic_of(layout_->receivers_waiting);
    if (const std::uint32_t v = n.load(std::memory_order_relaxed); v != 0) n.store(v - 1, std::memory_order_relaxed);
  }

  // The pid recorded for offer `w` (0 if not known; future.h (O3)-(O5), on handoff_tag/pid).
  pid_t offer_pid(std::uint64_t w) const noexcept {
    const std::uint32_t tag = atomic_of(layout_->handoff_tag).load(std::memory_order_acquire);  // (O3)
    const std::uint64_t pid = atomic_of(layout_->handoff_pid).load(std::memory_order_acquire);  // (O4)
    if (tag != codata::owner(w) || pid == 0 || pid > INT_MAX) return 0;
    return atomic_of(layout_->handoff).load(std::memory_order_acquire) == w ? static_cast<pid_t>(pid) : 0;  // (O5)
  }
  // True (and the pid in *who) when the sender that posted offer `w` is dead
  // and `w` is still posted. Its identity is its key, inside `w`.
  bool offer_dead(std::uint64_t w, pid_t* who) const noexcept {
    *who = offer_pid(w);
    if (owner_alive(layout_, codata::owner(w))) return false;
    return atomic_of(layout_->handoff).load(std::memory_order_acquire) == w;  // (O5)
  }
  static bool probe_offer(const void* self, pid_t* who) noexcept {
    const auto* c = static_cast<const ChannelCore*>(self);
    const std::uint64_t w = atomic_of(c->layout_->handoff).load(std::memory_order_acquire);
    return codata::phase(w) == channel::kOffered && c->offer_dead(w, who);
  }
  // Withdraws offer `w` of a dead sender (its in-flight element) if it is still posted.
  void reap_offer(std::uint64_t w) {
    Guard g(*this);
    g.acquire(Deadline::forever());
    if (load_handoff() != w) return;
    bump(layout_->space_epoch);  // (C3)
    g.wake_space();
    atomic_of(layout_->handoff).store(codata::next(w, channel::kEmpty, 0), std::memory_order_release);  // (C4)
  }

  // ---- buffered

  SendStatus send_buffered(const void* value, const Deadline& deadline, bool try_only) {
    for (bool waited = false;; waited = true) {
      Guard g(*this);
      if (!g.acquire(deadline)) return SendStatus::kNotReady;
      if (load_closed()) throw_closed(waited ? kClosedWhileWaiting : kClosedAlready);
      std::uint64_t h = 0, t = 0;
      load_positions(h, t);
      if (t - h < capacity_) {
        std::memcpy(cell(t), value, element_size_);
        channel_crash_point(ChannelCrashPoint::kWritten);
        bump(layout_->data_epoch);  // (C3) before the commit
        g.wake_data();
        atomic_of(layout_->tail).store(t + 1, std::memory_order_relaxed);  // the commit
        channel_crash_point(ChannelCrashPoint::kPublished);
        return SendStatus::kSent;
      }
      if (try_only) return SendStatus::kNotReady;
      const std::uint64_t seen = atomic_of(layout_->space_epoch).load(std::memory_order_relaxed);
      g.release();
      if (wait_while_equal(space_word(), seen, deadline).result == WaitResult::kTimedOut) {
        return SendStatus::kNotReady;
      }
    }
  }

  RecvStatus receive_buffered(void* out, const Deadline& deadline, bool try_only) {
    for (;;) {
      Guard g(*this);
      if (!g.acquire(deadline)) return RecvStatus::kNotReady;
      std::uint64_t h = 0, t = 0;
      load_positions(h, t);
      if (t != h) {
        std::memcpy(out, cell(h), element_size_);
        bump(layout_->space_epoch);  // (C3) before the commit
        g.wake_space();
        atomic_of(layout_->head).store(h + 1, std::memory_order_relaxed);  // the commit
        channel_crash_point(ChannelCrashPoint::kTaken);
        return RecvStatus::kReceived;
      }
      if (load_closed()) return RecvStatus::kClosed;  // closed and drained
      if (try_only) return RecvStatus::kNotReady;
      const std::uint64_t seen = atomic_of(layout_->data_epoch).load(std::memory_order_relaxed);
      g.release();
      if (wait_while_equal(data_word(), seen, deadline).result == WaitResult::kTimedOut) {
        return RecvStatus::kNotReady;
      }
    }
  }

  // ---- rendezvous: one offer at a time in cell 0, taken by one receiver

  SendStatus send_rendezvous(const void* value, const Deadline& deadline, bool try_only) {
    const std::uint32_t me = self_key();
    const OwnerCheck check{&probe_offer, this};
    std::uint64_t offer = 0;
    std::uint64_t seen = 0;
    for (bool waited = false;; waited = true) {  // 1. post the offer once the cell is empty
      Guard g(*this);
      if (!g.acquire(deadline)) return SendStatus::kNotReady;
      if (load_closed()) throw_closed(waited ? kClosedWhileWaiting : kClosedAlready);
      const std::uint64_t w = load_handoff();
      if (codata::phase(w) == channel::kEmpty && (!try_only || receivers_waiting() != 0)) {
        std::memcpy(cell(0), value, element_size_);
        channel_crash_point(ChannelCrashPoint::kWritten);
        offer = codata::next(w, channel::kOffered, me);
        atomic_of(layout_->handoff_pid).store(static_cast<std::uint64_t>(current_pid()), std::memory_order_release);  // (O1)
        atomic_of(layout_->handoff_tag).store(me, std::memory_order_release);  // (O2)
        bump(layout_->data_epoch);  // (C3) before the commit
        g.wake_data();
        atomic_of(layout_->handoff).store(offer, std::memory_order_release);  // (C4) the commit
        channel_crash_point(ChannelCrashPoint::kPublished);
        seen = atomic_of(layout_->space_epoch).load(std::memory_order_relaxed);
        break;
      }
      if (try_only) return SendStatus::kNotReady;
      seen = atomic_of(layout_->space_epoch).load(std::memory_order_relaxed);
      g.release();
      // Another sender's offer is posted: wait for its take, checking that
      // sender's life: a dead one's offer is withdrawn on its behalf.
      const WaitStatus s = wait_while_equal(space_word(), seen, deadline,
                                            codata::phase(w) == channel::kOffered ? &check : nullptr);
      if (s.result == WaitResult::kOwnerDead) reap_offer(w);
      if (s.result == WaitResult::kTimedOut) return SendStatus::kNotReady;
    }
    channel_crash_point(ChannelCrashPoint::kOffered);
    // 2. wait for a receiver to take it; on timeout or close (or, when
    //    try_only, once no receiver waits), withdraw it unless it was taken
    //    first (the lock decides).
    const Deadline until = try_only ? Deadline::after(kHandoffGrace) : deadline;
    for (;;) {
      if (atomic_of(layout_->handoff).load(std::memory_order_acquire) != offer) return SendStatus::kSent;  // (C5)
      const bool closed = is_closed();  // (C7)
      if (!closed && !(try_only && receivers_waiting() == 0)) {
        const WaitStatus s = wait_while_equal(space_word(), seen, until);
        seen = s.value;
        if (s.result != WaitResult::kTimedOut) continue;
      }
      Guard g(*this);
      g.acquire(Deadline::forever());
      if (load_handoff() != offer) return SendStatus::kSent;  // taken at the last moment
      bump(layout_->space_epoch);  // (C3)
      g.wake_space();
      atomic_of(layout_->handoff).store(codata::next(offer, channel::kEmpty, 0), std::memory_order_release);  // (C4)
      if (load_closed()) {
        throw_closed("send interrupted: the channel was closed while this send waited for a receiver "
                     "(the value was withdrawn, not received)");
      }
      return SendStatus::kNotReady;
    }
  }

  RecvStatus receive_rendezvous(void* out, const Deadline& deadline, bool try_only) {
    bool registered = false;
    for (;;) {
      Guard g(*this);
      // Once counted in receivers_waiting, this receiver must come back to uncount itself.
      if (!g.acquire(registered ? Deadline::forever() : deadline)) return RecvStatus::kNotReady;
      const std::uint64_t w = load_handoff();
      if (codata::phase(w) == channel::kOffered) {
        std::memcpy(out, cell(0), element_size_);
        bump(layout_->space_epoch);  // (C3) before the commit: wakes the offering sender
        g.wake_space();
        atomic_of(layout_->handoff).store(codata::next(w, channel::kEmpty, 0), std::memory_order_release);  // (C4)
        if (registered) unregister_locked(g);
        channel_crash_point(ChannelCrashPoint::kTaken);
        return RecvStatus::kReceived;
      }
      const bool closed = load_closed();
      if (closed || try_only || deadline.passed()) {
        if (registered) unregister_locked(g);
        return closed ? RecvStatus::kClosed : RecvStatus::kNotReady;
      }
      if (!registered) {
        register_locked(g);
        registered = true;
      }
      const std::uint64_t seen = atomic_of(layout_->data_epoch).load(std::memory_order_relaxed);
      g.release();
      wait_while_equal(data_word(), seen, deadline);  // then one more look under the lock
    }
  }

  std::shared_ptr<Mapping> mapping_;  // keeps the segment mapped
  std::string name_;
  ChannelLayout* layout_;
  std::byte* cells_;
  bool created_;
  std::uint32_t element_size_ = 0;
  std::uint64_t capacity_ = 0;  // 0 = rendezvous
  std::uint64_t mask_ = 0;      // slots - 1
};

}  // namespace detail
}  // namespace zeroipc
