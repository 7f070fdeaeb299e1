// The bytes SPECIFICATION.md §7.2 promises for each queue variant's initial
// state (and, for lcrq and scq, after one push), read from raw memory: the C
// and Python readers rely on these offsets, so a layout change fails here.
#include <gtest/gtest.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/variants/detail/liveness.h>
#include <unistd.h>

#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::test::le;
using zeroipc::Memory;
using zeroipc::Queue;
using zeroipc::QueueOptions;

// With a 4-entry table the first structure is at 1408 (layout_test.cpp), its body at +64.
constexpr std::size_t kBody = 1408 + 64;

std::uint64_t u64(const Memory& m, std::size_t off) { return le(m.base(), kBody + off, 8); }
std::uint32_t u32(const Memory& m, std::size_t off) { return static_cast<std::uint32_t>(le(m.base(), kBody + off, 4)); }

constexpr std::uint64_t kStart = 1000;
constexpr std::size_t kOpArea = 8256;  // §7.7: control line + 128 slots of 64 bytes

std::uint32_t my_tid() { return static_cast<std::uint32_t>(::gettid()); }

TEST(QueueLayout, VyukovBoundedPositionsAndSequences) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  Queue<std::uint64_t, zeroipc::variants::vyukov_bounded> q(mem, "q", 8, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(u64(mem, 0), kStart) << "§7.2.1 enqueue_pos at +0";
  EXPECT_EQ(u64(mem, 64), kStart) << "§7.2.1 dequeue_pos at +64";
  for (std::uint64_t p = kStart; p < kStart + 8; ++p) {
    EXPECT_EQ(u64(mem, 128 + (p & 7) * 16), p) << "§7.2.1 cell of position p holds sequence p";
  }
}

// §7.2.3: scq's fq as created, for rings of 2n entries and capacity c <= n:
// the entries of positions s + 2n + i hold free index i for i < c, and the
// rest are empty (index 2n - 1, safe, the cycle of the lap before).
void expect_initial_fq(const Memory& mem, std::size_t fq, std::uint64_t n, std::uint64_t c) {
  const std::uint64_t two_n = 2 * n;
  EXPECT_EQ(u64(mem, fq + 0), 3 * n - 1) << "§7.2.3 fq threshold 3n - 1";
  EXPECT_EQ(u64(mem, fq + 64), kStart + two_n + c) << "§7.2.3 fq tail = s + 2n + capacity";
  EXPECT_EQ(u64(mem, fq + 128), kStart + two_n) << "§7.2.3 fq head = s + 2n";
  // entry = cycle << (k + 2) | safe << (k + 1) | index, k + 1 = log2(2n); remap(i) = (i % 8) * (2n / 8) + i / 8.
  const auto k1 = static_cast<unsigned>(std::countr_zero(two_n));
  for (std::uint64_t i = 0; i < two_n; ++i) {
    const std::uint64_t p = kStart + two_n + i;
    const std::uint64_t slot = (p % two_n % 8) * (two_n / 8) + p % two_n / 8;
    const std::uint64_t want = i < c ? (p / two_n) << (k1 + 1) | 1u << k1 | i
                                     : ((p / two_n - 1) << (k1 + 1)) | 1u << k1 | (two_n - 1);
    EXPECT_EQ(u64(mem, fq + 192 + 8 * slot), want)
        << "§7.2.3 fq at position " << p << (i < c ? ": free index " : ": empty, ") << i;
  }
}

