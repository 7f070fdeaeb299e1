// zeroipc/variants/spsc_ring.h — single-producer / single-consumer ring with
// cached remote indices (Lamport 1983; the index caching of FastForward,
// Giacomoni et al. PPoPP 2008, and of rigtorp's SPSCQueue).
//
// Progress: wait-free for both sides (no loops, no CAS). Exactly one
// producer process and one consumer process: the roles are claimed in the
// segment on first use and a second live process claiming one is refused
// (the Queue wrapper throws). A dead holder's role is taken over. A role is
// held by the process's owner key: a child forked with a handle in hand has
// a new key, and its first push (or pop) claims the role anew: refused while
// the parent holds it.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.2.4):
//
//   0    u64 tail            (own cache line) written by the producer only
//   64   u64 head            (own cache line) written by the consumer only
//   128  producer role: u32 owner key, u32 pid, u64 reserved (detail/role.h)
//   144  consumer role: u32 owner key, u32 pid, u64 reserved
//   192  slots[R], element_size bytes each, slot = pos & (R - 1)
//
// Capacity: any c >= 1; the ring has R = bit_ceil(max(c, 2)) slots
// (detail/ring_math.h) and is full when tail - head == c, so at most c
// elements are in it (exactly c fit). For a power of two c, R == c.
//
// Each side keeps a private copy of the other side's index and reads the
// shared one only when the copy says full/empty: in a stream, the producer
// and consumer touch each other's cache line once per lap, not per message.
// A copy may be older than the role's last use by another handle (a standby
// handle taking over from a dead process): the checks treat an out-of-range
// copy as "reload", never as room or data. A copy is only replaced by a value
// that passed the bounds check, and a poll that finds the ring still full
// (empty) writes nothing: a spinning caller reads the other side's line and
// no line of its own.
//
// Memory-ordering pairs:
//   (1) the producer's release store of tail after writing the slot pairs
//       with (2) the consumer's acquire load of tail before reading it.
//   (3) the consumer's release store of head after reading the slot pairs
//       with (4) the producer's acquire load of head before overwriting it.
//
// What a kill costs:
//   producer, before (1): the half-written slot is invisible; nothing lost
//     that was pushed. The next producer takes the role over and continues.
//   consumer, after copying the element, before (3): the element was never
//     returned; the next consumer reads it again (not a duplicate: the dead
//     one never delivered it). After (3): the element dies with the consumer
//     (the in-flight element).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/layout/queue_spsc_ring.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/role.h"

namespace zeroipc::variants {

struct spsc_ring {
  static constexpr std::uint16_t kId = 4;
  static constexpr std::string_view kName = "spsc_ring";
  static constexpr bool kMultiProducer = false;
  static constexpr bool kMultiConsumer = false;
  static constexpr bool kFifo = true;
  /// "full" and "empty" answers are exact (linearizable).
  static constexpr bool kExactEmptyFull = true;

  /// Bytes of the body for `capacity` elements (R slots); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(detail::ring_slots(capacity), element_size, ZEROIPC_SPSC_SLOTS_OFFSET);
  }
  static void init(std::byte* body, std::uint64_t, std::uint32_t, std::uint64_t start) noexcept {
    auto* b = reinterpret_cast<zeroipc_spsc_body*>(body);
    b->tail = start;
    b->head = start;
  }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept
        : body_(reinterpret_cast<zeroipc_spsc_body*>(body)),
          tail_(body_->tail),
          head_(body_->head),
          slots_(body + ZEROIPC_SPSC_SLOTS_OFFSET),
          capacity_(capacity),
          mask_(detail::ring_slots(capacity) - 1),
          producer_{head_.load(std::memory_order_acquire)},  // (4)
          consumer_{tail_.load(std::memory_order_acquire)} {}  // (2)

