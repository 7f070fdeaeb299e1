// Stack<T, V>: one typed suite run over every variant in zeroipc::StackVariants
// (LIFO order, full/empty, capacities, element sizes, open by name, checks on
// open, a multi-thread push/pop stress).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>
#include <zeroipc/stack.h>

#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Stack;
using zeroipc::test::ScopedName;
using zeroipc::test::checksum_of;
using zeroipc::test::contains;
using zeroipc::test::Elem;
using zeroipc::test::elem_ok;
using zeroipc::test::error_of;
using zeroipc::test::kSanitized;
using zeroipc::test::make_elem;
using zeroipc::test::ToTypes;
using zeroipc::test::VariantName;




// The same algorithm under another id: opening a V stack as it must fail.
template <class V>
struct Renamed : V {
  static constexpr std::uint16_t kId = static_cast<std::uint16_t>(V::kId + 100);
  static constexpr std::string_view kName = "renamed";
};


template <class V>
class StackTest : public ::testing::Test {};
TYPED_TEST_SUITE(StackTest, ToTypes<zeroipc::StackVariants>::type, VariantName);

TYPED_TEST(StackTest, LifoOrder) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Stack<int, V> s(mem, "s", 64);
  EXPECT_TRUE(s.created());
  EXPECT_EQ(s.capacity(), 64u);
  EXPECT_EQ(s.name(), "s");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(s.push(i));
  for (int i = 49; i >= 0; --i) EXPECT_EQ(s.pop().value_or(-1), i);
  EXPECT_FALSE(s.pop().has_value());
  // Interleaved.
  ASSERT_TRUE(s.push(1));
  ASSERT_TRUE(s.push(2));
  EXPECT_EQ(s.pop().value_or(-1), 2);
  ASSERT_TRUE(s.push(3));
  EXPECT_EQ(s.pop().value_or(-1), 3);
  EXPECT_EQ(s.pop().value_or(-1), 1);
  EXPECT_FALSE(s.pop().has_value());
}

TYPED_TEST(StackTest, FullAtCapacityAndEmptyAfterDraining) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Stack<std::uint64_t, V> s(mem, "s", 10);  // any capacity, not only powers of two
  EXPECT_FALSE(s.pop().has_value());
  for (int round = 0; round < 5; ++round) {
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(s.push(round * 100 + i));
    EXPECT_FALSE(s.push(999)) << "round " << round;
    for (std::uint64_t i = 10; i-- > 0;) EXPECT_EQ(s.pop().value_or(~0ull), round * 100 + i);
    EXPECT_FALSE(s.pop().has_value()) << "round " << round;
  }
  for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(s.push(i));
  EXPECT_EQ(s.pop().value_or(~0ull), 9u);
  EXPECT_TRUE(s.push(42));
  EXPECT_FALSE(s.push(43));
  EXPECT_EQ(s.pop().value_or(~0ull), 42u);
}

TYPED_TEST(StackTest, CapacityOne) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Stack<int, V> s(mem, "s", 1);
  for (int i = 0; i < 20; ++i) {
    EXPECT_TRUE(s.push(i));
    EXPECT_FALSE(s.push(-1));
    EXPECT_EQ(s.pop().value_or(-1), i);
    EXPECT_FALSE(s.pop().has_value());
  }
}

TYPED_TEST(StackTest, LargeCapacity) {
  using V = TypeParam;
  ScopedName name;
  constexpr std::size_t kCap = 200000;
  Memory mem(name, 8 << 20);
  Stack<std::uint32_t, V> s(mem, "s", kCap);
  for (std::uint32_t i = 0; i < kCap; ++i) ASSERT_TRUE(s.push(i));
  EXPECT_FALSE(s.push(0));
  for (std::uint32_t i = kCap; i-- > 0;) ASSERT_EQ(s.pop().value_or(~0u), i);
  EXPECT_FALSE(s.pop().has_value());
}

TYPED_TEST(StackTest, ZeroCapacityIsRefused) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  EXPECT_THROW((Stack<int, V>(mem, "s", 0)), zeroipc::InvalidArgument);
  const std::string msg = error_of([&] { Stack<int, V>(mem, "s", 0); });
  EXPECT_TRUE(contains(msg, V::kName)) << msg;
  EXPECT_THROW((Stack<int, V>(mem, "s", 0xFFFFFFFFull)), zeroipc::InvalidArgument);
  EXPECT_THROW((Stack<int, V>(mem, "s")), zeroipc::NotFound);
}

template <std::size_t N, class V>
void round_trip_elements(Memory& mem) {
  using E = Elem<N>;
  static_assert(sizeof(E) == N);
  constexpr std::size_t kCap = 8;
  Stack<E, V> s(mem, "e" + std::to_string(N), kCap);
  std::uint64_t next = 0;
  for (int round = 0; round < 4; ++round) {
    const std::uint64_t first = next;
    for (std::size_t i = 0; i < kCap; ++i) ASSERT_TRUE(s.push(make_elem<N>(next++))) << N;
    ASSERT_FALSE(s.push(make_elem<N>(9999))) << N;
    for (std::uint64_t i = next; i-- > first;) {
      auto e = s.pop();
      ASSERT_TRUE(e.has_value()) << N;
      ASSERT_TRUE(elem_ok<N>(*e, i)) << "size " << N << " element " << i;
    }
    ASSERT_FALSE(s.pop().has_value()) << N;
  }
  // Interleaved: the node free list gets shuffled.
  std::vector<std::uint64_t> model;
  for (int i = 0; i < 60; ++i) {
    if (i % 3 == 2 && !model.empty()) {
      auto e = s.pop();
      ASSERT_TRUE(e.has_value());
      ASSERT_TRUE(elem_ok<N>(*e, model.back())) << "size " << N;
      model.pop_back();
    } else if (model.size() < kCap) {
      ASSERT_TRUE(s.push(make_elem<N>(next)));
      model.push_back(next++);
    }
  }
  while (!model.empty()) {
    auto e = s.pop();
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(elem_ok<N>(*e, model.back())) << "size " << N;
    model.pop_back();
  }
  EXPECT_FALSE(s.pop().has_value());
}

