// Lazy<T> between real processes (fork): exactly once with 8 racing
// processes, the computing process SIGKILLed mid-computation (a waiter with
// the computation takes over; without one, a clear error), no computation
// anywhere, a throwing computation seen by everyone, invalidate() and
// recompute, and opening a name as the wrong type.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/memory.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using zeroipc::Array;
using zeroipc::Lazy;
using zeroipc::LazyError;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::Signal;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 1 << 20;


void let_waiters_block() { ::usleep(30'000); }

// Counters in the segment, shared by every process: [0] computations
// started, [1] computations finished.
struct Counters {
  explicit Counters(Memory& mem) : a(mem, "counters", 2) {}
  std::uint64_t bump(std::size_t i) { return std::atomic_ref<std::uint64_t>(a[i]).fetch_add(1) + 1; }
  std::uint64_t operator[](std::size_t i) { return std::atomic_ref<std::uint64_t>(a[i]).load(); }
  Array<std::uint64_t> a;
};

TEST(Lazy, ComputesOnceAndCaches) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  int runs = 0;
  Lazy<double> inv(mem, "matrix_inverse");
  EXPECT_FALSE(inv.has_computation());
  inv.set_computation([&] { return ++runs * 1.5; });
  EXPECT_FALSE(inv.is_ready());
  EXPECT_EQ(inv.get(), 1.5);
  EXPECT_EQ(inv.get(), 1.5);
  EXPECT_EQ(inv.force(), 1.5);
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(inv.is_ready());

  Lazy<int> h(mem, "H", [] { return 7; });  // the constructor that takes the computation
  EXPECT_TRUE(h.has_computation());
  EXPECT_EQ(h.force(), 7);
  EXPECT_EQ(h.timeout(), Lazy<int>::kDefaultTimeout);
}

TEST(Lazy, EightRacingProcessesComputeExactlyOnce) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  Lazy<double> lazy(mem, "shared");  // no computation in the parent
  Signal go;
  std::vector<pid_t> racers;
  for (int i = 0; i < 8; ++i) {
    racers.push_back(spawn([&] {
      Memory peer(name);
      Counters c(peer);
      Lazy<double> same(peer, "shared", zeroipc::open_only);
      same.set_computation([&] {
        c.bump(0);
        ::usleep(50'000);  // the others arrive while it computes
        c.bump(1);
        return 6.25;
      });
      if (!go.receive()) return 2;
      return same.get() == 6.25 ? 0 : 1;
    }));
  }
  go.send(8);
  for (pid_t r : racers) EXPECT_EQ(wait_for(r), 0);
  EXPECT_EQ(counters[0], 1u) << "the computation ran more than once";
  EXPECT_EQ(counters[1], 1u);
  EXPECT_EQ(lazy.get(), 6.25);  // cached: no computation needed here
}

// A child that starts computing `name` and blocks until it is killed.
pid_t start_doomed_computation(const ScopedName& name, const Signal& started) {
  return spawn([&] {
    Memory peer(name);
    Counters c(peer);
    Lazy<double> l(peer, "lz", zeroipc::open_only);
    l.set_computation([&] {
      c.bump(0);
      started.send();
      ::pause();  // SIGKILLed here
      return -1.0;
    });
    l.get();
    return 1;
  });
}

TEST(Lazy, ComputingProcessKilledMidComputationAWaiterWithTheComputationTakesOver) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  Lazy<double> lazy(mem, "lz");  // the parent has no computation
  Signal started;
  const pid_t victim = start_doomed_computation(name, started);
  ASSERT_TRUE(started.receive());
  EXPECT_EQ(lazy.computing_process(), victim);

  Signal waiting;
  const pid_t rescuer = spawn([&] {
    Memory peer(name);
    Counters c(peer);
    Lazy<double> l(peer, "lz", zeroipc::open_only);
    l.set_computation([&] {
      c.bump(0);
      c.bump(1);
      return 99.0;
    });
    waiting.send();
    return l.get() == 99.0 ? 0 : 1;  // waits for the live victim, then takes over
  });
  ASSERT_TRUE(waiting.receive());
  let_waiters_block();
  EXPECT_TRUE(contains(error_of([&] { lazy.invalidate(); }), "cannot invalidate while process " + std::to_string(victim)));

  ::kill(victim, SIGKILL);
  const auto t0 = Clock::now();
  const auto v = lazy.get_for(5s);  // no computation here: waits for the rescuer
  EXPECT_LT(Clock::now() - t0, 2s);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, 99.0);
  EXPECT_EQ(wait_for(rescuer), 0);
  EXPECT_EQ(wait_for(victim), 128 + SIGKILL);
  EXPECT_EQ(counters[0], 2u) << "two starts: the victim's and the rescuer's";
  EXPECT_EQ(counters[1], 1u) << "one finish";
}