TEST(QueueLayout, ScqRingsAndDataIndices) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  constexpr std::uint64_t n = 8, two_n = 16, ring = 192 + 16 * n;
  constexpr std::size_t aq = kOpArea, fq = kOpArea + ring;
  // variant 7: index rings for every element size (scq keeps u64 elements in direct cells)
  Queue<std::uint64_t, zeroipc::variants::scq_indices> q(mem, "q", n, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(static_cast<std::int64_t>(u64(mem, aq + 0)), -1) << "§7.2.3 aq threshold -1 (empty)";
  EXPECT_EQ(u64(mem, aq + 64), kStart + two_n) << "§7.2.3 aq tail = s + 2n";
  EXPECT_EQ(u64(mem, aq + 128), kStart + two_n) << "§7.2.3 aq head = s + 2n";
  expect_initial_fq(mem, fq, n, n);
  // k + 1 = log2(2n) = 4: entry = cycle << 5 | safe << 4 | index; remap(i) = (i % 8) * 2 + i / 8.
  auto remap = [](std::uint64_t p) { const std::uint64_t i = p % 16; return (i % 8) * 2 + i / 8; };
  const std::uint64_t p = kStart + two_n;
  EXPECT_EQ(u64(mem, aq + 192 + 8 * remap(p)), ((p / two_n - 1) << 5) | 1u << 4 | (two_n - 1))
      << "§7.2.3 an empty aq entry: previous lap's cycle, safe, index 2n - 1";
  for (std::size_t off = 0; off < kOpArea; off += 8) {
    EXPECT_EQ(u64(mem, off), 0u) << "§7.7 the thread slots and recovery control start zero, at " << off;
  }

  ASSERT_TRUE(q.push(0xABCDEF));
  EXPECT_EQ(u64(mem, aq + 192 + 8 * remap(p)), (p / two_n) << 5 | 1u << 4 | 0) << "aq now holds data index 0";
  EXPECT_EQ(u64(mem, kOpArea + 2 * ring + 0), 0xABCDEFu) << "§7.2.3 data[0] at kOpArea + 2 * ring_bytes";
  zeroipc::test::expect_op_area_after_my_operations(mem.base() + kBody, zeroipc::detail::self_key(), my_tid(),
                                                    static_cast<std::uint32_t>(::getpid()));
}

// §7.2.3, direct cells: scq (variant 3) with elements of at most 8 bytes
// keeps them in one ring of 2n 16-byte cells at 8256 (where aq is with
// indices): word = cycle | safe | index (0 full, 2n - 1 empty), value = the
// element; no fq, no data array.
TEST(QueueLayout, ScqDirectCells) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  using V = zeroipc::variants::scq;
  constexpr std::uint64_t n = 8, two_n = 16, cell_ring = 192 + 16 * two_n;
  constexpr std::size_t ring = kOpArea;
  static_assert(V::body_size(n, 8) == kOpArea + cell_ring && V::body_size(n, 1) == kOpArea + cell_ring,
                "§7.2.3: direct for element_size <= 8");
  static_assert(V::body_size(n, 9) == kOpArea + 2 * (192 + 16 * n) + n * 9, "§7.2.3: index rings above 8 bytes");
  static_assert(zeroipc::variants::scq_indices::body_size(n, 8) == kOpArea + 2 * (192 + 16 * n) + n * 8,
                "§7.2.3: scq_indices always has index rings");
  Queue<std::uint64_t, V> q(mem, "q", n, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(le(mem.base(), 1408 + 24, 8), 64 + kOpArea + cell_ring) << "§7.2.3 direct: total_size = 64 + 8256 + 192 + 32n";
  EXPECT_EQ(static_cast<std::int64_t>(u64(mem, ring + 0)), -1) << "§7.2.3 threshold -1 (empty)";
  EXPECT_EQ(u64(mem, ring + 64), kStart + two_n) << "§7.2.3 tail = s + 2n";
  EXPECT_EQ(u64(mem, ring + 128), kStart + two_n) << "§7.2.3 head = s + 2n";
  // k + 1 = log2(2n) = 4: word = cycle << 5 | safe << 4 | index; cell_remap(i) = (i % 4) * 4 + i / 4.
  auto cell = [](std::uint64_t p) { const std::uint64_t i = p % 16; return ring + 192 + 16 * ((i % 4) * 4 + i / 4); };
  for (std::uint64_t p = kStart; p < kStart + two_n; ++p) {
    EXPECT_EQ(u64(mem, cell(p)), ((p / two_n) << 5) | 1u << 4 | (two_n - 1))
        << "§7.2.3 cell of position " << p << ": the lap before the first, safe, empty";
    EXPECT_EQ(u64(mem, cell(p) + 8), 0u);
  }
  const std::uint64_t p0 = kStart + two_n, p1 = p0 + 1;
  ASSERT_TRUE(q.push(0));  // 0 is an element like any other: the word, not the value, says full
  ASSERT_TRUE(q.push(~std::uint64_t{0}));
  EXPECT_EQ(u64(mem, cell(p0)), (p0 / two_n) << 5 | 1u << 4 | 0) << "§7.2.3 direct: full = cycle | safe | index 0";
  EXPECT_EQ(u64(mem, cell(p0) + 8), 0u) << "§7.2.3 direct: the element itself";
  EXPECT_EQ(u64(mem, cell(p1)), (p1 / two_n) << 5 | 1u << 4 | 0);
  EXPECT_EQ(u64(mem, cell(p1) + 8), ~std::uint64_t{0});
  EXPECT_EQ(u64(mem, ring + 64), p0 + 2) << "tail advanced";
  EXPECT_EQ(static_cast<std::int64_t>(u64(mem, ring + 0)), 3 * 8 - 1) << "§7.2.3 threshold 3n - 1 after a push";
  EXPECT_EQ(q.pop(), std::optional<std::uint64_t>(0));
  EXPECT_EQ(u64(mem, cell(p0)), (p0 / two_n) << 5 | 1u << 4 | (two_n - 1)) << "popped: empty, cycle kept";
  EXPECT_EQ(q.pop(), std::optional<std::uint64_t>(~std::uint64_t{0}));
  EXPECT_EQ(q.pop(), std::nullopt);
  // Exactly n fit, by positions; one more is refused without taking a position.
  std::uint64_t pushed = 0;
  while (pushed <= n && q.push(pushed)) ++pushed;
  EXPECT_EQ(pushed, n);
  const std::uint64_t tail = u64(mem, ring + 64);
  EXPECT_FALSE(q.push(99));
  EXPECT_EQ(u64(mem, ring + 64), tail) << "a push that finds it full takes no position";
  zeroipc::test::expect_op_area_after_my_operations(mem.base() + kBody, zeroipc::detail::self_key(), my_tid(),
                                                    static_cast<std::uint32_t>(::getpid()));
}

