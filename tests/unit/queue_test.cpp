// Queue<T, V>: one typed suite run over every variant in zeroipc::QueueVariants
// (FIFO order, full/empty, capacities, element sizes, 64-bit position
// wraparound, open by name, checks on open, threads), the spsc_ring roles
// across processes, and the run-time registry of variants.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>
#include <zeroipc/variants/detail/crash_hook.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Queue;
using zeroipc::QueueOptions;
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
using zeroipc::test::spawn;
using zeroipc::test::wait_for;




// The variant after V in QueueVariants (wrapping), for mismatch tests.
template <class V, class Tuple = zeroipc::QueueVariants>
struct OtherVariant;
template <class V, class... All>
struct OtherVariant<V, std::tuple<All...>> {
  static constexpr std::size_t index_of() {
    std::size_t i = 0, found = 0;
    ((std::is_same_v<V, All> ? (found = i, ++i) : ++i), ...);
    return found;
  }
  using type = std::tuple_element_t<(index_of() + 1) % sizeof...(All), std::tuple<All...>>;
};


// ---- The typed suite -----------------------------------------------------------------

template <class V>
class QueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(QueueTest, ToTypes<zeroipc::QueueVariants>::type, VariantName);

TYPED_TEST(QueueTest, FifoOrder) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> q(mem, "q", 64);
  EXPECT_TRUE(q.created());
  EXPECT_EQ(q.capacity(), 64u);
  EXPECT_EQ(q.name(), "q");
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(q.push(i * 3));
  EXPECT_EQ(q.size_approx(), 50u);
  for (int i = 0; i < 50; ++i) {
    auto v = q.pop();
    ASSERT_TRUE(v.has_value()) << i;
    EXPECT_EQ(*v, i * 3);
  }
  EXPECT_FALSE(q.pop().has_value());
  EXPECT_EQ(q.size_approx(), 0u);
}

TYPED_TEST(QueueTest, FullAtCapacityAndEmptyAfterDraining) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<std::uint64_t, V> q(mem, "q", 16);
  EXPECT_FALSE(q.pop().has_value()) << "a new queue is empty";
  for (int lap = 0; lap < 5; ++lap) {
    for (std::uint64_t i = 0; i < 16; ++i) ASSERT_TRUE(q.push(lap * 100 + i)) << "lap " << lap << " i " << i;
    EXPECT_FALSE(q.push(999)) << "push must fail exactly at capacity, lap " << lap;
    EXPECT_FALSE(q.push(999));
    EXPECT_EQ(q.size_approx(), 16u);
    for (std::uint64_t i = 0; i < 16; ++i) {
      auto v = q.pop();
      ASSERT_TRUE(v.has_value());
      EXPECT_EQ(*v, lap * 100 + i);
    }
    EXPECT_FALSE(q.pop().has_value()) << "empty after draining, lap " << lap;
    EXPECT_FALSE(q.pop().has_value());
  }
  // One freed slot makes room for exactly one push.
  for (std::uint64_t i = 0; i < 16; ++i) ASSERT_TRUE(q.push(i));
  ASSERT_EQ(q.pop().value_or(77), 0u);
  EXPECT_TRUE(q.push(16));
  EXPECT_FALSE(q.push(17));
  for (std::uint64_t i = 1; i <= 16; ++i) EXPECT_EQ(q.pop().value_or(77), i);
  EXPECT_FALSE(q.pop().has_value());
}

TYPED_TEST(QueueTest, CapacityTwo) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> q(mem, "q", 2);
  for (int lap = 0; lap < 10; ++lap) {
    EXPECT_TRUE(q.push(lap));
    EXPECT_TRUE(q.push(lap + 1000));
    EXPECT_FALSE(q.push(-1));
    EXPECT_EQ(q.pop().value_or(-1), lap);
    EXPECT_TRUE(q.push(lap + 2000));
    EXPECT_FALSE(q.push(-1));
    EXPECT_EQ(q.pop().value_or(-1), lap + 1000);
    EXPECT_EQ(q.pop().value_or(-1), lap + 2000);
    EXPECT_FALSE(q.pop().has_value());
  }
}