TEST(Lazy, ComputingProcessKilledAndNobodyHasTheComputationIsAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  Lazy<double> lazy(mem, "lz");
  Signal started;
  const pid_t victim = start_doomed_computation(name, started);
  ASSERT_TRUE(started.receive());
  ::kill(victim, SIGKILL);
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);

  const std::string expected = "the computing process " + std::to_string(victim) +
                               " died and no waiting process has the computation";
  auto t0 = Clock::now();
  try {
    (void)lazy.get_for(200ms);
    ADD_FAILURE() << "no error";
  } catch (const LazyError& e) {
    EXPECT_EQ(e.reason(), LazyError::Reason::kOwnerDied);
    EXPECT_TRUE(contains(e.what(), expected)) << e.what();
  }
  EXPECT_GE(Clock::now() - t0, 200ms);
  EXPECT_LT(Clock::now() - t0, 2s);

  lazy.set_timeout(150ms);  // get() uses the handle's timeout
  t0 = Clock::now();
  EXPECT_TRUE(contains(error_of([&] { lazy.get(); }), expected));
  EXPECT_LT(Clock::now() - t0, 2s);

  // A process that has the computation recovers it at once.
  lazy.set_computation([] { return 3.0; });
  EXPECT_EQ(lazy.get(), 3.0);
}

TEST(Lazy, NoComputationAnywhereTimesOutWithAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<int> lazy(mem, "nobody");
  const auto t0 = Clock::now();
  try {
    (void)lazy.get_for(100ms);
    ADD_FAILURE() << "no error";
  } catch (const LazyError& e) {
    EXPECT_EQ(e.reason(), LazyError::Reason::kNoComputation);
    EXPECT_TRUE(contains(e.what(), "no process computed it within")) << e.what();
    EXPECT_TRUE(contains(e.what(), "this process has no computation")) << e.what();
  }
  EXPECT_GE(Clock::now() - t0, 100ms);

  const pid_t other = spawn([&] {
    Memory peer(name);
    Lazy<int> l(peer, "nobody", zeroipc::open_only);
    l.set_timeout(100ms);
    const auto start = Clock::now();
    const std::string e = error_of([&] { l.get(); });  // the message gives the time it waited
    return contains(e, "no process computed it within 1") && Clock::now() - start >= 100ms ? 0 : 1;
  });
  EXPECT_EQ(wait_for(other), 0);
}

