// zeroipc/variants/lcrq.h — Morrison & Afek's LCRQ, "Fast Concurrent Queues
// for x86 Processors" (PPoPP 2013), in shared memory.
//
// A linked list of CRQs (concurrent ring queues). Each CRQ is a ring of R
// 16-byte cells {safe bit + 63-bit index, value}; enqueue and dequeue take a
// position with fetch-and-add on tail / head and settle the cell with one
// 16-byte compare-and-swap (CAS2, x86-64 cmpxchg16b). A CRQ that fills up, or
// whose enqueuer starves, is closed (bit 63 of tail) and the enqueuer links a
// fresh CRQ holding its element behind it; dequeuers move on when a closed
// CRQ is drained.
//
// In shared memory (what the paper leaves to malloc and hazard pointers):
// - Values are data nodes: a cell's value is the id (1-based) of a node in a
//   node array, taken from / returned to a tagged Treiber free list
//   (detail/tagged_list.h). push: take a node, write the element, enqueue its
//   id. pop: dequeue an id, copy the element, free the node.
// - The CRQs are preallocated (ring_count(capacity) of them) and linked by
//   ring index, never by pointer. Free rings sit on a tagged free list.
// - Reclamation: hazard pointers, one per thread, in the `aux` word of the
//   thread's slot (detail/op_slots.h). A thread publishes the ring index it
//   is about to use, then re-reads the head (or tail) to validate. The
//   process that moves `head_ring` past a drained ring marks it RETIRED and
//   recycles it (back to the free list) once no live thread's hazard names
//   it. A slot's owner is (owner key of the process, tid) (detail/liveness.h),
//   so a killed process's hazards are recognised as dead and never block
//   recycling for good.
//
// Progress: lock-free. A ring index is always obtained without waiting; an
// enqueuer that keeps failing closes its ring after kStarvation attempts and
// succeeds in a fresh one (the paper's starvation rule).
//
// push returns false when no data node is free (capacity elements are in
// the queue or held by in-flight operations) or when every ring is in use.
//
// Capacity: any c >= 1. There are c data nodes, so at most c elements are in
// the queue (single-threaded, exactly c fit). The rings are sized from
// R = bit_ceil(max(c, 2)) (detail/ring_math.h): ring_size = min(R, 1024)
// cells, a power of two (a cell is p mod ring_size, and 63-bit positions
// wrap whole laps), and ring_count = R / ring_size + 3 rings. For a power of
// two c, R == c and nothing differs from the published layout.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.2.2):
//   0    u64 head_ring    ring index of the list's head (own line)
//   64   u64 tail_ring    ring index of the list's tail (own line)
//   128  u64 ring_pool    free rings: tag << 32 | (ring index + 1)
//   192  u64 node_pool    free data nodes: tag << 32 | node id
//   256  u64 start        first position of every ring (initial_position mod 2^62)
//   320  thread slots and recovery control, detail/op_slots.h (kOpAreaBytes);
//        a slot's `aux` is its thread's hazard (ring index + 1, 0 = none)
//   kRingsOffset = 8576: rings[ring_count], ring_bytes(capacity) each (sized from R):
//          0   u32 pool_next (free list link), 4 u32 state, 8 u32 next (ring + 1, 0 = none),
//          12  u32 owner key, 16 u64 owner pid (messages)   (state ALLOC only)
//          64  u64 head
//          128 u64 tail        bit 63: closed
//          192 cells[R]: u64 word (bit 63: unsafe, bits 0..62: index), u64 value (node id, 0 = empty)
//   nodes_offset: nodes[capacity], node_stride(element_size) each: u32 next (free list), element at +8
//
// Memory-ordering pairs (every RMW and every load of head, tail, cells,
// ring links and hazards is seq_cst, as the paper's proof and hazard
// pointers assume; these are the pairs that carry data):
//   (1) push writes the element into its node before the CAS2 that
//       publishes the node id in a cell, which pairs with (2) the dequeuer's
//       load of the cell: the pop reads the element the push wrote.
//   (3) pop copies the element out before returning the node to the free
//       list (release CAS, tagged_list (T1)), which pairs with (4) the
//       acquire CAS of a later push taking it (T2).
//   (5) a fresh ring is initialised before the CAS that links it behind
//       the tail ring, which pairs with (6) the load of `next` by anyone
//       who then moves to it.
//   (7) a thread's hazard store is ordered before its re-read of
//       head_ring/tail_ring (seq_cst store then load), and (8) a recycler
//       moves head_ring before it reads the hazards: either the recycler
//       sees the hazard, or the thread sees the ring is gone.
//
// What a kill costs (a process SIGKILLed at each step):
//   push, after taking a node, before its CAS2 succeeds: the element was in
//     flight (not pushed); the node is leaked (capacity drops by one).
//   push, after its FAA on tail, before the CAS2: a position is skipped;
//     the dequeuer that reaches it marks it empty and goes on.
//   pop, after the FAA on head, before its CAS2 empties the cell: the cell
//     keeps the element; the next lap's dequeuer marks it unsafe and passes
//     it: the element (in flight) is lost and its node and that cell leaked
//     until the ring is recycled.
//   pop, after the CAS2, before freeing the node: the element dies with the
//     consumer (in flight); the node is leaked.
//   any, holding a hazard: that ring is recycled once the process is seen dead.
//   between taking a fresh ring and linking it: the ring is recycled once
//     the owner is seen dead (state ALLOC + owner key); between marking it
//     LINKED and the linking CAS (two instructions): one ring leaked.
// Nobody waits for another process at any step: the survivors never wedge.
// What a killed process held (data nodes, a ring being allocated or linked)
// is given back by the next recovery (op_slots.h): with no operation in
// flight, the nodes at the live positions of the rings on the list from
// head_ring stay queued, every other node goes back on node_pool, and every
// ring off the list back on ring_pool. A push that finds no free node while
// a dead thread was in flight recovers by itself; Queue::recover() on demand.
//
// Bounds (a corrupt or hostile segment must not make an operation spin): a
// ring's tail at most R + kOpSlots positions ahead of its head (an enqueuer
// closes a ring at R); a cell that changes under a CAS2 at most
// kMaxCasRetries times in one operation; an operation that has moved from
// ring to ring kMaxHops(K) times without finishing checks that the list
// from head_ring has no cycle. Anything else is a CorruptState.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "zeroipc/layout/queue_lcrq.h"
#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/process.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/tagged_list.h"

