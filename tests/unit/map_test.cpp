// Map<K, V, Var> and Set<K, Var>: one typed suite run over every variant in
// zeroipc::MapVariants — the contract's operations against a std::map model
// (random operations over few keys, so probes cross tombstones and the
// table is rebuilt), keys and values of odd sizes, StructureFull, checks on
// open, the hash of SPECIFICATION.md §7.8, hostile bytes, threads.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/map.h>
#include <zeroipc/memory.h>
#include <zeroipc/registry.h>
#include <zeroipc/set.h>
#include <zeroipc/variants/detail/key_hash.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Map;
using zeroipc::Memory;
using zeroipc::Set;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;
using zeroipc::test::ToTypes;
using zeroipc::test::VariantName;

// A 20-byte key and a 3-byte value: sizes that are not words.
struct WideKey {
  std::uint32_t part[5];
  bool operator<(const WideKey& o) const { return std::memcmp(part, o.part, sizeof part) < 0; }
};
struct Tiny {
  std::uint8_t b[3];
};

template <class V>
class MapTest : public ::testing::Test {};
TYPED_TEST_SUITE(MapTest, ToTypes<zeroipc::MapVariants>::type, VariantName);

TYPED_TEST(MapTest, InsertFindEraseFollowTheContract) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Map<std::uint64_t, double, TypeParam> m(mem, "prices", 16);
  EXPECT_TRUE(m.created());
  EXPECT_EQ(m.capacity(), 16u);
  EXPECT_TRUE(m.empty());
  EXPECT_TRUE(m.insert(7, 1.5));
  EXPECT_FALSE(m.insert(7, 2.5)) << "insert of a present key is false";
  EXPECT_EQ(m.find(7), 1.5) << "and leaves its value unchanged";
  EXPECT_FALSE(m.insert_or_assign(7, 3.5)) << "false: it replaced";
  EXPECT_EQ(m.find(7), 3.5);
  EXPECT_TRUE(m.insert_or_assign(8, 4.5)) << "true: it inserted";
  EXPECT_TRUE(m.contains(8));
  EXPECT_FALSE(m.contains(9));
  EXPECT_EQ(m.find(9), std::nullopt);
  EXPECT_EQ(m.size(), 2u);
  EXPECT_TRUE(m.erase(7));
  EXPECT_FALSE(m.erase(7));
  EXPECT_EQ(m.find(7), std::nullopt);
  EXPECT_EQ(m.size(), 1u);

  Map<std::uint64_t, double, TypeParam> same(mem, "prices");
  EXPECT_FALSE(same.created());
  EXPECT_EQ(same.find(8), 4.5);
  EXPECT_EQ(same.capacity(), 16u);
}

TYPED_TEST(MapTest, RandomOperationsMatchAModel) {
  // Few keys, many operations: every probe crosses tombstones, erased slots
  // are reused, and erasing keeps triggering rebuilds.
  ScopedName name;
  Memory mem(name, 4 << 20);
  for (std::size_t capacity : {1u, 3u, 64u, 1000u}) {
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    Map<std::uint32_t, std::uint64_t, TypeParam> m(mem, "m" + std::to_string(capacity), capacity);
    std::map<std::uint32_t, std::uint64_t> model;
    std::mt19937_64 rng(capacity);
    const std::uint32_t keys = static_cast<std::uint32_t>(capacity * 2 + 1);
    for (int i = 0; i < 40000; ++i) {
      const auto k = static_cast<std::uint32_t>(rng() % keys);
      const std::uint64_t v = rng();
      switch (rng() % 5) {
        case 0:
          if (model.size() < capacity || model.count(k)) {
            EXPECT_EQ(m.insert(k, v), model.emplace(k, v).second);
          } else {
            EXPECT_THROW(m.insert(k, v), zeroipc::StructureFull);
          }
          break;
        case 1:
          if (model.size() < capacity || model.count(k)) {
            const bool fresh = !model.count(k);
            model[k] = v;
            EXPECT_EQ(m.insert_or_assign(k, v), fresh);
          } else {
            EXPECT_THROW(m.insert_or_assign(k, v), zeroipc::StructureFull);
          }
          break;
        case 2: EXPECT_EQ(m.erase(k), model.erase(k) == 1); break;
        default: {
          const auto it = model.find(k);
          EXPECT_EQ(m.find(k), it == model.end() ? std::nullopt : std::optional(it->second));
        }
      }
      ASSERT_EQ(m.size(), model.size()) << "after operation " << i;
    }
    std::map<std::uint32_t, std::uint64_t> listed;
    m.for_each([&](std::uint32_t k, std::uint64_t v) { EXPECT_TRUE(listed.emplace(k, v).second) << "key twice"; });
    EXPECT_EQ(listed, model);
  }
}

