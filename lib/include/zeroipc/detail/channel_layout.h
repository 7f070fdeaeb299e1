// zeroipc/detail/channel_layout.h — the bytes of a Channel (SPECIFICATION.md
// §7.6) as a C++ struct, its size rule, and the crash points the crash tests
// kill a process at.
//
//   0    common header (§6), kind 11; `capacity` = cells = max(channel capacity, 1);
//        kind-specific bytes 32..39: u64 channel_capacity (0 = rendezvous)
//   64   u32 lock  u32 closed  u64 lock_pid  u32 receivers_waiting  u32 closed_by    (control line)
//   128  u64 head          next position to receive           } own cache lines: written
//   192  u64 tail          next position to send              } under the lock
//   256  u64 data_epoch    u32 data_sleepers    bumped when there may be something to receive
//   320  u64 space_epoch   u32 space_sleepers   bumped when there may be room (or a taker)
//   384  u64 handoff  u64 handoff_pid  u32 handoff_tag          the rendezvous offer
//   448  cells: bit_ceil(cells) slots of element_size bytes; slot = position & (slots - 1)
//
// Every field the specification marks atomic is touched through atomic_of().
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

#include "zeroipc/detail/crash_points.h"
#include "zeroipc/detail/layout.h"

namespace zeroipc::detail {

inline constexpr std::size_t kChannelCellsOffset = ZEROIPC_CHANNEL_SLOTS_OFFSET;
/// Largest channel capacity: the slot count (its power-of-two ceiling) stays a u32-sized mask.
inline constexpr std::uint64_t kMaxChannelCapacity = std::uint64_t{1} << 31;
/// Offset of the u64 channel_capacity in the common header (its kind-specific bytes).
inline constexpr std::size_t kChannelCapacityField = 32;

/// The bytes of §7.6 (the C99 layout header's struct, shared with lib/c).
using ChannelLayout = ::zeroipc_channel_layout;
static_assert(sizeof(ChannelLayout) == kChannelCellsOffset, "the cells start at 448 (spec §7.6)");
static_assert(offsetof(ChannelLayout, lock) == 64,
              "the control line starts after the common header (spec §7.6)");
static_assert(offsetof(ChannelLayout, closed) == 68, "spec §7.6");
static_assert(offsetof(ChannelLayout, lock_pid) == 72, "spec §7.6");
static_assert(offsetof(ChannelLayout, receivers_waiting) == 80, "spec §7.6");
static_assert(offsetof(ChannelLayout, closed_by) == 84, "spec §7.6");
static_assert(offsetof(ChannelLayout, head) == 128 && offsetof(ChannelLayout, tail) == 192,
              "head and tail sit on cache lines of their own, apart from the lock word every "
              "operation hammers (spec §7.6)");
static_assert(offsetof(ChannelLayout, data_epoch) == 256 && offsetof(ChannelLayout, data_sleepers) == 264,
              "each epoch word (with its sleeper count) has its own cache line: waiters spin on it "
              "(spec §7.6)");
static_assert(offsetof(ChannelLayout, space_epoch) == 320 && offsetof(ChannelLayout, space_sleepers) == 328,
              "spec §7.6");
static_assert(offsetof(ChannelLayout, handoff) == 384, "spec §7.6");
static_assert(offsetof(ChannelLayout, handoff_pid) == 392, "spec §7.6");
static_assert(offsetof(ChannelLayout, handoff_tag) == 400, "spec §7.6");
static_assert(offsetof(ChannelLayout, data_epoch) % 8 == 0 && offsetof(ChannelLayout, space_epoch) % 8 == 0 &&
                  offsetof(ChannelLayout, handoff) % 8 == 0,
              "64-bit atomics must be naturally aligned (the segment and every structure are 64-aligned)");
static_assert(kIsLayout<ChannelLayout>, "layout structs are overlaid on shared bytes: plain data only");
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free &&
                  std::atomic_ref<std::uint32_t>::is_always_lock_free,
              "lock, epochs, positions and the offer are shared between processes: a lock-based "
              "atomic would lock only this process");

namespace channel {

/// Phases of `handoff` (bits 0-3). Anything else read from the segment is corrupt.
inline constexpr unsigned kEmpty = 0;
inline constexpr unsigned kOffered = 1;

/// Ring slots for `cells` cells: the power of two at or above it.
constexpr std::uint64_t slot_count(std::uint64_t cells) noexcept { return std::bit_ceil(cells); }

/// Bytes of a channel of `cells` cells of `element_size` bytes, header
/// included; 0 when not allowed (no cells, too many, empty elements).
constexpr std::uint64_t total_size(std::uint64_t cells, std::uint32_t element_size) noexcept {
  if (cells == 0 || cells > kMaxChannelCapacity || element_size == 0) return 0;
  // slot_count <= 2^31 and element_size < 2^32: the product is below 2^63.
  return kChannelCellsOffset + slot_count(cells) * element_size;
}

}  // namespace channel

// ---------------------------------------------------------------- crash points (tests only)

/// Named points of the channel protocol where the crash tests SIGKILL a
/// process. With no hook installed (always, outside tests) each is one
/// relaxed load.
enum class ChannelCrashPoint : int {
  kLocked = 1,     // the lock is held, nothing written yet
  kWritten = 2,    // a sender copied its element into a cell; not yet published
  kPublished = 3,  // a sender moved tail / posted its offer; lock still held
  kTaken = 4,      // a receiver copied the element and moved head / took the offer; lock still held
  kOffered = 5,    // a rendezvous sender's offer is posted, lock released; it waits for the take
  kClosing = 6,    // close(): epochs bumped, `closed` not yet set; lock held
};

using ChannelCrashHook = CrashHookOf<ChannelCrashPoint>;

inline std::atomic<ChannelCrashHook>& channel_crash_hook() noexcept { return crash_hook_of<ChannelCrashPoint>(); }

inline void channel_crash_point(ChannelCrashPoint point) noexcept { crash_point_of(point); }

}  // namespace zeroipc::detail
