// zeroipc/variants/detail/ring_math.h — sizes shared by the bounded variants.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>

namespace zeroipc::variants::detail {

inline constexpr std::uint64_t kCacheLine = 64;

/// Rounds up to a multiple of 64.
constexpr std::uint64_t align64(std::uint64_t x) noexcept { return (x + 63) & ~std::uint64_t{63}; }

/// The largest capacity of a bounded variant (one may set a lower kMaxCapacity).
inline constexpr std::uint64_t kMaxRingCapacity = std::uint64_t{1} << 40;

/// A bounded variant takes any capacity c from 1 to kMaxRingCapacity (or
/// the variant's lower kMaxCapacity, passed as `max`).
constexpr bool valid_ring_capacity(std::uint64_t capacity, std::uint64_t max = kMaxRingCapacity) noexcept {
  return capacity >= 1 && capacity <= max;
}

/// The ring under a capacity c: R = bit_ceil(max(c, 2)) slots, a power of two
/// so that a 64-bit position maps to its slot with a mask (p & (R - 1)) and
/// laps stay whole when positions wrap past 2^64; at least 2 so that a slot's
/// states of one lap and the next differ (vyukov_bounded's sequences). A
/// variant holds at most c elements in it; for a power of two c, R == c and
/// the variant runs its published algorithm unchanged. Only for a valid
/// capacity (valid_ring_capacity): bit_ceil of a value above 2^63 is undefined.
constexpr std::uint64_t ring_slots(std::uint64_t capacity) noexcept {
  return capacity <= 2 ? 2 : std::bit_ceil(capacity);
}
static_assert(ring_slots(1) == 2 && ring_slots(2) == 2 && ring_slots(3) == 4 && ring_slots(100) == 128 &&
                  ring_slots(kMaxRingCapacity) == kMaxRingCapacity,
              "R = bit_ceil(max(c, 2)): SPECIFICATION.md §7.2");

/// a * b + c, or 0 if it overflows.
constexpr std::uint64_t mul_add_or_zero(std::uint64_t a, std::uint64_t b, std::uint64_t c) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (b != 0 && a > (kMax - c) / b) return 0;
  return a * b + c;
}

}  // namespace zeroipc::variants::detail
