// zeroipc/channel.h — a Go-style channel between processes: many senders,
// many receivers, in many processes; buffered or rendezvous; closable.
//
//   zeroipc::Channel<Task> tasks(mem, "task_queue", 100);    // buffered; capacity 0 = rendezvous
//   zeroipc::Channel<Task> same(peer, "task_queue");         // open existing (element size checked)
//   tasks.send(task);                                         // blocks while full
//   bool ok = tasks.try_send(task);                           // false when full
//   bool in_time = tasks.send_for(task, 10ms);                // false on timeout
//   tasks.close();                                            // wakes everyone blocked; idempotent
//   while (auto t = tasks.receive()) process(*t);             // nullopt only when closed and drained
//   auto t = tasks.try_receive();  auto u = tasks.receive_for(10ms);
//   // select over several channels: zeroipc/select.h
//
// Semantics.
//   Buffered (capacity N >= 1): a bounded FIFO ring of N elements. send()
//   blocks while full, receive() while empty.
//   Rendezvous (capacity 0): send() returns only once a receiver has taken
//   *this* value; receive() blocks until a sender offers one. try_send()
//   succeeds only when a receiver is waiting (it offers, and withdraws the
//   offer if no receiver takes it within 100 ms, or at once when no receiver
//   is waiting any more); try_receive() only when a sender's offer is posted.
//   close(): idempotent. Later sends throw ChannelClosed. Blocked senders
//   wake and throw ChannelClosed; their value was not sent. A rendezvous
//   sender whose offer is posted when close() happens either sees it taken
//   (send returns normally) or withdraws it and throws — the lock decides,
//   never both, never lost. Receivers keep receiving what was sent before
//   the close, then get nullopt.
//
// Design. Lock-based: every change happens under an owner lock in the segment
// (variants/detail/owner_lock.h, the lock of SPECIFICATION.md §3.2) whose
// word holds the holder's owner key, so a holder that dies is detected within one
// 20 ms slice and its lock taken over. Each change is committed by one store
// (tail, head, or the handoff word), so whatever instruction a holder dies
// at, the channel is consistent: nothing to repair, only to wake. Chosen
// over a lock-free ring because close(), the rendezvous handoff and "the
// value was taken" must be decided atomically with the element transfer; a
// lock-free design needs a second protocol for each, with its own crash
// windows (the Queue crash experiment, queue.h, found locked_ring the only
// MPMC variant that loses nothing beyond the dead process's element). The
// cost: a holder that is *stopped* (SIGSTOP, debugger) stalls the channel;
// timed operations then give up after their timeout + 50 ms, and try_*
// operations that have something to do after 50 ms (reporting "not ready").
//
// Polling. A try_* (or select's first look) that finds nothing to do — an
// empty channel to receive from, a full one to send to, no offer or no
// waiting receiver on a rendezvous channel — answers from lock-free reads
// and never touches the lock (SPECIFICATION.md §7.6 "Polling without the
// lock"): a poller that took the lock just to see "empty" contended with
// the sender it was waiting for, and on a loaded machine a preempted poller
// holding the lock stalled that sender for a scheduler slice.
//
// Waiting (detail/wait.h). Receivers sleep on `data_epoch`, senders on
// `space_epoch`: 64-bit counters that every change that may let the other
// side proceed bumps (a send bumps data_epoch; a receive, take, withdrawal
// or a receiver starting or stopping to wait on a rendezvous channel
// bumps space_epoch; close() and a lock takeover bump both). A waiter reads the
// epoch under the lock with its condition, and sleeps on the futex while
// the epoch still holds that value; a bump is followed by FUTEX_WAKE only
// when the sleeper count is not zero. Wakes are wake_all: a select() that
// sleeps on the same word may take a wake_one and then fire another case.
//
// Memory ordering:
//   (C1) the acquire CAS that takes the owner lock pairs with (C2) the release
//        exchange that frees it: cells, head, tail, handoff, closed and
//        receivers_waiting change only under the lock, so the next holder
//        sees everything the last one wrote, the element's bytes included.
//        They are atomics only so that lock-free readers (size_approx,
//        is_closed, an offering sender, the owner check) do not race.
//   (C3) each epoch bump is a seq_cst fetch_add made under the lock *before*
//        the commit store it announces; it is wait.h's (N1), and the wake
//        after the unlock is (N2), against the waiter's (W1)-(W3).
//   (C4) the release store of `handoff` (offer posted, taken, withdrawn)
//        pairs with (C5) the offering sender's acquire load: it sees the
//        take; and with the acquire loads of the owner check (future.h
//        (O3)-(O5), on handoff_tag (O2) and handoff_pid (O1), both written
//        before the offer is posted).
//   (C6) the release store of `closed` pairs with (C7) the acquire load of
//        is_closed().
//
// What a process killed at any instruction costs (tests: ChannelCrash, ChannelRendezvousCrash):
//   sender, lock held, before tail moves      its element is not sent (its in-flight element)
//   sender, after tail moved, lock held       nothing: the element is in the channel (a receiver
//                                             asleep then wakes at its next 250 ms slice, since
//                                             the dead sender's wake call never came)
//   receiver, lock held, before head moves    nothing: the element stays for the next receiver
//   receiver, after head moved                its element is lost with it (in-flight)
//   rendezvous sender, offer not yet posted   its value is not offered
//   rendezvous sender, offer posted           the value is delivered to the next receiver, or
//                                             withdrawn by a blocked sender that finds its owner
//                                             dead (<= 20 ms); never delivered twice
//   rendezvous receiver, after the take       the value is lost with it; the sender's send returned
//   close(), before `closed` is stored        the channel stays open (spurious wakes only)
//   any of the above, lock held               the next process to need the lock takes it over
//                                             within ~20 ms and bumps both epochs (no lost wake)
//   a waiter asleep on an epoch               its sleeper count stays one too high: later changes
//                                             make one useless wake call each
//   a rendezvous receiver asleep              receivers_waiting stays one too high: a later
//                                             try_send / select send case with no live receiver
//                                             waits 100 ms for a taker that never comes, then
//                                             returns false
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/detail/channel_core.h"
#include "zeroipc/detail/channel_layout.h"
#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/error.h"
#include "zeroipc/memory.h"
#include "zeroipc/table.h"

