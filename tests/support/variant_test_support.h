// Shared by the typed tests over the queue and stack variants (tests/unit and
// tests/process): the gtest type list and names generated from the registry's
// tuples, whether this is a sanitizer build (to scale item counts down), and
// elements of several sizes that carry their own checksum.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>

namespace zeroipc::test {

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
#else
inline constexpr bool kSanitized = false;
#endif

/// ToTypes<std::tuple<V...>>::type is ::testing::Types<V...>.
template <class Tuple>
struct ToTypes;
template <class... V>
struct ToTypes<std::tuple<V...>> {
  using type = ::testing::Types<V...>;
};

/// Names each typed test after its variant ("QueueTest/scq").
struct VariantName {
  template <class V>
  static std::string GetName(int) {
    return std::string(V::kName);
  }
};

// ---- Elements of several sizes, each with a checksum filled from the index ----

inline std::uint32_t checksum_of(std::uint64_t i) {
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return static_cast<std::uint32_t>(x ^ (x >> 32) ^ 0xA5A5A5A5u);
}

template <std::size_t N>
struct Elem {  // N >= 12, alignment 4 so that sizeof == N for N = 100
  std::uint32_t index;
  unsigned char fill[N - 8];
  std::uint32_t checksum;
};
template <>
struct Elem<1> {
  std::uint8_t index;  // the byte is both index and checksum
};
template <>
struct Elem<8> {
  std::uint32_t index;
  std::uint32_t checksum;
};

template <std::size_t N>
Elem<N> make_elem(std::uint64_t i) {
  Elem<N> e{};
  if constexpr (N == 1) {
    e.index = static_cast<std::uint8_t>(i * 37 + 11);
  } else {
    e.index = static_cast<std::uint32_t>(i);
    e.checksum = checksum_of(i);
    if constexpr (N > 8) {
      for (std::size_t k = 0; k < sizeof(e.fill); ++k) e.fill[k] = static_cast<unsigned char>(i * 7 + k);
    }
  }
  return e;
}

template <std::size_t N>
bool elem_ok(const Elem<N>& e, std::uint64_t i) {
  const Elem<N> want = make_elem<N>(i);
  return std::memcmp(&e, &want, sizeof(e)) == 0;
}

}  // namespace zeroipc::test