TEST(Lazy, WaitsForALiveComputationInAnotherProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<std::uint64_t> lazy(mem, "slow");
  Signal started;
  const pid_t computer = spawn([&] {
    Memory peer(name);
    Lazy<std::uint64_t> l(peer, "slow", zeroipc::open_only);
    l.set_computation([&] {
      started.send();
      ::usleep(150'000);
      return std::uint64_t{123456789};
    });
    return l.get() == 123456789u ? 0 : 1;
  });
  ASSERT_TRUE(started.receive());
  EXPECT_FALSE(lazy.get_for(10ms).has_value()) << "a live process computes: a timeout, not an error";
  EXPECT_EQ(lazy.get(), 123456789u);
  EXPECT_EQ(wait_for(computer), 0);
}

TEST(Lazy, AThrowingComputationIsSeenByEveryProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<double> lazy(mem, "inverse");
  const pid_t computer = spawn([&] {
    Memory peer(name);
    Lazy<double> l(peer, "inverse", zeroipc::open_only);
    l.set_computation([]() -> double { throw std::runtime_error("singular matrix"); });
    try {
      l.get();
    } catch (const LazyError& e) {
      return e.reason() == LazyError::Reason::kComputationFailed && contains(e.what(), "singular matrix") ? 0 : 1;
    }
    return 2;
  });
  ASSERT_EQ(wait_for(computer), 0);
  EXPECT_TRUE(lazy.has_error());
  const std::string e = error_of([&] { lazy.get(); });
  EXPECT_TRUE(contains(e, "the computation failed in process " + std::to_string(computer) + ": singular matrix")) << e;

  const pid_t reader = spawn([&] {
    Memory peer(name);
    Lazy<double> l(peer, "inverse", zeroipc::open_only);
    l.set_computation([] { return 1.0; });  // has one, but the error is stored
    return contains(error_of([&] { l.get(); }), "singular matrix") ? 0 : 1;
  });
  EXPECT_EQ(wait_for(reader), 0);

  // invalidate() allows a retry.
  EXPECT_TRUE(lazy.invalidate());
  lazy.set_computation([] { return 0.5; });
  EXPECT_EQ(lazy.get(), 0.5);
}

TEST(Lazy, InvalidateThenRecomputeAcrossProcesses) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  Lazy<std::uint64_t> lazy(mem, "gen", [&] { return counters.bump(0) * 100; });
  EXPECT_FALSE(lazy.invalidate()) << "nothing to reset while empty";
  EXPECT_EQ(lazy.get(), 100u);
  EXPECT_EQ(lazy.generation(), 0u);

  const pid_t other = spawn([&] {
    Memory peer(name);
    Lazy<std::uint64_t> l(peer, "gen", zeroipc::open_only);
    return l.invalidate() && l.generation() == 1 ? 0 : 1;
  });
  ASSERT_EQ(wait_for(other), 0);
  EXPECT_FALSE(lazy.is_ready());
  EXPECT_EQ(lazy.generation(), 1u);
  EXPECT_EQ(lazy.get(), 200u) << "recomputed";
  EXPECT_EQ(counters[0], 2u);
}

TEST(Lazy, AComputationThatNeedsItsOwnValueFailsInsteadOfWaitingForItself) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<int> lazy(mem, "self");
  lazy.set_computation([&] { return lazy.get() + 1; });
  const std::string e = error_of([&] { lazy.get(); });
  EXPECT_TRUE(contains(e, "asked for its own value")) << e;
}

