// Future<T> between real processes (fork): set in one, get in others;
// timeouts, stored errors, single assignment across processes, a producer
// SIGKILLed or exiting before it sets a value, a setter that died in the
// middle of setting, all/any/map, and opening a name as the wrong type.
#include <gtest/gtest.h>

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
using zeroipc::Future;
using zeroipc::FutureError;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::Signal;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 1 << 20;


// Lets blocked readers reach their futex sleep before the event under test.
// (Not a wait for a condition: the tests pass whether or not they got there.)
void let_readers_block() { ::usleep(30'000); }

std::string died_text(pid_t pid) {
  return "producer process " + std::to_string(pid) + " died before setting a value";
}

TEST(Future, SetInOneProcessGetInSeveralOthers) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> result(mem, "expensive_calc");
  EXPECT_TRUE(result.created());
  EXPECT_EQ(result.producer(), ::getpid());
  EXPECT_FALSE(result.is_ready());

  Signal opened;
  std::vector<pid_t> readers;
  for (int i = 0; i < 4; ++i) {
    readers.push_back(spawn([&] {
      Memory peer(name);
      Future<double> r(peer, "expensive_calc", zeroipc::open_only);
      opened.send();
      return r.get() == 42.5 ? 0 : 1;
    }));
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(opened.receive());
  let_readers_block();
  result.set_value(42.5);
  for (pid_t r : readers) EXPECT_EQ(wait_for(r), 0);
  EXPECT_TRUE(result.is_ready());
  EXPECT_EQ(result.get(), 42.5);
}

TEST(Future, GetForTimesOutWhileTheProducerLives) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "slow");
  const auto t0 = Clock::now();
  EXPECT_FALSE(f.get_for(60ms).has_value());
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 60ms);
  EXPECT_LT(waited, 1s);

  const pid_t reader = spawn([&] {
    Memory peer(name);
    Future<double> r(peer, "slow", zeroipc::open_only);
    return r.get_for(50ms).has_value() ? 1 : 0;  // the producer (the parent) lives: a timeout
  });
  EXPECT_EQ(wait_for(reader), 0);
}

TEST(Future, GetForReturnsAValueSetByAnotherProcessMeanwhile) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<std::int64_t> f(mem, "answer");
  Signal go;
  const pid_t setter = spawn([&] {
    Memory peer(name);
    Future<std::int64_t> s(peer, "answer", zeroipc::open_only);
    if (!go.receive()) return 2;
    s.set_value(-7);
    return 0;
  });
  go.send();
  const auto v = f.get_for(5s);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(*v, -7);
  EXPECT_EQ(f.producer(), setter) << "after a set, the state names the setter";
  EXPECT_EQ(wait_for(setter), 0);
}

TEST(Future, AnErrorReachesEveryProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "sim");
  Signal opened;
  const pid_t reader = spawn([&] {
    Memory peer(name);
    Future<double> r(peer, "sim", zeroipc::open_only);
    opened.send();
    try {
      r.get();
    } catch (const FutureError& e) {
      return e.reason() == FutureError::Reason::kErrorSet && contains(e.what(), "diverged at step 812") ? 0 : 1;
    }
    return 2;
  });
  ASSERT_TRUE(opened.receive());
  const pid_t setter = spawn([&] {
    Memory peer(name);
    Future<double> s(peer, "sim", zeroipc::open_only);
    s.set_error("diverged at step 812");
    return 0;
  });
  EXPECT_EQ(wait_for(setter), 0);
  EXPECT_EQ(wait_for(reader), 0);

  EXPECT_TRUE(f.has_error());
  EXPECT_FALSE(f.is_ready());
  const std::string e = error_of([&] { f.get(); });
  EXPECT_TRUE(contains(e, "diverged at step 812")) << e;
  EXPECT_TRUE(contains(e, "error set by process " + std::to_string(setter))) << e;
  EXPECT_TRUE(contains(e, "future 'sim'")) << e;
  EXPECT_TRUE(contains(error_of([&] { (void)f.get_for(1s); }), "diverged at step 812"));
}

TEST(Future, ALongErrorMessageIsCutWithANote) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<int> f(mem, "long");
  f.set_error(std::string(1000, 'x'));
  const std::string e = error_of([&] { f.get(); });
  EXPECT_TRUE(contains(e, std::string(200, 'x') + " [truncated]")) << e;
  EXPECT_FALSE(contains(e, std::string(300, 'x'))) << e;
}

