// Stream<T> between real processes (fork): the issue's temperature pipeline
// with producer, operator and subscriber in three processes; multicast to
// subscribers in several processes; backpressure and drop_oldest; a
// SIGKILLed subscriber, producer and operator process; close(); the
// producer role; subscriber slots; opening a name as the wrong type.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using zeroipc::Memory;
using zeroipc::Overflow;
using zeroipc::Stream;
using zeroipc::StreamEnd;
using zeroipc::StreamError;
using zeroipc::StreamOptions;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::Signal;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 4 << 20;


double to_fahrenheit(double c) { return c * 9 / 5 + 32; }

// A child that stays alive until killed.
[[noreturn]] void sleep_forever() {
  for (;;) ::pause();
}

TEST(Stream, IssuePipelineProducerOperatorAndSubscriberInThreeProcesses) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  const std::vector<double> celsius = {20.0, 35.5, 38.0, 40.0, 37.7, 45.0, -5.0, 39.0, 100.0, 37.8};
  Signal source_ready, pipeline_ready, subscribed;

  const pid_t producer = spawn([&] {
    Memory peer(name);
    Stream<double> temperature(peer, "temp_stream", 1000);
    source_ready.send();
    if (!subscribed.receive()) return 2;
    for (double c : celsius) temperature.emit(c);
    temperature.close();
    return 0;
  });
  const pid_t op = spawn([&] {
    if (!source_ready.receive()) return 2;
    Memory peer(name);
    Stream<double> t(peer, "temp_stream");
    auto fahrenheit = t.map(peer, "temp_f", [](double c) { return c * 9 / 5 + 32; });
    auto warnings = fahrenheit.filter(peer, "warnings", [](double f) { return f > 100.0; });
    pipeline_ready.send();
    // Runs until the source ends: the close propagates down the pipeline.
    if (!fahrenheit.wait_operator_for(10s) || !warnings.wait_operator_for(10s)) return 3;
    return fahrenheit.operator_error().empty() && warnings.operator_error().empty() ? 0 : 4;
  });
  const pid_t subscriber = spawn([&] {
    if (!pipeline_ready.receive()) return 2;
    Memory peer(name);
    Stream<double> f(peer, "temp_f");  // opened by name: made by the operator's process
    Stream<double> w(peer, "warnings");
    if (f.producer() != op || w.producer() != op) return 3;
    auto all = f.cursor();
    auto hot = w.cursor();
    subscribed.send();
    std::vector<double> got_f, got_w;
    while (auto v = all.next()) got_f.push_back(*v);
    while (auto v = hot.next()) got_w.push_back(*v);
    std::vector<double> want_f, want_w;
    for (double c : celsius) {
      want_f.push_back(to_fahrenheit(c));
      if (to_fahrenheit(c) > 100.0) want_w.push_back(to_fahrenheit(c));
    }
    if (got_f != want_f) return 4;
    if (got_w != want_w || want_w.size() != 6) return 5;
    return all.end_reason() == StreamEnd::closed && hot.end_reason() == StreamEnd::closed ? 0 : 6;
  });
  EXPECT_EQ(wait_for(producer), 0);
  EXPECT_EQ(wait_for(op), 0);
  EXPECT_EQ(wait_for(subscriber), 0);
}

TEST(Stream, MulticastEverySubscriberProcessSeesEveryItemInOrder) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<std::uint64_t> s(mem, "numbers", 64);
  constexpr std::uint64_t kItems = 3000;
  std::vector<pid_t> readers;
  for (int i = 0; i < 3; ++i) {
    readers.push_back(spawn([&] {
      Memory peer(name);
      Stream<std::uint64_t> r(peer, "numbers");
      auto cur = r.cursor();
      std::uint64_t expect = 0;
      while (auto v = cur.next()) {
        if (*v != expect++) return 1;
      }
      return expect == kItems && cur.ended() && cur.missed() == 0 ? 0 : 2;
    }));
  }
  ASSERT_TRUE(s.wait_for_subscribers(3, 5s));
  EXPECT_EQ(s.subscribers(), 3u);
  for (std::uint64_t i = 0; i < kItems; ++i) s.emit(i);  // 64 cells: backpressure all along
  s.close();
  for (pid_t r : readers) EXPECT_EQ(wait_for(r), 0);
  EXPECT_EQ(s.published(), kItems);
  EXPECT_EQ(s.subscribers(), 0u) << "cursors give their slots back";
}

