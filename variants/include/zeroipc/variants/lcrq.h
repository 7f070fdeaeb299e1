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
// - Direct cells (`lcrq`, elements of at most 8 bytes): a cell's value is
//   the element itself, as the paper's cells hold the pointer; bit 62 of the
//   cell's word says the cell is full (the paper's value != ⊥), so positions
//   are 62 bits. A push is one FAA and one CAS2, a pop the same: nothing is
//   held outside the rings. The paper's queue is unbounded; this one holds
//   at most `capacity` elements by positions (see "direct cells" in queue<T>).
// - Data nodes (`lcrq_nodes`, and `lcrq` with larger elements): a cell's
//   value is the id (1-based) of a node in a node array, taken from /
//   returned to a tagged Treiber free list (detail/tagged_list.h). push:
//   take a node, write the element, enqueue its id. pop: dequeue an id, copy
//   the element, free the node. Two more CAS per message, on a line both
//   sides write.
// - The CRQs are preallocated (ring_count(capacity) of them) and linked by
//   ring index, never by pointer. Free rings sit on a tagged free list.
// - Reclamation: hazard pointers, one per thread, in the `aux` word of the
//   thread's slot (detail/op_slots.h). A thread publishes the ring index it
//   is about to use, then re-reads the head (or tail) to validate; the
//   hazard stands after the operation, so that the next one on the same
//   ring (nearly all of them) publishes nothing. The process that moves
//   `head_ring` past a drained ring marks it RETIRED and recycles it (back
//   to the free list) once no live thread inside an operation has a hazard
//   naming it (a standing hazard of an idle thread is passed over, after an
//   asymmetric fence: try_recycle). A slot's owner is (owner key of the process, tid) (detail/liveness.h),
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
//   (9) a thread's store of `active` = 1 (op_slots.h D1) before its load
//       of head_ring/tail_ring, against the recycler's move of head_ring
//       (8), heavy_fence() and load of `active`: either the recycler sees
//       the thread inside an operation (its standing hazard counts), or
//       the thread will load the new head_ring/tail_ring.
//
// What a kill costs (a process SIGKILLed at each step). Direct cells:
//   push, after its FAA, before its CAS2: a position is skipped (not
//     pushed). Pop, after its CAS2: the element dies with the consumer.
//   pop, after its FAA, before its CAS2: the element in flight is lost,
//     and its cell, still full, is skipped by later laps: one position of
//     capacity per such kill, until a recovery (run by a push that finds
//     the queue full while a dead thread was in flight, or recover())
//     empties it (Ring::clear_orphans). A push recovers by itself only
//     while it sees a dead thread's slot: capacity_recovery_test found
//     such cells (1-8 per 1000 kills) after an earlier recovery had freed
//     the slots, so after kills, recover() gives the full capacity back
//     for certain. Until then a push whose position comes round to such a
//     cell is refused ("full") up to kReadBoundEvery - 1 times per handle
//     before it reads head and passes the cell (admit). No data node
//     exists to leak.
// Data nodes:
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
#include "zeroipc/variants/detail/cas2.h"
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

using detail::cas2;  // detail/cas2.h: lock cmpxchg16b, shared with scq's direct cells

inline constexpr std::uint64_t kFlag = std::uint64_t{1} << 63;  // tail: closed; cell word: unsafe
inline constexpr std::uint64_t kHolds = std::uint64_t{1} << 62;  // direct cells: the cell holds an element

/// How a ring's cells hold elements (SPECIFICATION.md §7.2.2).
///   Nodes:  value = a data node's id, 0 = empty; positions of 63 bits.
///   Direct: value = the element's bytes (up to 8), word bit 62 = full;
///           positions of 62 bits (bit 62 of the word is taken).
template <bool Direct>
struct Cells {
  static constexpr bool kDirect = Direct;
  static constexpr unsigned kBits = Direct ? 62 : 63;
  static constexpr std::uint64_t kMask = (std::uint64_t{1} << kBits) - 1;  // a position
  static constexpr unsigned kShift = 64 - kBits;

