// The bytes SPECIFICATION.md §7.3 promises for each stack variant: the
// header, the initial state of both lists and every node, and the words after
// one push, read from raw memory at the document's offsets (never through the
// C++ layout structs): the C and Python readers rely on these offsets, so a
// layout change fails here.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include <zeroipc/memory.h>
#include <zeroipc/stack.h>
#include <zeroipc/variants/detail/liveness.h>
#include <unistd.h>

#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::test::expect_common_header;
using zeroipc::test::le;
using zeroipc::Memory;
using zeroipc::Stack;

// With a 4-entry table the first structure is at 1408 (layout_test.cpp), its body at +64.
constexpr std::size_t kStructure = 1408;
constexpr std::size_t kBody = kStructure + 64;
constexpr std::uint64_t kCapacity = 4;
constexpr std::uint64_t kStride = 16;  // align8(8 + sizeof(std::uint64_t))

std::uint64_t u64(const Memory& m, std::size_t off) { return le(m.base(), kBody + off, 8); }
std::uint32_t u32(const Memory& m, std::size_t off) { return static_cast<std::uint32_t>(le(m.base(), kBody + off, 4)); }

constexpr std::uint64_t word(std::uint64_t tag, std::uint64_t index_plus_one) { return tag << 32 | index_plus_one; }

constexpr std::size_t kOpArea = 8256;  // §7.7: control line + 128 slots of 64 bytes

void expect_my_op_area(const Memory& mem, std::size_t at) {
  zeroipc::test::expect_op_area_after_my_operations(mem.base() + kBody + at, zeroipc::detail::self_key(),
                                                    static_cast<std::uint32_t>(::gettid()),
                                                    static_cast<std::uint32_t>(::getpid()));
}

// §7.3.1's initial state of the lists and nodes starting at `nodes`.
void expect_initial_lists(const Memory& mem, std::size_t nodes) {
  EXPECT_EQ(u64(mem, 0), 0u) << "§7.3.1 top = 0 (empty)";
  EXPECT_EQ(u64(mem, 64), word(0, 1)) << "§7.3.1 free_top = node 0, tag 0";
  for (std::uint64_t i = 0; i < kCapacity; ++i) {
    EXPECT_EQ(u32(mem, nodes + i * kStride), i + 1 < kCapacity ? i + 2 : 0)
        << "§7.3.1 node " << i << "'s next is node " << i + 1 << " (index + 1), the last's 0";
  }
}

// After one push of `value`: node 0 left the free list and is the top, each CAS bumped a tag.
void expect_after_one_push(const Memory& mem, std::size_t nodes, std::uint64_t value) {
  EXPECT_EQ(u64(mem, 0), word(1, 1)) << "§7.3.1 top = node 0, tag 1";
  EXPECT_EQ(u64(mem, 64), word(1, 2)) << "§7.3.1 free_top = node 1, tag 1";
  EXPECT_EQ(u32(mem, nodes + 0), 0u) << "node 0 is the only one on the stack: next = none";
  EXPECT_EQ(u64(mem, nodes + 8), value) << "§7.3.1 the element at +8 of its node";
}

// Kind 3, element u64 (dtype 8); §7.3: total_size = 64 + body_size.
template <class V>
void expect_header(const Memory& mem, std::uint16_t variant, std::uint64_t body_size) {
  expect_common_header(mem.base() + kStructure, {3, variant, 8, 8, kCapacity, 64 + body_size});
  EXPECT_EQ(V::kId, variant);
}

TEST(StackLayout, TreiberTaggedListsNodesAndTags) {
  zeroipc::test::ScopedName name("slayout");
  Memory mem(name.str(), 1 << 20, 4);
  using V = zeroipc::variants::treiber_tagged;
  Stack<std::uint64_t, V> s(mem, "s", kCapacity);
  constexpr std::size_t nodes = 128 + kOpArea;  // §7.3.1: the §7.7 area at 128, nodes after it
  expect_header<V>(mem, 1, nodes + kCapacity * kStride);
  expect_initial_lists(mem, nodes);
  ASSERT_TRUE(s.push(0xABCDEF));
  expect_after_one_push(mem, nodes, 0xABCDEF);
  expect_my_op_area(mem, 128);
}

TEST(StackLayout, EliminationBackoffSlotsThenNodes) {
  zeroipc::test::ScopedName name("slayout");
  Memory mem(name.str(), 1 << 20, 4);
  using V = zeroipc::variants::elimination_backoff;
  Stack<std::uint64_t, V> s(mem, "s", kCapacity);
  constexpr std::size_t nodes = 1152 + kOpArea;  // §7.3.2: the §7.7 area at 1152, nodes after it
  expect_header<V>(mem, 2, nodes + kCapacity * kStride);
  expect_initial_lists(mem, nodes);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(u64(mem, 128 + 64 * i), 0u) << "§7.3.2 elimination slot " << i;
  ASSERT_TRUE(s.push(0xABCDEF));  // uncontended: straight onto the list, no slot touched
  expect_after_one_push(mem, nodes, 0xABCDEF);
  for (std::size_t i = 0; i < 16; ++i) EXPECT_EQ(u64(mem, 128 + 64 * i), 0u) << "§7.3.2 elimination slot " << i;
  expect_my_op_area(mem, 1152);
}

}  // namespace