namespace zeroipc::variants {

namespace lcrq_detail {

__extension__ typedef unsigned __int128 u128;

/// 16-byte compare-and-swap of {word, value} at `cell` (16-byte aligned).
/// The target attribute lets g++ emit lock cmpxchg16b without -mcx16 for the
/// whole program; ThreadSanitizer instruments the builtin as a 128-bit atomic.
#if defined(__x86_64__)
__attribute__((target("cx16")))
#endif
inline bool cas2(std::uint64_t* cell, std::uint64_t old_word, std::uint64_t old_value, std::uint64_t new_word,
                 std::uint64_t new_value) noexcept {
  const u128 expected = (static_cast<u128>(old_value) << 64) | old_word;
  const u128 desired = (static_cast<u128>(new_value) << 64) | new_word;
  return __sync_bool_compare_and_swap(reinterpret_cast<u128*>(cell), expected, desired);
}

inline constexpr std::uint64_t kFlag = std::uint64_t{1} << 63;  // tail: closed; cell word: unsafe
inline constexpr std::uint64_t kMask = kFlag - 1;              // 63-bit positions

/// a < b for 63-bit positions, modulo 2^63.
constexpr bool before(std::uint64_t a, std::uint64_t b) noexcept {
  return static_cast<std::int64_t>((a - b) << 1) < 0;
}
/// a - b for 63-bit positions, as a signed distance.
constexpr std::int64_t distance(std::uint64_t a, std::uint64_t b) noexcept {
  return static_cast<std::int64_t>((a - b) << 1) >> 1;
}

enum RingState : std::uint32_t { kFree = 0, kAlloc = 1, kLinked = 2, kRetired = 3 };

}  // namespace lcrq_detail

struct lcrq {
  static constexpr std::uint16_t kId = 2;
  static constexpr std::string_view kName = "lcrq";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// Not exact: "full" means no free data node, and in-flight operations
  /// hold nodes; "empty" is exact for the rings themselves.
  static constexpr bool kExactEmptyFull = false;

  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 31;  // node ids are 32-bit
  static constexpr std::uint64_t kMaxRingSize = 1024;
  static constexpr unsigned kStarvation = 64;  // failed enqueue attempts before closing a ring
  /// CAS2 failures on one cell within one operation after which it is corrupt.
  static constexpr unsigned kMaxCasRetries = 1u << 16;

