// Cross-process stress: producer processes and consumer processes share one
// queue (every variant of QueueVariants) or stack (every variant of
// StackVariants). Every item is seen exactly once with the right checksum;
// for queues, each consumer sees each producer's sequence increasing.
//
// Items per producer: ZEROIPC_STRESS_ITEMS (default 300000; scaled down under
// sanitizers), so a long soak can be run by hand:
//   ZEROIPC_STRESS_ITEMS=20000000 build/tests/process/zeroipc_process_tests --gtest_filter='*Stress*'
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>
#include <zeroipc/stack.h>

#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;

#if defined(__SANITIZE_THREAD__)
constexpr std::uint64_t kDefaultItems = 20000;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t kDefaultItems = 100000;
#else
constexpr std::uint64_t kDefaultItems = 300000;
#endif
constexpr auto kDeadline = std::chrono::seconds(120);

std::uint64_t items_per_producer() {
  if (const char* env = std::getenv("ZEROIPC_STRESS_ITEMS")) {
    const std::uint64_t n = std::strtoull(env, nullptr, 10);
    if (n > 0) return n;
  }
  return kDefaultItems;
}


struct Item {
  std::uint32_t producer;
  std::uint32_t pad;
  std::uint64_t seq;
  std::uint64_t checksum;
};
static_assert(sizeof(Item) == 24);

std::uint64_t checksum_of(std::uint32_t producer, std::uint64_t seq) {
  std::uint64_t x = (seq + 1) * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{producer} + 7) * 0xC2B2AE3D27D4EB4Full;
  x ^= x >> 31;
  return x * 0xFF51AFD7ED558CCDull;
}

// Per-consumer counters in the segment.
enum Stat : std::size_t { kReceived, kBadItem, kOrderBroken, kStatCount };

// Waits for every child; kills them all if the deadline passes. True when all exited 0.
bool wait_all(std::vector<pid_t>& children, std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  std::size_t left = children.size();
  std::vector<bool> done(children.size(), false);
  bool ok = true;
  while (left > 0) {
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (done[i]) continue;
      int status = 0;
      const pid_t r = ::waitpid(children[i], &status, WNOHANG);
      if (r == children[i]) {
        done[i] = true;
        --left;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          ok = false;
          why += "child " + std::to_string(i) + " exited with status " + std::to_string(status) + "; ";
        }
      }
    }
    if (left > 0 && std::chrono::steady_clock::now() > deadline) {
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (!done[i]) ::kill(children[i], SIGKILL);
      }
      for (std::size_t i = 0; i < children.size(); ++i) {
        if (!done[i]) zeroipc::test::wait_for(children[i]);
      }
      why += "deadline of " + std::to_string(kDeadline.count()) + " s passed: killed " + std::to_string(left) +
             " children; ";
      return false;
    }
    if (left > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return ok;
}

