// zeroipc/variants/scq.h — Nikolaev's Scalable Circular Queue, "A Scalable,
// Portable, and Memory-Efficient Lock-Free FIFO Queue" (DISC 2019), in shared
// memory, in two designs:
//
// - Direct cells (`scq`, elements of at most 8 bytes): ONE ring of 2n
//   16-byte cells {entry word, value}; the value is the element itself, and
//   the entry word is the paper's entry with its index field reduced to a
//   mark (0 = full, 2n - 1 = ⊥ = empty): data stored with the entry by a
//   double-width CAS, as Nikolaev's paper discusses and wCQ (SPAA 2022)
//   does:
//     push(v): t = FAA(tail); one CAS2 writes {cycle(t) | safe | full, v}
//     pop():   h = FAA(head); if the cell has cycle(h) and is full, read v,
//              then empty the word (atomic OR, the value stays as it is)
//   A push is one FAA and one CAS2, a pop one FAA and one OR; no second
//   ring, no data array. The ring is bounded by positions, as lcrq's direct
//   cells are: a push at position t stores only if t - H < c (H a head no
//   later than the head now; see direct_queue), so at most c elements are
//   at positions in [head, tail), c <= n, which is the paper's "at most n
//   entries" that lets an enqueuer find a usable entry within a lap and
//   keeps the threshold argument (3n - 1). (Cells below head that a
//   dequeuer in flight has not emptied yet, one per such dequeuer, and
//   orphans of dead ones come on top; an enqueuer that meets them takes
//   the next position, and the bound refuses it once t - H reaches c.)
// - Indices (`scq_indices`, and `scq` with larger elements): the paper's
//   indirect design. Two rings of element indices — `aq` (allocated: indices
//   holding data, in FIFO order) and `fq` (free indices) — and a data array
//   of c elements:
//     push(v): i = fq.dequeue() (none: full); data[i] = v; aq.enqueue(i)
//     pop():   i = aq.dequeue() (none: empty); v = data[i]; fq.enqueue(i)
//
// Both: each ring has 2n entries for up to n elements (indices), so an
// enqueue always finds a free entry within one lap; fetch-and-add on head
// and tail, and a `threshold` counter that makes a dequeue on an empty ring
// give up after 3n - 1 failed attempts instead of livelocking against
// enqueuers. The indirect rings use single-width CAS and atomic OR only;
// the direct ring's enqueue uses a 16-byte CAS (x86-64 cmpxchg16b,
// detail/cas2.h).
//
// Capacity: any c >= 1. The rings are sized for n = R = bit_ceil(max(c, 2))
// (detail/ring_math.h: 2n must be a power of two). Indices: only the c
// indices 0..c-1 exist: fq starts with those c, so at most c elements are
// ever in the queue. Direct: the position bound above. Single-threaded,
// exactly c fit in both. Holding fewer than n keeps the paper's argument
// (it needs at most n per ring), and the bounds below stay bounds. For a
// power of two c, n == c and the algorithm is the paper's, unchanged.
//
// Progress: lock-free (except while a recovery runs: see below).
//
// Layout of one ring (offsets within the ring):
//   0    i64 threshold  (own cache line)
//   64   u64 tail       (own cache line)
//   128  u64 head       (own cache line)
//   192  indices: entries[2n], u64 each; ring_bytes(n) = 192 + 16n
//        direct:  cells[2n], 16 bytes each (16-byte aligned): u64 word at
//                 +0, u64 value at +8; cell_ring_bytes(n) = 192 + 32n
//   The entry (cell) of position p is at remap(p mod 2n).
// Entry word (both): cycle << (k + 2) | is_safe << (k + 1) | index, with
// 2n = 2^(k+1); index = 2n - 1 is ⊥ (empty). Direct cells write index 0 for
// full (any index but ⊥ reads as full) and keep their value while empty
// (an emptied cell's value is stale bytes). cycle(p) = p / 2n, compared
// modulo the field width so positions may wrap past 2^64.
// remap(i) spreads consecutive positions over cache lines: with L entries
// per line (8 u64 entries, or 4 cells), remap(i) = (i mod L) * (2n / L) +
// i / L when 2n >= L.
//
// Body of the queue (SPECIFICATION.md §7.2.3): thread slots and recovery
// control at 0 (detail/op_slots.h, kOpAreaBytes). Indices: aq ring at
// kOpAreaBytes, fq ring after it (ring_bytes(n) each), data[c]
// (element_size each) after both rings. Direct: the one cell ring at
// kOpAreaBytes (where aq would be), nothing after it.
//
// Memory-ordering pairs (all RMWs on entries, cells, head, tail and
// threshold are seq_cst, as in the paper's proof; these are the pairs that
// carry data, the same four roles in both designs):
//   Indices:
//   (1) push writes data[i] before aq.enqueue(i)'s CAS publishes i, which
//       pairs with (2) aq.dequeue's read of the entry (the OR that consumes
//       it): the pop reads data[i] after the push wrote it.
//   (3) pop reads data[i] before fq.enqueue(i) publishes i as free, which
//       pairs with (4) fq.dequeue in a later push: that push overwrites
//       data[i] only after the pop read it.
//   Direct:
//   (1) the CAS2 writes the value and the full word at once, which pairs
//       with (2) the dequeuer's load of the word (acquire), after which it
//       loads the value: it reads what the CAS2 wrote. While the word says
//       full, the value cannot change (an enqueuer needs an empty cell).
//   (3) the dequeuer's load of the value comes before its OR that empties
//       the word (a release RMW), which pairs with (4) the load of the word
//       by the next lap's enqueuer, before its CAS2 overwrites the value.
//   Every operation runs inside its thread slot (op_slots.h (D1)-(D5)).
//
// Bounds (a corrupt or hostile segment must not make an operation spin):
//   threshold is never above 3n - 1; a value above is a CorruptState. An
//   enqueue that finds no usable entry in kMaxAttempts(n) attempts while
//   head stood still, or a dequeue that finds tail more than kMaxLead(n)
//   positions ahead of head (head as it is then, not the dequeuer's own
//   position: see check_lead), or an entry that changes under a CAS more than
//   kMaxCasRetries times, is a CorruptState: a well-formed ring with at most
//   kOpSlots threads in it never comes near these (module comment of
//   op_slots.h: every thread holds a slot). Direct values are elements: any
//   bits are valid.
//
// What a kill costs. Direct cells:
//   push, after its FAA on tail, before its CAS2: a position is skipped
//     (dequeuers step over it); the element was in flight (not pushed).
//   pop, after its FAA on head, before its OR empties the cell: the next
//     lap's dequeuer marks the cell unsafe and passes it; the element (in
//     flight) is lost, and the cell, still full, is an orphan that no
//     enqueuer can use (one cell of the 2n; pushes may then report full
//     early) until the next recovery empties it.
//   pop, after the OR: the element dies with the consumer (in flight).
//   Nothing else is held: no index, no node.
// Indices:
//   push, after fq.dequeue, before aq.enqueue publishes: the element was in
//     flight (not pushed); its index is held by nobody.
//   pop, after aq.dequeue's FAA on head but before consuming the entry: a
//     later dequeuer of the next cycle marks the entry unsafe and passes it:
//     the element (in flight) is lost and its index held by nobody.
//   pop, after consuming, before fq.enqueue: the element dies with the
//     consumer (in flight); its index is held by nobody.
//   An enqueuer killed after its FAA on tail leaves a skipped position that
//     dequeuers step over.
// Nobody ever waits for a dead process: the survivors never wedge.
// Recovery (op_slots.h; a push that finds the queue full while a dead
// thread was in flight recovers by itself, Queue::recover() on demand)
// makes the queue quiescent, then:
//   direct: empties every full cell that is not live (live: at a position
//     p in [head, tail) with cycle(p)), moves head past the positions before
//     the first live one (skipped ones, which count against the position
//     bound), moves tail up to head if dequeuers overtook it and resets
//     threshold to 3n - 1 if tail is past head; returns how many cells it
//     emptied.
//   indices: aq keeps its live entries as they are (its stale ones are
//     emptied), and fq is rebuilt from every other index of 0..c-1 (an
//     index c or above in aq is a CorruptState); returns how many indices
//     were in neither ring.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "zeroipc/layout/queue_scq.h"
#include "zeroipc/variants/detail/cas2.h"
#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