  static constexpr std::uint64_t kOpsOffset = offsetof(zeroipc_lcrq_body, ops);
  static constexpr std::uint64_t kRingsOffset = sizeof(zeroipc_lcrq_body);
  static_assert(kRingsOffset == 8576 && kRingsOffset % 64 == 0, "rings start on a cache line (spec §7.2.2)");
  /// Moves from ring to ring within one operation after which the list is checked for a cycle.
  static constexpr std::uint64_t kMaxHops(std::uint64_t rings) noexcept { return 4 * rings + detail::kOpSlots; }

  /// Cells per ring: min(R, 1024), R = bit_ceil(max(capacity, 2)).
  static constexpr std::uint64_t ring_size(std::uint64_t capacity) noexcept {
    const std::uint64_t r = detail::ring_slots(capacity);
    return r < kMaxRingSize ? r : kMaxRingSize;
  }
  /// Enough rings for R >= `capacity` elements in full rings, plus rings
  /// being drained, recycled or filled meanwhile.
  static constexpr std::uint64_t ring_count(std::uint64_t capacity) noexcept {
    return detail::ring_slots(capacity) / ring_size(capacity) + 3;
  }
  static constexpr std::uint64_t ring_bytes(std::uint64_t capacity) noexcept {
    return sizeof(zeroipc_lcrq_ring) + sizeof(zeroipc_lcrq_cell) * ring_size(capacity);
  }
  static constexpr std::uint64_t nodes_offset(std::uint64_t capacity) noexcept {
    return kRingsOffset + ring_count(capacity) * ring_bytes(capacity);
  }
  /// Bytes of the body for `capacity` elements (rings from R, c nodes); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity, kMaxCapacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, detail::node_stride(element_size), nodes_offset(capacity));
  }

  /// One CRQ: a view of a ring's bytes.
  class Ring {
   public:
    Ring(std::byte* base, std::uint64_t size) noexcept
        : ring_(reinterpret_cast<zeroipc_lcrq_ring*>(base)),
          cells_(reinterpret_cast<std::uint64_t*>(base + sizeof(zeroipc_lcrq_ring))),
          size_(size) {}