namespace zeroipc {

template <class T>
class Channel {
  static_assert(std::is_trivially_copyable_v<T>,
                "Channel<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Channel<T>, not Channel<const T>");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");

 public:
  using value_type = T;

  /// Creates `name` with room for `capacity` elements (0: rendezvous), or
  /// opens it if it exists — then its capacity must be `capacity` (Mismatch).
  Channel(Memory& mem, std::string_view name, std::size_t capacity)
      : core_(mem.mapping(), name, create_or_open(mem, name, capacity), kElementSize, capacity) {}
  /// Opens the existing channel `name`, of any capacity (NotFound if
  /// missing; Mismatch if it is not a channel of T-sized elements).
  Channel(Memory& mem, std::string_view name)
      : core_(mem.mapping(), name, detail::open_structure(mem.mapping(), name, spec()), kElementSize, std::nullopt) {}
  /// Not a capacity: Channel has no "open_existing" flag; use Channel(mem, name) to open.
  template <class B>
    requires std::is_same_v<B, bool>
  Channel(Memory& mem, std::string_view name, B) = delete;

  /// Sends `value`; blocks while the channel is full (buffered) or until a
  /// receiver takes it (rendezvous). Throws ChannelClosed if the channel is
  /// or becomes closed before the value is sent.
  void send(const T& value) { core_.send(&value, detail::Deadline::forever(), false); }
  /// Sends without waiting: false when full (buffered) or when no receiver
  /// takes it (rendezvous; see the top of this file). Throws ChannelClosed.
  bool try_send(const T& value) {
    return core_.send(&value, detail::Deadline::after(std::chrono::nanoseconds::zero()), true) ==
           detail::SendStatus::kSent;
  }
  /// As send(), waiting at most `timeout`: false if the value was not sent
  /// (a rendezvous offer not taken in time is withdrawn).
  template <class Rep, class Period>
  bool send_for(const T& value, const std::chrono::duration<Rep, Period>& timeout) {
    return core_.send(&value, detail::deadline_after(timeout), false) == detail::SendStatus::kSent;
  }