TEST(Future, ASecondSetThrowsAlsoFromAnotherProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "once");
  f.set_value(1.0);
  try {
    f.set_value(2.0);
    ADD_FAILURE() << "a second set_value did not throw";
  } catch (const FutureError& e) {
    EXPECT_EQ(e.reason(), FutureError::Reason::kAlreadySet);
    EXPECT_TRUE(contains(e.what(), "already has a value (set by process " + std::to_string(::getpid()))) << e.what();
  }
  EXPECT_TRUE(contains(error_of([&] { f.set_error("late"); }), "assigned once"));
  EXPECT_TRUE(contains(error_of([&] { f.claim_producer(); }), "already has a value"));

  const pid_t other = spawn([&] {
    Memory peer(name);
    Future<double> o(peer, "once", zeroipc::open_only);
    const std::string e = error_of([&] { o.set_value(3.0); });
    return contains(e, "already has a value (set by process " + std::to_string(::getppid()) + ")") ? 0 : 1;
  });
  EXPECT_EQ(wait_for(other), 0);
  EXPECT_EQ(f.get(), 1.0);

  // The same when the first set came from the other process.
  Future<double> g(mem, "once_other");
  const pid_t first = spawn([&] {
    Memory peer(name);
    Future<double>(peer, "once_other", zeroipc::open_only).set_error("first");
    return 0;
  });
  ASSERT_EQ(wait_for(first), 0);
  const std::string e = error_of([&] { g.set_value(5.0); });
  EXPECT_TRUE(contains(e, "already has an error (set by process " + std::to_string(first) + "): first")) << e;
}

TEST(Future, AProducerKilledBeforeSettingFailsEveryReaderInsteadOfHanging) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "r");
  Signal claimed;
  const pid_t producer = spawn([&] {
    Memory peer(name);
    Future<double> p(peer, "r", zeroipc::open_only);
    p.claim_producer();
    claimed.send();
    ::pause();  // killed here
    return 1;
  });
  ASSERT_TRUE(claimed.receive());
  EXPECT_EQ(f.producer(), producer);

  Signal opened;
  std::vector<pid_t> readers;
  for (int i = 0; i < 2; ++i) {
    readers.push_back(spawn([&] {
      Memory peer(name);
      Future<double> r(peer, "r", zeroipc::open_only);
      opened.send();
      try {
        r.get();
      } catch (const FutureError& e) {
        return e.reason() == FutureError::Reason::kProducerDied && contains(e.what(), died_text(producer)) ? 0 : 1;
      }
      return 2;
    }));
  }
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(opened.receive());
  let_readers_block();
  ::kill(producer, SIGKILL);  // not reaped yet: a zombie counts as dead

  const auto t0 = Clock::now();
  const std::string e = error_of([&] { f.get(); });
  EXPECT_LT(Clock::now() - t0, 1s) << "a dead producer must be noticed within a wait slice";
  EXPECT_TRUE(contains(e, died_text(producer))) << e;
  EXPECT_TRUE(contains(error_of([&] { (void)f.get_for(10s); }), died_text(producer)));
  for (pid_t r : readers) EXPECT_EQ(wait_for(r), 0);
  EXPECT_EQ(wait_for(producer), 128 + SIGKILL);

  // The Future is not wedged: anyone may still set it.
  f.set_value(3.0);
  EXPECT_EQ(f.get(), 3.0);
}

TEST(Future, ACreatorThatExitsWithoutSettingFailsReaders) {
  ScopedName name;
  const pid_t creator = spawn([&] {
    Memory mem(name, kSegmentSize);
    Future<double> f(mem, "orphan");
    return f.created() ? 0 : 1;
  });
  ASSERT_EQ(wait_for(creator), 0);
  Memory peer(name);
  Future<double> r(peer, "orphan", zeroipc::open_only);
  EXPECT_EQ(r.producer(), creator);
  EXPECT_TRUE(contains(error_of([&] { r.get(); }), died_text(creator)));
}

TEST(Future, ASetterThatDiedWhileSettingCountsAsADeadProducerAndCanBeTakenOver) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "half");
  zeroipc::test::LiveOwner setter;
  const pid_t dead = setter.pid();
  setter.kill();  // reaped: its key is no live owner's now
  // Forge what a setter killed between its claim and its publish leaves.
  auto entry = mem.table().find("half");
  ASSERT_TRUE(entry.has_value());
  std::byte* base = mem.base() + entry->offset;
  std::atomic_ref<std::uint64_t> state(*reinterpret_cast<std::uint64_t*>(base + 64));
  const std::uint64_t w = state.load();
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + 72)).store(static_cast<std::uint64_t>(dead));
  std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base + 80)).store(setter.key());
  state.store(zeroipc::detail::codata::next(w, Future<double>::kSetting, setter.key()));

  const std::string e = error_of([&] { (void)f.get_for(5s); });
  EXPECT_TRUE(contains(e, died_text(dead) + " (it died while setting it)")) << e;
  f.set_value(8.0);  // takes the dead setter's claim over
  EXPECT_EQ(f.get(), 8.0);
}

