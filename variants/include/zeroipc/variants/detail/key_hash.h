// zeroipc/variants/detail/key_hash.h — the hash of a key's bytes, as
// SPECIFICATION.md §7.8 defines it, so that C and Python find the same slot:
//
//   h = fmix64(fnv1a64(key bytes))
//
// FNV-1a (Fowler, Noll, Vo) over the bytes, then MurmurHash3's 64-bit
// finaliser (Appleby), whose avalanche spreads FNV's weak low bits: a
// linear-probing table indexes by the low bits (h & (table_size - 1)).
// Not std::hash: its value differs between standard libraries and runs.
#pragma once

#include <cstddef>
#include <cstdint>

namespace zeroipc::variants::detail {

inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

constexpr std::uint64_t fmix64(std::uint64_t k) noexcept {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

inline std::uint64_t key_hash(const std::byte* key, std::size_t size) noexcept {
  std::uint64_t h = kFnvOffset;
  for (std::size_t i = 0; i < size; ++i) {
    h ^= static_cast<std::uint8_t>(key[i]);
    h *= kFnvPrime;
  }
  return fmix64(h);
}

}  // namespace zeroipc::variants::detail