namespace scq_detail {

/// Failed enqueue attempts, with head standing still, after which a ring is corrupt.
constexpr std::uint64_t kMaxAttempts(std::uint64_t n) noexcept { return 8 * n + 4 * detail::kOpSlots; }
/// How far tail may be ahead of head in a well-formed ring, with a wide
/// margin. An enqueuer at a position at or past head fails only on an entry
/// that holds an index (an element): live ones, and stale ones that dead
/// dequeuers left (lost until a recovery), at most n together. So the lead
/// stays within a lap or two plus one position per thread in flight. It is
/// measured against head as it is now (check_lead), never against a
/// dequeuer's own earlier position.
constexpr std::uint64_t kMaxLead(std::uint64_t n) noexcept { return 2 * n * (detail::kOpSlots + 2); }
/// CAS failures on one entry within one operation after which it is corrupt.
inline constexpr unsigned kMaxCasRetries = 1u << 16;

/// One direct cell: the entry word and the element's bytes (SPECIFICATION.md §7.2.3).
struct Cell {
  std::uint64_t word;
  std::uint64_t value;
};
static_assert(sizeof(Cell) == 16 && offsetof(Cell, word) == 0 && offsetof(Cell, value) == 8,
              "a direct cell is {word, value}, 16 bytes: one cmpxchg16b (spec §7.2.3)");
static_assert(sizeof(zeroipc_scq_ring) % 16 == 0 && detail::kOpAreaBytes % 16 == 0,
              "the cells of a ring at kOpAreaBytes start 16-byte aligned (cmpxchg16b)");

/// The ring header (threshold, tail, head) and the entry-word arithmetic
/// both rings share. `line_shift`: log2 of the entries per cache line.
class RingBase {
 public:
  [[nodiscard]] std::uint64_t tail() const noexcept { return tail_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t head() const noexcept { return head_.load(std::memory_order_relaxed); }
  /// Entries in the ring: 2n.
  [[nodiscard]] std::uint64_t entry_count() const noexcept { return size_; }

 protected:
  RingBase(std::byte* base, std::uint64_t n, unsigned line_shift) noexcept
      : threshold_(reinterpret_cast<zeroipc_scq_ring*>(base)->threshold),
        tail_(reinterpret_cast<zeroipc_scq_ring*>(base)->tail),
        head_(reinterpret_cast<zeroipc_scq_ring*>(base)->head),
        n_(n),
        size_(2 * n),
        order_(static_cast<unsigned>(std::countr_zero(2 * n))),  // 2n = 2^order
        bottom_(2 * n - 1),
        line_shift_(line_shift) {}

  // The lead of tail `t` over head as it is now, loaded after t. Not over
  // this thread's own position from its FAA on head: a thread preempted
  // since then sees tail moved on by every operation that ran meanwhile, a
  // lead the ring never had. Head only grows while an operation is in
  // flight (a recovery waits for none to be), so the lead measured here is
  // never more than the ring's lead when t was read.
  void check_lead(std::uint64_t t) const {
    const std::uint64_t h = head_.load(std::memory_order_seq_cst);
    if (after(t, h) && t - h > kMaxLead(n_)) {
      throw CorruptState("scq tail " + std::to_string(t) + " is " + std::to_string(t - h) +
                         " positions ahead of head " + std::to_string(h) + " (at most " +
                         std::to_string(kMaxLead(n_)) + ")");
    }
  }

  std::int64_t load_threshold() const { return checked_threshold(threshold_.load(std::memory_order_seq_cst)); }
  std::int64_t checked_threshold(std::int64_t v) const {
    if (v > full_threshold()) {
      throw CorruptState("scq threshold " + std::to_string(v) + " is above 3n - 1 = " + std::to_string(3 * n_ - 1));
    }
    return v;
  }
  std::int64_t full_threshold() const noexcept { return static_cast<std::int64_t>(3 * n_ - 1); }
  // After a successful enqueue: dequeuers may try 3n - 1 more times.
  void reset_threshold() noexcept {
    if (threshold_.load(std::memory_order_seq_cst) != full_threshold()) {
      threshold_.store(full_threshold(), std::memory_order_seq_cst);
    }
  }
  // After a dequeue that passed its position: the rest of the paper's loop.
  // True when the dequeue gives up (empty); else it takes another position.
  bool passed(std::uint64_t h) {
    detail::crash_point(detail::VariantCrashPoint::kDequeuePassed);
    const std::uint64_t t = tail_.load(std::memory_order_seq_cst);
    if (!after(t, h + 1)) {  // t <= h + 1: the ring is empty
      catchup(t, h + 1);
      threshold_.fetch_sub(1, std::memory_order_seq_cst);
      return true;
    }
    check_lead(t);
    return checked_threshold(threshold_.fetch_sub(1, std::memory_order_seq_cst)) <= 0;
  }
  // Head did not move in kMaxAttempts(n) failed enqueue attempts: corrupt.
  void count_attempt(std::uint64_t& attempts, std::uint64_t& head_seen) const {
    // Attempts fail only while others make progress: dequeuers move head.
    if (++attempts <= kMaxAttempts(n_)) return;
    const std::uint64_t h = head_.load(std::memory_order_relaxed);
    if (h == head_seen) {
      throw CorruptState("an scq enqueue found no usable entry in " + std::to_string(attempts) +
                         " positions while head stood at " + std::to_string(h));
    }
    head_seen = h;
    attempts = 0;
  }
  [[noreturn]] static void cas_retries_exceeded() {
    throw CorruptState("an scq entry changed under " + std::to_string(kMaxCasRetries) + " CAS attempts");
  }

  // A dequeuer at position h found word e in h's entry, not of h's cycle.
  // If an enqueuer holds h (tail is past it) but has not written the entry
  // yet, it is given a moment: e is reloaded and true returned (look again).
  // Otherwise an entry of an earlier lap is settled so that h's late
  // enqueuer cannot fill it: full (its dequeuer is late, or died) -> marked
  // unsafe; empty -> moved to h's cycle. The word only: a value is not the
  // dequeuer's. True also when that CAS found e changed (e reloaded); false
  // when the dequeuer is done with h.
  bool settle_unready(std::atomic_ref<std::uint64_t> entry, std::uint64_t& e, std::uint64_t h, unsigned& spins,
                      unsigned retries) {
    if (index_of(e) == bottom_ && cycle_before(cycle_of(e), cycle(h)) && spins < detail::kSlowEnqueuerSpins &&
        after(tail_.load(std::memory_order_relaxed), h)) {
      ++spins;
      detail::cpu_relax();
      e = entry.load(std::memory_order_seq_cst);
      return true;
    }
    if (!cycle_before(cycle_of(e), cycle(h))) return false;
    const std::uint64_t next = index_of(e) == bottom_ ? pack(cycle_field(cycle(h)), safe_of(e), bottom_)
                                                      : pack(cycle_of(e), false, index_of(e));
    if (entry.compare_exchange_weak(e, next, std::memory_order_seq_cst)) return false;
    if (retries >= kMaxCasRetries) cas_retries_exceeded();
    return true;
  }

  // Moves tail up to `head` when dequeuers overtook it (the paper's catchup).
  void catchup(std::uint64_t t, std::uint64_t h) noexcept {
    while (!tail_.compare_exchange_weak(t, h, std::memory_order_seq_cst)) {
      h = head_.load(std::memory_order_seq_cst);
      t = tail_.load(std::memory_order_seq_cst);
      if (!after(h, t)) break;  // t >= h
    }
  }

  std::uint64_t remap(std::uint64_t p) const noexcept {
    const std::uint64_t i = p & (size_ - 1);
    const std::uint64_t per_line = std::uint64_t{1} << line_shift_;
    if (size_ < per_line) return i;
    return (i & (per_line - 1)) * (size_ >> line_shift_) + (i >> line_shift_);
  }
  std::uint64_t cycle(std::uint64_t p) const noexcept { return p >> order_; }
  // The cycle as stored: its low 64 - (order + 1) bits.
  std::uint64_t cycle_field(std::uint64_t c) const noexcept { return c & (~0ull >> (order_ + 1)); }
  std::uint64_t pack(std::uint64_t c, bool safe, std::uint64_t index) const noexcept {
    return (cycle_field(c) << (order_ + 1)) | (std::uint64_t{safe} << order_) | index;
  }
  std::uint64_t cycle_of(std::uint64_t e) const noexcept { return e >> (order_ + 1); }
  bool safe_of(std::uint64_t e) const noexcept { return (e >> order_) & 1; }
  std::uint64_t index_of(std::uint64_t e) const noexcept { return e & bottom_; }
  // a < b for stored cycles, modulo the field width.
  bool cycle_before(std::uint64_t a, std::uint64_t b) const noexcept {
    const unsigned shift = order_ + 1;
    return static_cast<std::int64_t>((cycle_field(a) - cycle_field(b)) << shift) < 0;
  }
  // a > b for 64-bit positions, modulo 2^64.
  static bool after(std::uint64_t a, std::uint64_t b) noexcept { return static_cast<std::int64_t>(a - b) > 0; }

  std::atomic_ref<std::int64_t> threshold_;
  std::atomic_ref<std::uint64_t> tail_;
  std::atomic_ref<std::uint64_t> head_;
  std::uint64_t n_;
  std::uint64_t size_;
  unsigned order_;
  std::uint64_t bottom_;
  unsigned line_shift_;
};

/// One SCQ ring of 2n u64 entries, for up to n indices (0..c-1, c <= n): the indirect design.
class Ring : public RingBase {
 public:
  Ring(std::byte* base, std::uint64_t n) noexcept
      : RingBase(base, n, 3),  // 8 entries per cache line
        entries_(reinterpret_cast<std::uint64_t*>(base + sizeof(zeroipc_scq_ring))) {}