  /// a < b for positions, modulo 2^kBits.
  static constexpr bool before(std::uint64_t a, std::uint64_t b) noexcept {
    return static_cast<std::int64_t>((a - b) << kShift) < 0;
  }
  /// a - b for positions, as a signed distance.
  static constexpr std::int64_t distance(std::uint64_t a, std::uint64_t b) noexcept {
    return static_cast<std::int64_t>((a - b) << kShift) >> kShift;
  }
  /// Whether a cell {word, value} holds an element.
  static constexpr bool full(std::uint64_t word, std::uint64_t value) noexcept {
    return Direct ? (word & kHolds) != 0 : value != 0;
  }
  /// The word of a cell that holds an element at position index `idx` (safe).
  static constexpr std::uint64_t holding(std::uint64_t idx) noexcept { return Direct ? idx | kHolds : idx; }
  /// The value an emptied cell keeps: nodes, 0; direct, the old bytes (the word says empty).
  static constexpr std::uint64_t emptied(std::uint64_t value) noexcept { return Direct ? value : 0; }
};
using NodeCells = Cells<false>;
using DirectCells = Cells<true>;
static_assert(NodeCells::before(NodeCells::kMask, 0) && DirectCells::before(DirectCells::kMask, 0) &&
                  DirectCells::distance(1, DirectCells::kMask) == 2,
              "positions wrap whole: the last position is before the first of the next lap");

enum RingState : std::uint32_t { kFree = 0, kAlloc = 1, kLinked = 2, kRetired = 3 };

/// What one ring's enqueue did.
enum class Enq { kDone, kClosed, kFull };

}  // namespace lcrq_detail

/// The LCRQ family: `lcrq` stores elements of up to 8 bytes in the cells
/// (direct) and larger ones in data nodes; `lcrq_nodes` always uses nodes
/// (the indirect design, for comparison and for its crash behaviour).
template <std::uint16_t Id, bool NodesOnly>
struct basic_lcrq {
  static constexpr std::uint16_t kId = Id;
  static constexpr std::string_view kName = NodesOnly ? "lcrq_nodes" : "lcrq";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// Not exact: "full" means no free data node (in-flight operations hold
  /// nodes), or, direct, a position bound that counts skipped positions;
  /// "empty" is exact for the rings themselves.
  static constexpr bool kExactEmptyFull = false;

  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 31;  // node ids are 32-bit
  static constexpr std::uint64_t kMaxRingSize = 1024;
  static constexpr unsigned kStarvation = 64;  // failed enqueue attempts before closing a ring
  /// CAS2 failures on one cell within one operation after which it is corrupt.
  static constexpr unsigned kMaxCasRetries = 1u << 16;
  /// Elements of at most this many bytes go in the cells (lcrq, not lcrq_nodes).
  static constexpr std::uint32_t kMaxDirectSize = 8;

  static constexpr std::uint64_t kOpsOffset = offsetof(zeroipc_lcrq_body, ops);
  static constexpr std::uint64_t kRingsOffset = sizeof(zeroipc_lcrq_body);
  static_assert(kRingsOffset == 8576 && kRingsOffset % 64 == 0, "rings start on a cache line (spec §7.2.2)");
  /// Moves from ring to ring within one operation after which the list is checked for a cycle.
  static constexpr std::uint64_t kMaxHops(std::uint64_t rings) noexcept { return 4 * rings + detail::kOpSlots; }