TEST(QueueLayout, LcrqRingsNodesAndPools) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  using V = zeroipc::variants::lcrq_nodes;  // variant 6: data nodes for every element size
  constexpr std::uint64_t n = 8, R = 8, K = n / R + 3, ring_bytes = 192 + 16 * R;
  constexpr std::uint64_t rings_at = 320 + kOpArea, nodes_at = rings_at + K * ring_bytes;
  static_assert(V::kRingsOffset == rings_at && V::nodes_offset(n) == nodes_at && V::ring_count(n) == K);
  Queue<std::uint64_t, V> q(mem, "q", n, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(u64(mem, 0), 0u) << "§7.2.2 head_ring = 0";
  EXPECT_EQ(u64(mem, 64), 0u) << "§7.2.2 tail_ring = 0";
  EXPECT_EQ(u64(mem, 128), 2u) << "§7.2.2 ring_pool: ring 1, tag 0";
  EXPECT_EQ(u64(mem, 192), 1u) << "§7.2.2 node_pool: node 1, tag 0";
  EXPECT_EQ(u64(mem, 256), kStart) << "§7.2.2 start";
  EXPECT_EQ(u32(mem, rings_at + 4), 2u) << "§7.2.2 ring 0 state linked";
  EXPECT_EQ(u32(mem, rings_at + 8), 0u) << "§7.2.2 ring 0 next none";
  EXPECT_EQ(u64(mem, rings_at + 64), kStart) << "§7.2.2 ring 0 head";
  EXPECT_EQ(u64(mem, rings_at + 128), kStart) << "§7.2.2 ring 0 tail";
  for (std::uint64_t p = kStart; p < kStart + R; ++p) {
    EXPECT_EQ(u64(mem, rings_at + 192 + 16 * (p % R)), p) << "§7.2.2 cell word = position, safe";
    EXPECT_EQ(u64(mem, rings_at + 192 + 16 * (p % R) + 8), 0u) << "§7.2.2 cell value 0 (empty)";
  }
  for (std::uint64_t r = 1; r < K; ++r) {
    EXPECT_EQ(u32(mem, rings_at + r * ring_bytes), r + 1 < K ? r + 2 : 0) << "§7.2.2 ring_pool chain";
  }
  EXPECT_EQ(u32(mem, nodes_at), 2u) << "§7.2.2 node 1 links to node 2";

  ASSERT_TRUE(q.push(0x1234567));
  EXPECT_EQ(u64(mem, 192), (1ull << 32) | 2) << "node 1 taken: node_pool = node 2, tag 1";
  EXPECT_EQ(u64(mem, nodes_at + 8), 0x1234567u) << "§7.2.2 node 1's element at nodes_at + 8";
  EXPECT_EQ(u64(mem, rings_at + 128), kStart + 1) << "ring 0 tail advanced";
  EXPECT_EQ(u64(mem, rings_at + 192 + 16 * (kStart % R) + 8), 1u) << "cell of position s holds node id 1";
  zeroipc::test::expect_op_area_after_my_operations(mem.base() + kBody + 320, zeroipc::detail::self_key(), my_tid(),
                                                    static_cast<std::uint32_t>(::getpid()), 1);  // hazard: ring 0
}

