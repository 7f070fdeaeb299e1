// zeroipc/detail/stream_layout.h — the bytes of a Stream (SPECIFICATION.md
// §7.5), as C++ structs, and the encodings of its words.
//
//   0     common header (§6), kind 10; kind-specific bytes: subscriber_slots,
//         overflow, origin (StreamConfig below)
//   64    line 1, written once at creation: the producer (pid, owner key, start time);
//         then end_reason and high_water, written rarely
//   128   line 2, the producer's hot word: published = count << 1 | closed,
//         the number of readers asleep on it, and sleep_at (the newest
//         value of `published` a reader went to sleep on: lets the producer
//         skip wake calls that are already on their way, stream_ring.h)
//   192   line 3, backpressure: resume_at (the position the slowest cursor
//         must reach before a blocked producer is woken; 0 = not blocked),
//         epoch (bumped on every join, leave, close and wake-up of a blocked
//         producer: the producer sleeps on it) and its sleepers
//   256   64 subscriber slots of one cache line each (only the owner writes
//         its cursor, so no two subscribers share a line)
//   4352  the ring: `capacity` cells of stride 8 + align8(element_size)
//         +0 u64 seq: 0 never written, 2p+1 being written with position p,
//                     2p+2 holds position p (a sequence lock per cell)
//         +8 the element's bytes, zero-padded to a multiple of 8
//
// Positions are 64-bit counters that only grow; the cell of position p is
// p & (capacity - 1), capacity a power of two.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>

#include "zeroipc/detail/layout.h"

namespace zeroipc::detail::stream {

inline constexpr std::uint32_t kSubscriberSlots = ZEROIPC_STREAM_SUBSCRIBER_SLOTS;
inline constexpr std::uint64_t kMaxCapacity = ZEROIPC_STREAM_MAX_CAPACITY;
inline constexpr std::uint32_t kMaxElementSize = ZEROIPC_STREAM_MAX_ELEMENT_SIZE;  // a window of large elements is still < 1 MiB

inline constexpr std::size_t kProducerOffset = ZEROIPC_STREAM_PRODUCER_OFFSET;
inline constexpr std::size_t kPublishedOffset = ZEROIPC_STREAM_PUBLISHED_OFFSET;
inline constexpr std::size_t kBackpressureOffset = ZEROIPC_STREAM_BACKPRESSURE_OFFSET;
inline constexpr std::size_t kSlotsOffset = ZEROIPC_STREAM_SLOTS_OFFSET;
inline constexpr std::size_t kSlotBytes = ZEROIPC_STREAM_SLOT_SIZE;
inline constexpr std::size_t kRingOffset = kSlotsOffset + kSubscriberSlots * kSlotBytes;  // 4352
inline constexpr std::size_t kCellHeader = ZEROIPC_STREAM_CELL_ELEMENT_OFFSET;

// The bytes of §7.5 before the ring: the C99 layout header's structs, shared with lib/c.
/// Bytes 32..63 of the common header (§6 "kind-specific"), written at creation.
using StreamConfig = ::zeroipc_stream_config;
/// One subscriber's cache line: state (owner key << 32 | sequence << 2 | phase), pid, cursor, missed.
using SubscriberSlot = ::zeroipc_stream_subscriber_slot;
using StreamLayout = ::zeroipc_stream;
static_assert(sizeof(StreamConfig) == 32, "the config fills the 32 kind-specific bytes of §6");
static_assert(sizeof(SubscriberSlot) == kSlotBytes,
              "one slot per cache line: each subscriber writes its cursor on every item");
static_assert(std::size(StreamLayout{}.slots) == kSubscriberSlots, "spec §7.5: 64 subscriber slots");
static_assert(sizeof(StreamLayout) == kRingOffset, "the ring starts at 4352 (spec §7.5)");
static_assert(offsetof(StreamLayout, producer_pid) == kProducerOffset,
              "the producer line starts after the common header (spec §7.5)");
static_assert(offsetof(StreamLayout, producer_key) == 68 && offsetof(StreamLayout, producer_start) == 72, "spec §7.5");
static_assert(offsetof(StreamLayout, end_reason) == 80, "spec §7.5");
static_assert(offsetof(StreamLayout, high_water) == 84, "spec §7.5");
static_assert(offsetof(StreamLayout, published) == kPublishedOffset,
              "`published` is written on every emit: its own cache line (spec §7.5)");
static_assert(offsetof(StreamLayout, reader_sleepers) == 136, "spec §7.5");
static_assert(offsetof(StreamLayout, sleep_at) == 144, "spec §7.5");
static_assert(offsetof(StreamLayout, resume_at) == kBackpressureOffset,
              "the backpressure words change only while the producer is blocked: their own line");
static_assert(offsetof(StreamLayout, epoch) == 200, "spec §7.5");
static_assert(offsetof(StreamLayout, producer_sleepers) == 204, "spec §7.5");
static_assert(offsetof(StreamLayout, slots) == kSlotsOffset, "spec §7.5");
static_assert(offsetof(SubscriberSlot, pid) == 8 && offsetof(SubscriberSlot, cursor) == 16 &&
                  offsetof(SubscriberSlot, missed) == 24,
              "spec §7.5 subscriber slot");
static_assert(kIsLayout<StreamLayout> && kIsLayout<StreamConfig>,
              "layout structs are overlaid on shared bytes: plain data only");
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free &&
                  std::atomic_ref<std::uint32_t>::is_always_lock_free,
              "every word of a stream is shared between processes: atomics must be lock-free");