TEST(Stream, BackpressureBlocksTheProducerAtCapacityBehindTheSlowestSubscriber) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "bp", 8);
  ASSERT_EQ(s.capacity(), 8u);
  Signal read_one, did_read_one, read_all;
  const pid_t slow = spawn([&] {
    Memory peer(name);
    Stream<int> r(peer, "bp");
    auto cur = r.cursor();
    if (!read_one.receive()) return 2;
    if (cur.next() != 0) return 3;
    did_read_one.send();
    if (!read_all.receive()) return 2;
    int expect = 1;
    while (auto v = cur.next()) {
      if (*v != expect++) return 4;
    }
    return expect == 40 ? 0 : 5;
  });
  ASSERT_TRUE(s.wait_for_subscribers(1, 5s));
  int next = 0;
  for (; next < 8; ++next) ASSERT_TRUE(s.try_emit(next)) << next;
  EXPECT_FALSE(s.try_emit(next)) << "8 items behind: full";
  const auto t0 = Clock::now();
  EXPECT_FALSE(s.emit_for(next, 60ms));
  EXPECT_GE(Clock::now() - t0, 60ms);

  read_one.send();
  ASSERT_TRUE(did_read_one.receive());
  EXPECT_TRUE(s.try_emit(next++)) << "one read: one more fits";
  EXPECT_FALSE(s.try_emit(next));

  read_all.send();
  for (; next < 40; ++next) s.emit(next);  // blocks and is woken as the subscriber reads
  s.close();
  EXPECT_EQ(wait_for(slow), 0);
}

TEST(Stream, DropOldestNeverBlocksAndReportsWhatASlowSubscriberMissed) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "drop", 8, StreamOptions{.overflow = Overflow::drop_oldest});
  EXPECT_EQ(s.overflow(), Overflow::drop_oldest);
  auto cur = s.cursor();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s.try_emit(i)) << "drop_oldest never waits";
  std::vector<int> got;
  while (auto v = cur.try_next()) got.push_back(*v);
  EXPECT_EQ(got, (std::vector<int>{12, 13, 14, 15, 16, 17, 18, 19})) << "the last 8 are still there";
  EXPECT_EQ(cur.missed(), 12u);
  s.emit(20);
  EXPECT_EQ(cur.next(), 20);
  EXPECT_EQ(cur.missed(), 12u) << "nothing more missed once caught up";

  // The same across processes, through a Subscription.
  Signal subscribed, go, done;
  const pid_t child = spawn([&] {
    Memory peer(name);
    Stream<int> r(peer, "drop");
    std::vector<int> seen;
    std::mutex m;
    auto sub = r.subscribe([&](int v) {
      std::lock_guard lock(m);
      seen.push_back(v);
    });
    subscribed.send();
    if (!sub.wait_for(5s)) return 2;
    std::lock_guard lock(m);
    // Whatever it missed, it saw an increasing run ending at the last item, and missed + seen = 100.
    for (std::size_t i = 1; i < seen.size(); ++i) {
      if (seen[i] <= seen[i - 1]) return 3;
    }
    if (seen.empty() || seen.back() != 120) return 4;
    return sub.missed() + seen.size() == 100 ? 0 : 5;
  });
  ASSERT_TRUE(subscribed.receive());
  ASSERT_TRUE(s.wait_for_subscribers(2, 5s));
  for (int i = 21; i <= 120; ++i) ASSERT_TRUE(s.try_emit(i));
  s.close();
  EXPECT_EQ(wait_for(child), 0);
}

TEST(Stream, AKilledSubscriberIsReleasedAndTheBlockedProducerGoesOn) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "victim", 4);
  const pid_t stuck = spawn([&] {
    Memory peer(name);
    Stream<int> r(peer, "victim");
    auto cur = r.cursor();
    sleep_forever();  // never reads
    return 0;
  });
  ASSERT_TRUE(s.wait_for_subscribers(1, 5s));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.try_emit(i));
  ASSERT_FALSE(s.try_emit(4)) << "full: the live subscriber holds it";

  std::thread killer([&] {
    std::this_thread::sleep_for(50ms);
    ::kill(stuck, SIGKILL);  // not reaped yet: a zombie counts as dead
  });
  const auto t0 = Clock::now();
  EXPECT_TRUE(s.emit_for(4, 3s)) << "the producer found the dead subscriber and released its slot";
  const auto waited = Clock::now() - t0;
  killer.join();
  EXPECT_GE(waited, 40ms);
  EXPECT_LT(waited, 1s);
  EXPECT_EQ(s.subscribers(), 0u);
  for (int i = 5; i < 50; ++i) EXPECT_TRUE(s.try_emit(i)) << "nobody left to wait for";
  EXPECT_EQ(wait_for(stuck), 128 + SIGKILL);
}

