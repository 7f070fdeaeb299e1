// Queue capacities that are not powers of two (SPECIFICATION.md §7.2): one
// typed suite over every variant in zeroipc::QueueVariants. capacity() is
// what was asked for; exactly that many elements fit (single-threaded, every
// variant; with pops in flight the non-exact variants may say "full" early,
// never late); FIFO over many laps of a ring larger than the capacity; a
// second handle sees the capacity; concurrent pushers never get more than
// the capacity in; and a hostile capacity in the header is checked against
// the body, never trusted for an offset.
// (Threads over these capacities: queue_test.cpp; processes: tests/process.)
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Queue;
using zeroipc::QueueOptions;
using zeroipc::test::ScopedName;
using zeroipc::test::ToTypes;
using zeroipc::test::VariantName;

// Powers of two run the published algorithms; the others a ring of bit_ceil(max(c, 2)) slots.
constexpr std::uint64_t kCapacities[] = {1, 3, 100, 1000, 64};

template <class V>
class QueueCapacityTest : public ::testing::Test {};
TYPED_TEST_SUITE(QueueCapacityTest, ToTypes<zeroipc::QueueVariants>::type, VariantName);

std::string label(std::uint64_t c) { return "capacity " + std::to_string(c); }

// Pushes until push says full (at most c + 1 tries); returns how many went in.
template <class Q>
std::uint64_t fill(Q& q, std::uint64_t c, std::uint64_t first) {
  std::uint64_t n = 0;
  while (n <= c && q.push(first + n)) ++n;
  return n;
}

// Single-threaded nothing is ever in flight, so every variant, the non-exact
// ones too, fills to exactly c: push succeeds c times, then says full.
TYPED_TEST(QueueCapacityTest, ExactlyCapacityElementsFitThenPushFails) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 8 << 20);
  for (const std::uint64_t c : kCapacities) {
    SCOPED_TRACE(label(c));
    Queue<std::uint64_t, V> q(mem, "q" + std::to_string(c), c);
    EXPECT_EQ(q.capacity(), c);
    for (int lap = 0; lap < 3; ++lap) {
      ASSERT_EQ(fill(q, c, 1000 * lap), c) << "lap " << lap;
      EXPECT_FALSE(q.push(7)) << "still full";
      EXPECT_EQ(q.size_approx(), c);
      for (std::uint64_t i = 0; i < c; ++i) ASSERT_EQ(q.pop(), 1000 * lap + i) << "lap " << lap;
      EXPECT_FALSE(q.pop().has_value()) << "empty after c pops, lap " << lap;
      EXPECT_EQ(q.size_approx(), 0u);
    }
    // One pop makes room for exactly one push.
    ASSERT_EQ(fill(q, c, 0), c);
    ASSERT_EQ(q.pop(), 0u);
    EXPECT_TRUE(q.push(c));
    EXPECT_FALSE(q.push(c + 1));
    for (std::uint64_t i = 1; i <= c; ++i) ASSERT_EQ(q.pop(), i);
    EXPECT_FALSE(q.pop().has_value());
  }
}

// 10 * c elements through the queue in chunks of changing sizes, so that
// the positions slide across every slot of the R-slot ring many times and
// the fill level goes up to c and down to 0; `start` near 2^64 wraps them.
template <class V>
void laps_in_chunks(Memory& mem, std::uint64_t c, std::uint64_t start) {
  SCOPED_TRACE(label(c) + ", first position " + std::to_string(start));
  Queue<std::uint64_t, V> q(mem, "l" + std::to_string(c) + "_" + std::to_string(start), c,
                            QueueOptions{.initial_position = start});
  std::deque<std::uint64_t> model;
  std::uint64_t next = 0;
  const std::uint64_t chunks[] = {c, 1, c / 2 + 1, c - c / 3, 2, c};
  for (std::size_t round = 0; next < 10 * c; ++round) {
    const std::uint64_t want = chunks[round % std::size(chunks)];
    for (std::uint64_t k = 0; k < want && model.size() < c; ++k) {
      ASSERT_TRUE(q.push(next)) << "room for " << c - model.size() << " more";
      model.push_back(next++);
    }
    if (model.size() == c) {
      ASSERT_FALSE(q.push(next)) << "full at c";
    }
    ASSERT_EQ(q.size_approx(), model.size());
    const std::uint64_t take = chunks[(round + 2) % std::size(chunks)];
    for (std::uint64_t k = 0; k < take && !model.empty(); ++k) {
      ASSERT_EQ(q.pop(), model.front());
      model.pop_front();
    }
  }
  while (!model.empty()) {
    ASSERT_EQ(q.pop(), model.front());
    model.pop_front();
  }
  EXPECT_FALSE(q.pop().has_value());
}

