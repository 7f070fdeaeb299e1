// zeroipc/variants/scq.h — Nikolaev's Scalable Circular Queue, "A Scalable,
// Portable, and Memory-Efficient Lock-Free FIFO Queue" (DISC 2019), in shared
// memory.
//
// Two SCQ rings of element indices — `aq` (allocated: indices holding data,
// in FIFO order) and `fq` (free indices) — and a data array of c elements:
//   push(v): i = fq.dequeue() (none: full); data[i] = v; aq.enqueue(i)
//   pop():   i = aq.dequeue() (none: empty); v = data[i]; fq.enqueue(i)
// Each ring has 2n entries for up to n indices, so an enqueue always finds a
// free entry within one lap; fetch-and-add on head and tail, single-width CAS
// and atomic OR on the entries only (no CAS2), and a `threshold` counter that
// makes a dequeue on an empty ring give up after 3n - 1 failed attempts
// instead of livelocking against enqueuers.
//
// Capacity: any c >= 1. The rings are sized for n = R = bit_ceil(max(c, 2))
// indices (detail/ring_math.h: 2n must be a power of two) and only the c
// indices 0..c-1 exist: fq starts with those c, so at most c elements are
// ever in the queue, and single-threaded exactly c fit. Holding fewer indices
// than n keeps the paper's argument (it needs at most n per ring), and the
// bounds below, which count indices, stay bounds. For a power of two c, n == c
// and the algorithm is the paper's, unchanged.
//
// Progress: lock-free (except while a recovery runs: see below).
//
// Layout of one ring, `ring_bytes(n)` bytes (offsets within the ring):
//   0    i64 threshold  (own cache line)
//   64   u64 tail       (own cache line)
//   128  u64 head       (own cache line)
//   192  entries[2n], u64 each, entry of position p at remap(p mod 2n)
// Entry word: cycle << (k + 2) | is_safe << (k + 1) | index, with 2n = 2^(k+1);
// index = 2n - 1 is ⊥ (empty). cycle(p) = p / 2n, compared modulo the field
// width so positions may wrap past 2^64.
// remap(i) spreads consecutive positions over cache lines (8 entries per
// line): remap(i) = (i mod 8) * (2n / 8) + i / 8 when 2n >= 8.
//
// Body of the queue (SPECIFICATION.md §7.2.3): thread slots and recovery
// control at 0 (detail/op_slots.h, kOpAreaBytes), aq ring at kOpAreaBytes,
// fq ring after it (ring_bytes(n) each), data[c] (element_size each) after
// both rings.
//
// Memory-ordering pairs (all RMWs on entries, head, tail and threshold are
// seq_cst, as in the paper's proof; these are the data-carrying pairs):
//   (1) push writes data[i] before aq.enqueue(i)'s CAS publishes i, which
//       pairs with (2) aq.dequeue's read of the entry (the OR that consumes
//       it): the pop reads data[i] after the push wrote it.
//   (3) pop reads data[i] before fq.enqueue(i) publishes i as free, which
//       pairs with (4) fq.dequeue in a later push: that push overwrites
//       data[i] only after the pop read it.
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
//   op_slots.h: every thread holds a slot).
//
// What a kill costs:
//   push, after fq.dequeue, before aq.enqueue publishes: the element was in
//     flight (not pushed); its index is held by nobody.
//   pop, after aq.dequeue's FAA on head but before consuming the entry: a
//     later dequeuer of the next cycle marks the entry unsafe and passes it:
//     the element (in flight) is lost and its index held by nobody.
//   pop, after consuming, before fq.enqueue: the element dies with the
//     consumer (in flight); its index is held by nobody.
//   An enqueuer killed after its FAA on tail leaves a skipped position that
//     dequeuers step over. Nobody ever waits for a dead process: the
//     survivors never wedge.
//   An index held by nobody is given back by the next recovery (op_slots.h):
//   the queue is made quiescent, aq keeps its live entries as they are (its
//   stale ones are emptied), and fq is rebuilt from every other index of
//   0..c-1 (an index c or above in aq is a CorruptState). A push that finds
//   the queue full while a dead thread was in flight recovers by itself;
//   Queue::recover() does it on demand.
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
#include "zeroipc/variants/detail/cpu_relax.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