    std::atomic_ref<std::uint32_t> state() const noexcept { return std::atomic_ref<std::uint32_t>(ring_->state); }
    std::atomic_ref<std::uint32_t> next() const noexcept { return std::atomic_ref<std::uint32_t>(ring_->next); }
    std::atomic_ref<std::uint32_t> owner_key() const noexcept { return std::atomic_ref<std::uint32_t>(ring_->owner_key); }
    std::atomic_ref<std::uint64_t> owner_pid() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->owner_pid); }
    std::atomic_ref<std::uint64_t> head() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->head); }
    std::atomic_ref<std::uint64_t> tail() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->tail); }

    /// Empty ring whose first position is `start`, holding `first` (a node
    /// id) at that position unless it is 0. The ring is private here.
    void init(std::uint64_t start, std::uint64_t first) noexcept {
      using namespace lcrq_detail;
      for (std::uint64_t i = 0; i < size_; ++i) {
        const std::uint64_t p = (start + i) & kMask;
        word(p).store(p, std::memory_order_relaxed);  // safe, index p, empty
        value(p).store(0, std::memory_order_relaxed);
      }
      if (first != 0) value(start).store(first, std::memory_order_relaxed);
      head().store(start, std::memory_order_relaxed);
      tail().store((start + (first != 0 ? 1 : 0)) & kMask, std::memory_order_relaxed);
      next().store(0, std::memory_order_relaxed);
    }

    /// The paper's CRQ enqueue; false when the ring is (or gets) closed.
    bool enqueue(std::uint64_t node) {
      using namespace lcrq_detail;
      for (unsigned attempt = 0;; ++attempt) {
        const std::uint64_t raw = tail().fetch_add(1, std::memory_order_seq_cst);
        if (raw & kFlag) return false;
        const std::uint64_t t = raw & kMask;
        const std::uint64_t w = word(t).load(std::memory_order_seq_cst);
        const std::uint64_t v = value(t).load(std::memory_order_seq_cst);
        if (v == 0) {
          const bool unsafe = (w & kFlag) != 0;
          if (!before(t, w & kMask) &&
              (!unsafe || !before(t, head().load(std::memory_order_seq_cst) & kMask)) &&
              cas2(cell(t), w, 0, t, node)) {  // (1)
            return true;
          }
        }
        const std::uint64_t h = head().load(std::memory_order_seq_cst) & kMask;
        if (distance(t, h) >= static_cast<std::int64_t>(size_) || attempt >= kStarvation) {
          tail().fetch_or(kFlag, std::memory_order_seq_cst);  // close
          return false;
        }
      }
    }

    /// The paper's CRQ dequeue; a node id, or 0 when the ring is empty.
    std::uint64_t dequeue() {
      using namespace lcrq_detail;
      // Empty without touching head: head >= tail read in that order means
      // every position below tail was taken by a dequeuer already. (Not in
      // the paper: its dequeuers always fetch-and-add, and a consumer polling
      // an empty ring then pushes head past tail and makes fix_state and the
      // producer's retries pay for every poll.)
      const std::uint64_t h0 = head().load(std::memory_order_seq_cst) & kMask;
      if (!before(h0, tail().load(std::memory_order_seq_cst) & kMask)) return 0;
      for (;;) {
        const std::uint64_t h = head().fetch_add(1, std::memory_order_seq_cst) & kMask;
        const std::uint64_t next_lap = (h + size_) & kMask;
        unsigned spins = 0;
        for (unsigned retries = 0;; ++retries) {
          if (retries > kMaxCasRetries) {
            throw CorruptState("an lcrq cell changed under " + std::to_string(kMaxCasRetries) + " CAS2 attempts");
          }
          const std::uint64_t w = word(h).load(std::memory_order_seq_cst);  // (2)
          const std::uint64_t v = value(h).load(std::memory_order_seq_cst);
          const std::uint64_t idx = w & kMask;
          const std::uint64_t unsafe = w & kFlag;
          if (before(h, idx)) break;  // a later lap already owns the cell
          // An enqueuer holds position h (tail is past it) but has not
          // written the cell yet: give it a moment before the empty transition.
          if (v == 0 && spins < detail::kSlowEnqueuerSpins &&
              before(h, tail().load(std::memory_order_relaxed) & kMask)) {
            ++spins;
            detail::cpu_relax();
            continue;
          }
          if (v != 0) {
            if (idx == h) {
              if (cas2(cell(h), w, v, unsafe | next_lap, 0)) return v;
            } else if (cas2(cell(h), w, v, kFlag | idx, v)) {
              break;  // an element of an earlier lap, its dequeuer late: mark unsafe
            }
          } else if (cas2(cell(h), w, 0, unsafe | next_lap, 0)) {
            break;  // empty: move the cell to the next lap so the late enqueuer fails
          }
        }
        detail::crash_point(detail::VariantCrashPoint::kDequeuePassed);
        const std::uint64_t t = tail().load(std::memory_order_seq_cst) & kMask;
        if (!before(h + 1, t)) {  // t <= h + 1: nothing left
          fix_state();
          return 0;
        }
        // Against head as it is now, loaded after t, not this thread's own
        // h: preempted since its FAA, it would see every later enqueue as lead.
        check_lead(head().load(std::memory_order_seq_cst) & kMask, t);
      }
    }

    /// A tail more than R + kOpSlots positions ahead of head is no ring's:
    /// an enqueuer closes the ring at R, and each thread takes one more.
    void check_lead(std::uint64_t h, std::uint64_t t) const {
      const std::int64_t lead = lcrq_detail::distance(t, h);
      if (lead > static_cast<std::int64_t>(size_ + detail::kOpSlots)) {
        throw CorruptState("an lcrq ring's tail is " + std::to_string(lead) + " positions ahead of its head (at most " +
                           std::to_string(size_ + detail::kOpSlots) + ")");
      }
    }

    /// The node ids at the ring's live positions [head, tail): a cell counts
    /// when it holds a value and its index is its position. Recovery only.
    template <class F>
    void for_each_live(F&& f) const {
      using namespace lcrq_detail;
      const std::uint64_t h = head().load(std::memory_order_acquire) & kMask;
      const std::uint64_t t = tail().load(std::memory_order_acquire) & kMask;
      if (!before(h, t)) return;
      check_lead(h, t);
      // The cells hold positions [h, h + R) at most: a tail further ahead
      // only counts enqueuers that failed on a full ring.
      const std::uint64_t lead = static_cast<std::uint64_t>(distance(t, h));
      const std::uint64_t end = lead > size_ ? (h + size_) & kMask : t;
      for (std::uint64_t p = h; p != end; p = (p + 1) & kMask) {
        const std::uint64_t w = word(p).load(std::memory_order_acquire);
        const std::uint64_t v = value(p).load(std::memory_order_acquire);
        if (v != 0 && (w & kMask) == p) f(v);
      }
    }

    /// Elements in the ring (cells holding a value): exact when quiescent.
    std::uint64_t occupied() const noexcept {
      std::uint64_t n = 0;
      for (std::uint64_t i = 0; i < size_; ++i) {
        n += std::atomic_ref<std::uint64_t>(cells_[2 * i + 1]).load(std::memory_order_relaxed) != 0;
      }
      return n;
    }

   private:
    // Dequeuers overtook the tail: move it up to head (closed bit kept).
    void fix_state() noexcept {
      using namespace lcrq_detail;
      for (;;) {
        std::uint64_t raw = tail().load(std::memory_order_seq_cst);
        const std::uint64_t h = head().load(std::memory_order_seq_cst) & kMask;
        if (tail().load(std::memory_order_seq_cst) != raw) continue;
        if (!before(raw & kMask, h)) return;  // h <= t
        if (tail().compare_exchange_strong(raw, (raw & kFlag) | h, std::memory_order_seq_cst)) return;
      }
    }

    std::uint64_t* cell(std::uint64_t p) const noexcept { return cells_ + 2 * (p & (size_ - 1)); }
    std::atomic_ref<std::uint64_t> word(std::uint64_t p) const noexcept {
      return std::atomic_ref<std::uint64_t>(cell(p)[0]);
    }
    std::atomic_ref<std::uint64_t> value(std::uint64_t p) const noexcept {
      return std::atomic_ref<std::uint64_t>(cell(p)[1]);
    }
    zeroipc_lcrq_ring* ring_;
    std::uint64_t* cells_;
    std::uint64_t size_;
  };

  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t element_size,
                   std::uint64_t start) noexcept {
    const std::uint64_t first = start & (lcrq_detail::kMask >> 1);  // far from 2^63: see "start" above
    auto* b = reinterpret_cast<zeroipc_lcrq_body*>(body);
    b->start = first;
    // head_ring = tail_ring = 0; ring 0 linked and empty; rings 1.. on the free list.
    const std::uint64_t rings = ring_count(capacity);
    Ring ring0(body + kRingsOffset, ring_size(capacity));
    ring0.init(first, 0);
    ring0.state().store(lcrq_detail::kLinked, std::memory_order_relaxed);
    const std::uint64_t ring_pool = 2;  // ring 1, tag 0
    b->ring_pool = ring_pool;
    for (std::uint64_t r = 1; r < rings; ++r) {
      const auto next = static_cast<std::uint32_t>(r + 1 < rings ? r + 2 : 0);
      reinterpret_cast<zeroipc_lcrq_ring*>(body + kRingsOffset + r * ring_bytes(capacity))->pool_next = next;
    }
    // Every data node free: node_pool = node 1, node i links to i + 1.
    const std::uint64_t node_pool = 1;
    b->node_pool = node_pool;
    const std::uint64_t stride = detail::node_stride(element_size);
    for (std::uint64_t i = 0; i < capacity; ++i) {
      const auto next = static_cast<std::uint32_t>(i + 1 < capacity ? i + 2 : 0);
      reinterpret_cast<zeroipc_lcrq_node*>(body + nodes_offset(capacity) + i * stride)->next = next;
    }
  }

  static zeroipc_lcrq_body& layout(std::byte* body) noexcept { return *reinterpret_cast<zeroipc_lcrq_body*>(body); }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept
        : body_(body),
          capacity_(capacity),
          ring_size_(ring_size(capacity)),
          rings_(ring_count(capacity)),
          ring_bytes_(ring_bytes(capacity)),
          start_(std::atomic_ref<std::uint64_t>(layout(body).start).load(std::memory_order_relaxed) &
                 (lcrq_detail::kMask >> 1)),
          head_ring_(layout(body).head_ring),
          tail_ring_(layout(body).tail_ring),
          ring_pool_(layout(body).ring_pool, body + kRingsOffset, ring_bytes(capacity), ring_count(capacity)),
          nodes_(layout(body).node_pool, body + nodes_offset(capacity),
                 detail::node_stride(sizeof(T)), capacity),
          ops_(body + kOpsOffset) {}

    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;

    bool push(const T& value) {
      const std::uint32_t slot = ops_.my_slot(handle_);  // may throw: before taking anything
      return ops_.push(slot, [&] {
        const std::uint32_t node = nodes_.take();  // (4)
        if (node == 0) return false;  // full, or a dead operation holds nodes (ops_.push recovers once)
        detail::crash_point(detail::VariantCrashPoint::kPushHolding);
        std::memcpy(nodes_.element(node), &value, sizeof(T));
        const HazardClearer clear{ops_, slot};
        if (enqueue(node, slot)) return true;
        nodes_.link(node);  // every ring in use (a dead allocator's too: ops_.push recovers once)
        return false;
      }, rebuild_fn());
    }

    bool pop(T& out) {
      const std::uint32_t slot = ops_.my_slot(handle_);
      detail::OpScope op(ops_, slot, rebuild_fn());
      std::uint64_t node = 0;
      {
        const HazardClearer clear{ops_, slot};
        node = dequeue(slot);
      }
      if (node == 0) return false;
      detail::crash_point(detail::VariantCrashPoint::kPopHolding);
      const auto id = static_cast<std::uint32_t>(node);
      std::memcpy(&out, nodes_.element(id), sizeof(T));
      nodes_.link(id);  // (3)
      return true;
    }

    /// Elements in the rings from head to tail: exact when quiescent.
    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      std::uint64_t n = 0;
      std::uint64_t r = head_ring_.load(std::memory_order_acquire);
      for (std::uint64_t hops = 0; hops < rings_ && r < rings_; ++hops) {
        const Ring ring = ring_at(r);
        n += ring.occupied();
        const std::uint32_t next = ring.next().load(std::memory_order_acquire);
        if (next == 0) break;
        r = next - 1;
      }
      return n < capacity_ ? n : capacity_;
    }

    /// Gives back the nodes and rings that killed processes held (op_slots.h); how many nodes.
    std::uint64_t recover() { return ops_.recover_or_throw(rebuild_fn()); }

   private:
    // Withdraws this thread's hazard when the ring work of an operation is over.
    struct HazardClearer {
      detail::OpSlots& ops;
      std::uint32_t slot;
      ~HazardClearer() { ops.aux(slot).store(0, std::memory_order_release); }
    };

    bool enqueue(std::uint64_t node, std::uint32_t slot) {
      for (std::uint64_t hops = 0;; ++hops) {
        if (hops > kMaxHops(rings_)) {
          check_list();
          hops = 0;
        }
        const std::uint64_t r = ring_index(protect(tail_ring_, slot));
        Ring ring = ring_at(r);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next != 0) {  // the tail lags: help it along
          std::uint64_t expected = r;
          tail_ring_.compare_exchange_strong(expected, next_index(r, next), std::memory_order_seq_cst);
          continue;
        }
        if (ring.enqueue(node)) return true;
        // Closed: a fresh ring that already holds the element, linked behind.
        const std::uint32_t fresh_id = allocate_ring(node);
        if (fresh_id == 0) return false;
        Ring fresh = ring_at(fresh_id - 1);
        fresh.state().store(lcrq_detail::kLinked, std::memory_order_seq_cst);
        std::uint32_t none = 0;
        if (ring.next().compare_exchange_strong(none, fresh_id, std::memory_order_seq_cst)) {  // (5)
          std::uint64_t expected = r;
          tail_ring_.compare_exchange_strong(expected, fresh_id - 1, std::memory_order_seq_cst);
          return true;
        }
        fresh.state().store(lcrq_detail::kFree, std::memory_order_seq_cst);  // another enqueuer linked first
        ring_pool_.link(fresh_id);
      }
    }

    std::uint64_t dequeue(std::uint32_t slot) {
      for (std::uint64_t hops = 0;; ++hops) {
        if (hops > kMaxHops(rings_)) {
          check_list();
          hops = 0;
        }
        const std::uint64_t r = ring_index(protect(head_ring_, slot));
        Ring ring = ring_at(r);
        std::uint64_t node = ring.dequeue();
        if (node != 0) return checked(node);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next == 0) return 0;
        // Closed and linked: one more try, for an enqueue that completed
        // before the ring closed, then move on.
        node = ring.dequeue();
        if (node != 0) return checked(node);
        const std::uint64_t successor = next_index(r, next);
        std::uint64_t expected = r;
        tail_ring_.compare_exchange_strong(expected, successor, std::memory_order_seq_cst);  // tail never lags head
        expected = r;
        if (head_ring_.compare_exchange_strong(expected, successor, std::memory_order_seq_cst)) {  // (8)
          ops_.aux(slot).store(0, std::memory_order_seq_cst);
          ring.state().store(lcrq_detail::kRetired, std::memory_order_seq_cst);
          try_recycle(r);
        }
      }
    }

    // ---- reads of ring and node indices from the segment, checked

    std::uint64_t ring_index(std::uint64_t r) const {
      if (r >= rings_) {
        throw CorruptState("lcrq ring index " + std::to_string(r) + " is past the " + std::to_string(rings_) + " rings");
      }
      return r;
    }
    // The ring after `r`, from its `next` word: a ring of this queue, and never `r` itself.
    std::uint64_t next_index(std::uint64_t r, std::uint32_t next) const {
      if (next > rings_ || next - 1 == r) {
        throw CorruptState("lcrq ring " + std::to_string(r) + " links to " +
                           (next > rings_ ? "ring " + std::to_string(next - 1) + " of " + std::to_string(rings_)
                                          : std::string("itself")));
      }
      return next - 1;
    }
    // A node id from a cell: one the segment could not have produced is a
    // CorruptState, never an offset past the node array.
    std::uint64_t checked(std::uint64_t node) const {
      if (node > capacity_) {
        throw CorruptState("lcrq node id " + std::to_string(node) + " is past the capacity " + std::to_string(capacity_));
      }
      return node;
    }

    // The list from head_ring, as ring indices: no index past the rings, no
    // ring twice (a cycle). Walked by an operation that keeps moving without
    // finishing, and by recovery.
    std::vector<std::uint64_t> check_list() const {
      std::vector<bool> seen(rings_, false);
      std::vector<std::uint64_t> list;
      std::uint64_t r = ring_index(head_ring_.load(std::memory_order_acquire));
      for (;;) {
        if (seen[r]) throw CorruptState("the lcrq ring list from head_ring meets ring " + std::to_string(r) + " twice");
        seen[r] = true;
        list.push_back(r);
        const std::uint32_t next = ring_at(r).next().load(std::memory_order_acquire);
        if (next == 0) return list;
        r = next_index(r, next);
      }
    }

    // (7) Publishes the ring `where` names in this thread's hazard slot and
    // returns it once re-reading `where` confirms it is still there.
    std::uint64_t protect(std::atomic_ref<std::uint64_t> where, std::uint32_t slot) noexcept {
      std::uint64_t r = where.load(std::memory_order_seq_cst);
      for (;;) {
        ops_.aux(slot).store(r + 1, std::memory_order_seq_cst);
        const std::uint64_t again = where.load(std::memory_order_seq_cst);
        if (again == r) return r;
        r = again;
      }
    }

    // A free ring, initialised and owned by this process (state ALLOC),
    // holding `node`; 0 when every ring is in use.
    std::uint32_t allocate_ring(std::uint64_t node) {
      for (int round = 0; round < 2; ++round) {
        const std::uint32_t id = ring_pool_.take();
        if (id != 0 && id <= rings_) {
          Ring ring = ring_at(id - 1);
          ring.owner_key().store(zeroipc::detail::self_key(), std::memory_order_relaxed);
          ring.owner_pid().store(static_cast<std::uint64_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
          ring.state().store(lcrq_detail::kAlloc, std::memory_order_seq_cst);
          ring.init(start_, node);
          return id;
        }
        if (round == 0) recycle_all();
      }
      return 0;
    }

    // Rings whose recycling was put off (a hazard named them) or whose
    // owner died before linking them.
    void recycle_all() {
      for (std::uint64_t r = 0; r < rings_; ++r) {
        Ring ring = ring_at(r);
        std::uint32_t state = ring.state().load(std::memory_order_seq_cst);
        if (state == lcrq_detail::kAlloc &&
            !zeroipc::detail::owner_alive(body_, ring.owner_key().load(std::memory_order_relaxed))) {
          ring.state().compare_exchange_strong(state, lcrq_detail::kRetired, std::memory_order_seq_cst);
        }
        try_recycle(r);
      }
    }

    // A RETIRED ring that no live thread's hazard names goes back to the
    // free list (exactly once: the state CAS decides who links it).
    void try_recycle(std::uint64_t r) {
      Ring ring = ring_at(r);
      if (ring.state().load(std::memory_order_seq_cst) != lcrq_detail::kRetired) return;
      for (std::uint32_t s = 0; s < detail::kOpSlots; ++s) {
        if (ops_.aux(s).load(std::memory_order_seq_cst) == r + 1 && ops_.slot_owner_alive(s)) return;  // (8)
      }
      std::uint32_t retired = lcrq_detail::kRetired;
      if (ring.state().compare_exchange_strong(retired, lcrq_detail::kFree, std::memory_order_seq_cst)) {
        ring_pool_.link(static_cast<std::uint32_t>(r + 1));
      }
    }

    // ---- recovery (op_slots.h)

    auto rebuild_fn() {
      return [this] { return rebuild(); };
    }
    // With no operation in flight: the nodes at the live positions of the
    // rings on the list stay queued; every other node goes back on
    // node_pool and every ring off the list on ring_pool. The rings on the
    // list are not written (but a lagging tail_ring is moved onto it), so a
    // recovery cut short by a kill is simply done again. Returns how many
    // nodes were neither queued nor free.
    std::uint64_t rebuild() {
      const std::vector<std::uint64_t> list = check_list();
      std::vector<bool> on_list(rings_, false);
      for (std::uint64_t r : list) on_list[r] = true;
      std::vector<bool> queued(capacity_, false);
      for (std::uint64_t r : list) {
        ring_at(r).for_each_live([&](std::uint64_t node) {
          if (queued[checked(node) - 1]) {
            throw CorruptState("lcrq node " + std::to_string(node) + " is queued twice");
          }
          queued[node - 1] = true;
        });
      }
      const std::uint64_t tail = tail_ring_.load(std::memory_order_relaxed);
      if (tail >= rings_ || !on_list[tail]) tail_ring_.store(list.back(), std::memory_order_relaxed);
      for (std::uint64_t r = 0; r < rings_; ++r) {
        if (!on_list[r]) ring_at(r).state().store(lcrq_detail::kFree, std::memory_order_relaxed);
      }
      ring_pool_.rebuild_from_unmarked(on_list);
      return detail::rebuild_free_list_except(nodes_, queued);
    }

    Ring ring_at(std::uint64_t r) const noexcept { return Ring(body_ + kRingsOffset + r * ring_bytes_, ring_size_); }

    std::byte* body_;
    std::uint64_t capacity_;
    std::uint64_t ring_size_;
    std::uint64_t rings_;
    std::uint64_t ring_bytes_;
    std::uint64_t start_;
    std::atomic_ref<std::uint64_t> head_ring_;
    std::atomic_ref<std::uint64_t> tail_ring_;
    detail::TaggedList ring_pool_;
    detail::TaggedList nodes_;
    detail::OpSlots ops_;
    const std::uint64_t handle_ = detail::op_detail::next_handle_id();
  };
};

}  // namespace zeroipc::variants