    /// Claims the producer / consumer role for this process (see role.h).
    detail::RoleClaim claim_producer() noexcept { return detail::claim_role(body_->producer); }
    detail::RoleClaim claim_consumer() noexcept { return detail::claim_role(body_->consumer); }
    void release_role(detail::Role role) noexcept {
      detail::release_role(role == detail::Role::kProducer ? body_->producer : body_->consumer);
    }

    bool push(const T& value) {
      // Locals: the copy into the slot (bytes) may alias this handle's
      // fields as far as the compiler knows; these stay in registers.
      const std::atomic_ref<std::uint64_t> tail = tail_;
      const std::uint64_t capacity = capacity_;
      const std::uint64_t t = tail.load(std::memory_order_relaxed);  // only we write it
      // `>=`, not `==`: a copy older than this handle's last use (another
      // handle of the role moved head meanwhile) only ever looks fuller.
      if (t - producer_.cached_head >= capacity) {
        const std::uint64_t h = head_.load(std::memory_order_acquire);  // (4)
        if (t - h >= capacity) {
          if (t - h > capacity) corrupt(h, t);
          return false;  // full: the copy is left as it was (no store while polling)
        }
        producer_.cached_head = h;
      }
      std::memcpy(slots_ + (t & mask_) * sizeof(T), &value, sizeof(T));
      tail.store(t + 1, std::memory_order_release);  // (1)
      return true;
    }

    bool pop(T& out) {
      const std::atomic_ref<std::uint64_t> head = head_;
      const std::uint64_t h = head.load(std::memory_order_relaxed);  // only we write it
      // Signed distance, not `==`: if another handle of the role moved head
      // past this handle's copy of tail, the copy is stale, not "available".
      if (static_cast<std::int64_t>(consumer_.cached_tail - h) <= 0) {
        const std::uint64_t t = tail_.load(std::memory_order_acquire);  // (2)
        if (static_cast<std::int64_t>(t - h) <= 0) return false;  // empty: no store while polling
        if (t - h > capacity_) corrupt(h, t);  // before the copy keeps it: never read past it
        consumer_.cached_tail = t;
      }
      std::memcpy(&out, slots_ + (h & mask_) * sizeof(T), sizeof(T));
      head.store(h + 1, std::memory_order_release);  // (3)
      return true;
    }

    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      const std::uint64_t t = tail_.load(std::memory_order_relaxed);
      const std::uint64_t h = head_.load(std::memory_order_relaxed);
      // Modulo 2^64, so the count stays right when positions wrap; a
      // negative distance (a pop between the two loads) reads as 0.
      const std::uint64_t d = t - h;
      return static_cast<std::int64_t>(d) > 0 ? d : 0;
    }

   private:
    // head and tail read fresh from the segment are more than a ring apart
    // (or head passed tail): no producer and consumer could have done that.
    [[noreturn]] void corrupt(std::uint64_t head, std::uint64_t tail) const {
      throw CorruptState("spsc_ring head " + std::to_string(head) + " and tail " + std::to_string(tail) +
                         " are not 0.." + std::to_string(capacity_) + " apart");
    }

    // The handle's own fields, by who touches them per operation (one handle
    // may serve a producer thread and a consumer thread of one process at
    // once): a line both read and neither writes, then each side's copy of
    // the other's index on a line of its own, so that a copy refreshed by
    // one thread never evicts what the other reads on every operation.
    alignas(64) zeroipc_spsc_body* body_;
    std::atomic_ref<std::uint64_t> tail_;
    std::atomic_ref<std::uint64_t> head_;
    std::byte* slots_;
    std::uint64_t capacity_;  // c: full at tail - head == c
    std::uint64_t mask_;      // R - 1
    struct alignas(64) {
      std::uint64_t cached_head;  // at most head; reloaded when it says full
    } producer_;
    struct alignas(64) {
      std::uint64_t cached_tail;  // reloaded when it says empty
    } consumer_;
  };
};

}  // namespace zeroipc::variants
