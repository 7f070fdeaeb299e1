// zeroipc/variants/vyukov_bounded.h — Dmitry Vyukov's bounded MPMC queue
// ("Bounded MPMC queue", 1024cores.net, 2010), in shared memory.
//
// Progress: push and pop never wait and never take a lock, but the queue is
// not lock-free in the strict sense: a producer preempted (or killed) between
// claiming a cell and publishing it makes consumers at that cell report
// "empty" until it resumes (and a stalled consumer makes producers report
// "full"). One CAS per operation when uncontended.
//
// Layout (offsets from the start of the body, i.e. after the 64-byte common
// structure header; SPECIFICATION.md §7.2.1):
//
//   0    u64 enqueue_pos   (own cache line)        next position to claim for push
//   64   u64 dequeue_pos   (own cache line)        next position to claim for pop
//   128  cells[R], each `stride` bytes = align8(8 + element_size):
//          +0 u64 sequence    position this cell is ready for:
//                             == pos     : free for the push at pos
//                             == pos + 1 : holds the element pushed at pos
//          +8 element bytes
//
// Positions are 64-bit and only grow; cell = pos & (R - 1).
//
// Capacity: any c >= 1, in a ring of R = bit_ceil(max(c, 2)) cells
// (detail/ring_math.h). For a power of two c, R == c and push and pop are
// Vyukov's, unchanged. Otherwise a push also reports "full" when its
// position is c or more ahead of dequeue_pos, (5): the push at pos claims
// it only if pos - dequeue_pos < c, and dequeue_pos only grows (and never
// passes enqueue_pos), so enqueue_pos - dequeue_pos <= c always: at most c
// elements are in the queue. Single-threaded exactly c fit; with other
// operations in flight "full" may come early, as Vyukov's own does.
// dequeue_pos is read through a copy in the handle, refreshed only when the
// copy says full: a copy is some earlier value of dequeue_pos, so never
// above it, and pos - copy < c implies pos - dequeue_pos < c. With f
// elements in the queue a producer reads the consumers' cache line once per
// c - f pushes, not once per push (rigtorp's SPSCQueue caches the same way).
//
// Memory-ordering pairs:
//   (1) push's acquire load of cell.sequence pairs with (4) pop's release
//       store that frees the cell: the push writes after the pop's read.
//   (2) push's release store of sequence = pos + 1 pairs with (3) pop's
//       acquire load: the pop reads the element the push wrote.
//   The position CASes are relaxed: they only arbitrate who owns a cell;
//   the cell's sequence carries all the data ordering. So is (5), the load
//   of dequeue_pos for a capacity below R: it only counts; the cell the
//   push then writes is still guarded by (1)/(4).
//
// What a kill costs (a process SIGKILLed at each step):
//   push, before winning the CAS on enqueue_pos: nothing.
//   push, after the CAS, before (2): the cell is claimed but never
//     published. Consumers reaching that position see "empty" forever; every
//     element behind it is unreachable. The queue is WEDGED for consumers.
//   pop, before winning the CAS on dequeue_pos: nothing.
//   pop, after the CAS, before (4): the element is lost with the consumer
//     and the cell is never freed: producers reaching it a lap later see
//     "full" forever. The queue is WEDGED for producers.
// That is why vyukov_bounded is not the default Queue variant. (A recovery
// cannot help: an unpublished cell's element bytes are indistinguishable
// from a published one's.)
//
// Bounds: a retry after finding the cell a lap ahead must see the position
// moved past it (see advanced()); otherwise the segment is corrupt.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/layout/queue_vyukov_bounded.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

struct vyukov_bounded {
  static constexpr std::uint16_t kId = 1;
  static constexpr std::string_view kName = "vyukov_bounded";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// Whether "full" and "empty" answers are exact (linearizable). Not here:
  /// a pop that reaches a cell claimed but not yet published by a slower
  /// push reports empty although later pushes have completed (and
  /// symmetrically for full). tests/unit/linearizability_test.cpp counts it.
  static constexpr bool kExactEmptyFull = false;

