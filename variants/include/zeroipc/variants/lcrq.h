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
// - Reclamation: hazard pointers, one per thread, in slots in the structure.
//   A thread publishes the ring index it is about to use, then re-reads the
//   head (or tail) to validate. The process that moves `head_ring` past a
//   drained ring marks it RETIRED and recycles it (back to the free list)
//   once no live thread's hazard names it. A slot's owner is (owner key of
//   the process, tid) (detail/liveness.h), so a killed process's hazards are recognised as dead
//   and never block recycling for good.
//
// Progress: lock-free. A ring index is always obtained without waiting; an
// enqueuer that keeps failing closes its ring after kStarvation attempts and
// succeeds in a fresh one (the paper's starvation rule).
//
// push returns false when no data node is free (capacity elements are in
// the queue or held by in-flight operations) or when every ring is in use.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.2.2):
//   0    u64 head_ring    ring index of the list's head (own line)
//   64   u64 tail_ring    ring index of the list's tail (own line)
//   128  u64 ring_pool    free rings: tag << 32 | (ring index + 1)
//   192  u64 node_pool    free data nodes: tag << 32 | node id
//   256  u64 start        first position of every ring (initial_position mod 2^62)
//   320  slots[kSlots], 64 bytes each: u32 owner key, u32 tid, u64 pid (messages), u64 hazard (ring + 1)
//   kRingsOffset: rings[ring_count], ring_bytes(capacity) each:
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
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/liveness.h"
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

inline pid_t current_tid() noexcept { return static_cast<pid_t>(::syscall(SYS_gettid)); }

/// Identity of a queue handle within this process, for the per-thread slot cache.
inline std::uint64_t next_handle_id() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