  /// The next element; blocks while the channel is empty and open. nullopt
  /// only when the channel is closed and drained.
  std::optional<T> receive() { return receive_until(detail::Deadline::forever(), false); }
  /// The next element if one is there now (or a rendezvous offer is posted).
  std::optional<T> try_receive() {
    return receive_until(detail::Deadline::after(std::chrono::nanoseconds::zero()), true);
  }
  /// As receive(), waiting at most `timeout`: nullopt on timeout, or when
  /// closed and drained (is_closed() tells which).
  template <class Rep, class Period>
  std::optional<T> receive_for(const std::chrono::duration<Rep, Period>& timeout) {
    return receive_until(detail::deadline_after(timeout), false);
  }

  /// Closes the channel and wakes every blocked sender and receiver.
  /// Idempotent: true if this call closed it, false if it was closed already.
  bool close() { return core_.close(); }

  [[nodiscard]] bool is_closed() const noexcept { return core_.is_closed(); }
  /// The process that closed it (0 while open).
  [[nodiscard]] pid_t closed_by() const noexcept { return core_.closed_by(); }
  /// The buffer capacity; 0 for a rendezvous channel.
  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(core_.capacity()); }
  [[nodiscard]] bool is_rendezvous() const noexcept { return core_.capacity() == 0; }
  /// Elements buffered at some recent moment (0 for a rendezvous channel).
  [[nodiscard]] std::size_t size_approx() const noexcept { return static_cast<std::size_t>(core_.size_approx()); }
  [[nodiscard]] const std::string& name() const noexcept { return core_.name(); }
  /// True when this handle created the channel, false when it opened it.
  [[nodiscard]] bool created() const noexcept { return core_.created(); }

  /// The untyped implementation (select() drives it; tests inspect it).
  [[nodiscard]] detail::ChannelCore& core() noexcept { return core_; }
  [[nodiscard]] const detail::ChannelCore& core() const noexcept { return core_; }

  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kChannel;
    s.element_size = static_cast<std::uint32_t>(sizeof(T));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<T>());
    s.total_size = &detail::channel::total_size;
    s.type_name = "Channel";
    return s;
  }

 private:
  static constexpr auto kElementSize = static_cast<std::uint32_t>(sizeof(T));

  static detail::OpenedStructure create_or_open(Memory& mem, std::string_view name, std::size_t capacity) {
    if (capacity > detail::kMaxChannelCapacity) {
      throw InvalidArgument("zeroipc: segment '" + detail::printable(mem.name()) + "', channel '" +
                            detail::printable(name) + "': capacity " + std::to_string(capacity) +
                            " is larger than the maximum 2^31");
    }
    // An existing channel is opened first, so that a capacity mismatch is
    // reported in channel terms (rendezvous vs buffered) by ChannelCore.
    detail::check_structure_name(name);
    if (mem.table().find(name)) return detail::open_structure(mem.mapping(), name, spec());
    const std::uint64_t cells = capacity == 0 ? 1 : capacity;
    return detail::create_or_open_structure(mem.mapping(), name, spec(), cells, [&](std::byte* base) {
      const std::uint64_t declared = capacity;  // kind-specific bytes 32..39 (spec §7.6)
      std::memcpy(base + detail::kChannelCapacityField, &declared, sizeof declared);
    });
  }

  std::optional<T> receive_until(const detail::Deadline& deadline, bool try_only) {
    std::array<std::byte, sizeof(T)> bytes;
    if (core_.receive(bytes.data(), deadline, try_only) != detail::RecvStatus::kReceived) return std::nullopt;
    return std::bit_cast<T>(bytes);
  }

  detail::ChannelCore core_;
};

}  // namespace zeroipc