/// Why a stream ended (end_reason; 0 while open).
enum class EndReason : std::uint32_t {
  open = 0,              // not ended
  closed = 1,            // close(): by a user, or by an operator whose input ended
  producer_gone = 2,     // its producer (or operator's process) died or exited without closing
  operator_stopped = 3,  // the handle that ran its operator was destroyed
  operator_failed = 4,   // its operator's function threw
};
inline constexpr std::uint32_t kMaxEndReason = 4;

/// What feeds a stream (config.origin): emit(), or one of the operators.
enum class Origin : std::uint32_t {
  emit = 0, map = 1, filter = 2, fold = 3, take = 4, skip = 5, window_count = 6,
  window_time = 7, merge = 8, zip = 9, unfold = 10,
};
inline constexpr std::uint32_t kMaxOrigin = 10;

// `published`: count << 1 | closed.
constexpr std::uint64_t count_of(std::uint64_t published) noexcept { return published >> 1; }
constexpr bool closed_in(std::uint64_t published) noexcept { return (published & 1u) != 0; }

// Cell sequence words.
constexpr std::uint64_t writing(std::uint64_t position) noexcept { return 2 * position + 1; }
constexpr std::uint64_t holding(std::uint64_t position) noexcept { return 2 * position + 2; }

// Subscriber slot state: owner key << 32 | sequence (30 bits) << 2 | phase.
namespace slot {
inline constexpr unsigned kFree = 0, kJoining = 1, kActive = 2;  // phase 3 is never written
constexpr unsigned phase(std::uint64_t s) noexcept { return static_cast<unsigned>(s & 3u); }
constexpr std::uint32_t owner(std::uint64_t s) noexcept { return static_cast<std::uint32_t>(s >> 32); }
/// The state after a transition from `s`: sequence + 1, so every change differs.
constexpr std::uint64_t next(std::uint64_t s, unsigned ph, std::uint32_t key) noexcept {
  const std::uint64_t seq = ((s >> 2) + 1) & 0x3FFFFFFFu;
  return std::uint64_t{key} << 32 | seq << 2 | ph;
}
}  // namespace slot

/// Bytes between cells: the sequence word and the element padded to 8.
constexpr std::uint64_t stride_of(std::uint32_t element_size) noexcept {
  return kCellHeader + ((std::uint64_t{element_size} + 7) & ~std::uint64_t{7});
}

/// Bytes of a stream of `capacity` cells of `element_size` bytes; 0 when not
/// allowed (capacity not a power of two in [1, 2^30], element size 0 or > 1 MiB).
inline std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
  if (capacity == 0 || capacity > kMaxCapacity || !std::has_single_bit(capacity)) return 0;
  if (element_size == 0 || element_size > kMaxElementSize) return 0;
  return kRingOffset + capacity * stride_of(element_size);  // <= 2^30 * (2^20 + 16): no overflow
}

/// A requested capacity rounded up to the ring's power of two; 0 if out of range.
constexpr std::uint64_t ring_capacity(std::uint64_t requested) noexcept {
  if (requested == 0 || requested > kMaxCapacity) return 0;
  return std::bit_ceil(requested);
}

}  // namespace zeroipc::detail::stream