TEST(Future, ManyReadersAfterTheValueIsSet) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<std::uint64_t> f(mem, "ready");
  f.set_value(0x0123456789ABCDEFull);
  std::vector<pid_t> readers;
  for (int i = 0; i < 8; ++i) {
    readers.push_back(spawn([&] {
      Memory peer(name);
      Future<std::uint64_t> r(peer, "ready", zeroipc::open_only);
      for (int k = 0; k < 100'000; ++k) {
        if (r.get() != 0x0123456789ABCDEFull) return 1;
      }
      return r.is_ready() ? 0 : 2;
    }));
  }
  for (pid_t r : readers) EXPECT_EQ(wait_for(r), 0);
}

TEST(Future, AllAnyAndMap) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  std::vector<Future<double>> fs;
  for (int i = 0; i < 3; ++i) fs.emplace_back(mem, "f" + std::to_string(i));

  Signal go;
  const pid_t setter = spawn([&] {
    Memory peer(name);
    Future<double> f1(peer, "f1", true);
    if (!go.receive()) return 2;
    f1.set_value(10.0);
    return 0;
  });
  EXPECT_FALSE(Future<double>::any_for(fs, 30ms).has_value());
  go.send();
  const auto [index, value] = Future<double>::any(fs);  // sleeps on all three words at once
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(value, 10.0);
  EXPECT_EQ(wait_for(setter), 0);

  fs[0].set_value(5.0);
  fs[2].set_value(7.0);
  EXPECT_EQ(Future<double>::all(fs), (std::vector<double>{5.0, 10.0, 7.0}));
  EXPECT_EQ(fs[1].map([](double x) { return static_cast<int>(x * 2); }), 20);
}

TEST(Future, AnySkipsFailedFuturesAndThrowsWhenAllFail) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  std::vector<Future<int>> fs;
  fs.emplace_back(mem, "bad");
  fs.emplace_back(mem, "good");
  fs[0].set_error("no luck");
  Signal go;
  const pid_t setter = spawn([&] {
    Memory peer(name);
    if (!go.receive()) return 2;
    Future<int>(peer, "good", zeroipc::open_only).set_value(4);
    return 0;
  });
  go.send();
  EXPECT_EQ(Future<int>::any(fs), (std::pair<std::size_t, int>(1, 4)));
  EXPECT_EQ(wait_for(setter), 0);

  std::vector<Future<int>> failing;
  failing.emplace_back(mem, "bad");
  failing.emplace_back(mem, "bad2");
  failing[1].set_error("nor here");
  const std::string e = error_of([&] { Future<int>::any(failing); });
  EXPECT_TRUE(contains(e, "all 2 futures failed")) << e;
  EXPECT_TRUE(contains(e, "no luck")) << e;
}

TEST(Future, AnySkipsAFutureWhoseProducerDied) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  std::vector<Future<int>> fs;
  fs.emplace_back(mem, "dead");
  fs.emplace_back(mem, "alive");
  Signal claimed;
  const pid_t producer = spawn([&] {
    Memory peer(name);
    Future<int>(peer, "dead", zeroipc::open_only).claim_producer();
    claimed.send();
    ::pause();
    return 1;
  });
  ASSERT_TRUE(claimed.receive());
  ::kill(producer, SIGKILL);
  ASSERT_EQ(wait_for(producer), 128 + SIGKILL);
  Signal go;
  const pid_t setter = spawn([&] {
    Memory peer(name);
    if (!go.receive()) return 2;
    ::usleep(50'000);  // after any() has found the dead producer
    Future<int>(peer, "alive", zeroipc::open_only).set_value(11);
    return 0;
  });
  go.send();
  EXPECT_EQ(Future<int>::any(fs), (std::pair<std::size_t, int>(1, 11)));
  EXPECT_EQ(wait_for(setter), 0);

  std::vector<Future<int>> only_dead;
  only_dead.emplace_back(mem, "dead");
  EXPECT_TRUE(contains(error_of([&] { Future<int>::any(only_dead); }), died_text(producer)));
}