TEST(Stream, AKilledProducerEndsTheStreamForItsSubscribers) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Signal created, subscribed, emitted;
  const pid_t producer = spawn([&] {
    Memory peer(name);
    Stream<int> s(peer, "doomed", 16);
    created.send();
    if (!subscribed.receive()) return 2;
    for (int i = 0; i < 3; ++i) s.emit(i);
    emitted.send();
    sleep_forever();
    return 0;
  });
  ASSERT_TRUE(created.receive());
  Stream<int> s(mem, "doomed");
  EXPECT_EQ(s.producer(), producer);
  auto cur = s.cursor();
  subscribed.send();
  ASSERT_TRUE(emitted.receive());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cur.next(), i) << "what was emitted is still read";

  std::thread killer([&] {
    std::this_thread::sleep_for(30ms);
    ::kill(producer, SIGKILL);
  });
  const auto t0 = Clock::now();
  EXPECT_FALSE(cur.next().has_value()) << "blocked in next(): the end, not a hang";
  const auto waited = Clock::now() - t0;
  killer.join();
  EXPECT_LT(waited, 1s);
  EXPECT_TRUE(cur.ended());
  EXPECT_EQ(cur.end_reason(), StreamEnd::producer_gone);
  EXPECT_TRUE(s.ended());
  EXPECT_EQ(s.end_reason(), StreamEnd::producer_gone);
  EXPECT_FALSE(s.cursor().next().has_value()) << "a later subscriber sees the end at once";
  EXPECT_EQ(wait_for(producer), 128 + SIGKILL);
}

TEST(Stream, AProducerThatExitsWithoutClosingEndsTheStreamToo) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Signal created, subscribed;
  const pid_t producer = spawn([&] {
    Memory peer(name);
    Stream<int> s(peer, "brief", 16);
    created.send();
    if (!subscribed.receive()) return 2;
    s.emit(7);
    s.emit(8);
    return 0;  // exits, no close()
  });
  ASSERT_TRUE(created.receive());
  Stream<int> s(mem, "brief");
  auto cur = s.cursor();
  subscribed.send();
  EXPECT_EQ(cur.next(), 7);
  EXPECT_EQ(cur.next(), 8);
  EXPECT_EQ(wait_for(producer), 0);
  const auto t0 = Clock::now();
  EXPECT_FALSE(cur.next().has_value());
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(cur.end_reason(), StreamEnd::producer_gone);
}

TEST(Stream, AKilledOperatorProcessEndsItsStreamAndNoLongerHoldsItsInput) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> src(mem, "src", 8);
  Signal ready;
  const pid_t op = spawn([&] {
    Memory peer(name);
    Stream<int> in(peer, "src");
    auto doubled = in.map(peer, "doubled", [](int x) { return 2 * x; });
    ready.send();
    sleep_forever();
    return 0;
  });
  ASSERT_TRUE(ready.receive());
  Stream<int> doubled(mem, "doubled");
  EXPECT_EQ(doubled.producer(), op) << "the operator's process is the derived stream's producer";
  auto cur = doubled.cursor();
  for (int i = 1; i <= 3; ++i) src.emit(i);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(cur.next(), 2 * i);

  ::kill(op, SIGKILL);
  const auto t0 = Clock::now();
  EXPECT_FALSE(cur.next().has_value());
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(cur.end_reason(), StreamEnd::producer_gone);
  // The dead operator's slot on "src" stops holding the producer within a wait slice.
  for (int i = 4; i < 30; ++i) ASSERT_TRUE(src.emit_for(i, 2s)) << i;
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_EQ(src.subscribers(), 0u);
  EXPECT_EQ(wait_for(op), 128 + SIGKILL);
}