// Any capacity from 1 to the variant's maximum (tests/unit/queue_capacity_test.cpp
// runs the ones that are not powers of two); 0 and above the maximum are refused.
TYPED_TEST(QueueTest, CapacityMustBeFromOneToTheMaximum) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  std::uint64_t max = zeroipc::variants::detail::kMaxRingCapacity;
  if constexpr (requires { V::kMaxCapacity; }) max = V::kMaxCapacity;
  const std::string max_text = "2^" + std::to_string(std::countr_zero(max));
  for (std::uint64_t bad : {std::uint64_t{0}, max + 1, 2 * max, std::uint64_t{1} << 63, (std::uint64_t{1} << 63) + 1,
                            std::numeric_limits<std::uint64_t>::max()}) {
    const std::string what = "q" + std::to_string(bad);
    const auto capacity = static_cast<std::size_t>(bad);
    EXPECT_THROW((Queue<int, V>(mem, what, capacity)), zeroipc::InvalidArgument) << "capacity " << bad;
    const std::string msg = error_of([&] { Queue<int, V>(mem, what, capacity); });
    EXPECT_TRUE(contains(msg, std::to_string(bad))) << msg;
    EXPECT_TRUE(contains(msg, V::kName)) << msg;
    EXPECT_TRUE(contains(msg, "from 1 to " + max_text)) << "the rule, in the message: " << msg;
    EXPECT_THROW((Queue<int, V>(mem, what)), zeroipc::NotFound) << "a refused create leaves nothing behind";
  }
}

template <std::size_t N, class V>
void round_trip_elements(Memory& mem) {
  using E = Elem<N>;
  static_assert(sizeof(E) == N);
  constexpr std::size_t kCap = 8;
  Queue<E, V> q(mem, "e" + std::to_string(N), kCap);
  std::uint64_t pushed = 0, popped = 0;
  // Whole laps: fill, check full, drain, check empty.
  for (int lap = 0; lap < 4; ++lap) {
    for (std::size_t i = 0; i < kCap; ++i) ASSERT_TRUE(q.push(make_elem<N>(pushed++))) << N;
    ASSERT_FALSE(q.push(make_elem<N>(9999))) << N;
    for (std::size_t i = 0; i < kCap; ++i) {
      auto e = q.pop();
      ASSERT_TRUE(e.has_value()) << N;
      ASSERT_TRUE(elem_ok<N>(*e, popped)) << "size " << N << " element " << popped;
      ++popped;
    }
    ASSERT_FALSE(q.pop().has_value()) << N;
  }
  // Partly full, sliding over several laps (slots not aligned to the lap).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(q.push(make_elem<N>(pushed++)));
  for (int i = 0; i < 5 * static_cast<int>(kCap) + 3; ++i) {
    ASSERT_TRUE(q.push(make_elem<N>(pushed++)));
    auto e = q.pop();
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(elem_ok<N>(*e, popped)) << "size " << N << " element " << popped;
    ++popped;
  }
  while (auto e = q.pop()) {
    ASSERT_TRUE(elem_ok<N>(*e, popped)) << "size " << N << " element " << popped;
    ++popped;
  }
  EXPECT_EQ(popped, pushed) << N;
}

TYPED_TEST(QueueTest, ElementSizesRoundTripOverSeveralLaps) {
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

template <class V>
void laps_from(std::uint64_t start) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  constexpr std::size_t kCap = 8;
  Queue<std::uint64_t, V> q(mem, "q", kCap, QueueOptions{.initial_position = start});
  std::uint64_t pushed = 0, popped = 0;
  for (int lap = 0; lap < 4; ++lap) {
    for (std::size_t i = 0; i < kCap; ++i) ASSERT_TRUE(q.push(pushed++)) << "start " << start << " lap " << lap;
    ASSERT_FALSE(q.push(12345)) << "full at capacity, start " << start << " lap " << lap;
    for (std::size_t i = 0; i < kCap; ++i) {
      auto v = q.pop();
      ASSERT_TRUE(v.has_value()) << "start " << start << " lap " << lap << " i " << i;
      ASSERT_EQ(*v, popped++);
    }
    ASSERT_FALSE(q.pop().has_value()) << "empty, start " << start << " lap " << lap;
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(pushed++));
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(q.push(pushed++));
    ASSERT_EQ(q.pop().value_or(~0ull), popped++);
  }
  while (auto v = q.pop()) ASSERT_EQ(*v, popped++);
  EXPECT_EQ(popped, pushed);
}