TYPED_TEST(MapTest, FullThrowsStructureFullAndKeepsEverything) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Map<std::uint64_t, std::uint64_t, TypeParam> m(mem, "m", 100);
  for (std::uint64_t k = 0; k < 100; ++k) ASSERT_TRUE(m.insert(k, k * 3));
  const std::string what = error_of([&] { m.insert(1000, 1); });
  EXPECT_TRUE(contains(what, "map 'm' (" + std::string(TypeParam::kName) + ")")) << what;
  EXPECT_TRUE(contains(what, "100 keys")) << what;
  EXPECT_THROW(m.insert_or_assign(1001, 1), zeroipc::StructureFull);
  EXPECT_FALSE(m.insert(5, 0)) << "a present key is still 'present', not 'full'";
  EXPECT_FALSE(m.insert_or_assign(5, 99)) << "assigning a present key needs no room";
  for (std::uint64_t k = 0; k < 100; ++k) EXPECT_EQ(m.find(k), k == 5 ? 99 : k * 3);
  EXPECT_TRUE(m.erase(0));
  EXPECT_TRUE(m.insert(1000, 1));
  EXPECT_EQ(m.size(), 100u);
}

TYPED_TEST(MapTest, KeysAndValuesOfAnySize) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Map<WideKey, Tiny, TypeParam> m(mem, "wide", 50);
  std::map<WideKey, int> model;
  for (std::uint32_t i = 0; i < 50; ++i) {
    const WideKey k{{i, i * 7, 0xFFFFFFFFu - i, 3, i % 2}};
    ASSERT_TRUE(m.insert(k, Tiny{{static_cast<std::uint8_t>(i), 1, 2}}));
    model[k] = static_cast<int>(i);
  }
  for (const auto& [k, i] : model) {
    const auto v = m.find(k);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->b[0], i);
    EXPECT_EQ(v->b[2], 2);
  }
  WideKey absent{{1, 2, 3, 4, 5}};
  EXPECT_FALSE(m.contains(absent));
}

TYPED_TEST(MapTest, SetHasTheSameRules) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Set<std::uint64_t, TypeParam> s(mem, "seen", 4);
  EXPECT_TRUE(s.insert(1));
  EXPECT_FALSE(s.insert(1));
  EXPECT_TRUE(s.insert(2));
  EXPECT_TRUE(s.contains(2));
  EXPECT_TRUE(s.erase(2));
  EXPECT_FALSE(s.contains(2));
  for (std::uint64_t k = 10; k < 13; ++k) EXPECT_TRUE(s.insert(k));
  EXPECT_THROW(s.insert(99), zeroipc::StructureFull);
  EXPECT_EQ(s.size(), 4u);
  std::set<std::uint64_t> listed;
  s.for_each([&](std::uint64_t k) { listed.insert(k); });
  EXPECT_EQ(listed, (std::set<std::uint64_t>{1, 10, 11, 12}));
  Set<std::uint64_t, TypeParam> opened(mem, "seen");
  EXPECT_TRUE(opened.contains(11));
}

TYPED_TEST(MapTest, OpeningChecksKindVariantKeyAndValueSizes) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Map<std::uint64_t, double, TypeParam> m(mem, "m", 8);
  Set<std::uint32_t, TypeParam> s(mem, "s", 8);
  std::string what = error_of([&] { Map<std::uint32_t, double, TypeParam> bad(mem, "m"); });
  EXPECT_TRUE(contains(what, "expected key size 4 bytes, found 8")) << what;
  what = error_of([&] { Map<std::uint64_t, float, TypeParam> bad(mem, "m"); });
  EXPECT_TRUE(contains(what, "expected value size 4 bytes, found 8")) << what;
  what = error_of([&] { Set<std::uint64_t, TypeParam> bad(mem, "m"); });
  EXPECT_TRUE(contains(what, "expected set")) << what;
  what = error_of([&] { Map<std::uint32_t, std::uint32_t, TypeParam> bad(mem, "s"); });
  EXPECT_TRUE(contains(what, "expected map")) << what;
  what = error_of([&] { Map<std::uint64_t, double, TypeParam> bad(mem, "m", 16); });
  EXPECT_TRUE(contains(what, "exists with capacity 8, requested 16")) << what;
  EXPECT_THROW((Map<std::uint64_t, double, TypeParam>(mem, "missing")), zeroipc::NotFound);
  what = error_of([&] { Map<std::uint64_t, double, TypeParam> bad(mem, "zero", 0); });
  EXPECT_TRUE(contains(what, "capacity 0 is not allowed")) << what;
  EXPECT_EQ(m.find(1), std::nullopt) << "the map itself is untouched";
}