  /// Initial state, first position `start`: holding indices 0..count-1 (count <= n).
  void init(std::uint64_t start, std::uint64_t count) noexcept {
    // Positions start one lap in, so that every entry's cycle (one lap
    // back) is below the first enqueue's.
    reset(start + size_, count, [](std::uint64_t k) { return k; });
  }

  void enqueue(std::uint64_t index) {
    std::uint64_t attempts = 0;
    std::uint64_t head_seen = head_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint64_t t = tail_.fetch_add(1, std::memory_order_seq_cst);
      std::atomic_ref<std::uint64_t> entry(entries_[remap(t)]);
      std::uint64_t e = entry.load(std::memory_order_seq_cst);
      for (unsigned retries = 0;; ++retries) {
        if (cycle_before(cycle_of(e), cycle(t)) && index_of(e) == bottom_ &&
            (safe_of(e) || !after(head_.load(std::memory_order_seq_cst), t))) {
          if (!entry.compare_exchange_weak(e, pack(cycle(t), true, index), std::memory_order_seq_cst)) {
            if (retries < kMaxCasRetries) continue;  // (1)/(3): publishes index; e reloaded
            cas_retries_exceeded();
          }
          reset_threshold();
          return;
        }
        break;  // entry not usable: take the next position
      }
      count_attempt(attempts, head_seen);
    }
  }