TYPED_TEST(QueueTest, PositionsWrapAround2To32) { laps_from<TypeParam>((1ull << 32) - 5); }
TYPED_TEST(QueueTest, PositionsWrapAround2To64) {
  laps_from<TypeParam>(std::numeric_limits<std::uint64_t>::max() - 5);
}

// size_approx is documented as exact when nobody is pushing or popping; the
// 64-bit positions wrap past UINT64_MAX, so it must be computed modulo 2^64.
TYPED_TEST(QueueTest, SizeApproxIsExactAcrossThe2To64Wraparound) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<std::uint64_t, V> q(mem, "q", 16,
                            QueueOptions{.initial_position = std::numeric_limits<std::uint64_t>::max() - 5});
  for (std::uint64_t i = 0; i < 16; ++i) {
    ASSERT_TRUE(q.push(i));
    ASSERT_EQ(q.size_approx(), i + 1) << "after " << i + 1 << " pushes from UINT64_MAX - 5 (tail wraps to 0 at push 6)";
  }
}

TYPED_TEST(QueueTest, OpenByNameFromASecondHandleSeesTheSameElements) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> q(mem, "q", 32);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(q.push(i));
  Memory peer(name);
  Queue<int, V> r(peer, "q");
  EXPECT_FALSE(r.created());
  EXPECT_EQ(r.capacity(), 32u);
  EXPECT_EQ(r.size_approx(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r.pop().value_or(-1), i);
  EXPECT_FALSE(r.pop().has_value());
  // Create-or-open with the same parameters opens it too.
  Queue<int, V> again(peer, "q", 32);
  EXPECT_FALSE(again.created());
  ASSERT_TRUE(again.push(42));
  EXPECT_EQ(r.pop().value_or(-1), 42);
  // Another capacity on create-or-open is a mismatch.
  EXPECT_THROW((Queue<int, V>(peer, "q", 64)), zeroipc::Mismatch);
  EXPECT_THROW((Queue<int, V>(peer, "absent")), zeroipc::NotFound);
}

// A handle opened earlier and used later (several handles in one process
// share the roles) must see what the other handles did meanwhile: an empty
// queue whose positions moved on is still empty.
TYPED_TEST(QueueTest, HandleOpenedEarlierDoesNotPopFromAnEmptyQueue) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> a(mem, "q", 4);
  Memory peer(name);
  Queue<int, V> b(peer, "q");  // opened while positions are 0
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(a.push(i));
    ASSERT_EQ(a.pop().value_or(-1), i);
  }
  EXPECT_FALSE(b.pop().has_value()) << "the queue is empty; the earlier handle popped a stale slot";
  EXPECT_EQ(a.size_approx(), 0u);
}

// ... and a full queue whose positions moved on by more than a lap is still full.
TYPED_TEST(QueueTest, HandleOpenedEarlierDoesNotPushIntoAFullQueue) {
  using V = TypeParam;
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> a(mem, "q", 4);
  Memory peer(name);
  Queue<int, V> b(peer, "q");  // opened while positions are 0
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(a.push(100 + i));
  for (int i = 0; i < 4; ++i) ASSERT_EQ(a.pop().value_or(-1), 100 + i);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(a.push(i));
  EXPECT_FALSE(b.push(-7)) << "the queue is full; the earlier handle overwrote an unread element";
  for (int i = 0; i < 4; ++i) EXPECT_EQ(a.pop().value_or(-1), i);
  EXPECT_FALSE(a.pop().has_value());
}