TEST(MapHash, IsFnv1aThenFmix64AsSpecified) {
  // Pinned values (SPECIFICATION.md §7.8), for the C and Python implementations.
  using zeroipc::variants::detail::key_hash;
  EXPECT_EQ(key_hash(nullptr, 0), 0xefd01f60ba992926ull);
  const std::uint64_t one = 1;
  EXPECT_EQ(key_hash(reinterpret_cast<const std::byte*>(&one), 8), 0x4a3a3a4ba6523826ull);
  EXPECT_EQ(key_hash(reinterpret_cast<const std::byte*>("prices"), 6), 0x391095f36b2a47b7ull);
}

TYPED_TEST(MapTest, HostileBytesGiveCorruptSegmentNotAHang) {
  using Var = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Map<std::uint64_t, std::uint64_t, Var> m(mem, "m", 16);
  for (std::uint64_t k = 0; k < 10; ++k) m.insert(k, k);
  std::byte* body = zeroipc::test::structure_bytes(mem, "m") + sizeof(zeroipc::detail::StructHeader);
  // Every slot state set to "full": probes are bounded by the table size.
  const std::uint64_t slots = Var::table_size(16);
  const std::uint64_t stride = Var::stride(8, 8);
  std::byte* table = body + Var::tables_offset(8);
  std::vector<std::byte> saved(table, table + slots * stride);
  auto set_states = [&](std::uint32_t state) {
    for (std::uint64_t i = 0; i < slots; ++i) std::memcpy(table + i * stride, &state, 4);
  };
  set_states(1);
  EXPECT_NO_THROW(m.find(12345));  // visits every slot, finds nothing
  // An unknown slot state.
  set_states(7);
  const std::string what = error_of([&] { m.find(3); });
  EXPECT_TRUE(contains(what, "map 'm'") && contains(what, "slot state 7")) << what;
  EXPECT_THROW(m.insert(99, 1), zeroipc::CorruptSegment);
  // The active-table word out of range.
  std::copy(saved.begin(), saved.end(), table);
  std::uint32_t active = 9;
  std::memcpy(body + 4, &active, 4);
  EXPECT_THROW(m.erase(1), zeroipc::CorruptSegment);
  active = 0;
  std::memcpy(body + 4, &active, 4);
  EXPECT_EQ(m.find(3), 3u) << "restored bytes work again";
}

TYPED_TEST(MapTest, ThreadsNeverDuplicateOrLoseAKey) {
  ScopedName name;
  Memory mem(name, 4 << 20);
  constexpr std::uint64_t kKeys = 64;
  const int rounds = kSanitized ? 2000 : 20000;
  Map<std::uint64_t, std::uint64_t, TypeParam> m(mem, "m", kKeys);
  // Each thread counts, per key, its successful inserts minus its successful
  // erases; summed over threads that must be the key's final presence.
  std::vector<std::array<std::int64_t, kKeys>> net(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Map<std::uint64_t, std::uint64_t, TypeParam> mine(mem, "m");
      std::mt19937_64 rng(static_cast<std::uint64_t>(t));
      net[t].fill(0);
      for (int i = 0; i < rounds; ++i) {
        const std::uint64_t k = rng() % kKeys;
        switch (rng() % 3) {
          case 0: net[t][k] += mine.insert(k, k) ? 1 : 0; break;
          case 1: net[t][k] -= mine.erase(k) ? 1 : 0; break;
          default: {
            const auto v = mine.find(k);
            if (v) {
              ASSERT_EQ(*v, k);
            }
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::size_t present = 0;
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    std::int64_t sum = 0;
    for (const auto& n : net) sum += n[k];
    EXPECT_EQ(sum, m.contains(k) ? 1 : 0) << "key " << k;
    present += m.contains(k) ? 1 : 0;
  }
  EXPECT_EQ(m.size(), present);
}

}  // namespace