TYPED_TEST(QueueCapacityTest, FifoOverManyLapsInChunks) {
  ScopedName name;
  Memory mem(name, 16 << 20);
  for (const std::uint64_t c : kCapacities) laps_in_chunks<TypeParam>(mem, c, 0);
  for (const std::uint64_t c : {std::uint64_t{3}, std::uint64_t{100}}) {
    laps_in_chunks<TypeParam>(mem, c, std::numeric_limits<std::uint64_t>::max() - c / 2);
  }
}

TYPED_TEST(QueueCapacityTest, ASecondHandleSeesTheCapacity) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<std::uint64_t, V> q(mem, "q", 100);
  for (std::uint64_t i = 0; i < 40; ++i) ASSERT_TRUE(q.push(i));
  Memory peer(name);
  Queue<std::uint64_t, V> opened(peer, "q");
  EXPECT_EQ(opened.capacity(), 100u);
  EXPECT_EQ(opened.size_approx(), 40u);
  EXPECT_EQ(fill(opened, 100, 40), 60u) << "the second handle fills it to 100, not to the ring's 128";
  Queue<std::uint64_t, V> again(peer, "q", 100);
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.capacity(), 100u);
  for (const std::uint64_t other : {99, 101, 128}) {
    EXPECT_THROW((Queue<std::uint64_t, V>(peer, "q", other)), zeroipc::Mismatch)
        << "capacity " << other << " on the same ring size is still another capacity";
  }
  for (std::uint64_t i = 0; i < 100; ++i) ASSERT_EQ(again.pop(), i);
  EXPECT_FALSE(q.pop().has_value());
}

// Pushers only, all at once: with no pop in flight the pushes race only each
// other, and at most c of them (for every variant: exactly c) may succeed.
template <class V>
void concurrent_pushers(Memory& mem, std::uint64_t c, int threads) {
  SCOPED_TRACE(label(c));
  Queue<std::uint64_t, V> q(mem, "p" + std::to_string(c), c);
  std::atomic<int> ready{0};
  std::atomic<std::uint64_t> in{0};
  std::vector<std::thread> pushers;
  for (int t = 0; t < threads; ++t) {
    pushers.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) std::this_thread::yield();
      for (std::uint64_t i = 0; q.push((static_cast<std::uint64_t>(t) << 32) | i); ++i) in.fetch_add(1);
    });
  }
  for (auto& p : pushers) p.join();
  EXPECT_LE(in.load(), c) << "more elements in the queue than its capacity";
  EXPECT_EQ(in.load(), c) << "no pop in flight: full means c elements";
  std::uint64_t popped = 0;
  while (q.pop()) ++popped;
  EXPECT_EQ(popped, in.load());
}

TYPED_TEST(QueueCapacityTest, ConcurrentPushersNeverGetMoreThanTheCapacityIn) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 8 << 20);
  for (const std::uint64_t c : kCapacities) concurrent_pushers<V>(mem, c, V::kMultiProducer ? 4 : 1);  // spsc_ring: one
}

// ---- a hostile capacity in the header -------------------------------------------