TEST(Stream, CloseLetsSubscribersDrainThenEnds) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "finite", 16);
  auto cur = s.cursor();
  std::vector<int> pushed;
  auto sub = s.subscribe([&](int v) { pushed.push_back(v); });
  for (int i = 0; i < 5; ++i) s.emit(i);
  s.close();
  s.close();  // idempotent
  std::vector<int> pulled;
  while (auto v = cur.next()) pulled.push_back(*v);
  EXPECT_EQ(pulled, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(cur.ended());
  EXPECT_EQ(cur.end_reason(), StreamEnd::closed);
  EXPECT_FALSE(cur.next().has_value()) << "stays at the end";
  ASSERT_TRUE(sub.wait_for(2s));
  EXPECT_EQ(pushed, pulled);
  EXPECT_EQ(sub.end_reason(), StreamEnd::closed);

  try {
    s.emit(5);
    ADD_FAILURE() << "emit after close did not throw";
  } catch (const StreamError& e) {
    EXPECT_EQ(e.reason(), StreamError::Reason::kClosed);
    EXPECT_TRUE(contains(e.what(), "stream 'finite'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "has ended (closed)")) << e.what();
  }
  EXPECT_FALSE(s.cursor().next().has_value()) << "a cursor made after the end ends at once";
}

TEST(Stream, CloseFromAnotherProcessWakesABlockedSubscriber) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "quiet", 16);
  const pid_t child = spawn([&] {
    Memory peer(name);
    Stream<int> r(peer, "quiet");
    auto cur = r.cursor();
    const auto v = cur.next();  // blocks: nothing is emitted
    return !v && cur.end_reason() == StreamEnd::closed ? 0 : 1;
  });
  ASSERT_TRUE(s.wait_for_subscribers(1, 5s));
  std::this_thread::sleep_for(20ms);  // let it fall asleep (passes either way)
  s.close();
  EXPECT_EQ(wait_for(child), 0);
}

TEST(Stream, NextForTimesOutWhileTheProducerLives) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "idle", 16);
  auto cur = s.cursor();
  const auto t0 = Clock::now();
  EXPECT_FALSE(cur.next_for(50ms).has_value());
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 1s);
  EXPECT_FALSE(cur.ended()) << "a timeout is not the end";
  s.emit(3);
  EXPECT_EQ(cur.next_for(1s), 3);
}

TEST(Stream, OnlyTheProducerProcessEmits) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "mine", 16);
  EXPECT_EQ(s.producer(), ::getpid());
  const pid_t other = spawn([&] {
    Memory peer(name);
    Stream<int> same(peer, "mine", 16);  // create-or-open: it exists, so only opened
    if (same.created()) return 2;
    try {
      same.emit(1);
    } catch (const zeroipc::RoleTaken& e) {
      return contains(e.what(), "its producer is process " + std::to_string(::getppid())) ? 0 : 3;
    }
    return 4;
  });
  EXPECT_EQ(wait_for(other), 0);
  EXPECT_EQ(s.published(), 0u);
}

TEST(Stream, SixtyFourSubscriberSlotsAndDeadOnesAreTakenOver) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "popular", 16);
  Signal holding;
  const pid_t hog = spawn([&] {
    Memory peer(name);
    Stream<int> r(peer, "popular");
    std::vector<zeroipc::Cursor<int>> all;
    for (int i = 0; i < 64; ++i) all.push_back(r.cursor());
    holding.send();
    sleep_forever();
    return 0;
  });
  ASSERT_TRUE(holding.receive());
  EXPECT_EQ(s.subscribers(), 64u);
  try {
    (void)s.cursor();
    ADD_FAILURE() << "a 65th subscriber got a slot";
  } catch (const StreamError& e) {
    EXPECT_EQ(e.reason(), StreamError::Reason::kNoSubscriberSlot);
    EXPECT_TRUE(contains(e.what(), "all 64 subscriber slots")) << e.what();
  }
  ::kill(hog, SIGKILL);
  EXPECT_EQ(wait_for(hog), 128 + SIGKILL);
  auto cur = s.cursor();  // takes over a dead subscriber's slot
  s.emit(5);
  EXPECT_EQ(cur.next(), 5);
}