struct SlotCacheEntry {
  std::uint64_t handle = 0;
  std::uint32_t key = 0;
  std::uint32_t slot = 0;
};
/// The hazard slots this thread holds, for the last few queue handles it used.
inline std::array<SlotCacheEntry, 4>& slot_cache() noexcept {
  thread_local std::array<SlotCacheEntry, 4> cache{};
  return cache;
}

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
  static constexpr std::uint32_t kSlots = 128;
  static constexpr unsigned kStarvation = 64;  // failed enqueue attempts before closing a ring

  static constexpr std::uint64_t kSlotsOffset = 320;
  static constexpr std::uint64_t kRingsOffset = kSlotsOffset + 64 * std::uint64_t{kSlots};

  static constexpr std::uint64_t ring_size(std::uint64_t capacity) noexcept {
    return capacity < kMaxRingSize ? capacity : kMaxRingSize;
  }
  /// Enough rings for `capacity` elements in full rings, plus rings being
  /// drained, recycled or filled meanwhile.
  static constexpr std::uint64_t ring_count(std::uint64_t capacity) noexcept {
    return capacity / ring_size(capacity) + 3;
  }
  static constexpr std::uint64_t ring_bytes(std::uint64_t capacity) noexcept {
    return 192 + 16 * ring_size(capacity);
  }
  static constexpr std::uint64_t nodes_offset(std::uint64_t capacity) noexcept {
    return kRingsOffset + ring_count(capacity) * ring_bytes(capacity);
  }
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || capacity > kMaxCapacity || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, detail::node_stride(element_size), nodes_offset(capacity));
  }

  /// One CRQ: a view of a ring's bytes.
  class Ring {
   public:
    Ring(std::byte* base, std::uint64_t size) noexcept
        : base_(base), cells_(reinterpret_cast<std::uint64_t*>(base + 192)), size_(size) {}

    std::atomic_ref<std::uint32_t> state() const noexcept { return u32(4); }
    std::atomic_ref<std::uint32_t> next() const noexcept { return u32(8); }
    std::atomic_ref<std::uint32_t> owner_key() const noexcept { return u32(12); }
    std::atomic_ref<std::uint64_t> owner_pid() const noexcept { return u64(16); }
    std::atomic_ref<std::uint64_t> head() const noexcept { return u64(64); }
    std::atomic_ref<std::uint64_t> tail() const noexcept { return u64(128); }

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
    bool enqueue(std::uint64_t node) noexcept {
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
    std::uint64_t dequeue() noexcept {
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
        for (;;) {
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
        const std::uint64_t t = tail().load(std::memory_order_seq_cst) & kMask;
        if (!before(h + 1, t)) {  // t <= h + 1: nothing left
          fix_state();
          return 0;
        }
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
    std::atomic_ref<std::uint32_t> u32(std::size_t off) const noexcept {
      return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base_ + off));
    }
    std::atomic_ref<std::uint64_t> u64(std::size_t off) const noexcept {
      return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base_ + off));
    }

    std::byte* base_;
    std::uint64_t* cells_;
    std::uint64_t size_;
  };

  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t element_size,
                   std::uint64_t start) noexcept {
    const std::uint64_t first = start & (lcrq_detail::kMask >> 1);  // far from 2^63: see "start" above
    std::memcpy(body + 256, &first, 8);
    // head_ring = tail_ring = 0; ring 0 linked and empty; rings 1.. on the free list.
    const std::uint64_t rings = ring_count(capacity);
    Ring ring0(body + kRingsOffset, ring_size(capacity));
    ring0.init(first, 0);
    ring0.state().store(lcrq_detail::kLinked, std::memory_order_relaxed);
    const std::uint64_t ring_pool = 2;  // ring 1, tag 0
    std::memcpy(body + 128, &ring_pool, 8);
    for (std::uint64_t r = 1; r < rings; ++r) {
      const auto next = static_cast<std::uint32_t>(r + 1 < rings ? r + 2 : 0);
      std::memcpy(body + kRingsOffset + r * ring_bytes(capacity), &next, 4);
    }
    // Every data node free: node_pool = node 1, node i links to i + 1.
    const std::uint64_t node_pool = 1;
    std::memcpy(body + 192, &node_pool, 8);
    const std::uint64_t stride = detail::node_stride(element_size);
    for (std::uint64_t i = 0; i < capacity; ++i) {
      const auto next = static_cast<std::uint32_t>(i + 1 < capacity ? i + 2 : 0);
      std::memcpy(body + nodes_offset(capacity) + i * stride, &next, 4);
    }
  }

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
          start_(std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(body + 256))
                     .load(std::memory_order_relaxed) &
                 (lcrq_detail::kMask >> 1)),
          head_ring_(*reinterpret_cast<std::uint64_t*>(body)),
          tail_ring_(*reinterpret_cast<std::uint64_t*>(body + 64)),
          ring_pool_(*reinterpret_cast<std::uint64_t*>(body + 128), body + kRingsOffset, ring_bytes(capacity),
                     ring_count(capacity)),
          nodes_(*reinterpret_cast<std::uint64_t*>(body + 192), body + nodes_offset(capacity),
                 detail::node_stride(sizeof(T)), capacity) {}

    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;

    /// Gives back the hazard slots this handle's threads hold in this process.
    ~queue() {
      const std::uint32_t me = zeroipc::detail::self_key();
      std::lock_guard lock(mutex_);
      for (const auto& [owner, slot] : claimed_) {
        if (owner.first != me) continue;  // inherited across fork(): the parent's
        slot_hazard(slot).store(0, std::memory_order_release);
        slot_key(slot).store(0, std::memory_order_release);
      }
      for (auto& e : lcrq_detail::slot_cache()) {
        if (e.handle == handle_) e = {};
      }
    }

    bool push(const T& value) {
      const std::uint32_t slot = my_slot();      // may throw: before taking anything
      const std::uint32_t node = nodes_.take();  // (4)
      if (node == 0) return false;               // no free node: full
      std::memcpy(nodes_.element(node), &value, sizeof(T));
      const bool ok = enqueue(node, slot);
      slot_hazard(slot).store(0, std::memory_order_release);
      if (!ok) nodes_.link(node);  // every ring in use
      return ok;
    }

    bool pop(T& out) {
      const std::uint32_t slot = my_slot();
      const std::uint64_t node = dequeue(slot);
      slot_hazard(slot).store(0, std::memory_order_release);
      if (node == 0) return false;
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

   private:
    using Owner = std::pair<std::uint32_t, pid_t>;  // (owner key, tid)

    bool enqueue(std::uint64_t node, std::uint32_t slot) {
      for (;;) {
        const std::uint64_t r = protect(tail_ring_, slot);
        if (r >= rings_) return false;  // corrupt segment: refuse, never index past the rings
        Ring ring = ring_at(r);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next != 0) {  // the tail lags: help it along
          if (next > rings_) return false;
          std::uint64_t expected = r;
          tail_ring_.compare_exchange_strong(expected, next - 1, std::memory_order_seq_cst);
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
      for (;;) {
        const std::uint64_t r = protect(head_ring_, slot);
        if (r >= rings_) return 0;
        Ring ring = ring_at(r);
        std::uint64_t node = ring.dequeue();
        if (node != 0) return checked(node);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next == 0) return 0;
        // Closed and linked: one more try, for an enqueue that completed
        // before the ring closed, then move on.
        node = ring.dequeue();
        if (node != 0) return checked(node);
        if (next > rings_) return 0;
        std::uint64_t expected = r;
        tail_ring_.compare_exchange_strong(expected, next - 1, std::memory_order_seq_cst);  // tail never lags head
        expected = r;
        if (head_ring_.compare_exchange_strong(expected, next - 1, std::memory_order_seq_cst)) {  // (8)
          slot_hazard(slot).store(0, std::memory_order_seq_cst);
          ring.state().store(lcrq_detail::kRetired, std::memory_order_seq_cst);
          try_recycle(r);
        }
      }
    }

    // A node id from a cell: one the segment could not have produced reads
    // as "empty" instead of indexing past the node array.
    std::uint64_t checked(std::uint64_t node) const noexcept { return node <= capacity_ ? node : 0; }

    // (7) Publishes the ring `where` names in this thread's hazard slot and
    // returns it once re-reading `where` confirms it is still there.
    std::uint64_t protect(std::atomic_ref<std::uint64_t> where, std::uint32_t slot) noexcept {
      std::uint64_t r = where.load(std::memory_order_seq_cst);
      for (;;) {
        slot_hazard(slot).store(r + 1, std::memory_order_seq_cst);
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
      for (std::uint32_t s = 0; s < kSlots; ++s) {
        if (slot_hazard(s).load(std::memory_order_seq_cst) == r + 1 && slot_owner_alive(s)) return;  // (8)
      }
      std::uint32_t retired = lcrq_detail::kRetired;
      if (ring.state().compare_exchange_strong(retired, lcrq_detail::kFree, std::memory_order_seq_cst)) {
        ring_pool_.link(static_cast<std::uint32_t>(r + 1));
      }
    }

    // ---- hazard slots ----------------------------------------------------

    std::uint32_t my_slot() {
      const std::uint32_t me = zeroipc::detail::self_key();
      for (const auto& e : lcrq_detail::slot_cache()) {
        if (e.handle == handle_ && e.key == me) return e.slot;
      }
      return claim_slot(me);
    }

    std::uint32_t claim_slot(std::uint32_t me) {
      const pid_t tid = lcrq_detail::current_tid();
      std::lock_guard lock(mutex_);
      std::uint32_t slot = 0;
      // A thread that exited left its slot claimed under its tid; a new
      // thread with the same tid reuses it, unless it was taken over.
      if (auto it = claimed_.find(Owner{me, tid});
          it != claimed_.end() && slot_key(it->second).load(std::memory_order_seq_cst) == me &&
          slot_tid(it->second).load(std::memory_order_relaxed) == static_cast<std::uint32_t>(tid)) {
        slot = it->second;
      } else {
        slot = take_free_slot(me, tid);
        claimed_[Owner{me, tid}] = slot;
      }
      auto& cache = lcrq_detail::slot_cache();
      std::rotate(cache.rbegin(), cache.rbegin() + 1, cache.rend());  // most recent first
      cache[0] = {handle_, me, slot};
      return slot;
    }

    std::uint32_t take_free_slot(std::uint32_t me, pid_t tid) {
      for (int pass = 0; pass < 2; ++pass) {
        for (std::uint32_t s = 0; s < kSlots; ++s) {
          std::uint32_t holder = slot_key(s).load(std::memory_order_seq_cst);
          if (holder != 0 && (pass == 0 || slot_owner_alive(s))) continue;
          if (slot_key(s).compare_exchange_strong(holder, me, std::memory_order_seq_cst)) {
            slot_tid(s).store(static_cast<std::uint32_t>(tid), std::memory_order_relaxed);
            slot_pid(s).store(static_cast<std::uint64_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
            slot_hazard(s).store(0, std::memory_order_seq_cst);
            return s;
          }
        }
      }
      throw std::runtime_error("zeroipc: lcrq: all " + std::to_string(kSlots) +
                               " hazard slots are held by live threads (one per thread using the queue)");
    }

    // Whether the thread that holds slot `s` still exists. A slot being
    // claimed (tid not yet written) counts as alive.
    bool slot_owner_alive(std::uint32_t s) const noexcept {
      const std::uint32_t key = slot_key(s).load(std::memory_order_seq_cst);
      if (key == 0) return false;
      if (key == zeroipc::detail::self_key()) {
        const auto tid = static_cast<pid_t>(slot_tid(s).load(std::memory_order_relaxed));
        return tid == 0 || ::syscall(SYS_tgkill, zeroipc::detail::current_pid(), tid, 0) == 0;
      }
      return zeroipc::detail::owner_alive(body_, key);
    }

    std::atomic_ref<std::uint32_t> slot_key(std::uint32_t s) const noexcept { return slot_u32(s, 0); }
    std::atomic_ref<std::uint32_t> slot_tid(std::uint32_t s) const noexcept { return slot_u32(s, 4); }
    std::atomic_ref<std::uint64_t> slot_pid(std::uint32_t s) const noexcept { return slot_u64(s, 8); }
    std::atomic_ref<std::uint64_t> slot_hazard(std::uint32_t s) const noexcept { return slot_u64(s, 16); }
    std::atomic_ref<std::uint32_t> slot_u32(std::uint32_t s, std::size_t off) const noexcept {
      return std::atomic_ref<std::uint32_t>(
          *reinterpret_cast<std::uint32_t*>(body_ + kSlotsOffset + 64 * std::uint64_t{s} + off));
    }
    std::atomic_ref<std::uint64_t> slot_u64(std::uint32_t s, std::size_t off) const noexcept {
      return std::atomic_ref<std::uint64_t>(
          *reinterpret_cast<std::uint64_t*>(body_ + kSlotsOffset + 64 * std::uint64_t{s} + off));
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
    const std::uint64_t handle_ = lcrq_detail::next_handle_id();
    std::mutex mutex_;
    std::map<Owner, std::uint32_t> claimed_;
  };
};

}  // namespace zeroipc::variants