  /// An index, or -1 when the ring is empty.
  std::int64_t dequeue() {
    if (load_threshold() < 0) return -1;
    for (;;) {
      const std::uint64_t h = head_.fetch_add(1, std::memory_order_seq_cst);
      std::atomic_ref<std::uint64_t> entry(entries_[remap(h)]);
      std::uint64_t e = entry.load(std::memory_order_seq_cst);
      unsigned spins = 0;
      for (unsigned retries = 0;; ++retries) {
        if (cycle_of(e) == cycle_field(cycle(h))) {
          entry.fetch_or(bottom_, std::memory_order_seq_cst);  // (2)/(4): consume
          return static_cast<std::int64_t>(index_of(e));
        }
        if (settle_unready(entry, e, h, spins, retries)) continue;
        break;
      }
      if (passed(h)) return -1;
    }
  }

  // ---- recovery (op_slots.h): only while no operation is in flight

  /// The indices at the ring's live positions [head, tail), in order: an
  /// entry counts when its cycle is its position's and it holds an index.
  /// Marks them in `seen` (one flag per index that exists: c of them) and,
  /// if given, their entries in `entries`; strict: an index of seen.size()
  /// or more, or one seen twice, is a CorruptState (lenient: skipped, for a
  /// ring about to be rebuilt).
  std::vector<std::uint64_t> live(std::vector<bool>& seen, bool strict, std::vector<bool>* entries = nullptr) const {
    std::vector<std::uint64_t> out;
    const std::uint64_t h = head();
    const std::uint64_t t = tail();
    if (!after(t, h)) return out;
    if (t - h > kMaxLead(n_)) {
      if (!strict) return out;
      throw CorruptState("scq tail is " + std::to_string(t - h) + " positions ahead of head");
    }
    // Entries hold positions [h, h + 2n) at most: a tail further ahead
    // only counts enqueuers that failed on unusable entries.
    const std::uint64_t end = t - h > size_ ? h + size_ : t;
    for (std::uint64_t p = h; p != end; ++p) {
      const std::uint64_t e = std::atomic_ref<std::uint64_t>(entries_[remap(p)]).load(std::memory_order_acquire);
      if (cycle_of(e) != cycle_field(cycle(p)) || index_of(e) == bottom_) continue;
      const std::uint64_t i = index_of(e);
      if (i >= seen.size() || seen[i]) {
        if (!strict) continue;
        throw CorruptState("scq index " + std::to_string(i) +
                           (i >= seen.size() ? " is past the capacity " + std::to_string(seen.size())
                                             : std::string(" is queued twice")));
      }
      seen[i] = true;
      if (entries != nullptr) (*entries)[remap(p)] = true;
      out.push_back(i);
    }
    return out;
  }