TYPED_TEST(QueueTest, OpeningAsAnotherVariantThrowsMismatchNamingBoth) {
  using V = TypeParam;
  using W = typename OtherVariant<V>::type;
  static_assert(!std::is_same_v<V, W>);
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<int, V> q(mem, "q", 8);
  ASSERT_TRUE(q.push(1));
  const std::string msg = error_of([&] { Queue<int, W>(mem, "q"); });
  EXPECT_THROW((Queue<int, W>(mem, "q")), zeroipc::Mismatch);
  EXPECT_TRUE(contains(msg, V::kName)) << msg;
  EXPECT_TRUE(contains(msg, W::kName)) << msg;
  EXPECT_THROW((Queue<int, W>(mem, "q", 8)), zeroipc::Mismatch) << "create-or-open checks the variant too";
  EXPECT_EQ(q.pop().value_or(-1), 1) << "a refused open leaves the queue alone";
}

TYPED_TEST(QueueTest, OpeningWithAnotherElementSizeThrowsMismatch) {
  using V = TypeParam;
  struct Four {
    char b[4];
  };
  struct Eight {
    char b[8];
  };
  ScopedName name;
  Memory mem(name, 1 << 20);
  Queue<Four, V> q(mem, "q", 8);
  EXPECT_THROW((Queue<Eight, V>(mem, "q")), zeroipc::Mismatch);
  EXPECT_THROW((Queue<Eight, V>(mem, "q", 8)), zeroipc::Mismatch);
  const std::string msg = error_of([&] { Queue<Eight, V>(mem, "q"); });
  EXPECT_TRUE(contains(msg, "4")) << msg;
  EXPECT_TRUE(contains(msg, "8")) << msg;
  EXPECT_THROW((Queue<std::uint64_t, V>(mem, "q")), zeroipc::Mismatch);
}

// Items are producer << 40 | sequence. Every item is seen once, and within
// each consumer the sequence of each producer increases.
// Waits: yield on full and empty, or (`spin`) retry at once, so that the
// threads, more of them than cores, are preempted mid-operation.
template <class V>
void threaded_run(int producers, int consumers, std::uint64_t total, std::uint64_t capacity = 1024,
                  bool spin = false) {
  ScopedName name;
  Memory mem(name, 4 << 20);
  Queue<std::uint64_t, V> q(mem, "q", capacity);
  const std::uint64_t per_producer = total / static_cast<std::uint64_t>(producers);
  std::atomic<std::uint64_t> consumed{0};
  std::vector<std::vector<std::uint64_t>> got(static_cast<std::size_t>(consumers));
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t s = 0; s < per_producer; ++s) {
        const std::uint64_t item = (static_cast<std::uint64_t>(p) << 40) | s;
        while (!q.push(item)) {
          if (!spin) std::this_thread::yield();
        }
      }
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      auto& mine = got[static_cast<std::size_t>(c)];
      mine.reserve(per_producer * static_cast<std::uint64_t>(producers));
      for (;;) {
        if (auto v = q.pop()) {
          mine.push_back(*v);
          consumed.fetch_add(1, std::memory_order_relaxed);
        } else if (consumed.load(std::memory_order_relaxed) >= per_producer * static_cast<std::uint64_t>(producers)) {
          return;
        } else if (!spin) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : threads) t.join();

  std::vector<std::uint8_t> seen(static_cast<std::size_t>(per_producer) * static_cast<std::size_t>(producers), 0);
  std::uint64_t bad = 0, dups = 0, order = 0;
  for (const auto& mine : got) {
    std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
    for (std::uint64_t v : mine) {
      const std::uint64_t p = v >> 40, s = v & ((1ull << 40) - 1);
      if (p >= static_cast<std::uint64_t>(producers) || s >= per_producer) {
        ++bad;
        continue;
      }
      if (seen[p * per_producer + s]++ != 0) ++dups;
      if (static_cast<std::int64_t>(s) <= last[p]) ++order;
      last[p] = static_cast<std::int64_t>(s);
    }
  }
  EXPECT_EQ(bad, 0u) << "items that were never pushed";
  EXPECT_EQ(dups, 0u) << "duplicates";
  EXPECT_EQ(order, 0u) << "per-producer order broken within a consumer";
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 0), 0) << "lost items";
  EXPECT_FALSE(q.pop().has_value());
}