// The structure header's capacity (§6, offset 16) and total_size (offset 24).
constexpr std::size_t kCapacityField = 16, kTotalField = 24;

// A queue of capacity 100 (a ring of 128), full, so every slot, index and
// node is in use; then its header says capacity `c` (and, if `consistent`,
// the total_size that capacity needs). A body that does not match the entry
// is CorruptSegment on open; one that does opens, and then every operation
// returns or throws CorruptSegment, never reads or writes outside the body.
// Returns whether an operation reported the state corrupt.
template <class V>
bool open_with_header_capacity(std::uint64_t c, bool consistent) {
  using Q = Queue<std::uint64_t, V>;
  ScopedName name;
  Memory mem(name, 1 << 20);
  {
    Q q(mem, "q", 100);
    EXPECT_EQ(fill(q, 100, 0), 100u);
  }
  std::byte* s = zeroipc::test::bytes_of(mem, "q");
  const std::uint64_t entry = mem.table().find("q")->size;
  const std::uint64_t need = Q::total_size(c, sizeof(std::uint64_t));
  zeroipc::test::put_le(s, kCapacityField, 8, c);
  if (consistent && need != 0) zeroipc::test::put_le(s, kTotalField, 8, need);
  const std::uint64_t total = zeroipc::test::le(s, kTotalField, 8);
  if (need == 0 || need != total || total > entry) {
    EXPECT_THROW((Q(mem, "q")), zeroipc::CorruptSegment) << "total_size " << total << ", entry " << entry;
    return false;
  }
  Q q(mem, "q");
  EXPECT_EQ(q.capacity(), c);
  bool corrupt = false;
  auto attempt = [&](auto&& op) {
    try {
      op();
    } catch (const zeroipc::CorruptSegment&) {
      corrupt = true;
    }
  };
  for (int i = 0; i < 3 * 128; ++i) {  // a push first: spsc_ring checks the distance when it reloads head
    attempt([&] { (void)q.push(5); });
    attempt([&] { (void)q.pop(); });
    attempt([&] { (void)q.pop(); });
  }
  attempt([&] { (void)q.recover(); });
  (void)q.size_approx();
  return corrupt;
}

TYPED_TEST(QueueCapacityTest, AHostileHeaderCapacityIsCheckedAgainstTheBody) {
  using V = TypeParam;
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  // Not a capacity at all, or one whose body is not the entry's.
  for (const std::uint64_t c : {std::uint64_t{0}, std::uint64_t{129}, std::uint64_t{1000},
                                (std::uint64_t{1} << 40) | 1, std::uint64_t{1} << 63, kMax}) {
    SCOPED_TRACE(label(c));
    EXPECT_FALSE(open_with_header_capacity<V>(c, false));
    EXPECT_FALSE(open_with_header_capacity<V>(c, true));
  }
  // A smaller capacity on the same ring, total_size to match, so it opens:
  // 100 elements in a queue of 99 or 65 (scq_indices: index 99 or 65; lcrq_nodes: node 100
  // or 66) is a corrupt state that every variant which counts its elements
  // reports. vyukov_bounded and the direct cells of lcrq and scq (u64
  // elements) do not count them (they only refuse pushes then).
  for (const std::uint64_t c : {std::uint64_t{99}, std::uint64_t{65}}) {
    SCOPED_TRACE(label(c));
    const bool corrupt = open_with_header_capacity<V>(c, true);
    if constexpr (!std::is_same_v<V, zeroipc::variants::vyukov_bounded> && !std::is_same_v<V, zeroipc::variants::lcrq> &&
                  !std::is_same_v<V, zeroipc::variants::scq>) {
      EXPECT_TRUE(corrupt);
    }
  }
  // A larger capacity on the same ring: the variants whose body is the ring
  // alone open it (28 more fit); scq and lcrq size data by the capacity.
  (void)open_with_header_capacity<V>(128, false);
}

}  // namespace