  static constexpr std::uint64_t stride(std::uint32_t element_size) noexcept {
    return zeroipc_vyukov_stride(element_size);
  }
  /// Bytes of the body for `capacity` elements (R cells); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(detail::ring_slots(capacity), stride(element_size), ZEROIPC_VYUKOV_CELLS_OFFSET);
  }
  /// Initialises a zeroed body so that the first position is `start`.
  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t element_size,
                   std::uint64_t start) noexcept {
    auto* b = reinterpret_cast<zeroipc_vyukov_body*>(body);
    b->enqueue_pos = start;
    b->dequeue_pos = start;
    const std::uint64_t cells = detail::ring_slots(capacity);
    for (std::uint64_t i = 0; i < cells; ++i) {
      const std::uint64_t pos = start + i;
      reinterpret_cast<zeroipc_vyukov_cell*>(body + zeroipc_vyukov_cell_offset(capacity, element_size, pos))->sequence = pos;
    }
  }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept
        : enqueue_pos_(reinterpret_cast<zeroipc_vyukov_body*>(body)->enqueue_pos),
          dequeue_pos_(reinterpret_cast<zeroipc_vyukov_body*>(body)->dequeue_pos),
          cells_(body + ZEROIPC_VYUKOV_CELLS_OFFSET),
          mask_(detail::ring_slots(capacity) - 1),
          limit_(capacity == mask_ + 1 ? 0 : static_cast<std::int64_t>(capacity)),
          dequeue_seen_(dequeue_pos_.load(std::memory_order_relaxed)) {}

    bool push(const T& value) {
      std::uint64_t pos = enqueue_pos_.load(std::memory_order_relaxed);
      for (;;) {
        std::byte* cell = cell_at(pos);
        const std::uint64_t seq = sequence(cell).load(std::memory_order_acquire);  // (1)
        const auto diff = static_cast<std::int64_t>(seq - pos);
        if (diff == 0) {
          if (limit_ != 0 && !below_limit(pos)) return false;  // c elements from dequeue_pos: full
          if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
            std::memcpy(cell + ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET, &value, sizeof(T));
            sequence(cell).store(pos + 1, std::memory_order_release);  // (2)
            return true;
          }
        } else if (diff < 0) {
          return false;  // the cell still holds the element of the previous lap: full
        } else {
          pos = advanced(enqueue_pos_, pos, "enqueue_pos");
        }
      }
    }

    bool pop(T& out) {
      std::uint64_t pos = dequeue_pos_.load(std::memory_order_relaxed);
      for (;;) {
        std::byte* cell = cell_at(pos);
        const std::uint64_t seq = sequence(cell).load(std::memory_order_acquire);  // (3)
        const auto diff = static_cast<std::int64_t>(seq - (pos + 1));
        if (diff == 0) {
          if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
            std::memcpy(&out, cell + ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET, sizeof(T));
            sequence(cell).store(pos + mask_ + 1, std::memory_order_release);  // (4)
            return true;
          }
        } else if (diff < 0) {
          return false;  // not yet published: empty
        } else {
          pos = advanced(dequeue_pos_, pos, "dequeue_pos");
        }
      }
    }

    /// Elements in the queue at some recent moment (exact when quiescent).
    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      const std::uint64_t tail = enqueue_pos_.load(std::memory_order_relaxed);
      const std::uint64_t head = dequeue_pos_.load(std::memory_order_relaxed);
      // Modulo 2^64, so the count stays right when positions wrap; a
      // negative distance (a pop between the two loads) reads as 0.
      const std::uint64_t d = tail - head;
      return static_cast<std::int64_t>(d) > 0 ? d : 0;
    }

   private:
    // Capacity below R only: whether the push at `pos` leaves at most c
    // positions claimed ahead of dequeue_pos. Signed: a `pos` that dequeue_pos
    // has already passed is stale, and the CAS on enqueue_pos will say so.
    bool below_limit(std::uint64_t pos) noexcept {
      if (static_cast<std::int64_t>(pos - dequeue_seen_.load(std::memory_order_relaxed)) < limit_) return true;
      const std::uint64_t head = dequeue_pos_.load(std::memory_order_relaxed);  // (5)
      dequeue_seen_.store(head, std::memory_order_relaxed);
      return static_cast<std::int64_t>(pos - head) < limit_;
    }

    // A cell ahead of `pos` means another operation claimed `pos` (its CAS on
    // the position came before the sequence store we read, (1)/(3)), so the
    // position has moved past it. If it has not, the segment is corrupt: a
    // retry would read the same cell forever.
    static std::uint64_t advanced(std::atomic_ref<std::uint64_t> position, std::uint64_t pos, const char* which) {
      const std::uint64_t now = position.load(std::memory_order_relaxed);
      if (static_cast<std::int64_t>(now - pos) <= 0) {
        throw CorruptState(std::string("vyukov_bounded: the cell of ") + which + " " + std::to_string(pos) +
                           " is a lap ahead, but " + which + " did not move past it");
      }
      return now;
    }

    std::byte* cell_at(std::uint64_t pos) const noexcept {
      return cells_ + (pos & mask_) * stride(sizeof(T));
    }
    static std::atomic_ref<std::uint64_t> sequence(std::byte* cell) noexcept {
      return std::atomic_ref<std::uint64_t>(reinterpret_cast<zeroipc_vyukov_cell*>(cell)->sequence);
    }

    std::atomic_ref<std::uint64_t> enqueue_pos_;
    std::atomic_ref<std::uint64_t> dequeue_pos_;
    std::byte* cells_;
    std::uint64_t mask_;   // R - 1
    std::int64_t limit_;   // c when c < R; 0 (no check) when c == R
    // An earlier value of dequeue_pos (this handle's copy, for (5)); atomic
    // because threads may share a handle. Any value a thread stores here was
    // dequeue_pos once, so the copy is never above it.
    std::atomic<std::uint64_t> dequeue_seen_;
  };
};

}  // namespace zeroipc::variants
