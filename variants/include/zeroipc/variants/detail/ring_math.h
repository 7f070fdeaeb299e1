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

/// Bounded variants hold a power-of-two number of slots, at least 2, so a
/// 64-bit position maps to a slot with a mask and never wraps in practice.
constexpr bool valid_ring_capacity(std::uint64_t capacity) noexcept {
  return capacity >= 2 && std::has_single_bit(capacity) && capacity <= kMaxRingCapacity;
}

/// a * b + c, or 0 if it overflows.
constexpr std::uint64_t mul_add_or_zero(std::uint64_t a, std::uint64_t b, std::uint64_t c) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (b != 0 && a > (kMax - c) / b) return 0;
  return a * b + c;
}

}  // namespace zeroipc::variants::detail
