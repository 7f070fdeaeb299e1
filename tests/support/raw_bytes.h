// Reading and writing a segment's raw bytes at SPECIFICATION.md's offsets,
// little-endian, never through the C++ layout structs: what the layout tests
// (tests/unit/*layout_test.cpp, tests/codata/*layout_test.cpp) pin, and how
// the corruption tests damage a segment on purpose.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

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

/// What a layout test expects in a structure's common header (SPECIFICATION.md §6).
struct CommonHeader {
  std::uint16_t kind;
  std::uint16_t variant;
  std::uint32_t element_size;
  std::uint8_t dtype;
  std::uint64_t capacity;
  std::uint64_t total_size;
};

/// Checks bytes 0-31 of the structure at `s`, magic to total_size, against
/// `h` and layout version 1. The kind-specific bytes 32-63 are each test's own.
inline void expect_common_header(const std::byte* s, const CommonHeader& h) {
  EXPECT_EQ(std::memcmp(s, "ZIPS", 4), 0) << "§6 magic";
  EXPECT_EQ(le(s, 4, 2), h.kind) << "§6.1 kind";
  EXPECT_EQ(le(s, 6, 2), h.variant) << "§6.2 variant";
  EXPECT_EQ(le(s, 8, 4), h.element_size) << "§6 element_size";
  EXPECT_EQ(le(s, 12, 2), 1u) << "§6 layout_version 1";
  EXPECT_EQ(le(s, 14, 1), h.dtype) << "§6.3 dtype";
  EXPECT_EQ(le(s, 16, 8), h.capacity) << "§6 capacity (the structure's section says what it counts)";
  EXPECT_EQ(le(s, 24, 8), h.total_size) << "§6 total_size (the structure's section gives the rule)";
}

/// The bytes of structure `name` in `mem` (a failed expectation, and the
/// segment's start, when there is no such entry).
inline std::byte* bytes_of(const Memory& mem, const char* name) {
  auto entry = mem.table().find(name);
  EXPECT_TRUE(entry.has_value()) << name;
  return mem.base() + (entry ? entry->offset : 0);
}

/// §7.7: the thread slots and recovery control at `area` after this
/// thread's operations: the control line is idle (lock free, no recovery
/// running, none made), exactly one slot is claimed, by this process's key
/// with this thread's tid and pid, and it is not inside an operation. Its
/// `aux` is `aux` (lcrq: the standing hazard, ring index + 1; others 0).
inline void expect_op_area_after_my_operations(const std::byte* area, std::uint32_t my_key, std::uint32_t my_tid,
                                               std::uint32_t my_pid, std::uint64_t aux = 0) {
  EXPECT_EQ(le(area, 0, 4), 0u) << "§7.7 recovery_lock free";
  EXPECT_EQ(le(area, 4, 4), 0u) << "§7.7 recovering 0";
  EXPECT_EQ(le(area, 16, 8), 0u) << "§7.7 recoveries 0";
  int claimed = 0;
  for (std::size_t i = 0; i < 128; ++i) {
    const std::byte* slot = area + 64 + 64 * i;
    if (le(slot, 0, 4) == 0) continue;
    ++claimed;
    EXPECT_EQ(le(slot, 0, 4), my_key) << "§7.7 slot " << i << " key";
    EXPECT_EQ(le(slot, 4, 4), my_tid) << "§7.7 slot " << i << " tid";
    EXPECT_EQ(le(slot, 8, 8), my_pid) << "§7.7 slot " << i << " pid";
    EXPECT_EQ(le(slot, 16, 4), 0u) << "§7.7 slot " << i << " not active between operations";
    EXPECT_EQ(le(slot, 24, 8), aux) << "§7.7 slot " << i << " aux (lcrq: its hazard stands after the operation)";
  }
  EXPECT_EQ(claimed, 1) << "§7.7 one slot for the one thread that operated";
}

/// The first byte of structure `name` (its common header) in this process's mapping.
inline std::byte* structure_bytes(const Memory& mem, std::string_view name) {
  const auto entry = mem.table().find(name);
  if (!entry) throw std::logic_error("no structure " + std::string(name));
  return mem.base() + entry->offset;
}

}  // namespace zeroipc::test