// Runs P producers and C consumers over structure `S` (queue or stack) and
// checks the outcome. `fifo`: check per-producer order within each consumer.
template <class Open>
void run_stress(const char* label, std::string_view variant, int producers, int consumers, bool fifo, Open open) {
  const std::uint64_t n = items_per_producer();
  const std::uint64_t total = n * static_cast<std::uint64_t>(producers);
  ScopedName name("stress");
  Memory mem(name, total + (16 << 20), 16);
  Array<std::uint8_t> seen(mem, "seen", total);
  Array<std::uint64_t> stats(mem, "stats", static_cast<std::size_t>(consumers) * kStatCount);
  Array<std::uint64_t> shared(mem, "shared", 2);  // [0] start flag, [1] items consumed
  { auto s = open(mem); }                          // create the structure before the children

  std::vector<pid_t> children;
  for (int p = 0; p < producers; ++p) {
    children.push_back(spawn([&, p] {
      Memory m(name);
      auto s = open(m);
      Array<std::uint64_t> sh(m, "shared");
      std::atomic_ref<std::uint64_t> go(sh[0]);
      while (go.load(std::memory_order_acquire) == 0) std::this_thread::yield();
      for (std::uint64_t i = 0; i < n; ++i) {
        const Item item{static_cast<std::uint32_t>(p), 0, i, checksum_of(static_cast<std::uint32_t>(p), i)};
        while (!s.push(item)) std::this_thread::yield();
      }
      return 0;
    }));
  }
  for (int c = 0; c < consumers; ++c) {
    children.push_back(spawn([&, c] {
      Memory m(name);
      auto s = open(m);
      Array<std::uint8_t> sn(m, "seen");
      Array<std::uint64_t> st(m, "stats");
      Array<std::uint64_t> sh(m, "shared");
      std::atomic_ref<std::uint64_t> go(sh[0]);
      std::atomic_ref<std::uint64_t> consumed(sh[1]);
      std::vector<std::int64_t> last(static_cast<std::size_t>(producers), -1);
      std::uint64_t received = 0, bad = 0, order = 0;
      while (go.load(std::memory_order_acquire) == 0) std::this_thread::yield();
      for (;;) {
        if (auto item = s.pop()) {
          ++received;
          if (item->producer >= static_cast<std::uint32_t>(producers) || item->seq >= n ||
              item->checksum != checksum_of(item->producer, item->seq)) {
            ++bad;
          } else {
            std::atomic_ref<std::uint8_t>(sn[item->producer * n + item->seq]).fetch_add(1, std::memory_order_relaxed);
            if (static_cast<std::int64_t>(item->seq) <= last[item->producer]) ++order;
            last[item->producer] = static_cast<std::int64_t>(item->seq);
          }
          consumed.fetch_add(1, std::memory_order_relaxed);
        } else if (consumed.load(std::memory_order_relaxed) >= total) {
          break;
        } else {
          std::this_thread::yield();
        }
      }
      st[static_cast<std::size_t>(c) * kStatCount + kReceived] = received;
      st[static_cast<std::size_t>(c) * kStatCount + kBadItem] = bad;
      st[static_cast<std::size_t>(c) * kStatCount + kOrderBroken] = order;
      return 0;
    }));
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic_ref<std::uint64_t>(shared[0]).store(1, std::memory_order_release);
  std::string why;
  const bool ok = wait_all(children, why);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(ok) << why;
  std::printf("[ stress   ] %s %.*s: %d producers x %llu items, %d consumers: %.3f s, %.0f items/s\n", label,
              static_cast<int>(variant.size()), variant.data(), producers, static_cast<unsigned long long>(n),
              consumers, secs, static_cast<double>(total) / secs);

  std::uint64_t received = 0;
  for (int c = 0; c < consumers; ++c) {
    const std::size_t b = static_cast<std::size_t>(c) * kStatCount;
    received += stats[b + kReceived];
    EXPECT_EQ(stats[b + kBadItem], 0u) << "consumer " << c << ": items with a wrong checksum / id";
    if (fifo) {
      EXPECT_EQ(stats[b + kOrderBroken], 0u) << "consumer " << c << ": per-producer order broken";
    }
  }
  EXPECT_EQ(received, total);
  std::uint64_t lost = 0, dup = 0, first_bad = total;
  for (std::uint64_t i = 0; i < total; ++i) {
    const std::uint8_t v = seen[i];
    if (v != 1 && first_bad == total) first_bad = i;
    lost += v == 0;
    dup += v > 1;
  }
  EXPECT_EQ(lost, 0u) << "items never seen (first: producer " << first_bad / n << " seq " << first_bad % n << ")";
  EXPECT_EQ(dup, 0u) << "items seen more than once";
  auto s = open(mem);
  EXPECT_FALSE(s.pop().has_value()) << "left over after every item was consumed";
}
using zeroipc::test::ToTypes;
using zeroipc::test::VariantName;

template <class V>
class QueueStress : public ::testing::Test {};
TYPED_TEST_SUITE(QueueStress, ToTypes<zeroipc::QueueVariants>::type, VariantName);

TYPED_TEST(QueueStress, ProducerAndConsumerProcessesNoLossNoDuplicateInOrder) {
  using V = TypeParam;
  const int p = V::kMultiProducer ? 2 : 1;
  const int c = V::kMultiConsumer ? 2 : 1;
  run_stress("queue", V::kName, p, c, V::kFifo,
             [](Memory& m) { return zeroipc::Queue<Item, V>(m, "q", 1024); });
}

// A capacity that is not a power of two (a ring of 128 slots holding at most
// 100): one producer process and one consumer process, for every variant.
TYPED_TEST(QueueStress, CapacityHundredOneProducerOneConsumerProcessNoLossNoDuplicateInOrder) {
  using V = TypeParam;
  run_stress("queue capacity 100", V::kName, 1, 1, V::kFifo,
             [](Memory& m) { return zeroipc::Queue<Item, V>(m, "q", 100); });
}

template <class V>
class StackStress : public ::testing::Test {};
TYPED_TEST_SUITE(StackStress, ToTypes<zeroipc::StackVariants>::type, VariantName);

TYPED_TEST(StackStress, PusherAndPopperProcessesNoLossNoDuplicate) {
  using V = TypeParam;
  run_stress("stack", V::kName, 2, 2, false, [](Memory& m) { return zeroipc::Stack<Item, V>(m, "s", 1024); });
}

}  // namespace
