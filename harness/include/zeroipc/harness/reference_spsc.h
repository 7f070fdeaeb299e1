// The reference: the least a single-producer single-consumer ring can do.
// The harness runs it as structure "reference" (the ceiling of what the
// harness itself can carry, run_layout.h) and the microbenchmarks as
// `reference_spsc` (harness/microbench/bench_common.h): one ring, one copy.
//
//   // at: ReferenceSpsc<T>::bytes(capacity) bytes, 64-byte aligned (a segment's, or the heap's)
//   ReferenceSpsc<T> ring(at, capacity);                   // makes an empty ring there
//   ReferenceSpsc<T> other(at, available, kOpenReference); // the ring another process made there
//   ring.push(v) -> false when full;  other.pop(v) -> false when empty
//   ring.push_with([&](T& slot) { ... }): push, the value written in its slot
//
// The algorithm: a power-of-two array of slots, a tail the producer advances
// and a head the consumer advances, each alone on its cache line; each side
// keeps a copy of the other's index on a line of its own (head_cache,
// tail_cache) and reads the shared one only when its copy says full / empty.
// No role checks, no crash recovery, no waiting: a caller busy-polls.
//
// Memory-ordering pairs:
//   (1) the producer's release store of tail (after writing the slot) pairs
//       with (2) the consumer's acquire load of tail: a slot below tail is written;
//   (3) the consumer's release store of head (after reading the slot) pairs
//       with (4) the producer's acquire load of head: a slot below head is free.
//
// The handle (this class) is process-local: the slots' address and the mask
// are computed once, from the header's capacity, checked against the bytes
// available when opening; nothing read later from the shared memory is used
// as an offset (indices are masked). A kill costs the ring: nothing repairs it.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace zeroipc::harness {

namespace reference_spsc {
/// The shared header; the slots follow it.
struct Header {
  alignas(64) std::atomic<std::uint64_t> tail;  // the producer's: slots below it are written
  alignas(64) std::uint64_t head_cache;         // the producer's copy of head
  alignas(64) std::atomic<std::uint64_t> head;  // the consumer's: slots below it are free again
  alignas(64) std::uint64_t tail_cache;         // the consumer's copy of tail
  alignas(64) std::uint64_t capacity;           // slots (a power of two), written once by the creator
  std::uint64_t slot_size;                      // sizeof(T), written once by the creator
};
static_assert(sizeof(Header) == 5 * 64 && std::atomic<std::uint64_t>::is_always_lock_free,
              "five cache lines, lock-free 64-bit indices");
}  // namespace reference_spsc

struct OpenReference {};
inline constexpr OpenReference kOpenReference{};

template <class T>
class alignas(64) ReferenceSpsc {
  static_assert(std::is_trivially_copyable_v<T>, "the slots are copied byte for byte");

 public:
  using value_type = T;

  /// Bytes a ring of `capacity` slots takes: header, then the slots.
  static constexpr std::uint64_t bytes(std::uint64_t capacity) noexcept {
    return sizeof(reference_spsc::Header) + capacity * sizeof(T);
  }

  /// Makes an empty ring of `capacity` slots (a power of two, at least 2) in
  /// bytes(capacity) bytes at `at` (64-byte aligned).
  ReferenceSpsc(void* at, std::uint64_t capacity) {
    if (capacity < 2 || !std::has_single_bit(capacity)) {
      throw std::invalid_argument("reference ring: capacity must be a power of two >= 2, not " +
                                  std::to_string(capacity));
    }
    check_alignment(at);
    h_ = new (at) reference_spsc::Header{};
    h_->capacity = capacity;
    h_->slot_size = sizeof(T);
    h_->tail.store(0, std::memory_order_relaxed);
    h_->head.store(0, std::memory_order_relaxed);
    attach(capacity);
  }

  /// The ring made at `at` (by another process), with `available` bytes there.
  ReferenceSpsc(void* at, std::uint64_t available, OpenReference) {
    check_alignment(at);
    if (available < sizeof(reference_spsc::Header)) {
      throw std::runtime_error("reference ring: " + std::to_string(available) + " bytes cannot hold its " +
                               std::to_string(sizeof(reference_spsc::Header)) + "-byte header");
    }
    h_ = static_cast<reference_spsc::Header*>(at);
    const std::uint64_t capacity = h_->capacity;
    if (h_->slot_size != sizeof(T)) {
      throw std::runtime_error("reference ring: slots of " + std::to_string(h_->slot_size) + " bytes, expected " +
                               std::to_string(sizeof(T)));
    }
    if (capacity < 2 || !std::has_single_bit(capacity) || capacity > (available - sizeof(reference_spsc::Header)) / sizeof(T)) {
      throw std::runtime_error("reference ring: capacity " + std::to_string(capacity) +
                               " is not a power of two >= 2 that fits in " + std::to_string(available) + " bytes");
    }
    attach(capacity);
  }

  std::uint64_t capacity() const noexcept { return mask_ + 1; }

  /// Producer: false when full.
  bool push(const T& v) noexcept {
    return push_with([&v](T& slot) noexcept { slot = v; });
  }

  /// Producer, in place: write(T& slot) fills the next free slot, which is
  /// then published; false (write not called) when full.
  template <class Write>
  bool push_with(Write&& write) noexcept(std::is_nothrow_invocable_v<Write&, T&>) {
    const std::uint64_t t = h_->tail.load(std::memory_order_relaxed);
    if (t - h_->head_cache > mask_) {
      h_->head_cache = h_->head.load(std::memory_order_acquire);  // (4)
      if (t - h_->head_cache > mask_) return false;
    }
    write(slots_[t & mask_]);
    h_->tail.store(t + 1, std::memory_order_release);  // (1)
    return true;
  }

  /// Consumer: false when empty.
  bool pop(T& v) noexcept {
    const std::uint64_t hd = h_->head.load(std::memory_order_relaxed);
    if (hd == h_->tail_cache) {
      h_->tail_cache = h_->tail.load(std::memory_order_acquire);  // (2)
      if (hd == h_->tail_cache) return false;
    }
    v = slots_[hd & mask_];
    h_->head.store(hd + 1, std::memory_order_release);  // (3)
    return true;
  }

 private:
  static void check_alignment(void* at) {
    if (reinterpret_cast<std::uintptr_t>(at) % 64 != 0) {
      throw std::invalid_argument("reference ring: its memory must be 64-byte aligned");
    }
  }
  void attach(std::uint64_t capacity) noexcept {
    mask_ = capacity - 1;
    slots_ = reinterpret_cast<T*>(reinterpret_cast<unsigned char*>(h_) + sizeof(reference_spsc::Header));
  }

  reference_spsc::Header* h_ = nullptr;
  T* slots_ = nullptr;
  std::uint64_t mask_ = 0;
};

}  // namespace zeroipc::harness
