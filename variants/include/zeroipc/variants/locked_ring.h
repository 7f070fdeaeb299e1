// zeroipc/variants/locked_ring.h — a bounded ring under one process-shared
// futex lock: the baseline that shows what lock-freedom buys.
//
// Progress: blocking. A process preempted while holding the lock stops
// everyone until it runs again. A process killed holding it is detected (the
// lock word holds its owner key; see detail/owner_lock.h) and the lock taken over.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.2.5):
//
//   0    u32 lock            0 free, else holder key | 0x80000000 if waiters
//   8    u64 holder_pid      pid of the holder (messages and tools only)
//   64   u64 head            next position to pop   } written only under
//   72   u64 tail            next position to push  } the lock
//   128  slots[R], element_size bytes each, slot = pos & (R - 1)
//
// Capacity: any c >= 1; the ring has R = bit_ceil(max(c, 2)) slots
// (detail/ring_math.h) and is full when tail - head == c, so at most c
// elements are in it (exactly c fit). For a power of two c, R == c.
//
// Memory ordering: the lock's acquire/release (owner_lock.h (L1)/(L2)) orders
// everything; head and tail are atomic only so that size_approx() can read
// them without the lock.
//
// What a kill costs: the holder writes the slot, then moves tail (or reads
// the slot, then moves head) with one store each. Killed before that store:
// the operation did not happen (a popped element was not yet returned, so
// the next consumer gets it). Killed after it: the operation is complete
// (a popped element dies with the consumer: the in-flight element). Either
// way the next process takes the lock over after at most one 20 ms check.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/layout/queue_locked_ring.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

struct locked_ring {
  static constexpr std::uint16_t kId = 5;
  static constexpr std::string_view kName = "locked_ring";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// "full" and "empty" answers are exact (linearizable).
  static constexpr bool kExactEmptyFull = true;

  /// Bytes of the body for `capacity` elements (R slots); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(detail::ring_slots(capacity), element_size, ZEROIPC_LOCKED_RING_SLOTS_OFFSET);
  }
  static void init(std::byte* body, std::uint64_t, std::uint32_t, std::uint64_t start) noexcept {
    auto* b = reinterpret_cast<zeroipc_locked_ring_body*>(body);
    b->head = start;
    b->tail = start;
  }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept : queue(reinterpret_cast<zeroipc_locked_ring_body*>(body), capacity) {}
    queue(zeroipc_locked_ring_body* b, std::uint64_t capacity) noexcept
        : lock_(b->lock),
          holder_pid_(b->holder_pid),
          head_(b->head),
          tail_(b->tail),
          slots_(reinterpret_cast<std::byte*>(b) + ZEROIPC_LOCKED_RING_SLOTS_OFFSET),
          capacity_(capacity),
          mask_(detail::ring_slots(capacity) - 1) {}

    bool push(const T& value) {
      Guard g(*this);
      const std::uint64_t t = tail_.load(std::memory_order_relaxed);
      if (checked_fill(head_.load(std::memory_order_relaxed), t) == capacity_) return false;
      std::memcpy(slots_ + (t & mask_) * sizeof(T), &value, sizeof(T));
      tail_.store(t + 1, std::memory_order_relaxed);
      return true;
    }

    bool pop(T& out) {
      Guard g(*this);
      const std::uint64_t h = head_.load(std::memory_order_relaxed);
      if (checked_fill(h, tail_.load(std::memory_order_relaxed)) == 0) return false;
      std::memcpy(&out, slots_ + (h & mask_) * sizeof(T), sizeof(T));
      head_.store(h + 1, std::memory_order_relaxed);
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
    // Elements between head and tail, read under the lock: more than the
    // capacity (or head past tail) is no state a holder ever leaves.
    std::uint64_t checked_fill(std::uint64_t head, std::uint64_t tail) const {
      if (tail - head > capacity_) {
        throw CorruptState("locked_ring head " + std::to_string(head) + " and tail " + std::to_string(tail) +
                           " are not 0.." + std::to_string(capacity_) + " apart");
      }
      return tail - head;
    }

    struct Guard {
      explicit Guard(queue& q) noexcept : q_(q) {
        // A live holder is waited for however long it takes (this is the
        // blocking baseline); a dead one is taken over.
        while (zeroipc::detail::owner_lock_acquire(q_.lock_, q_.holder_pid_, std::chrono::hours(1))
                   .outcome == zeroipc::detail::OwnerLockResult::kTimedOut) {
        }
      }
      ~Guard() { zeroipc::detail::owner_lock_release(q_.lock_, q_.holder_pid_); }
      queue& q_;
    };

    std::uint32_t& lock_;
    std::uint64_t& holder_pid_;
    std::atomic_ref<std::uint64_t> head_;
    std::atomic_ref<std::uint64_t> tail_;
    std::byte* slots_;
    std::uint64_t capacity_;  // c: full at tail - head == c
    std::uint64_t mask_;      // R - 1
  };
};

}  // namespace zeroipc::variants