  /// Empties every entry that holds an index but is not live (marked in
  /// `live_entries` by live()): what a dead dequeuer left behind, or an
  /// entry a dequeuer marked unsafe and passed. Live entries, head and
  /// tail are not touched (what they say stays true if this is cut short),
  /// except that a tail overtaken by dequeuers is moved up to head.
  void clear_stale(const std::vector<bool>& live_entries) noexcept {
    for (std::uint64_t i = 0; i < size_; ++i) {
      std::atomic_ref<std::uint64_t> entry(entries_[i]);
      const std::uint64_t e = entry.load(std::memory_order_relaxed);
      if (live_entries[i] || index_of(e) == bottom_) continue;
      entry.store(pack(cycle_of(e), true, bottom_), std::memory_order_relaxed);
    }
    const std::uint64_t h = head();
    if (after(h, tail())) tail_.store(h, std::memory_order_relaxed);
    if (after(tail(), head())) threshold_.store(full_threshold(), std::memory_order_release);
  }

  /// Rewrites the ring to hold `count` indices, index_at(0) .. index_at(count - 1)
  /// in that order, from position `first` (a fresh lap).
  template <class IndexAt>
  void reset(std::uint64_t first, std::uint64_t count, IndexAt index_at) noexcept {
    for (std::uint64_t i = 0; i < size_; ++i) {
      const std::uint64_t p = first - size_ + i;  // the lap before `first`
      std::atomic_ref<std::uint64_t>(entries_[remap(p)]).store(pack(cycle(p), true, bottom_), std::memory_order_relaxed);
    }
    for (std::uint64_t k = 0; k < count; ++k) {
      std::atomic_ref<std::uint64_t>(entries_[remap(first + k)])
          .store(pack(cycle(first + k), true, index_at(k)), std::memory_order_relaxed);
    }
    head_.store(first, std::memory_order_relaxed);
    tail_.store(first + count, std::memory_order_relaxed);
    threshold_.store(count == 0 ? -1 : full_threshold(), std::memory_order_release);
  }

  /// A position a lap past both head and tail: where a rebuilt ring starts.
  [[nodiscard]] std::uint64_t fresh_lap() const noexcept {
    const std::uint64_t h = head();
    const std::uint64_t t = tail();
    return (after(t, h) ? t : h) + size_;
  }

 private:
  std::uint64_t* entries_;
};

/// One SCQ ring of 2n direct cells {word, value}: the elements themselves.
/// A full cell's word has index 0 (kFull), an empty one's ⊥ = 2n - 1.
class CellRing : public RingBase {
 public:
  static constexpr std::uint64_t kFull = 0;

  CellRing(std::byte* base, std::uint64_t n) noexcept
      : RingBase(base, n, 2),  // 4 cells per cache line
        cells_(reinterpret_cast<Cell*>(base + sizeof(zeroipc_scq_ring))) {}

  /// Initial state, first position `start`, empty.
  void init(std::uint64_t start) noexcept {
    // Positions start one lap in, so that every cell's cycle (one lap back)
    // is below the first enqueue's.
    const std::uint64_t first = start + size_;
    for (std::uint64_t i = 0; i < size_; ++i) {
      const std::uint64_t p = start + i;  // the lap before `first`
      word(p).store(pack(cycle(p), true, bottom_), std::memory_order_relaxed);
      value(p).store(0, std::memory_order_relaxed);
    }
    head_.store(first, std::memory_order_relaxed);
    tail_.store(first, std::memory_order_relaxed);
    threshold_.store(-1, std::memory_order_release);
  }

  /// Enqueues the element `x` (its bytes, zero-padded to 8). False when
  /// `admit` refuses the position taken: it is passed over (pass_over) and
  /// the queue is full.
  template <class Admit>
  bool enqueue(std::uint64_t x, Admit&& admit) {
    std::uint64_t attempts = 0;
    std::uint64_t head_seen = head_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint64_t t = tail_.fetch_add(1, std::memory_order_seq_cst);
      if (!admit(t)) {
        pass_over(t);
        return false;
      }
      Cell* c = cell(t);
      for (unsigned retries = 0;; ++retries) {
        const std::uint64_t e = std::atomic_ref<std::uint64_t>(c->word).load(std::memory_order_seq_cst);  // (4)
        if (!cycle_before(cycle_of(e), cycle(t)) || index_of(e) != bottom_ ||
            !(safe_of(e) || !after(head_.load(std::memory_order_seq_cst), t))) {
          break;  // cell not usable: take the next position
        }
        const std::uint64_t v = std::atomic_ref<std::uint64_t>(c->value).load(std::memory_order_relaxed);
        if (detail::cas2(&c->word, e, v, pack(cycle(t), true, kFull), x)) {  // (1)
          reset_threshold();
          return true;
        }
        if (retries >= kMaxCasRetries) cas_retries_exceeded();  // the cell changed: look again
      }
      count_attempt(attempts, head_seen);
    }
  }