TEST(Stream, OpeningAsTheWrongTypeSaysWhatWasExpectedAndFound) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<double> s(mem, "temps", 1000);
  EXPECT_EQ(s.capacity(), 1024u) << "rounded up to a power of two";
  zeroipc::Future<double> f(mem, "answer");

  std::string e = error_of([&] { Stream<float> x(mem, "temps"); });
  EXPECT_TRUE(contains(e, "expected element size 4 bytes, found 8")) << e;
  e = error_of([&] { Stream<std::int64_t> x(mem, "temps"); });
  EXPECT_TRUE(contains(e, "expected element type i64, found f64")) << e;
  e = error_of([&] { zeroipc::Future<double> x(mem, "temps", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected future (opened as Future), found stream")) << e;
  e = error_of([&] { Stream<double> x(mem, "answer"); });
  EXPECT_TRUE(contains(e, "expected stream (opened as Stream), found future")) << e;
  EXPECT_THROW(Stream<double>(mem, "nothing_here"), zeroipc::NotFound);
  e = error_of([&] { Stream<double> x(mem, "temps", 16); });
  EXPECT_TRUE(contains(e, "exists with capacity 1024, requested 16")) << e;
  e = error_of([&] { Stream<double> x(mem, "temps", 1000, StreamOptions{.overflow = Overflow::drop_oldest}); });
  EXPECT_TRUE(contains(e, "exists with overflow block, requested drop_oldest")) << e;
  EXPECT_THROW(Stream<double>(mem, "zero", 0), zeroipc::InvalidArgument);
  EXPECT_THROW(Stream<double>(mem, "huge", std::size_t{1} << 31), zeroipc::InvalidArgument);
}

TEST(Stream, SubscriptionCancelAndACallbackThatThrows) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Stream<int> s(mem, "events", 16);
  std::atomic<int> calls{0};
  auto sub = s.subscribe([&](int) { calls.fetch_add(1); });
  auto bad = s.subscribe([](int v) {
    if (v == 2) throw std::runtime_error("no twos");
  });
  EXPECT_EQ(s.subscribers(), 2u);
  for (int i = 0; i < 4; ++i) s.emit(i);
  EXPECT_THROW(bad.wait(), std::runtime_error);
  EXPECT_TRUE(bad.done());
  EXPECT_EQ(bad.delivered(), 2u);
  while (calls.load() < 4) std::this_thread::sleep_for(1ms);
  sub.cancel();
  EXPECT_TRUE(sub.done());
  EXPECT_EQ(sub.end_reason(), StreamEnd::open) << "cancelled, not ended";
  EXPECT_EQ(s.subscribers(), 0u) << "both gave their slots back";
  s.emit(9);  // nobody listening: fine
  EXPECT_EQ(calls.load(), 4);
}

}  // namespace

// ---- running a program again: the streams of its last run are fed again

// One run of a small program: a source stream and a derived one. Signals
// `ready` when built (and, with `emit`, emits 1 2 3 into the source once the
// derived stream has a reader, then closes it); ends when `leave` comes.
int pipeline_run(const ScopedName& name, const Signal& ready, const Signal& leave, bool emit) {
  Memory peer(name);
  Stream<int> src(peer, "src", 16);  // created by the first run, opened by the next
  auto tens = src.map(peer, "tens", [](int v) { return v * 10; });
  ready.send();
  if (emit) {
    if (!tens.wait_for_subscribers(1, 5s)) return 2;
    for (int v : {1, 2, 3}) src.emit(v);
    src.close();
    if (!tens.wait_operator_for(5s)) return 3;
  }
  return leave.receive(10s) ? 0 : 4;
}

TEST(StreamRerun, ASecondRunFeedsTheStreamsOfTheFirstOnceItsProcessIsGone) {
  ScopedName name("stream");
  Memory mem(name, kSegmentSize);
  Signal ready1, leave1;
  const pid_t run1 = spawn([&] { return pipeline_run(name, ready1, leave1, false); });
  ASSERT_TRUE(ready1.receive());

  // While the first run lives, its streams are its own.
  Stream<int> src(mem, "src");
  EXPECT_TRUE(contains(error_of([&] { (void)src.map(mem, "tens", [](int v) { return v; }); }),
                       "exists already, fed by live process " + std::to_string(run1)));
  // A reader of the first run, still attached, keeps the stream from being fed again.
  std::optional<zeroipc::Cursor<int>> held;
  held.emplace(Stream<int>(mem, "tens").cursor());
  leave1.send();
  EXPECT_EQ(wait_for(run1), 0);
  const pid_t refused = spawn([&] {
    Memory peer(name);
    Stream<int> s(peer, "src", 16);
    const std::string e = error_of([&] { (void)s.map(peer, "tens", [](int v) { return v; }); });
    return contains(e, "live processes still hold subscriber slots (" + std::to_string(::getppid()) + ")") ? 0 : 1;
  });
  EXPECT_EQ(wait_for(refused), 0);
  held.reset();

  // The second run: same names, same code.
  Signal ready2, leave2;
  const pid_t run2 = spawn([&] { return pipeline_run(name, ready2, leave2, true); });
  ASSERT_TRUE(ready2.receive());
  Stream<int> tens(mem, "tens");
  auto cur = tens.cursor();
  std::vector<int> got;
  while (auto v = cur.next_for(5s)) got.push_back(*v);
  EXPECT_EQ(got, (std::vector<int>{10, 20, 30}));
  EXPECT_EQ(cur.end_reason(), StreamEnd::closed);
  EXPECT_EQ(tens.producer(), run2);
  leave2.send();
  EXPECT_EQ(wait_for(run2), 0);
}