// §7.2.2, direct cells: lcrq (variant 2) with elements of at most 8 bytes
// keeps them in the cells: no data nodes, word bit 62 = full, the ring's
// first position at +24.
TEST(QueueLayout, LcrqDirectCells) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  using V = zeroipc::variants::lcrq;
  constexpr std::uint64_t n = 8, R = 8, K = n / R + 3, ring_bytes = 192 + 16 * R;
  constexpr std::uint64_t rings_at = 320 + kOpArea, nodes_at = rings_at + K * ring_bytes;
  constexpr std::uint64_t kFull = std::uint64_t{1} << 62;
  static_assert(V::body_size(n, 8) == nodes_at && V::body_size(n, 9) == nodes_at + n * 24,
                "§7.2.2: direct for element_size <= 8, data nodes above");
  static_assert(zeroipc::variants::lcrq_nodes::body_size(n, 8) == nodes_at + n * 16, "§7.2.2: lcrq_nodes always has nodes");
  Queue<std::uint64_t, V> q(mem, "q", n, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(le(mem.base(), 1408 + 24, 8), 64 + nodes_at) << "§7.2.2 direct: total_size = 64 + nodes_at";
  EXPECT_EQ(u64(mem, 192), 0u) << "§7.2.2 direct: node_pool unused, 0";
  EXPECT_EQ(u64(mem, 256), kStart) << "§7.2.2 start";
  EXPECT_EQ(u64(mem, rings_at + 24), kStart) << "§7.2.2 direct: ring 0's first position";
  for (std::uint64_t p = kStart; p < kStart + R; ++p) {
    EXPECT_EQ(u64(mem, rings_at + 192 + 16 * (p % R)), p) << "§7.2.2 cell word = position, safe, empty";
  }
  ASSERT_TRUE(q.push(0));  // 0 is an element like any other: the word, not the value, says full
  ASSERT_TRUE(q.push(~std::uint64_t{0}));
  const std::uint64_t cell0 = rings_at + 192 + 16 * (kStart % R), cell1 = rings_at + 192 + 16 * ((kStart + 1) % R);
  EXPECT_EQ(u64(mem, cell0), kStart | kFull) << "§7.2.2 direct: word = position | full";
  EXPECT_EQ(u64(mem, cell0 + 8), 0u) << "§7.2.2 direct: the element itself";
  EXPECT_EQ(u64(mem, cell1), (kStart + 1) | kFull);
  EXPECT_EQ(u64(mem, cell1 + 8), ~std::uint64_t{0});
  EXPECT_EQ(u64(mem, rings_at + 128), kStart + 2) << "ring 0 tail advanced";
  EXPECT_EQ(q.pop(), std::optional<std::uint64_t>(0));
  EXPECT_EQ(u64(mem, cell0), kStart + R) << "popped: the cell moves to the next lap, empty";
  EXPECT_EQ(q.pop(), std::optional<std::uint64_t>(~std::uint64_t{0}));
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(QueueLayout, SpscAndLockedRingPositions) {
  zeroipc::test::ScopedName name("qlayout");
  Memory mem(name.str(), 1 << 20, 4);
  Queue<std::uint64_t, zeroipc::variants::spsc_ring> q(mem, "q", 8, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(u64(mem, 0), kStart) << "§7.2.4 tail";
  EXPECT_EQ(u64(mem, 64), kStart) << "§7.2.4 head";
  ASSERT_TRUE(q.push(77));
  EXPECT_EQ(u64(mem, 0), kStart + 1);
  EXPECT_EQ(u64(mem, 192 + (kStart % 8) * 8), 77u) << "§7.2.4 slot of position s";

  zeroipc::test::ScopedName name2("qlayout");
  Memory mem2(name2.str(), 1 << 20, 4);
  Queue<std::uint64_t, zeroipc::variants::locked_ring> l(mem2, "q", 8, QueueOptions{.initial_position = kStart});
  EXPECT_EQ(u64(mem2, 64), kStart) << "§7.2.5 head";
  EXPECT_EQ(u64(mem2, 72), kStart) << "§7.2.5 tail";
  EXPECT_EQ(u32(mem2, 0), 0u) << "§7.2.5 lock free";
}

// A capacity that is not a power of two (§7.2): the header keeps c = 5, the
// rings have R = 8 slots; scq_indices's fq holds only indices 0..4 and its
// data 5 elements, scq's direct ring takes 5 by positions, lcrq_nodes has 5
// data nodes.
TEST(QueueLayout, CapacityFiveOnARingOfEight) {
  constexpr std::uint64_t c = 5, R = 8;
  constexpr std::size_t kStruct = 1408;
  auto header = [](const Memory& m) {
    return std::pair{le(m.base(), kStruct + 16, 8), le(m.base(), kStruct + 24, 8)};  // §6 capacity, total_size
  };
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    Queue<std::uint64_t, zeroipc::variants::vyukov_bounded> q(mem, "q", c, QueueOptions{.initial_position = kStart});
    EXPECT_EQ(header(mem), std::pair(c, 64 + 128 + R * 16)) << "§7.2.1 body_size = 128 + R * stride";
    for (std::uint64_t p = kStart; p < kStart + R; ++p) {
      EXPECT_EQ(u64(mem, 128 + (p % R) * 16), p) << "§7.2.1 every one of the R cells holds sequence p";
    }
  }
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    constexpr std::uint64_t ring = 192 + 16 * R;
    Queue<std::uint64_t, zeroipc::variants::scq_indices> q(mem, "q", c, QueueOptions{.initial_position = kStart});
    EXPECT_EQ(header(mem), std::pair(c, 64 + kOpArea + 2 * ring + c * 8)) << "§7.2.3 rings for n = R, data[c]";
    expect_initial_fq(mem, kOpArea + ring, R, c);
  }
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    Queue<std::uint64_t, zeroipc::variants::scq> q(mem, "q", c, QueueOptions{.initial_position = kStart});
    EXPECT_EQ(header(mem), std::pair(c, 64 + kOpArea + 192 + 2 * R * 16)) << "§7.2.3 direct: 2n cells for n = R";
    std::uint64_t pushed = 0;
    while (pushed <= c && q.push(pushed)) ++pushed;
    EXPECT_EQ(pushed, c) << "§7.2.3 direct: c elements by positions, on 2R cells";
  }
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    using V = zeroipc::variants::lcrq_nodes;
    constexpr std::uint64_t K = R / R + 3, ring_bytes = 192 + 16 * R;
    constexpr std::uint64_t rings_at = 320 + kOpArea, nodes_at = rings_at + K * ring_bytes;
    static_assert(V::ring_size(c) == R && V::ring_count(c) == K && V::nodes_offset(c) == nodes_at);
    Queue<std::uint64_t, V> q(mem, "q", c, QueueOptions{.initial_position = kStart});
    EXPECT_EQ(header(mem), std::pair(c, 64 + nodes_at + c * 16)) << "§7.2.2 rings from R, nodes[c]";
    for (std::uint64_t i = 1; i <= c; ++i) {
      EXPECT_EQ(u32(mem, nodes_at + (i - 1) * 16), i < c ? i + 1 : 0) << "§7.2.2 node " << i << " links to the next";
    }
  }
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    Queue<std::uint64_t, zeroipc::variants::spsc_ring> q(mem, "q", c);
    EXPECT_EQ(header(mem), std::pair(c, 64 + 192 + R * 8)) << "§7.2.4 slots[R]";
  }
  {
    zeroipc::test::ScopedName name("qlayout");
    Memory mem(name.str(), 1 << 20, 4);
    Queue<std::uint64_t, zeroipc::variants::locked_ring> q(mem, "q", c);
    EXPECT_EQ(header(mem), std::pair(c, 64 + 128 + R * 8)) << "§7.2.5 slots[R]";
  }
}

}  // namespace
