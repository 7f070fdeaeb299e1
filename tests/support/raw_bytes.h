// Reading and writing a segment's raw bytes at SPECIFICATION.md's offsets,
// little-endian, never through the C++ layout structs: what the layout tests
// (tests/unit/*layout_test.cpp, tests/codata/*layout_test.cpp) pin, and how
// the corruption tests damage a segment on purpose.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <zeroipc/memory.h>

namespace zeroipc::test {

/// The `width`-byte (1..8) little-endian unsigned integer at `p + off`.
inline std::uint64_t le(const std::byte* p, std::size_t off, std::size_t width) {
  unsigned char b[8] = {};
  std::memcpy(b, p + off, width);
  std::uint64_t v = 0;
  for (std::size_t i = width; i-- > 0;) v = (v << 8) | b[i];
  return v;
}

/// Writes the low `width` bytes of `v` at `p + off`, little-endian.
inline void put_le(std::byte* p, std::size_t off, std::size_t width, std::uint64_t v) {
  for (std::size_t i = 0; i < width; ++i) p[off + i] = static_cast<std::byte>((v >> (8 * i)) & 0xFF);
}

/// The bytes of structure `name` in `mem` (a failed expectation, and the
/// segment's start, when there is no such entry).
inline std::byte* bytes_of(const Memory& mem, const char* name) {
  auto entry = mem.table().find(name);
  EXPECT_TRUE(entry.has_value()) << name;
  return mem.base() + (entry ? entry->offset : 0);
}

}  // namespace zeroipc::test