TEST(Lazy, ThreadsReadWhileAnotherInvalidatesAndNoReadIsTorn) {
  // Readers in threads of one process (where ThreadSanitizer sees them) copy
  // a 32-byte value while another thread keeps invalidating it, so copies
  // race with recomputations: every value read must be one computation's
  // whole value (four equal words), never a mix.
  using Value = std::array<std::uint64_t, 4>;
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  auto compute = [&] {
    const std::uint64_t g = counters.bump(0);
    return Value{g, g, g, g};
  };
  Lazy<Value> lazy(mem, "v", compute);
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<std::uint64_t> reads{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      Lazy<Value> mine(mem, "v", compute);
      while (!stop.load(std::memory_order_relaxed)) {
        const Value v = mine.get();
        if (v[0] != v[1] || v[1] != v[2] || v[2] != v[3] || v[0] == 0) torn.fetch_add(1);
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::uint32_t invalidations = 0;
  const auto until = Clock::now() + 1s;
  while ((reads.load() < 20'000 || invalidations < 200) && Clock::now() < until) {
    try {
      if (lazy.invalidate()) ++invalidations;
    } catch (const LazyError& e) {
      EXPECT_EQ(e.reason(), LazyError::Reason::kBusy);  // a reader thread is computing it
    }
  }
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(reads.load(), 0u);
  EXPECT_EQ(lazy.generation(), invalidations);
}

TEST(Lazy, OpeningANameAsTheWrongTypeIsAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<double> lazy(mem, "lz");
  std::string e = error_of([&] { Lazy<float>(mem, "lz", true); });
  EXPECT_TRUE(contains(e, "expected element size 4 bytes, found 8")) << e;
  e = error_of([&] { zeroipc::Future<double>(mem, "lz", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected future (opened as Future), found lazy")) << e;
  EXPECT_THROW(Lazy<double>(mem, "missing", zeroipc::open_only), zeroipc::NotFound);
}

}  // namespace

// ---- demand: a process without the computation makes a provider compute it

// The processes are forked before the provider's thread exists: a child
// forked while another thread holds an allocator lock can deadlock in malloc.
TEST(LazyDemand, AProcessWithoutTheComputationMakesALiveProviderComputeIt) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Counters counters(mem);
  Lazy<double> lazy(mem, "inverse");
  Signal go;
  std::vector<pid_t> readers;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(spawn([&] {
      if (!go.receive()) return 2;
      Memory peer(name);
      Lazy<double> l(peer, "inverse", zeroipc::open_only);  // no computation here
      l.set_timeout(5s);
      return l.get() == 0.125 ? 0 : 1;
    }));
  }
  lazy.set_computation([&] {  // registered here; nobody has asked yet
    counters.bump(0);
    return 0.125;
  });
  let_waiters_block();
  EXPECT_FALSE(lazy.is_ready()) << "computed on demand, not on registration";
  go.send(3);
  for (pid_t r : readers) EXPECT_EQ(wait_for(r), 0);
  EXPECT_EQ(counters[0], 1u) << "computed once, by the provider";
  EXPECT_TRUE(lazy.is_ready());
}

TEST(LazyDemand, AProviderThatStartsAfterTheDemandServesIt) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<int> lazy(mem, "late");
  Signal asked;
  const pid_t reader = spawn([&] {
    Memory peer(name);
    Lazy<int> l(peer, "late", zeroipc::open_only);
    asked.send();
    const auto v = l.get_for(5s);  // demands, then waits
    return v == 7 ? 0 : 1;
  });
  ASSERT_TRUE(asked.receive());
  let_waiters_block();
  lazy.set_computation([] { return 7; });  // the provider starts: the demand is already there
  EXPECT_EQ(wait_for(reader), 0);
}

TEST(LazyDemand, AfterTheProviderHandleIsGoneADemandTimesOutWithAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  {
    Lazy<int> provider(mem, "gone", [] { return 1; });
  }  // its provider thread ends with it
  Lazy<int> lazy(mem, "gone", zeroipc::open_only);
  EXPECT_TRUE(contains(error_of([&] { (void)lazy.get_for(100ms); }), "this process has no computation"));
  EXPECT_FALSE(lazy.is_ready());
}

TEST(LazyDemand, AFailingComputationOnTheProviderReachesTheDemandingProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Lazy<int> lazy(mem, "bad");
  Signal go;
  const pid_t reader = spawn([&] {
    if (!go.receive()) return 2;
    Memory peer(name);
    Lazy<int> l(peer, "bad", zeroipc::open_only);
    l.set_timeout(5s);
    return contains(error_of([&] { l.get(); }), "matrix is singular") ? 0 : 1;
  });
  lazy.set_computation([]() -> int { throw std::runtime_error("matrix is singular"); });
  go.send();
  EXPECT_EQ(wait_for(reader), 0);
}