TYPED_TEST(StackTest, ElementSizesRoundTrip) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  round_trip_elements<1, V>(mem);
  round_trip_elements<8, V>(mem);
  round_trip_elements<24, V>(mem);
  round_trip_elements<64, V>(mem);
  round_trip_elements<100, V>(mem);
  round_trip_elements<256, V>(mem);
}

TYPED_TEST(StackTest, OpenByNameFromASecondHandleSeesTheSameElements) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Stack<int, V> s(mem, "s", 32);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s.push(i));
  Memory peer(name);
  Stack<int, V> r(peer, "s");
  EXPECT_FALSE(r.created());
  EXPECT_EQ(r.capacity(), 32u);
  for (int i = 19; i >= 10; --i) EXPECT_EQ(r.pop().value_or(-1), i);
  Stack<int, V> again(peer, "s", 32);
  EXPECT_FALSE(again.created());
  ASSERT_TRUE(again.push(99));
  EXPECT_EQ(s.pop().value_or(-1), 99);
  for (int i = 9; i >= 0; --i) EXPECT_EQ(s.pop().value_or(-1), i);
  EXPECT_FALSE(r.pop().has_value());
  EXPECT_THROW((Stack<int, V>(peer, "s", 64)), zeroipc::Mismatch);
  EXPECT_THROW((Stack<int, V>(peer, "absent")), zeroipc::NotFound);
}

TYPED_TEST(StackTest, OpeningAsAnotherVariantOrKindOrElementSizeThrowsMismatch) {
  using V = TypeParam;
  struct Four {
    char b[4];
  };
  struct Eight {
    char b[8];
  };
  ScopedName name;
  Memory mem(name, 1 << 20);
  Stack<Four, V> s(mem, "s", 8);
  ASSERT_TRUE(s.push(Four{{1, 2, 3, 4}}));
  // Another variant (the real other stack variant when there is one, else V renamed).
  using W = std::conditional_t<(std::tuple_size_v<zeroipc::StackVariants> > 1),
                               std::conditional_t<std::is_same_v<V, std::tuple_element_t<0, zeroipc::StackVariants>>,
                                                  std::tuple_element_t<(std::tuple_size_v<zeroipc::StackVariants> > 1 ? 1 : 0),
                                                                       zeroipc::StackVariants>,
                                                  std::tuple_element_t<0, zeroipc::StackVariants>>,
                               Renamed<V>>;
  static_assert(W::kId != V::kId);
  EXPECT_THROW((Stack<Four, W>(mem, "s")), zeroipc::Mismatch);
  const std::string msg = error_of([&] { Stack<Four, W>(mem, "s"); });
  EXPECT_TRUE(contains(msg, V::kName)) << msg;
  EXPECT_THROW((Stack<Four, W>(mem, "s", 8)), zeroipc::Mismatch);
  // Another element size.
  EXPECT_THROW((Stack<Eight, V>(mem, "s")), zeroipc::Mismatch);
  EXPECT_THROW((Stack<Eight, V>(mem, "s", 8)), zeroipc::Mismatch);
  // Another kind: a queue of the same element type.
  EXPECT_THROW((zeroipc::Queue<Four>(mem, "s")), zeroipc::Mismatch);
  auto v = s.pop();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->b[3], 4) << "refused opens leave the stack alone";
}

// Each thread pushes its own unique values and pops whatever it gets
// (from any thread); at the end the popped values, plus a final drain,
// are exactly the pushed ones.
TYPED_TEST(StackTest, FourThreadsPushAndPopNoLossNoDuplicate) {
  using V = TypeParam;
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = kSanitized ? 20000 : 100000;
  ScopedName name;
  Memory mem(name, 4 << 20);
  Stack<std::uint64_t, V> s(mem, "s", 256);  // small: pushes also meet a full stack
  std::vector<std::vector<std::uint64_t>> popped(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = popped[static_cast<std::size_t>(t)];
      Memory m(name);  // each thread its own handle, like separate processes
      Stack<std::uint64_t, V> local(m, "s");
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        const std::uint64_t v = (static_cast<std::uint64_t>(t) << 32) | i;
        while (!local.push(v)) {
          if (auto x = local.pop()) mine.push_back(*x);
        }
        if (i % 2 == 1) {
          if (auto x = local.pop()) mine.push_back(*x);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::uint64_t> all;
  for (auto& p : popped) all.insert(all.end(), p.begin(), p.end());
  while (auto x = s.pop()) all.push_back(*x);
  std::vector<std::uint64_t> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (std::uint64_t i = 0; i < kPerThread; ++i) expected.push_back((static_cast<std::uint64_t>(t) << 32) | i);
  }
  std::sort(all.begin(), all.end());
  const auto dup = std::adjacent_find(all.begin(), all.end());
  EXPECT_EQ(dup, all.end()) << "duplicate value " << (dup == all.end() ? 0 : *dup);
  EXPECT_EQ(all.size(), expected.size()) << "popped count differs from pushed count";
  EXPECT_TRUE(all == expected) << "the multiset of popped values differs from the pushed values";
  // Every node came back: the stack is usable to full capacity again.
  for (std::uint64_t i = 0; i < 256; ++i) ASSERT_TRUE(s.push(i)) << "node leaked, push " << i;
  EXPECT_FALSE(s.push(0));
}

}  // namespace