TEST(Future, ThreadsOfOneProcessWaitAndOneSets) {
  // The same protocol between threads, where ThreadSanitizer can see it.
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<std::uint64_t> f(mem, "t");
  std::vector<Future<std::uint64_t>> several;
  several.emplace_back(mem, "t0");
  several.emplace_back(mem, "t1");
  std::atomic<int> ok{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      Future<std::uint64_t> r(mem, "t", zeroipc::open_only);
      if (r.get() == 77 && Future<std::uint64_t>::any(several).second == 5) ok.fetch_add(1);
    });
  }
  let_readers_block();
  f.set_value(77);
  several[1].set_value(5);
  for (auto& t : readers) t.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST(Future, OpeningANameAsTheWrongTypeIsAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<double> f(mem, "f");
  zeroipc::Array<double> a(mem, "a", 4);

  std::string e = error_of([&] { Future<float>(mem, "f", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected element size 4 bytes, found 8")) << e;
  e = error_of([&] { Future<std::int64_t>(mem, "f", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected element type i64, found f64")) << e;
  e = error_of([&] { zeroipc::Lazy<double>(mem, "f", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected lazy (opened as Lazy), found future")) << e;
  e = error_of([&] { Future<double>(mem, "a", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected future (opened as Future), found array")) << e;
  e = error_of([&] { Future<double>(mem, "a"); });  // create-or-open finds the array
  EXPECT_TRUE(contains(e, "found array")) << e;
  EXPECT_THROW(Future<double>(mem, "missing", zeroipc::open_only), zeroipc::NotFound);
}

}  // namespace

// ---- then(): a pipeline of dependent results, across processes

// The processes are forked before the continuation threads exist: a child
// forked while another thread holds an allocator lock can deadlock in malloc.
TEST(FutureThen, AChainIsSetByThisProcessAndReadByAnother) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<int> measured(mem, "measured");
  Signal go;
  const pid_t reader = spawn([&] {
    if (!go.receive()) return 2;
    Memory peer(name);
    Future<double> r(peer, "report", zeroipc::open_only);
    Future<double> s(peer, "scaled", zeroipc::open_only);
    return r.get_for(5s) == 15.25 && s.get() == 15.0 ? 0 : 1;
  });
  const pid_t setter = spawn([&] {
    if (!go.receive()) return 2;
    Memory peer(name);
    Future<int> m(peer, "measured", zeroipc::open_only);
    m.set_value(10);
    return 0;
  });
  // The intermediate handle is a temporary: the chain keeps its thread going.
  Future<double> report = measured.then(mem, "scaled", [](int v) { return v * 1.5; })
                              .then(mem, "report", [](double d) { return d + 0.25; });
  go.send(2);
  EXPECT_EQ(wait_for(setter), 0);
  EXPECT_EQ(wait_for(reader), 0);
  EXPECT_EQ(report.get(), 15.25);
}

TEST(FutureThen, AnErrorOrAThrowingFunctionBecomesTheNextFuturesError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<int> a(mem, "a");
  Future<int> b = a.then(mem, "b", [](int v) { return v + 1; });
  a.set_error("sensor offline");
  EXPECT_TRUE(contains(error_of([&] { (void)b.get_for(5s); }), "sensor offline"));

  Future<int> c(mem, "c");
  Future<int> d = c.then(mem, "d", [](int) -> int { throw std::runtime_error("no solution"); });
  c.set_value(3);
  const std::string e = error_of([&] { (void)d.get_for(5s); });
  EXPECT_TRUE(contains(e, "then(): the function threw: no solution")) << e;
}

TEST(FutureThen, AnInputWhoseProducerDiedFailsTheNextOne) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Signal made;
  const pid_t producer = spawn([&] {
    Memory peer(name);
    Future<int> f(peer, "input");
    f.claim_producer();
    made.send();
    ::pause();  // SIGKILLed here
    return 0;
  });
  ASSERT_TRUE(made.receive());
  Future<int> input(mem, "input", zeroipc::open_only);
  Future<int> next = input.then(mem, "next", [](int v) { return v; });
  ::kill(producer, SIGKILL);
  EXPECT_EQ(wait_for(producer), 128 + SIGKILL);
  EXPECT_TRUE(contains(error_of([&] { (void)next.get_for(5s); }), "died before setting a value"));
}

TEST(FutureThen, DestroyingTheHandleBeforeTheInputIsSetFailsReadersInsteadOfHanging) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Future<int> a(mem, "a");
  {
    Future<int> b = a.then(mem, "b", [](int v) { return v; });
  }
  Future<int> b(mem, "b", zeroipc::open_only);
  EXPECT_TRUE(contains(error_of([&] { (void)b.get_for(5s); }), "its then() handle was destroyed before"));
  a.set_value(1);  // too late for b: its error stands
  EXPECT_TRUE(b.has_error());
}
