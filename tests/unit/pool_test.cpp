// Pool<T, V>: one typed suite over zeroipc::PoolVariants — acquire until
// exhausted, release and reuse, handles refused after release or from
// another pool (nothing changes then), objects of odd sizes, checks on open,
// hostile bytes, threads that never share an object.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/pool.h>
#include <zeroipc/registry.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Pool;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;

struct Particle {
  double x, y, z;
  std::uint32_t owner;
  std::uint8_t tag[5];
};

template <class V>
class PoolTest : public ::testing::Test {};
TYPED_TEST_SUITE(PoolTest, zeroipc::test::ToTypes<zeroipc::PoolVariants>::type, zeroipc::test::VariantName);

TYPED_TEST(PoolTest, AcquireUntilExhaustedThenReleaseAndReuse) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Pool<Particle, TypeParam> pool(mem, "particles", 100);
  EXPECT_EQ(pool.capacity(), 100u);
  EXPECT_EQ(pool.available(), 100u);
  std::vector<typename Pool<Particle, TypeParam>::Handle> held;
  std::set<std::uint32_t> indices;
  while (auto h = pool.acquire()) {
    Particle& p = pool[*h];
    EXPECT_EQ(p.x, 0.0) << "objects start zeroed";
    p.x = h->index;
    held.push_back(*h);
    EXPECT_TRUE(indices.insert(h->index).second) << "object " << h->index << " handed out twice";
  }
  EXPECT_EQ(held.size(), 100u);
  EXPECT_EQ(pool.available(), 0u);
  for (const auto& h : held) EXPECT_EQ(pool[h].x, h.index);
  pool.release(held[42]);
  EXPECT_EQ(pool.available(), 1u);
  const auto again = pool.acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index, held[42].index) << "the freed object is reused";
  EXPECT_NE(again->generation, held[42].generation) << "under a new generation";
  EXPECT_EQ(pool[*again].x, 42.0) << "objects keep their bytes across release and acquire";
}

TYPED_TEST(PoolTest, DoubleReleaseStaleAndForeignHandlesThrowAndChangeNothing) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Pool<std::uint64_t, TypeParam> pool(mem, "p", 4);
  Pool<std::uint64_t, TypeParam> other(mem, "other", 4);
  const auto h = *pool.acquire();
  pool.release(h);
  std::string what = error_of([&] { pool.release(h); });
  EXPECT_TRUE(contains(what, "pool 'p'") && contains(what, "not acquired")) << what;
  EXPECT_EQ(pool.available(), 4u) << "a second release changed nothing";
  EXPECT_THROW(pool[h], zeroipc::OutOfRange) << "a released handle no longer reaches the object";
  const auto theirs = *other.acquire();
  what = error_of([&] { pool.release(theirs); });
  EXPECT_TRUE(contains(what, "not a handle of this pool")) << what;
  auto forged = theirs;
  forged.pool_id = h.pool_id;
  forged.index = 1000;
  EXPECT_THROW(pool.release(forged), zeroipc::OutOfRange);
  EXPECT_EQ(pool.available(), 4u);
  EXPECT_EQ(other.available(), 3u);
}

TYPED_TEST(PoolTest, OpeningChecksKindObjectSizeAndCapacity) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Pool<Particle, TypeParam> pool(mem, "p", 8);
  const auto h = *pool.acquire();
  pool[h].owner = 7;
  Pool<Particle, TypeParam> same(mem, "p");
  EXPECT_EQ(same[h].owner, 7u) << "a handle means the same object through every handle";
  EXPECT_TRUE(contains(error_of([&] { Pool<std::uint64_t, TypeParam> bad(mem, "p"); }), "expected element size 8"));
  EXPECT_TRUE(contains(error_of([&] { Pool<Particle, TypeParam> bad(mem, "p", 9); }), "exists with capacity 8"));
  EXPECT_TRUE(contains(error_of([&] { Pool<Particle, TypeParam> bad(mem, "zero", 0); }), "capacity 0 is not allowed"));
  EXPECT_THROW((Pool<Particle, TypeParam>(mem, "missing")), zeroipc::NotFound);
}

TYPED_TEST(PoolTest, HostileBytesGiveCorruptSegment) {
  using Var = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Pool<std::uint64_t, Var> pool(mem, "p", 8);
  std::byte* body = zeroipc::test::structure_bytes(mem, "p") + sizeof(zeroipc::detail::StructHeader);
  std::uint64_t top = 1000;
  std::memcpy(body + 64, &top, 8);
  EXPECT_THROW(pool.acquire(), zeroipc::CorruptSegment);
  EXPECT_EQ(pool.available(), 0u) << "an out-of-range count reads as nothing free";
  top = 8;
  std::memcpy(body + 64, &top, 8);
  const std::uint32_t bad_index = 99;
  std::memcpy(body + 128 + 4 * 7, &bad_index, 4);
  EXPECT_THROW(pool.acquire(), zeroipc::CorruptSegment);
  // The free stack naming one object twice: the second hand-out is refused.
  const std::uint32_t zero = 0;
  std::memcpy(body + 128 + 4 * 7, &zero, 4);
  std::memcpy(body + 128 + 4 * 6, &zero, 4);
  const auto first = pool.acquire();
  ASSERT_TRUE(first);
  EXPECT_THROW(pool.acquire(), zeroipc::CorruptSegment);
}

TYPED_TEST(PoolTest, ThreadsNeverShareAnObject) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Pool<std::uint64_t, TypeParam> pool(mem, "p", 16);
  const int rounds = kSanitized ? 3000 : 30000;
  std::atomic<int> shared{0};
  std::vector<std::thread> ts;
  for (int t = 1; t <= 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        auto h = pool.acquire();
        if (!h) continue;
        std::atomic_ref<std::uint64_t> obj(pool[*h]);
        if (obj.exchange(static_cast<std::uint64_t>(t)) != 0) shared.fetch_add(1);
        if (obj.exchange(0) != static_cast<std::uint64_t>(t)) shared.fetch_add(1);
        pool.release(*h);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(shared.load(), 0) << "an object was held by two threads at once";
  EXPECT_EQ(pool.available(), 16u);
}

}  // namespace