constexpr std::uint64_t kThreadItems = kSanitized ? 40000 : 200000;

TYPED_TEST(QueueTest, OneProducerThreadOneConsumerThread) { threaded_run<TypeParam>(1, 1, kThreadItems); }

// A capacity below the ring's R slots: vyukov_bounded's extra "full" check,
// the c indices of scq and the c nodes of lcrq, while both sides run.
TYPED_TEST(QueueTest, OneProducerThreadOneConsumerThreadCapacityNotAPowerOfTwo) {
  threaded_run<TypeParam>(1, 1, kThreadItems, 100);
  threaded_run<TypeParam>(1, 1, kThreadItems / 4, 3);
}

// The multi-producer / multi-consumer variants only (no skipped tests for the others).
template <class... V>
auto mpmc_only(std::tuple<V...>*)
    -> decltype(std::tuple_cat(std::conditional_t<V::kMultiProducer && V::kMultiConsumer,
                                                  std::tuple<V>, std::tuple<>>{}...));
using MpmcQueueVariants = decltype(mpmc_only(static_cast<zeroipc::QueueVariants*>(nullptr)));

template <class V>
class MpmcQueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(MpmcQueueTest, ToTypes<MpmcQueueVariants>::type, VariantName);

TYPED_TEST(MpmcQueueTest, TwoProducerThreadsTwoConsumerThreads) {
  threaded_run<TypeParam>(2, 2, kThreadItems);
}

// More spinning threads than cores on a small queue: a thread is often
// preempted between two steps of one operation while the others run many
// laps. The bounds against hostile segments must hold for this legal state
// (regression: scq and lcrq measured tail against the dequeuer's own, stale,
// head position and threw "tail ... ahead of head").
TYPED_TEST(MpmcQueueTest, SpinningThreadsOutnumberCoresOnASmallQueue) {
  const int each = static_cast<int>(std::max(3u, std::thread::hardware_concurrency()));
  threaded_run<TypeParam>(each, each, kThreadItems, 64, true);
}

TYPED_TEST(MpmcQueueTest, SpinningThreadsOutnumberCoresCapacityNotAPowerOfTwo) {
  const int each = static_cast<int>(std::max(3u, std::thread::hardware_concurrency()));
  threaded_run<TypeParam>(each, each, kThreadItems / 2, 100, true);
  threaded_run<TypeParam>(each, each, kThreadItems / 4, 3, true);
}

// ---- a dequeuer paused after passing its position, while others run laps ----------

// The point kDequeuePassed parks the thread that set g_park_me until released:
// a preemption at the worst moment, made certain.
thread_local bool g_park_me = false;
std::atomic<int> g_parked{0};
std::atomic<bool> g_release{false};
void park_if_asked(zeroipc::variants::detail::VariantCrashPoint p) {
  if (p != zeroipc::variants::detail::VariantCrashPoint::kDequeuePassed || !g_park_me) return;
  g_park_me = false;
  g_parked.store(1);
  while (!g_release.load()) std::this_thread::yield();
}

template <class V>
class PassedDequeueTest : public ::testing::Test {};
using RingDequeueVariants =
    ::testing::Types<zeroipc::variants::scq, zeroipc::variants::lcrq, zeroipc::variants::lcrq_nodes,
                     zeroipc::variants::scq_indices>;
TYPED_TEST_SUITE(PassedDequeueTest, RingDequeueVariants, VariantName);