  /// The element of the next position into `out`; false when the ring is empty.
  bool dequeue(std::uint64_t& out) {
    if (load_threshold() < 0) return false;
    for (;;) {
      const std::uint64_t h = head_.fetch_add(1, std::memory_order_seq_cst);
      Cell* c = cell(h);
      std::atomic_ref<std::uint64_t> w(c->word);
      std::uint64_t e = w.load(std::memory_order_seq_cst);  // (2)
      unsigned spins = 0;
      for (unsigned retries = 0;; ++retries) {
        if (cycle_of(e) == cycle_field(cycle(h))) {
          if (index_of(e) == bottom_) break;  // its enqueuer passed it over
          // Full, of position h: only this dequeuer empties it, so the value stays.
          out = std::atomic_ref<std::uint64_t>(c->value).load(std::memory_order_relaxed);  // (2): after the word
          detail::crash_point(detail::VariantCrashPoint::kPopHolding);
          w.fetch_or(bottom_, std::memory_order_seq_cst);  // (3): consume; cycle and safe bit kept
          return true;
        }
        if (settle_unready(w, e, h, spins, retries)) continue;
        break;
      }
      if (passed(h)) return false;
    }
  }

  /// An enqueuer that took position `t` and will not fill it moves its cell
  /// to t's cycle, empty, as the dequeuer that reaches it would: that
  /// dequeuer then passes it at once instead of waiting for an element that
  /// is not coming. One try: if the cell changed, the dequeuer settles it.
  void pass_over(std::uint64_t t) noexcept {
    std::atomic_ref<std::uint64_t> w(cell(t)->word);
    std::uint64_t e = w.load(std::memory_order_seq_cst);
    if (index_of(e) != bottom_ || !cycle_before(cycle_of(e), cycle(t))) return;
    (void)w.compare_exchange_strong(e, pack(cycle(t), safe_of(e), bottom_), std::memory_order_seq_cst);
  }

  // ---- recovery (op_slots.h): only while no operation is in flight

  /// Empties every full cell that is not live (live: the cell of a
  /// position p in [head, tail) holding p's cycle): an element whose
  /// dequeuer took its position and died before emptying it, which no
  /// enqueuer could reuse. Its cycle is kept, its safe bit set (every later
  /// enqueue is at a position no dequeuer has reached). Head moves past the
  /// positions before the first live one (skipped by dead or refused
  /// enqueuers: a dequeuer would only pass them, and they count against the
  /// position bound), a tail overtaken by dequeuers is moved up to head, and
  /// threshold reset if tail is past head. Live cells are not touched, so a
  /// recovery cut short is simply done again. How many cells were emptied.
  std::uint64_t clear_orphans() {
    std::uint64_t h = head();
    const std::uint64_t t = tail();
    std::vector<bool> live(size_, false);
    std::uint64_t first_live = t;  // the first live position, or t
    if (after(t, h)) {
      if (t - h > kMaxLead(n_)) throw CorruptState("scq tail is " + std::to_string(t - h) + " positions ahead of head");
      // Cells hold positions [h, h + 2n) at most: a tail further ahead only
      // counts enqueuers that failed or were refused.
      const std::uint64_t end = t - h > size_ ? h + size_ : t;
      for (std::uint64_t p = h; p != end; ++p) {
        const std::uint64_t e = word(p).load(std::memory_order_acquire);
        if (cycle_of(e) == cycle_field(cycle(p)) && index_of(e) != bottom_) {
          if (first_live == t) first_live = p;
          live[remap(p)] = true;
        }
      }
      h = first_live;
      head_.store(h, std::memory_order_relaxed);
    }
    std::uint64_t emptied = 0;
    for (std::uint64_t i = 0; i < size_; ++i) {
      std::atomic_ref<std::uint64_t> w(cells_[i].word);
      const std::uint64_t e = w.load(std::memory_order_relaxed);
      if (live[i] || index_of(e) == bottom_) continue;
      w.store(pack(cycle_of(e), true, bottom_), std::memory_order_relaxed);
      ++emptied;
    }
    if (after(h, t)) tail_.store(h, std::memory_order_relaxed);
    if (after(tail(), head())) threshold_.store(full_threshold(), std::memory_order_release);
    return emptied;
  }

 private:
  Cell* cell(std::uint64_t p) const noexcept { return cells_ + remap(p); }
  std::atomic_ref<std::uint64_t> word(std::uint64_t p) const noexcept {
    return std::atomic_ref<std::uint64_t>(cell(p)->word);
  }
  std::atomic_ref<std::uint64_t> value(std::uint64_t p) const noexcept {
    return std::atomic_ref<std::uint64_t>(cell(p)->value);
  }

  Cell* cells_;
};

}  // namespace scq_detail

/// The SCQ family: `scq` stores elements of up to 8 bytes in its cells
/// (direct) and larger ones through index rings and a data array;
/// `scq_indices` always uses the index rings (the paper's indirect design,
/// for comparison and for its crash behaviour).
template <std::uint16_t Id, bool IndicesOnly>
struct basic_scq {
  static constexpr std::uint16_t kId = Id;
  static constexpr std::string_view kName = IndicesOnly ? "scq_indices" : "scq";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// Not exact: like vyukov_bounded, a dequeue can pass an entry whose
  /// enqueuer has taken the position but not yet written it, and report
  /// empty; push reports full when fq is momentarily out of indices, or
  /// (direct) by a position bound that counts skipped positions.
  static constexpr bool kExactEmptyFull = false;