struct scq {
  static constexpr std::uint16_t kId = 3;
  static constexpr std::string_view kName = "scq";
  static constexpr bool kMultiProducer = true;
  static constexpr bool kMultiConsumer = true;
  static constexpr bool kFifo = true;
  /// Not exact: like vyukov_bounded, a dequeue can pass an entry whose
  /// enqueuer has taken the position but not yet written it, and report
  /// empty; push reports full when fq is momentarily out of indices.
  static constexpr bool kExactEmptyFull = false;

  static constexpr std::uint64_t ring_bytes(std::uint64_t n) noexcept { return 192 + 2 * n * 8; }
  static constexpr std::uint64_t kAqOffset = detail::kOpAreaBytes;
  static constexpr std::uint64_t fq_offset(std::uint64_t n) noexcept { return kAqOffset + ring_bytes(n); }
  static constexpr std::uint64_t data_offset(std::uint64_t n) noexcept { return kAqOffset + 2 * ring_bytes(n); }
  /// Bytes of the body for `capacity` elements (rings for n = R indices,
  /// data for c); 0 if the capacity is not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, element_size, data_offset(detail::ring_slots(capacity)));
  }

  /// Failed enqueue attempts, with head standing still, after which a ring is corrupt.
  static constexpr std::uint64_t kMaxAttempts(std::uint64_t n) noexcept { return 8 * n + 4 * detail::kOpSlots; }
  /// How far tail may be ahead of head in a well-formed ring, with a wide
  /// margin. An enqueuer at a position at or past head fails only on an entry
  /// that holds an index: live ones, and stale ones that dead dequeuers left
  /// (their indices are lost until a recovery), at most n together. So the lead
  /// stays within a lap or two plus one position per thread in flight. It is
  /// measured against head as it is now (check_lead), never against a
  /// dequeuer's own earlier position.
  static constexpr std::uint64_t kMaxLead(std::uint64_t n) noexcept { return 2 * n * (detail::kOpSlots + 2); }
  /// CAS failures on one entry within one operation after which it is corrupt.
  static constexpr unsigned kMaxCasRetries = 1u << 16;

  /// One SCQ ring of 2n entries, for up to n indices (0..c-1, c <= n).
  class Ring {
   public:
    Ring(std::byte* base, std::uint64_t n) noexcept
        : threshold_(reinterpret_cast<zeroipc_scq_ring*>(base)->threshold),
          tail_(reinterpret_cast<zeroipc_scq_ring*>(base)->tail),
          head_(reinterpret_cast<zeroipc_scq_ring*>(base)->head),
          entries_(reinterpret_cast<std::uint64_t*>(base + sizeof(zeroipc_scq_ring))),
          n_(n),
          size_(2 * n),
          order_(static_cast<unsigned>(std::countr_zero(2 * n))),  // 2n = 2^order
          bottom_(2 * n - 1) {}

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
              throw CorruptState("an scq entry changed under " + std::to_string(kMaxCasRetries) + " CAS attempts");
            }
            const auto full_threshold = static_cast<std::int64_t>(3 * n_ - 1);
            if (threshold_.load(std::memory_order_seq_cst) != full_threshold) {
              threshold_.store(full_threshold, std::memory_order_seq_cst);
            }
            return;
          }
          break;  // entry not usable: take the next position
        }
        // Attempts fail only while others make progress: dequeuers move head.
        if (++attempts > kMaxAttempts(n_)) {
          const std::uint64_t h = head_.load(std::memory_order_relaxed);
          if (h == head_seen) {
            throw CorruptState("an scq enqueue found no usable entry in " + std::to_string(attempts) +
                               " positions while head stood at " + std::to_string(h));
          }
          head_seen = h;
          attempts = 0;
        }
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
          // An enqueuer holds position h (tail is past it) but has not written
          // the entry yet: give it a moment before invalidating the entry.
          if (index_of(e) == bottom_ && cycle_before(cycle_of(e), cycle(h)) &&
              spins < detail::kSlowEnqueuerSpins && after(tail_.load(std::memory_order_relaxed), h)) {
            ++spins;
            detail::cpu_relax();
            e = entry.load(std::memory_order_seq_cst);
            continue;
          }
          std::uint64_t next = pack(cycle_of(e), false, index_of(e));
          if (index_of(e) == bottom_) next = pack(cycle_field(cycle(h)), safe_of(e), bottom_);
          if (cycle_before(cycle_of(e), cycle(h))) {
            if (!entry.compare_exchange_weak(e, next, std::memory_order_seq_cst)) {
              if (retries < kMaxCasRetries) continue;
              throw CorruptState("an scq entry changed under " + std::to_string(kMaxCasRetries) + " CAS attempts");
            }
          }
          break;
        }
        detail::crash_point(detail::VariantCrashPoint::kDequeuePassed);
        const std::uint64_t t = tail_.load(std::memory_order_seq_cst);
        if (!after(t, h + 1)) {  // t <= h + 1: the ring is empty
          catchup(t, h + 1);
          threshold_.fetch_sub(1, std::memory_order_seq_cst);
          return -1;
        }
        check_lead(t);
        if (checked_threshold(threshold_.fetch_sub(1, std::memory_order_seq_cst)) <= 0) return -1;
      }
    }

    [[nodiscard]] std::uint64_t tail() const noexcept { return tail_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t head() const noexcept { return head_.load(std::memory_order_relaxed); }
    /// Entries in the ring: 2n.
    [[nodiscard]] std::uint64_t entry_count() const noexcept { return size_; }

    // ---- recovery (op_slots.h): only while no operation is in flight

    /// The indices at the ring's live positions [head, tail), in order: an
    /// entry counts when its cycle is its position's and it holds an index.
    /// Marks them in `seen` (one flag per index that exists: c of them) and,
    /// if given, their entries in `entries`; strict: an index of seen.size()
    /// or more, or one seen twice, is a CorruptState (lenient: skipped, for a
    /// ring about to be rebuilt).
    std::vector<std::uint64_t> live(std::vector<bool>& seen, bool strict,
                                    std::vector<bool>* entries = nullptr) const {
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
      if (after(tail(), head())) threshold_.store(static_cast<std::int64_t>(3 * n_ - 1), std::memory_order_release);
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
      threshold_.store(count == 0 ? -1 : static_cast<std::int64_t>(3 * n_ - 1), std::memory_order_release);
    }

    /// A position a lap past both head and tail: where a rebuilt ring starts.
    [[nodiscard]] std::uint64_t fresh_lap() const noexcept {
      const std::uint64_t h = head();
      const std::uint64_t t = tail();
      return (after(t, h) ? t : h) + size_;
    }

   private:
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
      if (v > static_cast<std::int64_t>(3 * n_ - 1)) {
        throw CorruptState("scq threshold " + std::to_string(v) + " is above 3n - 1 = " + std::to_string(3 * n_ - 1));
      }
      return v;
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
      if (size_ < 8) return i;
      return (i & 7) * (size_ >> 3) + (i >> 3);
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
    std::uint64_t* entries_;
    std::uint64_t n_;
    std::uint64_t size_;
    unsigned order_;
    std::uint64_t bottom_;
  };

  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t, std::uint64_t start) noexcept {
    const std::uint64_t n = detail::ring_slots(capacity);
    Ring(body + kAqOffset, n).init(start, 0);            // aq: empty
    Ring(body + fq_offset(n), n).init(start, capacity);  // fq: every index 0..c-1 free
  }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept : queue(body, capacity, detail::ring_slots(capacity)) {}

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
    queue(std::byte* body, std::uint64_t capacity, std::uint64_t n) noexcept
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
};

}  // namespace zeroipc::variants
