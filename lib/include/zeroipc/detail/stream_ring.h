// zeroipc/detail/stream_ring.h — one Stream in one mapping: the producer's
// side (publish, backpressure, close) and the subscribers' side (slots,
// reading a cell, waiting). Not templated on T: it moves element_size bytes.
// The layout is in stream_layout.h; the public API in zeroipc/stream.h.
//
// Memory ordering (numbers used in the code):
//   Publishing an item at position w (one producer):
//   (P1) cell.seq = writing(w), relaxed;  (P2) the element as release word
//        stores (store_words), so (P1) is ordered before each of them;
//   (P3) cell.seq = holding(w), release;  (P4) CAS published p -> p + 2,
//        seq_cst: it is (N1) of wait.h, followed by wake_all (N2).
//   (R1) a reader's acquire load of `published` pairs with (P4): every cell
//        below the count it reads holds its position (P3 before P4). In
//        block mode a reader keeps that count (Reader::known) and reloads
//        `published` only when it has read up to it.
//   (R2) acquire load of cell.seq, (R3) the element as acquire word loads
//        (load_words), (R4) cell.seq re-loaded: if a load in (R3) read a word
//        of a later write, it synchronizes with that write's (P2), which
//        follows its (P1), so (R4) sees a changed seq and the copy is
//        discarded (a sequence lock per cell).
//   Backpressure (Dekker on seq_cst): (B1) a subscriber stores its cursor and
//   then (B2) loads `resume_at`; the blocked producer stores (B3) `resume_at`
//   and then (B4) re-loads every cursor. Either (B4) sees (B1) (room: no
//   sleep) or (B2) sees (B3) and the subscriber whose cursor reaches
//   resume_at bumps `epoch` (N1) and wakes the producer (N2); the producer
//   loaded `epoch` before (B3), so it cannot sleep through that bump.
//   Joining: (J1) high_water raised, (J2) slot made active, (J3) `published`
//   loaded, all seq_cst, then the cursor stored at the count (J3) read. A
//   producer scan (S1) that loads high_water/slots before (J1)/(J2) in the
//   total order is followed by (J3), which then reads a count >= the
//   position being written, so the new cursor is never behind the limit the
//   producer computed without it: the producer's cached limit stays safe.
//   Ending: (C1) end_reason CAS 0 -> reason, then (C2) `published` |= 1
//   (seq_cst, N1): a reader that sees the bit (R1) sees the reason.
//   Coalesced wakes: a woken reader stays counted in `reader_sleepers` until
//   it runs again, and wait.h's notifier wakes while that count is non-zero:
//   on a loaded machine (here: 2 cores, load 3) that made every emit a wake
//   system call (~2 futex calls per item, 1.4 M items/s with one subscriber
//   thread). So (A1) a reader raises `sleep_at` to the value v it will sleep
//   on, seq_cst, before wait.h's (W1); the producer, after (N1), loads
//   `reader_sleepers` (N2) and then (A2) `sleep_at`, seq_cst, and calls
//   wake_all only if sleep_at >= woke_at_, the value of `published` its last
//   wake followed. A sleeper on v < woke_at_ was woken by that wake (or the
//   kernel saw the word had changed). If (A2) misses (A1), it precedes it,
//   so that reader's (W2) follows (N1) and it does not sleep; if (A1) was
//   skipped because sleep_at was already >= v, its load preceded (W1), which
//   (N2) saw, so (A2) reads at least that value.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/detail/stream_slots.h"
#include "zeroipc/detail/stream_wait.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/wait.h"
#include "zeroipc/error.h"
#include "zeroipc/future.h"  // store_words, load_words, codata_where
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc {

/// What emit() does when the slowest live subscriber is `capacity` behind.
enum class Overflow : std::uint32_t {
  block = 0,        // wait until it has read one (or is found dead and released)
  drop_oldest = 1,  // overwrite the oldest item; that subscriber's missed() grows
};

/// Why a stream ended (Cursor::end_reason(), Subscription::end_reason()).
using StreamEnd = detail::stream::EndReason;

namespace detail::stream {

/// What feeds a stream, for messages.
inline const char* origin_name(Origin o) noexcept {
  switch (o) {
    case Origin::emit: return "emit()";
    case Origin::map: return "map";
    case Origin::filter: return "filter";
    case Origin::fold: return "fold";
    case Origin::take: return "take";
    case Origin::skip: return "skip";
    case Origin::window_count: return "window (by count)";
    case Origin::window_time: return "window (by time)";
    case Origin::merge: return "merge";
    case Origin::zip: return "zip";
    case Origin::unfold: return "unfold";
  }
  return "an unknown origin";
}

inline const char* end_text(EndReason r) noexcept {
  switch (r) {
    case EndReason::open: return "open";
    case EndReason::closed: return "closed";
    case EndReason::producer_gone: return "its producer died or exited";
    case EndReason::operator_stopped: return "its operator was stopped";
    case EndReason::operator_failed: return "its operator failed";
  }
  return "?";
}

/// A subscriber's private view of its slot: never re-read from the segment.
struct Reader {
  std::uint32_t index = 0;
  std::uint64_t claim = 0;     // the slot's state while we own it
  std::uint64_t position = 0;  // next position to read
  std::uint64_t known = 0;     // a count of `published` already seen: positions below it need no (R1)
  std::uint64_t missed = 0;
  EndReason end = EndReason::open;
  bool joined = false;
};

enum class Read { kItem, kEmpty, kEnd };
enum class Publish { kDone, kTimedOut, kCancelled };

class StreamCore {
 public:
  StreamCore(std::shared_ptr<Mapping> mapping, const OpenedStructure& opened, std::string_view name)
      : mapping_(std::move(mapping)), base_(opened.base), l_(reinterpret_cast<StreamLayout*>(base_)),
        name_(name), where_(codata_where(*mapping_, "stream", name_)), created_(opened.created),
        capacity_(opened.capacity), slots_(l_, capacity_, &where_) {
    const StructHeader& h = opened.header;  // the copy open_structure() checked: never re-read
    StreamConfig c{};
    std::memcpy(&c, h.kind_specific, sizeof c);
    element_size_ = h.element_size;
    stride_ = stride_of(element_size_);
    if (c.subscriber_slots != kSubscriberSlots || c.overflow > 1 || c.origin > kMaxOrigin) {
      throw CorruptSegment(where() + ": bad stream config (subscriber_slots " +
                           std::to_string(c.subscriber_slots) + ", expected 64; overflow " +
                           std::to_string(c.overflow) + ", expected 0 or 1; origin " +
                           std::to_string(c.origin) + ", expected 0..10)");
    }
    overflow_ = static_cast<Overflow>(c.overflow);
    origin_ = static_cast<Origin>(c.origin);
    // Written at creation, and again only when a process revives the
    // stream (revive()): read from the segment at every use, never cached.
    const std::uint32_t key = producer_key();
    if (key == 0 || key > kOwnerKeyMask) {
      throw CorruptSegment(where() + ": producer key " + std::to_string(key) +
                           " is not an owner key (expected 1..2^31 - 1)");
    }
    if (overflow_ == Overflow::drop_oldest) limit_ = ~std::uint64_t{0};
  }
  StreamCore(const StreamCore&) = delete;
  StreamCore& operator=(const StreamCore&) = delete;

  /// Writes the body of a new stream (under the table lock, before it is published).
  static void init(std::byte* base, Overflow overflow, Origin origin) noexcept {
    StreamConfig c{};
    c.subscriber_slots = kSubscriberSlots;
    c.overflow = static_cast<std::uint32_t>(overflow);
    c.origin = static_cast<std::uint32_t>(origin);
    std::memcpy(base + offsetof(StructHeader, kind_specific), &c, sizeof c);
    auto* l = reinterpret_cast<StreamLayout*>(base);
    l->producer_pid = static_cast<std::uint32_t>(current_pid());
    l->producer_key = self_key();
    l->producer_start = self_start_time();
  }

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] bool created() const noexcept { return created_; }
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::uint32_t element_size() const noexcept { return element_size_; }
  [[nodiscard]] Overflow overflow() const noexcept { return overflow_; }
  [[nodiscard]] Origin origin() const noexcept { return origin_; }
  [[nodiscard]] pid_t producer() const noexcept {
    const std::uint32_t pid = atomic_of(l_->producer_pid).load(std::memory_order_acquire);
    return pid <= INT_MAX ? static_cast<pid_t>(pid) : 0;
  }
  [[nodiscard]] std::byte* base() const noexcept { return base_; }
  [[nodiscard]] const std::string& where() const noexcept { return where_; }

  [[nodiscard]] std::uint64_t published_count() const noexcept {
    return count_of(atomic_of(l_->published).load(std::memory_order_acquire));
  }
  [[nodiscard]] bool ended() const noexcept {
    return closed_in(atomic_of(l_->published).load(std::memory_order_acquire));
  }
  /// Why it ended (open while it has not). Throws CorruptSegment on an unknown code.
  [[nodiscard]] EndReason end_reason() const {
    const std::uint32_t r = atomic_of(l_->end_reason).load(std::memory_order_acquire);
    if (r > kMaxEndReason) {
      throw CorruptSegment(where() + ": unknown end_reason " + std::to_string(r) + " (expected 0..4)");
    }
    if (r == 0 && ended()) return EndReason::closed;  // a closer between (C1) and (C2) of a race
    return static_cast<EndReason>(r);
  }
  [[nodiscard]] bool is_producer() const noexcept { return producer_key() == self_key(); }
  /// Its producer (or operator's process) is alive: this one, or another.
  [[nodiscard]] bool producer_alive() const noexcept { return owner_alive(base_, producer_key()); }

  /// Makes this process the producer of an ended stream whose producer (or
  /// operator's process) is dead, and opens it again: how a program that is
  /// run again feeds the streams its earlier run created. Positions go on
  /// from where they were. Refused ("" is returned when done, else why) while
  /// the producer lives, while a live process holds a subscriber slot (one
  /// of the earlier run's readers: it must go first), or when another
  /// process revived it meanwhile.
  std::string revive() {
    const std::uint32_t me = self_key();
    std::uint32_t key = producer_key();
    if (key == me) return "this process is its producer already (feed it through the handle that does)";
    if (owner_alive(base_, key)) {
      return "its producer is process " + std::to_string(producer()) + ", and it is alive (one process feeds a stream)";
    }
    const std::vector<pid_t> readers = slots_.release_dead(me);
    if (!readers.empty()) {
      std::string pids;
      for (pid_t p : readers) pids += (pids.empty() ? "" : ", ") + std::to_string(p);
      return "its earlier producer is dead, but live processes still hold subscriber slots (" + pids +
             "): they must let go (destroy their cursors and subscriptions) before it is fed again";
    }
    // (V1) the claim: one reviver wins; from here readers that probe the
    // producer find this live process. (V2) its pid and start time, for
    // messages and tools. (V3) an ended stream is opened again: end_reason,
    // then the closed bit. Readers of the earlier run are gone (any live one
    // refused the revival above), so no reader here is between finding the
    // dead producer and closing the stream, except one of this process that
    // joined before this call: revive before building readers on it (the
    // emitting constructor does).
    if (!atomic_of(l_->producer_key).compare_exchange_strong(key, me, std::memory_order_seq_cst)) {  // (V1)
      return "another process revived it meanwhile";
    }
    atomic_of(l_->producer_pid).store(static_cast<std::uint32_t>(current_pid()), std::memory_order_release);  // (V2)
    atomic_of(l_->producer_start).store(self_start_time(), std::memory_order_release);
    if (ended()) {
      atomic_of(l_->end_reason).store(0, std::memory_order_seq_cst);                     // (V3)
      atomic_of(l_->published).fetch_and(~std::uint64_t{1}, std::memory_order_seq_cst);  // (V3)
    }
    atomic_of(l_->resume_at).store(0, std::memory_order_relaxed);
    bump_epoch();
    return {};
  }

  // ------------------------------------------------------------------ producer

  /// Writes one element (element_size bytes at `bytes`) at the next position;
  /// waits for room in block mode. Throws StreamError(kClosed) once ended.
  Publish publish(const void* bytes, const Deadline& deadline, CancelToken* cancel) {
    std::atomic_ref<std::uint64_t> published = atomic_of(l_->published);
    std::uint64_t p = published.load(std::memory_order_relaxed);  // only this process changes the count
    if (closed_in(p)) throw_closed();
    const std::uint64_t w = count_of(p);
    if (w >= limit_) {
      const Publish r = make_room(w, deadline, cancel);
      if (r != Publish::kDone) return r;
    }
    std::byte* cell = cell_of(w);
    atomic_of(seq_of(cell)).store(writing(w), std::memory_order_relaxed);  // (P1)
    store_words(cell + kCellHeader, bytes, element_size_);                  // (P2)
    atomic_of(seq_of(cell)).store(holding(w), std::memory_order_release);   // (P3)
    if (!published.compare_exchange_strong(p, p + 2, std::memory_order_seq_cst)) {  // (P4)(N1)
      if (closed_in(p)) throw_closed();  // closed meanwhile: the item stays unpublished
      throw CorruptSegment(where() + ": `published` changed under its only producer (from " +
                           std::to_string(count_of(p)) + ")");
    }
    if (atomic_of(l_->reader_sleepers).load(std::memory_order_seq_cst) != 0 &&             // (N2)
        atomic_of(l_->sleep_at).load(std::memory_order_seq_cst) >= woke_at_) {             // (A2)
      woke_at_ = p + 2;
      wake_all(reader_word());
    }
    return Publish::kDone;
  }

  /// Ends the stream (first reason wins). True if this call ended it.
  bool close(EndReason why) noexcept {
    std::uint32_t none = 0;
    atomic_of(l_->end_reason).compare_exchange_strong(none, static_cast<std::uint32_t>(why),
                                                      std::memory_order_acq_rel);           // (C1)
    const std::uint64_t p = atomic_of(l_->published).fetch_or(1, std::memory_order_seq_cst);  // (C2)(N1)
    wake_all(reader_word());  // (N2)
    bump_epoch();             // a producer blocked on backpressure sees the end
    return !closed_in(p);
  }

  /// Number of active subscriber slots (a dead subscriber counts until released).
  [[nodiscard]] std::size_t live_subscribers() const { return slots_.active(); }

  /// Waits until at least `n` subscribers are active; false on timeout,
  /// cancel, or once the stream ended.
  bool wait_subscribers(std::size_t n, const Deadline& deadline, CancelToken* cancel) {
    for (;;) {
      const std::uint32_t e = atomic_of(l_->epoch).load(std::memory_order_seq_cst);
      if (live_subscribers() >= n) return true;
      if (ended()) return false;  // close() bumps `epoch` after setting `closed`
      const WaitTarget t{epoch_word(), e};
      const OwnerCheck none{};
      const WakeStatus s = wait_words({&t, 1}, {&none, 1}, cancel, deadline);
      if (s.why == Woke::kTimedOut) return live_subscribers() >= n;
      if (s.why == Woke::kCancelled) return false;
    }
  }

  // ---------------------------------------------------------------- subscriber

  /// Claims a slot and starts reading at the current count (new items only).
  Reader join() {
    const std::uint32_t me = self_key();
    for (;;) {
      Reader r;
      std::uint64_t joining = 0;
      if (!slots_.claim(me, r.index, joining)) {
        throw StreamError(StreamError::Reason::kNoSubscriberSlot,
                          where() + ": all 64 subscriber slots are held by live subscribers");
      }
      SubscriberSlot& s = l_->slots[r.index];
      slots_.raise_high_water(r.index);  // (J1)
      atomic_of(s.pid).store(static_cast<std::uint64_t>(current_pid()), std::memory_order_release);
      atomic_of(s.missed).store(0, std::memory_order_relaxed);
      atomic_of(s.cursor).store(count_of(atomic_of(l_->published).load(std::memory_order_seq_cst)),
                                std::memory_order_seq_cst);
      std::uint64_t expected = joining;
      r.claim = slot::next(joining, slot::kActive, me);
      if (!atomic_of(s.state).compare_exchange_strong(expected, r.claim, std::memory_order_seq_cst)) {  // (J2)
        continue;  // taken from us meanwhile (never for a live process): try again
      }
      r.position = count_of(atomic_of(l_->published).load(std::memory_order_seq_cst));  // (J3)
      r.known = r.position;
      atomic_of(s.cursor).store(r.position, std::memory_order_seq_cst);
      r.joined = true;
      bump_epoch();  // wait_subscribers(), and a blocked producer whose laggard left
      return r;
    }
  }

  /// Gives the slot back (only from the process that joined).
  void leave(Reader& r) noexcept {
    if (!r.joined) return;
    r.joined = false;
    if (slot::owner(r.claim) != self_key()) return;  // a forked copy
    std::uint64_t expected = r.claim;
    atomic_of(l_->slots[r.index].state)
        .compare_exchange_strong(expected, slot::next(r.claim, slot::kFree, 0), std::memory_order_seq_cst);
    bump_epoch();
  }

  /// Copies the next element into `out` (kItem), or says there is none yet
  /// (kEmpty, with the `published` word it saw in *seen) or the end (kEnd).
  Read try_read(Reader& r, void* out, std::uint64_t* seen) {
    for (;;) {
      if (r.position < r.known && overflow_ == Overflow::block) {
        // Published before: no load of the producer's line for every item (it
        // changes on every emit); the cell's seq still vouches for the copy.
        if (copy_cell(r, out, r.known)) return Read::kItem;
      }
      const std::uint64_t p = atomic_of(l_->published).load(std::memory_order_acquire);  // (R1)
      const std::uint64_t count = count_of(p);
      if (count < r.known) {
        throw CorruptSegment(where() + ": published count went back from " + std::to_string(r.known) +
                             " to " + std::to_string(count));
      }
      r.known = count;
      if (count < r.position) {
        throw CorruptSegment(where() + ": published count went back from " + std::to_string(r.position) +
                             " to " + std::to_string(count));
      }
      if (count == r.position) {
        if (closed_in(p)) {
          r.end = end_reason();
          if (r.end == EndReason::open) r.end = EndReason::closed;
          return Read::kEnd;
        }
        *seen = p;
        return Read::kEmpty;
      }
      if (count - r.position > capacity_) {
        if (overflow_ == Overflow::block) throw_overrun(r.position, count);
        skip_to(r, count - capacity_);  // drop_oldest: the oldest that may still be there
      }
      if (copy_cell(r, out, count)) return Read::kItem;
      // Overwritten before or while we copied it (drop_oldest).
      const std::uint64_t now = published_count();
      skip_to(r, std::max(r.position + 1, now >= capacity_ ? now - capacity_ + 1 : 0));
    }
  }

  /// Sleeps until `published` differs from `seen`, the producer is dead
  /// (kOwnerDead: the caller ends the stream), `cancel` or `deadline`.
  WakeStatus wait_readable(std::uint64_t seen, const Deadline& deadline, CancelToken* cancel) {
    const WaitTarget t = prepare_wait(seen);
    const OwnerCheck c = producer_check();
    return wait_words({&t, 1}, {&c, 1}, cancel, deadline);
  }
  /// What to sleep on until `published` differs from `seen`; announces the sleep (A1).
  [[nodiscard]] WaitTarget prepare_wait(std::uint64_t seen) {
    std::atomic_ref<std::uint64_t> at = atomic_of(l_->sleep_at);
    std::uint64_t cur = at.load(std::memory_order_seq_cst);
    while (cur < seen && !at.compare_exchange_weak(cur, seen, std::memory_order_seq_cst)) {  // (A1)
    }
    return {reader_word(), seen};
  }
  /// Dead when the producer process is gone (its owner key) and the stream is still open.
  [[nodiscard]] OwnerCheck producer_check() const noexcept { return {&probe_producer, this}; }

 private:
  static std::uint64_t& seq_of(std::byte* cell) noexcept { return *reinterpret_cast<std::uint64_t*>(cell); }
  [[nodiscard]] std::byte* cell_of(std::uint64_t position) const noexcept {
    return base_ + kRingOffset + (position & (capacity_ - 1)) * stride_;
  }
  [[nodiscard]] WaitWord reader_word() const noexcept { return {l_->published, l_->reader_sleepers}; }
  [[nodiscard]] WaitWord epoch_word() const noexcept { return {l_->epoch, l_->producer_sleepers}; }

  void bump_epoch() noexcept {
    atomic_of(l_->epoch).fetch_add(1, std::memory_order_seq_cst);  // (N1)
    wake_all(epoch_word());                                         // (N2)
  }


  Publish make_room(std::uint64_t w, const Deadline& deadline, CancelToken* cancel) {
    struct ClearResume {
      std::uint64_t& word;
      ~ClearResume() { atomic_of(word).store(0, std::memory_order_seq_cst); }
    };
    std::uint64_t m = slots_.min_cursor(w);
    if (w - m < capacity_) {
      limit_ = m + capacity_;
      return Publish::kDone;
    }
    ClearResume clear{l_->resume_at};
    const SlotTable::Laggards laggards{&slots_, w};
    const OwnerCheck check = laggards.check();
    // Wake up when the slowest has read an eighth of the ring, not after every item.
    const std::uint64_t resume = w - capacity_ + 1 + capacity_ / 8;
    for (;;) {
      const std::uint32_t e = atomic_of(l_->epoch).load(std::memory_order_seq_cst);
      atomic_of(l_->resume_at).store(resume, std::memory_order_seq_cst);  // (B3)
      m = slots_.min_cursor(w);                                           // (B4)
      if (w - m < capacity_) {
        limit_ = m + capacity_;
        return Publish::kDone;
      }
      if (ended()) throw_closed();
      const WaitTarget t{epoch_word(), e};
      const WakeStatus s = wait_words({&t, 1}, {&check, 1}, cancel, deadline);
      if (s.why == Woke::kOwnerDead) {
        pid_t who = 0;
        slots_.dead_laggards(w, &who, true);
        bump_epoch();
      }
      if (s.why == Woke::kCancelled) return Publish::kCancelled;
      if (s.why == Woke::kTimedOut) {
        m = slots_.min_cursor(w);
        if (w - m < capacity_) {
          limit_ = m + capacity_;
          return Publish::kDone;
        }
        return Publish::kTimedOut;
      }
    }
  }

  /// Copies the published cell of r.position; false if it was overwritten
  /// (only in drop_oldest mode: in block mode that is a corrupt segment).
  bool copy_cell(Reader& r, void* out, std::uint64_t count) {
    std::byte* cell = cell_of(r.position);
    const std::uint64_t s1 = atomic_of(seq_of(cell)).load(std::memory_order_acquire);  // (R2)
    if (s1 == holding(r.position)) {
      load_words(out, cell + kCellHeader, element_size_);                   // (R3)
      if (atomic_of(seq_of(cell)).load(std::memory_order_relaxed) == s1) {  // (R4)
        advance(r);
        return true;
      }
    } else if (s1 < holding(r.position)) {
      throw CorruptSegment(where() + ": the cell of published position " + std::to_string(r.position) +
                           " holds sequence " + std::to_string(s1) + " (expected " +
                           std::to_string(holding(r.position)) + ")");
    }
    if (overflow_ == Overflow::block) throw_overrun(r.position, count);
    return false;
  }

  void advance(Reader& r) {
    ++r.position;
    SubscriberSlot& s = l_->slots[r.index];
    if (overflow_ == Overflow::drop_oldest) {
      atomic_of(s.cursor).store(r.position, std::memory_order_relaxed);  // for inspection only
      return;
    }
    atomic_of(s.cursor).store(r.position, std::memory_order_seq_cst);                 // (B1)
    if (atomic_of(l_->resume_at).load(std::memory_order_seq_cst) == r.position) {     // (B2)
      bump_epoch();
    }
  }

  void skip_to(Reader& r, std::uint64_t position) noexcept {
    r.missed += position - r.position;
    r.position = position;
    atomic_of(l_->slots[r.index].missed).store(r.missed, std::memory_order_relaxed);
    atomic_of(l_->slots[r.index].cursor).store(position, std::memory_order_relaxed);
  }

  [[nodiscard]] std::uint32_t producer_key() const noexcept {
    return atomic_of(l_->producer_key).load(std::memory_order_acquire);
  }

  static bool probe_producer(const void* self, pid_t* who) noexcept {
    const auto* core = static_cast<const StreamCore*>(self);
    *who = core->producer();
    return !owner_alive(core->base_, core->producer_key()) && !core->ended();
  }

  [[noreturn]] void throw_closed() const {
    throw StreamError(StreamError::Reason::kClosed,
                      where() + ": cannot emit: the stream has ended (" + end_text(end_reason()) + ")");
  }
  [[noreturn]] void throw_overrun(std::uint64_t position, std::uint64_t count) const {
    throw CorruptSegment(where() + ": the item at position " + std::to_string(position) +
                         " was overwritten before this subscriber read it (published " + std::to_string(count) +
                         ", capacity " + std::to_string(capacity_) +
                         ") in block mode: a corrupt segment, or this subscriber's slot was taken");
  }

  std::shared_ptr<Mapping> mapping_;  // keeps the segment mapped
  std::byte* base_;
  StreamLayout* l_;
  std::string name_;
  std::string where_;  // "zeroipc: segment '/x', stream 'name'" for messages
  bool created_;
  std::uint64_t capacity_;
  SlotTable slots_;
  std::uint32_t element_size_ = 0;
  std::uint64_t stride_ = 0;
  Overflow overflow_ = Overflow::block;
  Origin origin_ = Origin::emit;
  std::uint64_t limit_ = 0;    // producer: positions below this need no scan (stream_layout.h)
  std::uint64_t woke_at_ = 0;  // producer: `published` after which it last woke the readers (A2)
};

}  // namespace detail::stream
}  // namespace zeroipc