  /// Whether elements of `element_size` bytes are stored in the cells.
  static constexpr bool direct(std::uint32_t element_size) noexcept {
    return !NodesOnly && element_size <= kMaxDirectSize;
  }
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
  /// Bytes of the body for `capacity` elements (rings from R, and c nodes
  /// unless direct); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity, kMaxCapacity) || element_size == 0) return 0;
    if (direct(element_size)) return nodes_offset(capacity);
    return detail::mul_add_or_zero(capacity, detail::node_stride(element_size), nodes_offset(capacity));
  }

  /// One CRQ: a view of a ring's bytes.
  template <class C>
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
    std::atomic_ref<std::uint64_t> first() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->first); }
    std::atomic_ref<std::uint64_t> head() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->head); }
    std::atomic_ref<std::uint64_t> tail() const noexcept { return std::atomic_ref<std::uint64_t>(ring_->tail); }

    /// Empty ring whose first position is `start`, holding `x` at that
    /// position if `with_x`. The ring is private here.
    void init(std::uint64_t start, bool with_x, std::uint64_t x) noexcept {
      for (std::uint64_t i = 0; i < size_; ++i) {
        const std::uint64_t p = (start + i) & C::kMask;
        word(p).store(p, std::memory_order_relaxed);  // safe, index p, empty
        value(p).store(0, std::memory_order_relaxed);
      }
      if (with_x) {
        word(start).store(C::holding(start), std::memory_order_relaxed);
        value(start).store(x, std::memory_order_relaxed);
      }
      if constexpr (C::kDirect) first().store(start, std::memory_order_relaxed);
      head().store(start, std::memory_order_relaxed);
      tail().store((start + (with_x ? 1 : 0)) & C::kMask, std::memory_order_relaxed);
      next().store(0, std::memory_order_relaxed);
    }

    /// The paper's CRQ enqueue of `x` (a node id, or direct the element's
    /// bytes). kClosed when the ring is (or gets) closed, with `end` a
    /// position at or past every position of the ring; kFull when `admit`
    /// refuses the position taken (it is skipped: dequeuers pass it).
    template <class Admit>
    lcrq_detail::Enq enqueue(std::uint64_t x, Admit&& admit, std::uint64_t& end) {
      using lcrq_detail::Enq;
      using lcrq_detail::kFlag;
      for (unsigned attempt = 0;; ++attempt) {
        const std::uint64_t raw = tail().fetch_add(1, std::memory_order_seq_cst);
        if (raw & kFlag) {
          end = raw & C::kMask;
          return Enq::kClosed;
        }
        const std::uint64_t t = raw & C::kMask;
        if (!admit(t)) {
          pass_over(t);
          return Enq::kFull;
        }
        const std::uint64_t w = word(t).load(std::memory_order_seq_cst);
        const std::uint64_t v = value(t).load(std::memory_order_seq_cst);
        if (!C::full(w, v)) {
          const bool unsafe = (w & kFlag) != 0;
          if (!C::before(t, w & C::kMask) &&
              (!unsafe || !C::before(t, head().load(std::memory_order_seq_cst) & C::kMask)) &&
              lcrq_detail::cas2(cell(t), w, v, C::holding(t), x)) {  // (1)
            return Enq::kDone;
          }
        }
        const std::uint64_t h = head().load(std::memory_order_seq_cst) & C::kMask;
        if (C::distance(t, h) >= static_cast<std::int64_t>(size_) || attempt >= kStarvation) {
          end = tail().fetch_or(kFlag, std::memory_order_seq_cst) & C::kMask;  // close
          return Enq::kClosed;
        }
      }
    }

    /// The paper's CRQ dequeue into `out`; false when the ring is empty.
    bool dequeue(std::uint64_t& out) {
      using lcrq_detail::kFlag;
      // Empty without touching head: head >= tail read in that order means
      // every position below tail was taken by a dequeuer already. (Not in
      // the paper: its dequeuers always fetch-and-add, and a consumer polling
      // an empty ring then pushes head past tail and makes fix_state and the
      // producer's retries pay for every poll.) A cell that already holds
      // the element of `head` answers without reading tail, the line the
      // producers write.
      const std::uint64_t h0 = head().load(std::memory_order_seq_cst) & C::kMask;
      const std::uint64_t w0 = word(h0).load(std::memory_order_seq_cst);
      const bool ready = C::full(w0, value(h0).load(std::memory_order_seq_cst)) && (w0 & C::kMask) == h0;
      if (!ready && !C::before(h0, tail().load(std::memory_order_seq_cst) & C::kMask)) return false;
      for (;;) {
        const std::uint64_t h = head().fetch_add(1, std::memory_order_seq_cst) & C::kMask;
        const std::uint64_t next_lap = (h + size_) & C::kMask;
        unsigned spins = 0;
        for (unsigned retries = 0;; ++retries) {
          if (retries > kMaxCasRetries) {
            throw CorruptState("an lcrq cell changed under " + std::to_string(kMaxCasRetries) + " CAS2 attempts");
          }
          const std::uint64_t w = word(h).load(std::memory_order_seq_cst);  // (2)
          const std::uint64_t v = value(h).load(std::memory_order_seq_cst);
          const std::uint64_t idx = w & C::kMask;
          const std::uint64_t unsafe = w & kFlag;
          const bool holds = C::full(w, v);
          if (C::before(h, idx)) break;  // a later lap already owns the cell
          // An enqueuer holds position h (tail is past it) but has not
          // written the cell yet: give it a moment before the empty transition.
          if (!holds && spins < detail::kSlowEnqueuerSpins &&
              C::before(h, tail().load(std::memory_order_relaxed) & C::kMask)) {
            ++spins;
            detail::cpu_relax();
            continue;
          }
          if (holds) {
            if (idx == h) {
              if (lcrq_detail::cas2(cell(h), w, v, unsafe | next_lap, C::emptied(v))) {
                out = v;
                return true;
              }
            } else if (lcrq_detail::cas2(cell(h), w, v, kFlag | C::holding(idx), v)) {
              break;  // an element of an earlier lap, its dequeuer late: mark unsafe
            }
          } else if (lcrq_detail::cas2(cell(h), w, v, unsafe | next_lap, v)) {
            break;  // empty: move the cell to the next lap so the late enqueuer fails
          }
        }
        detail::crash_point(detail::VariantCrashPoint::kDequeuePassed);
        const std::uint64_t t = tail().load(std::memory_order_seq_cst) & C::kMask;
        if (!C::before(h + 1, t)) {  // t <= h + 1: nothing left
          fix_state();
          return false;
        }
        // Against head as it is now, loaded after t, not this thread's own
        // h: preempted since its FAA, it would see every later enqueue as lead.
        check_lead(head().load(std::memory_order_seq_cst) & C::kMask, t);
      }
    }

    /// What the cell of position `t` says about t's previous lap, from one
    /// read of the cell: kFree, empty with t's own index (the dequeuer of
    /// t - R is done with it); kPrevious, still holding the element of
    /// t - R (not yet emptied by its dequeuer); kOther, anything else.
    enum class Lap { kFree, kPrevious, kOther };
    Lap lap_of(std::uint64_t t) const noexcept {
      const std::uint64_t w = word(t).load(std::memory_order_seq_cst);
      const bool holds = C::full(w, value(t).load(std::memory_order_seq_cst));
      if (!holds && (w & C::kMask) == t) return Lap::kFree;
      if (holds && (w & C::kMask) == ((t - size_) & C::kMask)) return Lap::kPrevious;
      return Lap::kOther;
    }

    /// An enqueuer that took position `t` and will not fill it moves its
    /// cell to the next lap itself, as the dequeuer that reaches an empty
    /// cell does: that dequeuer then passes it at once, instead of waiting
    /// for an element that is not coming. One try: if the cell changed, the
    /// dequeuer settles it.
    void pass_over(std::uint64_t t) noexcept {
      const std::uint64_t w = word(t).load(std::memory_order_seq_cst);
      const std::uint64_t v = value(t).load(std::memory_order_seq_cst);
      if (C::full(w, v) || C::before(t, w & C::kMask)) return;
      (void)lcrq_detail::cas2(cell(t), w, v, (w & lcrq_detail::kFlag) | ((t + size_) & C::kMask), v);
    }

    /// A tail more than R + kOpSlots positions ahead of head is no ring's:
    /// an enqueuer closes the ring at R, and each thread takes one more.
    void check_lead(std::uint64_t h, std::uint64_t t) const {
      const std::int64_t lead = C::distance(t, h);
      if (lead > static_cast<std::int64_t>(size_ + detail::kOpSlots)) {
        throw CorruptState("an lcrq ring's tail is " + std::to_string(lead) + " positions ahead of its head (at most " +
                           std::to_string(size_ + detail::kOpSlots) + ")");
      }
    }

    /// The values at the ring's live positions [head, tail): a cell counts
    /// when it holds an element and its index is its position. Recovery only.
    template <class F>
    void for_each_live(F&& f) const {
      const std::uint64_t h = head().load(std::memory_order_acquire) & C::kMask;
      const std::uint64_t t = tail().load(std::memory_order_acquire) & C::kMask;
      if (!C::before(h, t)) return;
      check_lead(h, t);
      // The cells hold positions [h, h + R) at most: a tail further ahead
      // only counts enqueuers that failed on a full ring.
      const std::uint64_t lead = static_cast<std::uint64_t>(C::distance(t, h));
      const std::uint64_t end = lead > size_ ? (h + size_) & C::kMask : t;
      for (std::uint64_t p = h; p != end; p = (p + 1) & C::kMask) {
        const std::uint64_t w = word(p).load(std::memory_order_acquire);
        const std::uint64_t v = value(p).load(std::memory_order_acquire);
        if (C::full(w, v) && (w & C::kMask) == p) f(v);
      }
    }

    /// Recovery only, with no operation in flight: empties every cell that
    /// holds an element of a position below head. Its dequeuer took that
    /// position and died before its CAS2 (the element was in flight, and is
    /// lost with it); later laps would skip the cell for good. The cell
    /// moves to the first position at or past head that maps to it, its
    /// unsafe bit kept. How many cells were freed.
    std::uint64_t clear_orphans() noexcept {
      const std::uint64_t h = head().load(std::memory_order_acquire) & C::kMask;
      std::uint64_t freed = 0;
      for (std::uint64_t i = 0; i < size_; ++i) {
        std::uint64_t* c = cells_ + 2 * i;
        const std::uint64_t w = std::atomic_ref<std::uint64_t>(c[0]).load(std::memory_order_acquire);
        const std::uint64_t v = std::atomic_ref<std::uint64_t>(c[1]).load(std::memory_order_acquire);
        const std::uint64_t idx = w & C::kMask;
        if (!C::full(w, v) || !C::before(idx, h)) continue;
        const auto behind = static_cast<std::uint64_t>(C::distance(h, idx));
        const std::uint64_t p = (idx + (behind + size_ - 1) / size_ * size_) & C::kMask;
        std::atomic_ref<std::uint64_t>(c[0]).store((w & lcrq_detail::kFlag) | p, std::memory_order_relaxed);
        std::atomic_ref<std::uint64_t>(c[1]).store(C::emptied(v), std::memory_order_relaxed);
        ++freed;
      }
      return freed;
    }

    /// Elements in the ring (cells holding one): exact when quiescent.
    std::uint64_t occupied() const noexcept {
      std::uint64_t n = 0;
      for (std::uint64_t i = 0; i < size_; ++i) {
        n += C::full(std::atomic_ref<std::uint64_t>(cells_[2 * i]).load(std::memory_order_relaxed),
                     std::atomic_ref<std::uint64_t>(cells_[2 * i + 1]).load(std::memory_order_relaxed));
      }
      return n;
    }

   private:
    // Dequeuers overtook the tail: move it up to head (closed bit kept).
    void fix_state() noexcept {
      using lcrq_detail::kFlag;
      for (;;) {
        std::uint64_t raw = tail().load(std::memory_order_seq_cst);
        const std::uint64_t h = head().load(std::memory_order_seq_cst) & C::kMask;
        if (tail().load(std::memory_order_seq_cst) != raw) continue;
        if (!C::before(raw & C::kMask, h)) return;  // h <= t
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
    const std::uint64_t first = start & (lcrq_detail::DirectCells::kMask);  // mod 2^62: see "start" above
    auto* b = reinterpret_cast<zeroipc_lcrq_body*>(body);
    b->start = first;
    // head_ring = tail_ring = 0; ring 0 linked and empty; rings 1.. on the free list.
    const std::uint64_t rings = ring_count(capacity);
    if (direct(element_size)) {
      Ring<lcrq_detail::DirectCells>(body + kRingsOffset, ring_size(capacity)).init(first, false, 0);
    } else {
      Ring<lcrq_detail::NodeCells>(body + kRingsOffset, ring_size(capacity)).init(first, false, 0);
    }
    reinterpret_cast<zeroipc_lcrq_ring*>(body + kRingsOffset)->state = lcrq_detail::kLinked;
    const std::uint64_t ring_pool = 2;  // ring 1, tag 0
    b->ring_pool = ring_pool;
    for (std::uint64_t r = 1; r < rings; ++r) {
      const auto next = static_cast<std::uint32_t>(r + 1 < rings ? r + 2 : 0);
      reinterpret_cast<zeroipc_lcrq_ring*>(body + kRingsOffset + r * ring_bytes(capacity))->pool_next = next;
    }
    if (direct(element_size)) return;  // no data nodes: node_pool stays 0
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
    static constexpr bool kDirect = direct(sizeof(T));
    using C = lcrq_detail::Cells<kDirect>;
    using RingT = Ring<C>;

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept
        : body_(body),
          capacity_(capacity),
          ring_size_(ring_size(capacity)),
          rings_(ring_count(capacity)),
          ring_bytes_(ring_bytes(capacity)),
          start_(std::atomic_ref<std::uint64_t>(layout(body).start).load(std::memory_order_relaxed) & C::kMask),
          head_ring_(layout(body).head_ring),
          tail_ring_(layout(body).tail_ring),
          ring_pool_(layout(body).ring_pool, body + kRingsOffset, ring_bytes(capacity), ring_count(capacity)),
          nodes_(layout(body).node_pool, body + nodes_offset(capacity),
                 detail::node_stride(sizeof(T)), kDirect ? 0 : capacity),
          ops_(body + kOpsOffset),
          head_bound_(start_) {}

    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;

    bool push(const T& value) {
      const std::uint32_t slot = ops_.my_slot(handle_);  // may throw: before taking anything
      if constexpr (kDirect) {
        std::uint64_t x = 0;
        std::memcpy(&x, &value, sizeof(T));
        return ops_.push(slot, [&] { return enqueue(x, slot); }, rebuild_fn());
      } else {
        return ops_.push(slot, [&] {
          const std::uint32_t node = nodes_.take();  // (4)
          if (node == 0) return false;  // full, or a dead operation holds nodes (ops_.push recovers once)
          detail::crash_point(detail::VariantCrashPoint::kPushHolding);
          std::memcpy(nodes_.element(node), &value, sizeof(T));
          if (enqueue(node, slot)) return true;
          nodes_.link(node);  // every ring in use (a dead allocator's too: ops_.push recovers once)
          return false;
        }, rebuild_fn());
      }
    }

    bool pop(T& out) {
      const std::uint32_t slot = ops_.my_slot(handle_);
      detail::OpScope op(ops_, slot, rebuild_fn());
      std::uint64_t x = 0;
      if (!dequeue(x, slot)) return false;
      if constexpr (kDirect) {
        std::memcpy(&out, &x, sizeof(T));
      } else {
        detail::crash_point(detail::VariantCrashPoint::kPopHolding);
        const auto id = static_cast<std::uint32_t>(x);
        std::memcpy(&out, nodes_.element(id), sizeof(T));
        nodes_.link(id);  // (3)
      }
      return true;
    }

    /// Elements in the rings from head to tail: exact when quiescent.
    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      std::uint64_t n = 0;
      std::uint64_t r = head_ring_.load(std::memory_order_acquire);
      for (std::uint64_t hops = 0; hops < rings_ && r < rings_; ++hops) {
        const RingT ring = ring_at(r);
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
    // ---- direct cells: at most `capacity` elements, by position
    //
    // Direct rings take consecutive positions: a fresh ring's first position
    // is at or past every position of the ring it follows, so the elements
    // in the queue sit at distinct positions in [H, tail) of the tail ring,
    // H being the head bound below. An enqueue at position t is admitted
    // only if t - H < capacity, against a cached H (an older H is smaller:
    // the test only gets stricter) reloaded when the cached one refuses.
    // Before its FAA a push makes the same test with the ring's tail as it
    // reads it (no later than the position it would get), so that a
    // producer polling a full queue takes no position; only producers
    // racing each other past that test can take a position and refuse it
    // (it is passed over: Ring::pass_over).

    // A position at or below that of every element in the queue: the head
    // of the head ring, or the first position of the ring after it if that
    // is lower (dequeuers that found the head ring empty overshoot its tail).
    std::uint64_t head_bound() {
      for (unsigned tries = 0;; ++tries) {
        const std::uint64_t r = ring_index(head_ring_.load(std::memory_order_seq_cst));
        const RingT ring = ring_at(r);
        std::uint64_t h = ring.head().load(std::memory_order_seq_cst) & C::kMask;
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);
        if (next != 0) {
          const std::uint64_t f = ring_at(next_index(r, next)).first().load(std::memory_order_seq_cst) & C::kMask;
          if (C::before(f, h)) h = f;
        }
        // Read while r was the head ring (a ring off the list may be reused
        // with later positions): the value is no later than the head now.
        if (head_ring_.load(std::memory_order_seq_cst) == r) return h;
        if (tries > kMaxCasRetries) throw CorruptState("lcrq head_ring kept changing under " +
                                                       std::to_string(kMaxCasRetries) + " reads");
      }
    }
    // Whether position t of ring r (open when t was read or taken) is
    // within capacity. Before reading the dequeuers' lines, t's cell may
    // answer: one already moved to t's lap, empty, means the dequeuer of
    // t - R is done, so while r is the only ring (head_ring names it: an
    // open ring has no successor) every element is at a position in
    // (t - R, t): room, when capacity = R. One that still holds the element
    // of t - R means full: its dequeuer has not emptied it, so head is at
    // most t - R (t - H >= R = capacity), unless that dequeuer is between
    // its FAA and the emptying (a moment's early "full"; full answers are
    // not exact) or died there. Such a refusal spares the producer a read
    // of the dequeuers' head line, which a producer polling a full queue
    // would otherwise take from the consumer on every poll. Every
    // kReadBoundEvery-th one reads H all the same, so that a cell a dead
    // dequeuer left full costs a few refused polls, never a queue that
    // refuses every push until recover(): with H read, the position is
    // admitted and the enqueue passes the cell, as before. A cell of an
    // older lap proves nothing (its dequeuer may have passed it, or died
    // after its FAA, and later laps skip it): H is read.
    static constexpr std::uint32_t kReadBoundEvery = 64;
    bool admit(std::uint64_t t, const RingT& ring, std::uint64_t r) {
      if (C::distance(t, head_bound_.load(std::memory_order_relaxed)) < static_cast<std::int64_t>(capacity_)) {
        return true;
      }
      if (capacity_ == ring_size_ && head_ring_.load(std::memory_order_seq_cst) == r) {
        const typename RingT::Lap lap = ring.lap_of(t);
        if (lap == RingT::Lap::kFree) return true;
        if (lap == RingT::Lap::kPrevious) {
          const std::uint32_t n = lap_refusals_.load(std::memory_order_relaxed) + 1;
          lap_refusals_.store(n, std::memory_order_relaxed);
          if (n % kReadBoundEvery != 0) return false;
        }
      }
      return admit_bound(t);
    }
    // Whether position t is within capacity by H: the cached one, else read anew.
    bool admit_bound(std::uint64_t t) {
      if (C::distance(t, head_bound_.load(std::memory_order_relaxed)) < static_cast<std::int64_t>(capacity_)) {
        return true;
      }
      const std::uint64_t h = head_bound();
      head_bound_.store(h, std::memory_order_relaxed);
      return C::distance(t, h) < static_cast<std::int64_t>(capacity_);
    }

    bool enqueue(std::uint64_t x, std::uint32_t slot) {
      for (std::uint64_t hops = 0;; ++hops) {
        if (hops > kMaxHops(rings_)) {
          check_list();
          hops = 0;
        }
        const std::uint64_t r = ring_index(protect(tail_ring_, slot));
        RingT ring = ring_at(r);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next != 0) {  // the tail lags: help it along
          std::uint64_t expected = r;
          tail_ring_.compare_exchange_strong(expected, next_index(r, next), std::memory_order_seq_cst);
          continue;
        }
        if constexpr (kDirect) {
          // Full by the position the FAA would give (no later than it):
          // refuse without taking a position that would then stay empty.
          const std::uint64_t raw = ring.tail().load(std::memory_order_relaxed);
          if ((raw & lcrq_detail::kFlag) == 0 && !admit(raw & C::kMask, ring, r)) return false;
        }
        std::uint64_t end = 0;
        const lcrq_detail::Enq done = ring.enqueue(x, [&](std::uint64_t t) {
          if constexpr (kDirect) {
            return admit(t, ring, r);
          } else {
            return true;  // the data nodes bound the count
          }
        }, end);
        if (done == lcrq_detail::Enq::kDone) return true;
        if (done == lcrq_detail::Enq::kFull) return false;
        // Closed: a fresh ring that already holds the element, linked behind.
        // Direct, it starts at `end`, past every position of the closed ring.
        const std::uint64_t first = kDirect ? end : start_;
        if constexpr (kDirect) {
          if (!admit_bound(first)) return false;
        }
        const std::uint32_t fresh_id = allocate_ring(first, x);
        if (fresh_id == 0) return false;
        RingT fresh = ring_at(fresh_id - 1);
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

    bool dequeue(std::uint64_t& x, std::uint32_t slot) {
      for (std::uint64_t hops = 0;; ++hops) {
        if (hops > kMaxHops(rings_)) {
          check_list();
          hops = 0;
        }
        const std::uint64_t r = ring_index(protect(head_ring_, slot));
        RingT ring = ring_at(r);
        if (ring.dequeue(x)) return checked(x);
        const std::uint32_t next = ring.next().load(std::memory_order_seq_cst);  // (6)
        if (next == 0) return false;
        // Closed and linked: one more try, for an enqueue that completed
        // before the ring closed, then move on.
        if (ring.dequeue(x)) return checked(x);
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
    // CorruptState, never an offset past the node array. Direct values are
    // elements: any bytes are valid. True, for the callers' return.
    bool checked(std::uint64_t node) const {
      if (!kDirect && node > capacity_) {
        throw CorruptState("lcrq node id " + std::to_string(node) + " is past the capacity " + std::to_string(capacity_));
      }
      return true;
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
    // returns it once re-reading `where` confirms it is still there. The
    // hazard stands after the operation: the next one that finds the same
    // ring there publishes nothing (its store is already ordered before
    // this load), so an operation pays the store and its fence only when
    // the ring changes. A standing hazard of a thread outside any operation
    // does not keep a ring from recycling (try_recycle).
    std::uint64_t protect(std::atomic_ref<std::uint64_t> where, std::uint32_t slot) noexcept {
      std::uint64_t r = where.load(std::memory_order_seq_cst);
      if (ops_.aux(slot).load(std::memory_order_relaxed) == r + 1) return r;
      for (;;) {
        ops_.aux(slot).store(r + 1, std::memory_order_seq_cst);
        const std::uint64_t again = where.load(std::memory_order_seq_cst);
        if (again == r) return r;
        r = again;
      }
    }

    // A free ring, initialised and owned by this process (state ALLOC),
    // first position `first`, holding `x`; 0 when every ring is in use.
    std::uint32_t allocate_ring(std::uint64_t first, std::uint64_t x) {
      for (int round = 0; round < 2; ++round) {
        const std::uint32_t id = ring_pool_.take();
        if (id != 0 && id <= rings_) {
          RingT ring = ring_at(id - 1);
          ring.owner_key().store(zeroipc::detail::self_key(), std::memory_order_relaxed);
          ring.owner_pid().store(static_cast<std::uint64_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
          ring.state().store(lcrq_detail::kAlloc, std::memory_order_seq_cst);
          ring.init(first, true, x);
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
        RingT ring = ring_at(r);
        std::uint32_t state = ring.state().load(std::memory_order_seq_cst);
        if (state == lcrq_detail::kAlloc &&
            !zeroipc::detail::owner_alive(body_, ring.owner_key().load(std::memory_order_relaxed))) {
          ring.state().compare_exchange_strong(state, lcrq_detail::kRetired, std::memory_order_seq_cst);
        }
        try_recycle(r);
      }
    }

    // A RETIRED ring that no live thread's hazard names goes back to the
    // free list (exactly once: the state CAS decides who links it). A
    // hazard that names it counts only while its thread is inside an
    // operation: (9) after the move of head_ring (8) and a full fence on
    // every thread (op_detail::heavy_fence, the asymmetric fence of
    // op_slots.h; without it `active` and the loads of head_ring/tail_ring
    // are sequentially consistent), a thread seen outside an operation
    // will load the new head_ring or tail_ring when it enters one, so its
    // standing hazard guards nothing it can still use. The fence is paid
    // only when a live hazard names the ring.
    void try_recycle(std::uint64_t r) {
      RingT ring = ring_at(r);
      if (ring.state().load(std::memory_order_seq_cst) != lcrq_detail::kRetired) return;
      bool fenced = false;
      for (std::uint32_t s = 0; s < detail::kOpSlots; ++s) {
        if (ops_.aux(s).load(std::memory_order_seq_cst) != r + 1 || !ops_.slot_owner_alive(s)) continue;  // (8)
        if (!fenced) {
          detail::op_detail::heavy_fence();  // (9)
          fenced = true;
        }
        if (ops_.slot_active(s)) return;
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
    // nodes were neither queued nor free; direct, how many cells held an
    // element a dead dequeuer had passed (Ring::clear_orphans).
    std::uint64_t rebuild() {
      const std::vector<std::uint64_t> list = check_list();
      std::vector<bool> on_list(rings_, false);
      for (std::uint64_t r : list) on_list[r] = true;
      std::vector<bool> queued(kDirect ? 0 : capacity_, false);
      if constexpr (!kDirect) {
        for (std::uint64_t r : list) {
          ring_at(r).for_each_live([&](std::uint64_t node) {
            checked(node);
            if (queued[node - 1]) throw CorruptState("lcrq node " + std::to_string(node) + " is queued twice");
            queued[node - 1] = true;
          });
        }
      }
      const std::uint64_t tail = tail_ring_.load(std::memory_order_relaxed);
      if (tail >= rings_ || !on_list[tail]) tail_ring_.store(list.back(), std::memory_order_relaxed);
      for (std::uint64_t r = 0; r < rings_; ++r) {
        if (!on_list[r]) ring_at(r).state().store(lcrq_detail::kFree, std::memory_order_relaxed);
      }
      ring_pool_.rebuild_from_unmarked(on_list);
      if constexpr (kDirect) {
        std::uint64_t freed = 0;
        for (std::uint64_t r : list) freed += ring_at(r).clear_orphans();
        return freed;
      }
      return detail::rebuild_free_list_except(nodes_, queued);
    }

    RingT ring_at(std::uint64_t r) const noexcept { return RingT(body_ + kRingsOffset + r * ring_bytes_, ring_size_); }

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
    // Written by pushes (on a line of their own: a handle's consumer threads
    // read the fields above on every operation).
    // Direct: this handle's last head bound (H, above).
    alignas(64) std::atomic<std::uint64_t> head_bound_;
    // Direct: refusals by a cell of the previous lap (admit); every
    // kReadBoundEvery-th reads H instead. Relaxed: a count, not an order.
    std::atomic<std::uint32_t> lap_refusals_{0};
  };
};

/// Morrison & Afek's LCRQ: elements of up to 8 bytes in the cells, larger ones in data nodes.
struct lcrq : basic_lcrq<2, false> {};
/// The same, with every element in a data node (the indirect design).
struct lcrq_nodes : basic_lcrq<6, true> {};

}  // namespace zeroipc::variants