  /// Elements of at most this many bytes go in the cells (scq, not scq_indices).
  static constexpr std::uint32_t kMaxDirectSize = 8;
  /// Whether elements of `element_size` bytes are stored in the cells.
  static constexpr bool direct(std::uint32_t element_size) noexcept {
    return !IndicesOnly && element_size <= kMaxDirectSize;
  }

  /// Bytes of one index ring (aq or fq): 192 + 2n * 8.
  static constexpr std::uint64_t ring_bytes(std::uint64_t n) noexcept { return 192 + 2 * n * 8; }
  /// Bytes of the direct cell ring: 192 + 2n * 16.
  static constexpr std::uint64_t cell_ring_bytes(std::uint64_t n) noexcept {
    return sizeof(zeroipc_scq_ring) + 2 * n * sizeof(scq_detail::Cell);
  }
  static constexpr std::uint64_t kAqOffset = detail::kOpAreaBytes;
  /// Direct: the one cell ring, where aq is in the indirect layout.
  static constexpr std::uint64_t kRingOffset = kAqOffset;
  static constexpr std::uint64_t fq_offset(std::uint64_t n) noexcept { return kAqOffset + ring_bytes(n); }
  static constexpr std::uint64_t data_offset(std::uint64_t n) noexcept { return kAqOffset + 2 * ring_bytes(n); }
  /// Bytes of the body for `capacity` elements: rings for n = R, and
  /// (indices) data for c; 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    const std::uint64_t n = detail::ring_slots(capacity);
    if (direct(element_size)) return kRingOffset + cell_ring_bytes(n);
    return detail::mul_add_or_zero(capacity, element_size, data_offset(n));
  }
  static_assert(kRingOffset % 16 == 0 && sizeof(zeroipc_scq_ring) == 192 && sizeof(scq_detail::Cell) == 16,
                "direct cells at kRingOffset + 192, 16 bytes each (spec §7.2.3)");

  static constexpr std::uint64_t kMaxAttempts(std::uint64_t n) noexcept { return scq_detail::kMaxAttempts(n); }
  static constexpr std::uint64_t kMaxLead(std::uint64_t n) noexcept { return scq_detail::kMaxLead(n); }
  static constexpr unsigned kMaxCasRetries = scq_detail::kMaxCasRetries;

  using Ring = scq_detail::Ring;
  using CellRing = scq_detail::CellRing;

  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t element_size, std::uint64_t start) noexcept {
    const std::uint64_t n = detail::ring_slots(capacity);
    if (direct(element_size)) {
      CellRing(body + kRingOffset, n).init(start);  // empty
      return;
    }
    Ring(body + kAqOffset, n).init(start, 0);            // aq: empty
    Ring(body + fq_offset(n), n).init(start, capacity);  // fq: every index 0..c-1 free
  }

  /// The indirect design: index rings aq and fq, and data[c].
  template <class T>
  class indexed_queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    indexed_queue(std::byte* body, std::uint64_t capacity) noexcept
        : indexed_queue(body, capacity, detail::ring_slots(capacity)) {}

    bool push(const T& value) {
      return ops_.push(ops_.my_slot(handle_), [&] {
        const std::int64_t i = fq_.dequeue();  // (4)
        if (i < 0) return false;  // no free index: full, or a dead operation holds some (ops_.push recovers once)
        detail::crash_point(detail::VariantCrashPoint::kPushHolding);
        std::memcpy(data_ + checked(i) * sizeof(T), &value, sizeof(T));
        aq_.enqueue(static_cast<std::uint64_t>(i));  // (1)
        return true;
      }, rebuild_fn());
    }

    bool pop(T& out) {
      const std::uint32_t s = ops_.my_slot(handle_);
      detail::OpScope op(ops_, s, rebuild_fn());
      const std::int64_t i = aq_.dequeue();  // (2)
      if (i < 0) return false;
      detail::crash_point(detail::VariantCrashPoint::kPopHolding);
      std::memcpy(&out, data_ + checked(i) * sizeof(T), sizeof(T));
      fq_.enqueue(static_cast<std::uint64_t>(i));  // (3)
      return true;
    }

    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      const std::uint64_t d = aq_.tail() - aq_.head();
      if (static_cast<std::int64_t>(d) <= 0) return 0;
      return d < capacity_ ? d : capacity_;
    }

    /// Gives back the indices that killed processes held (op_slots.h); how many.
    std::uint64_t recover() { return ops_.recover_or_throw(rebuild_fn()); }

   private:
    indexed_queue(std::byte* body, std::uint64_t capacity, std::uint64_t n) noexcept
        : ops_(body),
          aq_(body + kAqOffset, n),
          fq_(body + fq_offset(n), n),
          data_(body + data_offset(n)),
          capacity_(capacity) {}

    // An index from a ring: one the segment could not have produced is a CorruptState, never an offset past data.
    std::uint64_t checked(std::int64_t i) const {
      if (static_cast<std::uint64_t>(i) >= capacity_) {
        throw CorruptState("scq index " + std::to_string(i) + " is past the capacity " + std::to_string(capacity_));
      }
      return static_cast<std::uint64_t>(i);
    }

    auto rebuild_fn() {
      return [this] { return rebuild(); };
    }
    // With no operation in flight: aq keeps the indices at its live positions
    // (its stale entries are emptied), and fq is rebuilt from every other
    // index. Only what is not data is written, so a recovery cut short by a
    // kill is simply done again. Returns how many indices were in neither.
    std::uint64_t rebuild() {
      std::vector<bool> queued(capacity_, false);  // indices 0..c-1: one above is a CorruptState in aq
      std::vector<bool> live_entries(aq_.entry_count(), false);
      const std::vector<std::uint64_t> elements = aq_.live(queued, true, &live_entries);
      std::vector<bool> listed = queued;
      const std::uint64_t was_free = fq_.live(listed, false).size();
      std::vector<std::uint64_t> free_indices;
      free_indices.reserve(capacity_ - elements.size());
      for (std::uint64_t i = 0; i < capacity_; ++i) {
        if (!queued[i]) free_indices.push_back(i);
      }
      aq_.clear_stale(live_entries);
      fq_.reset(fq_.fresh_lap(), free_indices.size(), [&](std::uint64_t k) { return free_indices[k]; });
      return free_indices.size() > was_free ? free_indices.size() - was_free : 0;
    }

    detail::OpSlots ops_;
    Ring aq_;
    Ring fq_;
    std::byte* data_;
    std::uint64_t capacity_;  // c: the indices 0..c-1 and data[c]
    const std::uint64_t handle_ = detail::op_detail::next_handle_id();
  };

  /// The direct design: one ring of cells holding the elements.
  ///
  /// At most `capacity` elements, by position: an enqueue at position t is
  /// admitted only if t - H < capacity, H a head this handle read (an older
  /// H is smaller: the test only gets stricter), read anew when the cached
  /// one refuses. Every element in the ring is at a position in [head,
  /// tail) or is held by a dequeuer in flight (or dead: an orphan), so the
  /// live elements are at distinct positions of [H, H + capacity). Before
  /// its FAA a push makes the same test with tail as it reads it (no later
  /// than the position it would get), so a producer polling a full queue
  /// takes no position; only producers racing each other past that test
  /// take a position and refuse it (CellRing::pass_over).
  template <class T>
  class direct_queue {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= kMaxDirectSize);

   public:
    direct_queue(std::byte* body, std::uint64_t capacity) noexcept
        : ops_(body), ring_(body + kRingOffset, detail::ring_slots(capacity)), capacity_(capacity),
          head_bound_(ring_.head()) {}

    direct_queue(const direct_queue&) = delete;
    direct_queue& operator=(const direct_queue&) = delete;

    bool push(const T& value) {
      std::uint64_t x = 0;  // the element's bytes, zero-padded to 8 (little-endian: spec §7.2.3)
      std::memcpy(&x, &value, sizeof(T));
      return ops_.push(ops_.my_slot(handle_), [&] {
        // Full by the position the FAA would give: refuse without taking it.
        if (!admit(ring_.tail())) return false;  // full, or orphans of dead pops (ops_.push recovers once)
        return ring_.enqueue(x, [this](std::uint64_t t) { return admit(t); });  // (1)
      }, rebuild_fn());
    }

    bool pop(T& out) {
      const std::uint32_t s = ops_.my_slot(handle_);
      detail::OpScope op(ops_, s, rebuild_fn());
      std::uint64_t x = 0;
      if (!ring_.dequeue(x)) return false;  // (2)
      std::memcpy(&out, &x, sizeof(T));
      return true;
    }

    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      const std::uint64_t d = ring_.tail() - ring_.head();
      if (static_cast<std::int64_t>(d) <= 0) return 0;
      return d < capacity_ ? d : capacity_;
    }

    /// Empties the cells that dead pops left full (op_slots.h); how many.
    std::uint64_t recover() { return ops_.recover_or_throw(rebuild_fn()); }

   private:
    // Whether position t is within capacity by H: the cached one, else read anew.
    bool admit(std::uint64_t t) {
      const auto c = static_cast<std::int64_t>(capacity_);
      if (static_cast<std::int64_t>(t - head_bound_.load(std::memory_order_relaxed)) < c) return true;
      const std::uint64_t h = ring_.head();
      head_bound_.store(h, std::memory_order_relaxed);
      return static_cast<std::int64_t>(t - h) < c;
    }

    auto rebuild_fn() {
      return [this] { return ring_.clear_orphans(); };
    }

    detail::OpSlots ops_;
    CellRing ring_;
    std::uint64_t capacity_;
    const std::uint64_t handle_ = detail::op_detail::next_handle_id();
    // This handle's last head bound (H, above); shared by its threads, and
    // written by pushes on a line of its own (its consumer threads read the
    // fields above on every operation).
    alignas(64) std::atomic<std::uint64_t> head_bound_;
  };

  /// The queue of T: direct cells for elements of up to 8 bytes (scq), else index rings.
  template <class T>
  using queue = std::conditional_t<direct(sizeof(T)), direct_queue<T>, indexed_queue<T>>;
};

/// Nikolaev's SCQ: elements of up to 8 bytes in the cells, larger ones through index rings.
struct scq : basic_scq<3, false> {};
/// The same, with every element through index rings and a data array (the indirect design).
struct scq_indices : basic_scq<7, true> {};

}  // namespace zeroipc::variants
