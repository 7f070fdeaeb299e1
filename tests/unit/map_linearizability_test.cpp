// Map histories are linearizable: three threads each run five random
// operations (insert, insert_or_assign, erase, find) over three keys of a
// map holding two, so "full" answers are part of the histories, and
// MapLinearizabilityChecker (tests/support/map_linearizability.h) searches
// for a legal order. 400 histories per variant (60 under sanitizers);
// ZEROIPC_LIN_HISTORIES for the long run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/map.h>
#include <zeroipc/memory.h>
#include <zeroipc/registry.h>

#include "map_linearizability.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::test::MapLinearizabilityChecker;
using zeroipc::test::MapOp;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const int kHistories = [] {
  if (const char* env = std::getenv("ZEROIPC_LIN_HISTORIES")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return zeroipc::test::kSanitized ? 60 : 400;
}();

template <class V>
class MapLinearizability : public ::testing::Test {};
TYPED_TEST_SUITE(MapLinearizability, zeroipc::test::ToTypes<zeroipc::MapVariants>::type, zeroipc::test::VariantName);

TYPED_TEST(MapLinearizability, ShortConcurrentHistoriesAreLinearizable) {
  constexpr std::size_t kCapacity = 2;
  constexpr std::uint64_t kKeys = 3;
  constexpr int kThreads = 3, kPerThread = 5;
  zeroipc::test::ScopedName name;
  zeroipc::Memory mem(name, 1 << 20);
  zeroipc::Map<std::uint64_t, std::uint64_t, TypeParam> m(mem, "m", kCapacity);
  MapLinearizabilityChecker checker(kCapacity);
  std::mt19937_64 seeds(777);
  std::uint64_t next_value = 1;
  for (int round = 0; round < kHistories; ++round) {
    for (std::uint64_t k = 0; k < kKeys; ++k) m.erase(k);
    std::vector<std::vector<MapOp>> per(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&, t, seed = seeds(), base = next_value + static_cast<std::uint64_t>(t * kPerThread)] {
        std::mt19937_64 rng(seed);
        ready.fetch_add(1);
        while (ready.load() < kThreads) {
        }
        for (int i = 0; i < kPerThread; ++i) {
          const std::uint64_t k = rng() % kKeys;
          const std::uint64_t v = base + static_cast<std::uint64_t>(i);
          const auto kind = static_cast<MapOp::Kind>(rng() % 4);
          MapOp op{kind, k, v, MapOp::kFalse, now_ns(), 0};
          try {
            switch (kind) {
              case MapOp::kInsert: op.result = m.insert(k, v) ? MapOp::kTrue : MapOp::kFalse; break;
              case MapOp::kAssign: op.result = m.insert_or_assign(k, v) ? MapOp::kTrue : MapOp::kFalse; break;
              case MapOp::kErase: op.result = m.erase(k) ? MapOp::kTrue : MapOp::kFalse; break;
              case MapOp::kFind: {
                const auto got = m.find(k);
                op.result = got ? MapOp::kTrue : MapOp::kFalse;
                op.value = got.value_or(0);
              }
            }
          } catch (const zeroipc::StructureFull&) {
            op.result = MapOp::kFull;
          }
          op.returned = now_ns();
          per[t].push_back(op);
        }
      });
    }
    for (auto& t : ts) t.join();
    next_value += kThreads * kPerThread;
    std::vector<MapOp> history;
    for (auto& ops : per) history.insert(history.end(), ops.begin(), ops.end());
    ASSERT_TRUE(checker.check(history)) << "round " << round << ": not linearizable:\n"
                                        << zeroipc::test::describe(history);
  }
  std::printf("linearizability variant=%s kind=map histories=%d\n", std::string(TypeParam::kName).c_str(),
              kHistories);
}

TEST(MapLinearizabilityChecker, RejectsAFindThatSawAnEraseUndone) {
  MapLinearizabilityChecker c(2);
  // insert(1) completes, then erase(1) completes, then a find sees the value: impossible.
  std::vector<MapOp> h{{MapOp::kInsert, 1, 10, MapOp::kTrue, 0, 1},
                       {MapOp::kErase, 1, 0, MapOp::kTrue, 2, 3},
                       {MapOp::kFind, 1, 10, MapOp::kTrue, 4, 5}};
  EXPECT_FALSE(c.check(h));
  h[2].invoked = 0;  // overlapping everything: the find may go between
  EXPECT_TRUE(c.check(h));
  // Full only when two other keys are present.
  std::vector<MapOp> full{{MapOp::kInsert, 1, 10, MapOp::kTrue, 0, 1},
                          {MapOp::kInsert, 2, 11, MapOp::kFull, 2, 3}};
  EXPECT_FALSE(c.check(full));
}

}  // namespace
