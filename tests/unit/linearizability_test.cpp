// Every queue and stack variant, recorded in short concurrent histories and
// checked for linearizability (Wing & Gong); and the checker itself, on
// histories known to be (non-)linearizable.
#include <gtest/gtest.h>

#include <cstdlib>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <tuple>

#include <zeroipc/memory.h>
#include <zeroipc/registry.h>

#include "linearizability.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::test::LinearizabilityChecker;
using zeroipc::test::Op;
using zeroipc::test::Order;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

TEST(LinearizabilityChecker, AcceptsOverlappingReorderAndRejectsRealTimeViolation) {
  LinearizabilityChecker fifo(Order::kFifo, 8);
  // push(1) and push(2) overlap; pop gets 2 first: linearizable (push 2 first).
  EXPECT_TRUE(fifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPush, 2, true, 5, 8},
                          {Op::kPop, 2, true, 20, 30}, {Op::kPop, 1, true, 31, 40}}));
  // push(1) returned before push(2) began: popping 2 first is not FIFO.
  EXPECT_FALSE(fifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPush, 2, true, 11, 20},
                           {Op::kPop, 2, true, 21, 30}}));
  // A pop that saw "empty" after a completed push is wrong; a value never pushed too.
  EXPECT_FALSE(fifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPop, 0, false, 11, 20}}));
  EXPECT_FALSE(fifo.check({{Op::kPop, 9, true, 0, 10}}));
  // A duplicate delivery is rejected.
  EXPECT_FALSE(fifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPop, 1, true, 11, 20},
                           {Op::kPop, 1, true, 21, 30}}));
  LinearizabilityChecker lifo(Order::kLifo, 1);
  EXPECT_TRUE(lifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPush, 2, false, 11, 20},
                          {Op::kPop, 1, true, 21, 30}}));
  EXPECT_FALSE(lifo.check({{Op::kPush, 1, true, 0, 10}, {Op::kPush, 2, true, 11, 20}}))
      << "capacity 1 cannot accept a second push";
}

// Runs `threads` threads doing `per_thread` random push/pop each, many rounds,
// and checks every recorded history. Capacity is small so that full and empty
// are part of the histories.
// Returns how many histories were linearizable only with spurious
// full/empty answers allowed (0 when `exact` holds).
template <class Structure>
int check_histories(Structure& s, Order order, std::size_t capacity, int threads,
                    int per_thread, int rounds, bool exact) {
  LinearizabilityChecker strict(order, capacity);
  LinearizabilityChecker relaxed(order, capacity, /*spurious_failures=*/true);
  int spurious = 0;
  std::mt19937_64 seed_rng(12345);
  std::uint64_t next_value = 1;
  for (int round = 0; round < rounds; ++round) {
    // Drain, so each history starts from an empty structure.
    while (s.pop()) {
    }
    std::vector<std::vector<Op>> per(static_cast<std::size_t>(threads));
    std::atomic<int> ready{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      const std::uint64_t seed = seed_rng();
      const std::uint64_t base = next_value + static_cast<std::uint64_t>(t * per_thread);
      ts.emplace_back([&, t, seed, base] {
        std::mt19937_64 rng(seed);
        auto& ops = per[static_cast<std::size_t>(t)];
        ready.fetch_add(1);
        while (ready.load() < threads) {
        }
        for (int i = 0; i < per_thread; ++i) {
          if (rng() % 2 == 0) {
            const std::uint64_t v = base + static_cast<std::uint64_t>(i);
            const std::int64_t a = now_ns();
            const bool ok = s.push(v);
            ops.push_back({Op::kPush, v, ok, a, now_ns()});
          } else {
            const std::int64_t a = now_ns();
            auto got = s.pop();
            ops.push_back({Op::kPop, got.value_or(0), got.has_value(), a, now_ns()});
          }
        }
      });
    }
    for (auto& t : ts) t.join();
    next_value += static_cast<std::uint64_t>(threads * per_thread);
    std::vector<Op> history;
    for (auto& ops : per) history.insert(history.end(), ops.begin(), ops.end());
    if (strict.check(history)) continue;
    ++spurious;
    EXPECT_FALSE(exact) << "round " << round << ": not linearizable:\n" << zeroipc::test::describe(history);
    if (!relaxed.check(history)) {
      ADD_FAILURE() << "round " << round << ": not linearizable even with spurious full/empty:\n"
                    << zeroipc::test::describe(history);
      return spurious;
    }
    if (exact) return spurious;
  }
  return spurious;
}

template <class V>
class QueueLinearizability : public ::testing::Test {};
using QueueTypes = zeroipc::test::ToTypes<zeroipc::QueueVariants>::type;
using StackTypes = zeroipc::test::ToTypes<zeroipc::StackVariants>::type;
using zeroipc::test::VariantName;
TYPED_TEST_SUITE(QueueLinearizability, QueueTypes, VariantName);

// Histories per variant: 400 (60 under sanitizers); ZEROIPC_LIN_HISTORIES for the long run (10^4).
const int kRounds = [] {
  if (const char* env = std::getenv("ZEROIPC_LIN_HISTORIES")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return zeroipc::test::kSanitized ? 60 : 400;
}();

TYPED_TEST(QueueLinearizability, ShortConcurrentHistoriesAreLinearizable) {
  using V = TypeParam;
  zeroipc::test::ScopedName name;
  zeroipc::Memory mem(name, 1 << 20);
  zeroipc::Queue<std::uint64_t, V> q(mem, "q", 4);
  // spsc_ring allows one producer and one consumer: a history of a single
  // thread doing both is still checked, but concurrency needs the MPMC ones.
  const int threads = V::kMultiProducer && V::kMultiConsumer ? 3 : 1;
  const int spurious = check_histories(q, Order::kFifo, 4, threads, 5, kRounds, V::kExactEmptyFull);
  std::printf("linearizability variant=%s histories=%d strict_violations=%d\n",
              std::string(V::kName).c_str(), kRounds, spurious);
}

template <class V>
class StackLinearizability : public ::testing::Test {};
TYPED_TEST_SUITE(StackLinearizability, StackTypes, VariantName);

TYPED_TEST(StackLinearizability, ShortConcurrentHistoriesAreLinearizable) {
  zeroipc::test::ScopedName name;
  zeroipc::Memory mem(name, 1 << 20);
  zeroipc::Stack<std::uint64_t, TypeParam> s(mem, "s", 4);
  const int spurious = check_histories(s, Order::kLifo, 4, 3, 5, kRounds, TypeParam::kExactEmptyFull);
  std::printf("linearizability variant=%s histories=%d strict_violations=%d\n",
              std::string(TypeParam::kName).c_str(), kRounds, spurious);
}

}  // namespace
