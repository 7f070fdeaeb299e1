// Pool across real processes (fork), for every variant in zeroipc::PoolVariants:
//   - handles sent through a Queue: the receiving process reaches the same
//     object (and releases it there);
//   - a process killed at each named window of acquire/release
//     (PoolCrashPoint): the operation happened or not, nothing is lost;
//   - processes killed at random while they acquire, use and release: no
//     object is ever held by two processes at once, and afterwards every
//     object is free or listed by held_by_dead() — none lost.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>
#include <zeroipc/pool.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>

#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::Pool;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;
using zeroipc::variants::detail::PoolCrashPoint;

struct Particle {
  std::uint64_t token;  // the holder's pid while it uses the object (atomic), else 0
  std::uint64_t seq;
  std::uint64_t check;
};

template <class V>
class PoolProcess : public ::testing::Test {};
TYPED_TEST_SUITE(PoolProcess, zeroipc::test::ToTypes<zeroipc::PoolVariants>::type, zeroipc::test::VariantName);

TYPED_TEST(PoolProcess, HandlesTravelThroughAQueue) {
  using P = Pool<Particle, TypeParam>;
  const std::uint64_t n = kSanitized ? 2000 : 20000;
  ScopedName seg("pool");
  Memory mem(seg, 1 << 20);
  P pool(mem, "particles", 32);
  zeroipc::Queue<typename P::Handle> q(mem, "handles", 16);
  const std::string name = seg.str();
  const pid_t producer = spawn([&] {
    Memory m(name);
    P p(m, "particles");
    zeroipc::Queue<typename P::Handle> out(m, "handles");
    for (std::uint64_t i = 0; i < n;) {
      const auto h = p.acquire();
      if (!h) {
        std::this_thread::yield();
        continue;
      }
      p[*h].seq = i;
      p[*h].check = i * 0x9E3779B97F4A7C15ull;
      while (!out.push(*h)) std::this_thread::yield();
      ++i;
    }
    return 0;
  });
  const pid_t consumer = spawn([&] {
    Memory m(name);
    P p(m, "particles");
    zeroipc::Queue<typename P::Handle> in(m, "handles");
    for (std::uint64_t i = 0; i < n;) {
      const auto h = in.pop();
      if (!h) {
        std::this_thread::yield();
        continue;
      }
      if (p[*h].seq != i || p[*h].check != i * 0x9E3779B97F4A7C15ull) return 2;
      p.release(*h);
      ++i;
    }
    return 0;
  });
  EXPECT_EQ(wait_for(producer), 0);
  EXPECT_EQ(wait_for(consumer), 0) << "2: an object's contents did not arrive with its handle";
  EXPECT_EQ(pool.available(), 32u) << "every object came back";
}

template <class Var>
void kill_at(PoolCrashPoint point, bool release_first) {
  using P = Pool<Particle, Var>;
  ScopedName seg("poolkill");
  Memory mem(seg, 1 << 20);
  P pool(mem, "p", 8);
  const auto mine = *pool.acquire();  // the parent holds one object throughout
  static PoolCrashPoint target;
  target = point;
  const std::string name = seg.str();
  const pid_t child = spawn([&] {
    Memory m(name);
    P p(m, "p");
    const auto h = *p.acquire();
    zeroipc::detail::crash_hook_of<PoolCrashPoint>().store(+[](PoolCrashPoint at) {
      if (at == target) ::raise(SIGKILL);
    });
    if (release_first) p.release(h);
    (void)p.acquire();
    return 3;
  });
  ASSERT_EQ(wait_for(child), 128 + SIGKILL);
  // The next operation takes the lock over (one 20 ms check) and rebuilds the free stack.
  const auto dead = pool.held_by_dead();
  std::vector<typename P::Handle> got;
  while (auto h = pool.acquire()) got.push_back(*h);
  EXPECT_EQ(got.size() + dead.size() + 1, 8u) << "every object is free, held by the dead child, or the parent's";
  for (const auto& h : got) EXPECT_NE(h.index, mine.index) << "the parent's object was handed out again";
  for (const auto& h : dead) pool.release(h);
  for (const auto& h : got) pool.release(h);
  pool.release(mine);
  EXPECT_EQ(pool.available(), 8u);
}

TYPED_TEST(PoolProcess, AcquireKilledAfterMarkingLosesNothing) { kill_at<TypeParam>(PoolCrashPoint::kAcquireMarked, false); }
TYPED_TEST(PoolProcess, ReleaseKilledAfterMarkingLosesNothing) { kill_at<TypeParam>(PoolCrashPoint::kReleaseMarked, true); }

TYPED_TEST(PoolProcess, KilledAtRandomNoObjectSharedNoneLost) {
  using P = Pool<Particle, TypeParam>;
  constexpr std::size_t kObjects = 16;
  const int rounds = kSanitized ? 10 : 40;
  ScopedName seg("poolrand");
  Memory mem(seg, 1 << 20);
  P pool(mem, "p", kObjects);
  Array<std::uint64_t> shared(mem, "shared", 1);
  const std::string name = seg.str();
  auto worker = [&] {
    Memory m(name);
    P p(m, "p");
    Array<std::uint64_t> s(m, "shared");
    const auto me = static_cast<std::uint64_t>(::getpid());
    for (;;) {
      const auto h = p.acquire();
      if (!h) continue;
      std::atomic_ref<std::uint64_t> token(p[*h].token);
      if (token.exchange(me) != 0) std::atomic_ref<std::uint64_t>(s[0]).fetch_add(1);
      if (token.exchange(0) != me) std::atomic_ref<std::uint64_t>(s[0]).fetch_add(1);
      p.release(*h);
    }
    return 0;
  };
  std::mt19937 rng(7);
  pid_t other = spawn(worker);
  for (int round = 0; round < rounds; ++round) {
    const pid_t victim = spawn(worker);
    std::this_thread::sleep_for(std::chrono::microseconds(300 + rng() % 3000));
    ::kill(victim, SIGKILL);
    ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
    // The dead process's objects: cleared and given back by the survivor's side.
    for (const auto& h : pool.held_by_dead()) {
      std::atomic_ref<std::uint64_t>(pool[h].token).store(0);
      pool.release(h);
    }
  }
  ::kill(other, SIGKILL);
  ASSERT_EQ(wait_for(other), 128 + SIGKILL);
  EXPECT_EQ(std::atomic_ref<std::uint64_t>(shared[0]).load(), 0u) << "an object was held by two processes at once";
  // Everything is free (the parent acquires it all, taking the lock over if
  // the last process died holding it) or held by a dead process: none lost.
  std::vector<typename P::Handle> got;
  while (auto h = pool.acquire()) got.push_back(*h);
  EXPECT_EQ(got.size() + pool.held_by_dead().size(), kObjects);
}

}  // namespace
