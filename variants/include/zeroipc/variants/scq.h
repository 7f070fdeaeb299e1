// zeroipc/variants/scq.h — Nikolaev's Scalable Circular Queue, "A Scalable,
// Portable, and Memory-Efficient Lock-Free FIFO Queue" (DISC 2019), in shared
// memory.
//
// Two SCQ rings of element indices — `aq` (allocated: indices holding data,
// in FIFO order) and `fq` (free indices) — and a data array of n elements:
//   push(v): i = fq.dequeue() (none: full); data[i] = v; aq.enqueue(i)
//   pop():   i = aq.dequeue() (none: empty); v = data[i]; fq.enqueue(i)
// Each ring has 2n entries for n indices, so an enqueue always finds a free
// entry within one lap; fetch-and-add on head and tail, single-width CAS and
// atomic OR on the entries only (no CAS2), and a `threshold` counter that
// makes a dequeue on an empty ring give up after 3n - 1 failed attempts
// instead of livelocking against enqueuers.
//
// Progress: lock-free.
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
// Body of the queue (SPECIFICATION.md §7.2.3): aq ring at 0, fq ring at
// ring_bytes(n), data[n] (element_size each) at 2 * ring_bytes(n).
//
// Memory-ordering pairs (all RMWs on entries, head, tail and threshold are
// seq_cst, as in the paper's proof; these are the data-carrying pairs):
//   (1) push writes data[i] before aq.enqueue(i)'s CAS publishes i, which
//       pairs with (2) aq.dequeue's read of the entry (the OR that consumes
//       it): the pop reads data[i] after the push wrote it.
//   (3) pop reads data[i] before fq.enqueue(i) publishes i as free, which
//       pairs with (4) fq.dequeue in a later push: that push overwrites
//       data[i] only after the pop read it.
//
// What a kill costs:
//   push, after fq.dequeue, before aq.enqueue publishes: the element was in
//     flight (not pushed); its index is leaked: capacity drops by one.
//   pop, after aq.dequeue's FAA on head but before consuming the entry: a
//     later dequeuer of the next cycle marks the entry unsafe and passes it:
//     the element (in flight) is lost and its index leaked.
//   pop, after consuming, before fq.enqueue: the element dies with the
//     consumer (in flight); its index is leaked.
//   An enqueuer killed after its FAA on tail leaves a skipped position that
//     dequeuers step over. Nobody ever waits for a dead process: the
//     survivors never wedge. Each kill can cost one slot of capacity.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "zeroipc/variants/detail/cpu_relax.h"
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
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (!detail::valid_ring_capacity(capacity) || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, element_size, 2 * ring_bytes(capacity));
  }

  /// One SCQ ring of indices 0..n-1.
  class Ring {
   public:
    Ring(std::byte* base, std::uint64_t n) noexcept
        : threshold_(*reinterpret_cast<std::int64_t*>(base)),
          tail_(*reinterpret_cast<std::uint64_t*>(base + 64)),
          head_(*reinterpret_cast<std::uint64_t*>(base + 128)),
          entries_(reinterpret_cast<std::uint64_t*>(base + 192)),
          n_(n),
          size_(2 * n),
          order_(static_cast<unsigned>(std::countr_zero(2 * n))),  // 2n = 2^order
          bottom_(2 * n - 1) {}

    /// Initial state: empty (first position `start`), or holding 0..n-1.
    void init(std::uint64_t start, bool full) noexcept {
      // Positions start one lap in, so that every entry's cycle (one lap
      // back) is below the first enqueue's.
      const std::uint64_t first = start + size_;
      for (std::uint64_t i = 0; i < size_; ++i) {
        const std::uint64_t p = first - size_ + i;  // the lap before `first`
        entries_[remap(p)] = pack(cycle(p), true, bottom_);
      }
      std::uint64_t tail = first;
      if (full) {
        for (std::uint64_t i = 0; i < n_; ++i) entries_[remap(first + i)] = pack(cycle(first + i), true, i);
        tail = first + n_;
      }
      head_.store(first, std::memory_order_relaxed);
      tail_.store(tail, std::memory_order_relaxed);
      threshold_.store(full ? static_cast<std::int64_t>(3 * n_ - 1) : -1, std::memory_order_relaxed);
    }

    void enqueue(std::uint64_t index) noexcept {
      for (;;) {
        const std::uint64_t t = tail_.fetch_add(1, std::memory_order_seq_cst);
        std::atomic_ref<std::uint64_t> entry(entries_[remap(t)]);
        std::uint64_t e = entry.load(std::memory_order_seq_cst);
        for (;;) {
          if (cycle_before(cycle_of(e), cycle(t)) && index_of(e) == bottom_ &&
              (safe_of(e) || !after(head_.load(std::memory_order_seq_cst), t))) {
            if (!entry.compare_exchange_weak(e, pack(cycle(t), true, index), std::memory_order_seq_cst)) {
              continue;  // (1)/(3): publishes index; e reloaded
            }
            const auto full_threshold = static_cast<std::int64_t>(3 * n_ - 1);
            if (threshold_.load(std::memory_order_seq_cst) != full_threshold) {
              threshold_.store(full_threshold, std::memory_order_seq_cst);
            }
            return;
          }
          break;  // entry not usable: take the next position
        }
      }
    }

    /// An index, or -1 when the ring is empty.
    std::int64_t dequeue() noexcept {
      if (threshold_.load(std::memory_order_seq_cst) < 0) return -1;
      for (;;) {
        const std::uint64_t h = head_.fetch_add(1, std::memory_order_seq_cst);
        std::atomic_ref<std::uint64_t> entry(entries_[remap(h)]);
        std::uint64_t e = entry.load(std::memory_order_seq_cst);
        unsigned spins = 0;
        for (;;) {
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
            if (!entry.compare_exchange_weak(e, next, std::memory_order_seq_cst)) continue;
          }
          break;
        }
        const std::uint64_t t = tail_.load(std::memory_order_seq_cst);
        if (!after(t, h + 1)) {  // t <= h + 1: the ring is empty
          catchup(t, h + 1);
          threshold_.fetch_sub(1, std::memory_order_seq_cst);
          return -1;
        }
        if (threshold_.fetch_sub(1, std::memory_order_seq_cst) <= 0) return -1;
      }
    }

    [[nodiscard]] std::uint64_t tail() const noexcept { return tail_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t head() const noexcept { return head_.load(std::memory_order_relaxed); }

   private:
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
    Ring(body, capacity).init(start, false);                        // aq: empty
    Ring(body + ring_bytes(capacity), capacity).init(start, true);  // fq: every index free
  }

  template <class T>
  class queue {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    queue(std::byte* body, std::uint64_t capacity) noexcept
        : aq_(body, capacity),
          fq_(body + ring_bytes(capacity), capacity),
          data_(body + 2 * ring_bytes(capacity)),
          capacity_(capacity) {}

    bool push(const T& value) noexcept {
      const std::int64_t i = fq_.dequeue();  // (4)
      if (i < 0) return false;  // no free index: full
      if (static_cast<std::uint64_t>(i) >= capacity_) return false;  // corrupt segment: never index past data
      std::memcpy(data_ + static_cast<std::uint64_t>(i) * sizeof(T), &value, sizeof(T));
      aq_.enqueue(static_cast<std::uint64_t>(i));  // (1)
      return true;
    }

    bool pop(T& out) noexcept {
      const std::int64_t i = aq_.dequeue();  // (2)
      if (i < 0) return false;
      if (static_cast<std::uint64_t>(i) >= capacity_) return false;
      std::memcpy(&out, data_ + static_cast<std::uint64_t>(i) * sizeof(T), sizeof(T));
      fq_.enqueue(static_cast<std::uint64_t>(i));  // (3)
      return true;
    }

    [[nodiscard]] std::uint64_t size_approx() const noexcept {
      const std::uint64_t d = aq_.tail() - aq_.head();
      if (static_cast<std::int64_t>(d) <= 0) return 0;
      return d < capacity_ ? d : capacity_;
    }

   private:
    Ring aq_;
    Ring fq_;
    std::byte* data_;
    std::uint64_t capacity_;
  };
};

}  // namespace zeroipc::variants