// Regression: scq and lcrq measured tail against the dequeuer's own head
// position, stale by the time it read tail, and threw CorruptSegment ("tail
// ... ahead of head") on this legal state.
TYPED_TEST(PassedDequeueTest, DequeuerPausedWhileOthersRunManyLapsIsNotCorrupt) {
  using VariantPoint = zeroipc::variants::detail::VariantCrashPoint;
  ScopedName name;
  Memory mem(name, 4 << 20);
  constexpr std::uint64_t kCap = 8;
  Queue<std::uint64_t, TypeParam> q(mem, "q", kCap);
  ASSERT_TRUE(q.push(1));
  ASSERT_EQ(q.pop(), 1u);
  // An enqueuer killed after its FAA on tail: the position it took stays
  // empty, and the next pop passes it.
  std::byte* body = zeroipc::test::bytes_of(mem, "q") + sizeof(zeroipc::detail::StructHeader);
  std::byte* tail = body + zeroipc::variants::lcrq::kRingsOffset + 128;  // ring 0's tail (both lcrq layouts)
  if constexpr (std::is_same_v<TypeParam, zeroipc::variants::scq> ||
                std::is_same_v<TypeParam, zeroipc::variants::scq_indices>) {
    tail = body + zeroipc::variants::scq::kAqOffset + 64;  // aq's tail, or the direct ring's: the same offset
  }
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(tail)).fetch_add(1);
  g_parked = 0;
  g_release = false;
  zeroipc::detail::crash_hook_of<VariantPoint>().store(&park_if_asked);
  std::optional<std::uint64_t> paused_got;
  std::string paused_error;
  std::thread paused([&] {
    g_park_me = true;
    try {
      paused_got = q.pop();  // passes the dead enqueuer's position, parks before reading tail
    } catch (const std::exception& e) {
      paused_error = e.what();
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (g_parked.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  if (g_parked.load() == 0) {
    g_release = true;
    paused.join();
    FAIL() << "the pop never reached kDequeuePassed";
  }
  // Far more laps than any bound on the lead of tail over head.
  const std::uint64_t laps = 4 * (zeroipc::variants::detail::kOpSlots + 2);
  std::uint64_t passed = 0;
  for (std::uint64_t i = 0; i < laps * 2 * kCap; ++i) {
    ASSERT_TRUE(q.push(i));
    const auto v = q.pop();
    ASSERT_TRUE(v.has_value());
    ASSERT_EQ(*v, i);
    ++passed;
  }
  ASSERT_TRUE(q.push(7));
  g_release = true;
  paused.join();
  zeroipc::detail::crash_hook_of<VariantPoint>().store(nullptr);
  ASSERT_EQ(paused_error, "");
  // The paused pop either found the 7 or nothing; nothing is lost or doubled.
  std::vector<std::uint64_t> rest;
  while (auto v = q.pop()) rest.push_back(*v);
  if (paused_got) {
    EXPECT_EQ(*paused_got, 7u);
    EXPECT_TRUE(rest.empty());
  } else {
    EXPECT_EQ(rest, std::vector<std::uint64_t>{7});
  }
  EXPECT_EQ(passed, laps * 2 * kCap);
}

// ---- spsc_ring: one producer process and one consumer process ----------------------

TEST(SpscRing, SecondLiveProducerProcessGetsRoleTakenNamingTheHolder) {
  using V = zeroipc::variants::spsc_ring;
  {
    ScopedName name;
    Memory mem(name, 1 << 20);
    Queue<int, V> q(mem, "q", 8);
    ASSERT_TRUE(q.push(1));  // this process now holds the producer role
    const std::string holder = std::to_string(::getpid());
    const pid_t child = spawn([&] {
      Memory m(name);
      Queue<int, V> mine(m, "q");
      try {
        mine.push(2);
      } catch (const zeroipc::RoleTaken& e) {
        return contains(e.what(), holder) && contains(e.what(), "producer") ? 0 : 2;
      }
      return 1;  // no exception
    });
    EXPECT_EQ(wait_for(child), 0) << "1: push was allowed; 2: message does not name holder pid " << holder;
    // Also the consumer role, held here after a pop.
    EXPECT_EQ(q.pop().value_or(-1), 1);
    const pid_t popper = spawn([&] {
      Memory m(name);
      Queue<int, V> mine(m, "q");
      try {
        (void)mine.pop();
      } catch (const zeroipc::RoleTaken& e) {
        return contains(e.what(), holder) && contains(e.what(), "consumer") ? 0 : 2;
      }
      return 1;
    });
    EXPECT_EQ(wait_for(popper), 0);
    EXPECT_FALSE(q.pop().has_value()) << "the refused child pushed nothing";
  }
}

TEST(SpscRing, ProducerRoleIsTakenOverAfterTheHolderExits) {
  using V = zeroipc::variants::spsc_ring;
  {
    ScopedName name;
    Memory mem(name, 1 << 20);
    Queue<int, V> q(mem, "q", 16);
    // First holder dies holding the role (no destructor runs: _exit).
    const pid_t first = spawn([&] {
      Memory m(name);
      auto* mine = new Queue<int, V>(m, "q");  // leaked on purpose
      for (int i = 0; i < 3; ++i) {
        if (!mine->push(i)) return 1;
      }
      ::_exit(0);
    });
    ASSERT_EQ(wait_for(first), 0);
    // Second holder takes the dead one's role over, then exits cleanly.
    const pid_t second = spawn([&] {
      Memory m(name);
      Queue<int, V> mine(m, "q");
      for (int i = 3; i < 6; ++i) {
        if (!mine.push(i)) return 1;
      }
      return 0;
    });
    ASSERT_EQ(wait_for(second), 0) << "the role of an exited process was not taken over";
    // And this process can take it after a clean exit.
    ASSERT_TRUE(q.push(6));
    for (int i = 0; i < 7; ++i) EXPECT_EQ(q.pop().value_or(-1), i);
    EXPECT_FALSE(q.pop().has_value());
  }
}

// ---- The registry ----------------------------------------------------------------------

TEST(Registry, UnknownVariantNameThrowsListingEveryName) {
  EXPECT_THROW(zeroipc::variant_info("nope"), zeroipc::InvalidArgument);
  const std::string msg = error_of([] { (void)zeroipc::variant_info("nope"); });
  EXPECT_TRUE(contains(msg, "nope")) << msg;
  for (const auto& v : zeroipc::kVariants) EXPECT_TRUE(contains(msg, v.name)) << v.name << " missing: " << msg;
}

TEST(Registry, EveryVariantIsFoundByItsName) {
  for (const auto& v : zeroipc::kVariants) {
    const auto& info = zeroipc::variant_info(v.name);
    EXPECT_EQ(info.name, v.name);
    EXPECT_EQ(info.kind, v.kind);
    EXPECT_EQ(info.id, v.id);
  }
}

template <class V>
void expect_queue_dispatch() {
  const bool same = zeroipc::with_queue_variant(V::kName, [&]<class U>(std::type_identity<U>) {
    return std::is_same_v<U, V>;
  });
  EXPECT_TRUE(same) << V::kName;
  std::string got;
  zeroipc::with_queue_variant(V::kName, [&]<class U>(std::type_identity<U>) { got = std::string(U::kName); });
  EXPECT_EQ(got, V::kName);
  const auto& info = zeroipc::variant_info(V::kName);
  EXPECT_EQ(info.kind, zeroipc::detail::Kind::kQueue);
  EXPECT_EQ(info.id, V::kId);
  EXPECT_EQ(info.multi_producer, V::kMultiProducer);
  EXPECT_EQ(info.multi_consumer, V::kMultiConsumer);
}

TEST(Registry, WithQueueVariantDispatchesEveryQueueName) {
  std::apply([](auto... v) { (expect_queue_dispatch<decltype(v)>(), ...); }, zeroipc::QueueVariants{});
}

void expect_named(const std::string& msg, std::string_view name) {
  EXPECT_TRUE(contains(msg, name)) << name << " missing: " << msg;
}

TEST(Registry, WithQueueVariantRefusesAStackVariantAndUnknownNames) {
  EXPECT_THROW(zeroipc::with_queue_variant("treiber_tagged", []<class U>(std::type_identity<U>) { return 0; }),
               zeroipc::InvalidArgument);
  const std::string msg =
      error_of([] { zeroipc::with_queue_variant("treiber_tagged", []<class U>(std::type_identity<U>) {}); });
  EXPECT_TRUE(contains(msg, "treiber_tagged")) << msg;
  std::apply([&](auto... v) { (expect_named(msg, decltype(v)::kName), ...); }, zeroipc::QueueVariants{});
  EXPECT_THROW(zeroipc::with_queue_variant("nope", []<class U>(std::type_identity<U>) {}), zeroipc::InvalidArgument);
}

}  // namespace
