// Stream's operators in one process (their threads and streams are the same
// ones another process would use; the three-process pipeline is in
// stream_test.cpp): map (also to another type), filter, fold, take, skip,
// window by count and by time, merge, zip, unfold; the issue's chain on a
// temporary; what ends a derived stream (input ended, operator failed,
// handle destroyed); backpressure through an operator.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using zeroipc::Memory;
using zeroipc::Stream;
using zeroipc::StreamEnd;
using zeroipc::StreamOptions;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;

constexpr std::size_t kSegmentSize = 16 << 20;

// Everything a cursor reads until the end (or 2 s without an item).
template <class T>
std::vector<T> drain(zeroipc::Cursor<T>& cur) {
  std::vector<T> out;
  while (auto v = cur.next_for(2s)) out.push_back(*v);
  EXPECT_TRUE(cur.ended()) << "the stream did not end";
  return out;
}

template <class T, std::size_t N>
std::vector<T> items_of(const zeroipc::Window<T, N>& w) {
  return std::vector<T>(w.begin(), w.end());
}

class StreamOperators : public ::testing::Test {
 protected:
  ScopedName name_{"streamop"};
  Memory mem_{name_, kSegmentSize};
  Stream<double> src_{mem_, "src", 64};

  void emit_all(std::initializer_list<double> values, bool close = true) {
    for (double v : values) src_.emit(v);
    if (close) src_.close();
  }
};

TEST_F(StreamOperators, MapToTheSameAndToAnotherType) {
  auto f = src_.map(mem_, "f", [](double c) { return c * 9 / 5 + 32; });
  auto i = src_.map<std::int32_t>(mem_, "i", [](double c) { return c * 10; });
  struct Reading {
    double value;
    std::uint32_t index;
  };
  auto r = src_.map(mem_, "r", [n = 0u](double c) mutable { return Reading{c, n++}; });
  static_assert(std::is_same_v<decltype(i), Stream<std::int32_t>>);
  auto fc = f.cursor();
  auto ic = i.cursor();
  auto rc = r.cursor();
  emit_all({0.0, 100.0, -40.0, 36.6});
  EXPECT_EQ(drain(fc), (std::vector<double>{32.0, 212.0, -40.0, 36.6 * 9 / 5 + 32}));
  EXPECT_EQ(drain(ic), (std::vector<std::int32_t>{0, 1000, -400, 366}));
  const auto readings = drain(rc);
  ASSERT_EQ(readings.size(), 4u);
  EXPECT_EQ(readings[3].value, 36.6);
  EXPECT_EQ(readings[3].index, 3u);
  EXPECT_EQ(fc.end_reason(), StreamEnd::closed) << "the input's end propagates";
  EXPECT_TRUE(f.wait_operator_for(1s));
}

TEST_F(StreamOperators, FilterFoldTakeSkip) {
  auto hot = src_.filter(mem_, "hot", [](double v) { return v > 100.0; });
  auto sum = src_.fold(mem_, "sum", 0.0, [](double acc, double v) { return acc + v; });
  auto count = src_.fold(mem_, "count", std::uint64_t{0}, [](std::uint64_t n, double) { return n + 1; });
  auto first = src_.take(mem_, "first3", 3);
  auto none = src_.take(mem_, "none", 0);
  auto rest = src_.skip(mem_, "rest", 2);
  auto c_hot = hot.cursor();
  auto c_sum = sum.cursor();
  auto c_count = count.cursor();
  auto c_first = first.cursor();
  auto c_none = none.cursor();
  auto c_rest = rest.cursor();
  emit_all({50.0, 150.0, 99.0, 101.0, 200.0});
  EXPECT_EQ(drain(c_hot), (std::vector<double>{150.0, 101.0, 200.0}));
  EXPECT_EQ(drain(c_sum), (std::vector<double>{50.0, 200.0, 299.0, 400.0, 600.0}));
  EXPECT_EQ(drain(c_count), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(drain(c_first), (std::vector<double>{50.0, 150.0, 99.0}));
  EXPECT_EQ(drain(c_none), std::vector<double>{});
  EXPECT_EQ(drain(c_rest), (std::vector<double>{99.0, 101.0, 200.0}));
}

TEST_F(StreamOperators, TakeEndsItsStreamBeforeItsInputEnds) {
  auto first = src_.take(mem_, "first2", 2);
  auto cur = first.cursor();
  EXPECT_EQ(src_.subscribers(), 1u);
  emit_all({1.0, 2.0, 3.0}, false);
  EXPECT_EQ(drain(cur), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(cur.end_reason(), StreamEnd::closed);
  ASSERT_TRUE(first.wait_operator_for(1s));
  EXPECT_EQ(src_.subscribers(), 0u) << "take stopped reading its input";
  for (int i = 0; i < 200; ++i) src_.emit(i);  // nobody holds the producer back
}

TEST_F(StreamOperators, WindowByCountWithAShorterLastWindow) {
  auto w = src_.window(mem_, "w3", 3);
  static_assert(std::is_same_v<decltype(w), Stream<zeroipc::Window<double>>>);
  auto big = src_.window<256>(mem_, "w200", 200);
  auto cur = w.cursor();
  auto big_cur = big.cursor();
  emit_all({1, 2, 3, 4, 5, 6, 7});
  const auto windows = drain(cur);
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(items_of(windows[0]), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(items_of(windows[1]), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(items_of(windows[2]), (std::vector<double>{7})) << "the partial window at the end";
  EXPECT_LE(windows[0].start_ns, windows[0].end_ns);
  EXPECT_LE(windows[0].end_ns, windows[1].start_ns);
  const auto partial = drain(big_cur);
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].size(), 7u);
  EXPECT_THROW(src_.window(mem_, "w0", 0), zeroipc::InvalidArgument);
  EXPECT_TRUE(contains(error_of([&] { src_.window(mem_, "w65", 65); }), "use window<N>()"));
}

TEST_F(StreamOperators, WindowByTime) {
  auto w = src_.window(mem_, "80ms", 80ms);
  auto cur = w.cursor();
  src_.emit(1);
  src_.emit(2);
  std::this_thread::sleep_for(150ms);
  src_.emit(3);
  src_.close();
  const auto windows = drain(cur);
  ASSERT_EQ(windows.size(), 2u) << "an empty period emits nothing";
  EXPECT_EQ(items_of(windows[0]), (std::vector<double>{1, 2}));
  EXPECT_EQ(windows[0].end_ns - windows[0].start_ns, 80'000'000) << "a full period";
  EXPECT_EQ(windows[0].full, 0u);
  EXPECT_EQ(items_of(windows[1]), (std::vector<double>{3}));
  EXPECT_GE(windows[1].start_ns, windows[0].end_ns);

  auto small = Stream<int>(mem_, "ints", 64);
  auto w4 = small.window<4>(mem_, "cut", 10s);
  auto c4 = w4.cursor();
  for (int i = 0; i < 6; ++i) small.emit(i);
  small.close();
  const auto cut = drain(c4);
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(items_of(cut[0]), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(cut[0].full, 1u) << "cut short at N items";
  EXPECT_EQ(items_of(cut[1]), (std::vector<int>{4, 5}));
}

TEST_F(StreamOperators, MergeEndsWhenBothInputsEnded) {
  Stream<double> other(mem_, "other", 64);
  auto both = src_.merge(mem_, "both", other);
  auto cur = both.cursor();
  for (int i = 0; i < 50; ++i) {
    src_.emit(i);
    other.emit(1000 + i);
  }
  src_.close();
  other.emit(2000);
  std::vector<double> got;
  for (int i = 0; i < 101; ++i) {
    auto v = cur.next_for(2s);
    ASSERT_TRUE(v.has_value());
    got.push_back(*v);
  }
  EXPECT_FALSE(cur.next_for(50ms).has_value());
  EXPECT_FALSE(cur.ended()) << "one input is still open";
  other.close();
  EXPECT_FALSE(cur.next_for(2s).has_value());
  EXPECT_TRUE(cur.ended());
  std::vector<double> mine, theirs;
  for (double v : got) (v < 1000 ? mine : theirs).push_back(v);
  EXPECT_EQ(mine.size(), 50u);
  EXPECT_EQ(theirs.size(), 51u);
  EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end())) << "each input's order is kept";
  EXPECT_TRUE(std::is_sorted(theirs.begin(), theirs.end()));
}

TEST_F(StreamOperators, ZipPairsOneOfEachAndEndsWithTheShorter) {
  Stream<std::int32_t> ids(mem_, "ids", 64);
  auto pairs = src_.zip(mem_, "pairs", ids);
  static_assert(std::is_same_v<decltype(pairs), Stream<zeroipc::Pair<double, std::int32_t>>>);
  auto cur = pairs.cursor();
  for (int i = 0; i < 3; ++i) ids.emit(i);
  emit_all({0.5, 1.5, 2.5, 3.5});  // one more than ids has
  ids.close();
  const auto got = drain(cur);
  ASSERT_EQ(got.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const auto [value, id] = got[i];
    EXPECT_EQ(value, i + 0.5);
    EXPECT_EQ(id, i);
  }
}

TEST_F(StreamOperators, UnfoldGeneratesFromASeedOnceSomebodyListens) {
  using State = std::pair<std::uint64_t, std::uint64_t>;
  auto fib = Stream<std::uint64_t>::unfold(mem_, "fib", State{0, 1},
                                           [](const State& s) -> std::optional<std::pair<std::uint64_t, State>> {
                                             if (s.first > 100) return std::nullopt;
                                             return std::pair{s.first, State{s.second, s.first + s.second}};
                                           });
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(fib.published(), 0u) << "nothing is generated before the first subscriber";
  auto cur = fib.cursor();
  EXPECT_EQ(drain(cur), (std::vector<std::uint64_t>{0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89}));
  EXPECT_EQ(cur.end_reason(), StreamEnd::closed);

  // Paced by backpressure: an endless generator into 8 cells.
  auto naturals = Stream<int>::unfold(mem_, "naturals", 0,
                                      [](int n) { return std::optional<std::pair<int, int>>({n, n + 1}); },
                                      StreamOptions{.capacity = 8});
  auto nc = naturals.cursor();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(nc.next_for(2s), i);
}

TEST_F(StreamOperators, UnfoldTakesTheShapesAUserWritesFirst) {
  using P = std::pair<std::uint64_t, std::uint64_t>;
  const std::vector<std::uint64_t> first10{0, 1, 1, 2, 3, 5, 8, 13, 21, 34};
  // (b) pair<T, State>, endless: ended by take().
  auto endless = Stream<std::uint64_t>::unfold(mem_, "fib_pair", P{0, 1}, [](P s) {
    return std::pair{s.first, P{s.second, s.first + s.second}};
  });
  auto c1 = endless.take(mem_, "fib_pair10", 10).cursor();
  EXPECT_EQ(drain(c1), first10);
  // (d) T, advancing the state in place, endless; std::tuple works too.
  auto in_place = Stream<std::uint64_t>::unfold(mem_, "fib_ref", P{0, 1}, [](P& s) {
    const std::uint64_t v = s.first;
    s = {s.second, s.first + s.second};
    return v;
  });
  auto c2 = in_place.take(mem_, "fib_ref10", 10).cursor();
  EXPECT_EQ(drain(c2), first10);
  // (c) optional<T>, advancing the state in place; nullopt ends.
  auto countdown = Stream<int>::unfold(mem_, "countdown", 3, [](int& n) -> std::optional<int> {
    if (n == 0) return std::nullopt;
    return n--;
  });
  auto c3 = countdown.cursor();
  EXPECT_EQ(drain(c3), (std::vector<int>{3, 2, 1}));
  // std::tuple in place of std::pair, with nullopt at the end.
  auto tupled = Stream<int>::unfold(mem_, "tupled", 0, [](int n) -> std::optional<std::tuple<int, int>> {
    if (n == 3) return std::nullopt;
    return std::tuple{n * 10, n + 1};
  });
  auto c4 = tupled.cursor();
  EXPECT_EQ(drain(c4), (std::vector<int>{0, 10, 20}));
}

TEST_F(StreamOperators, AnOperatorReadsItsInputOnlyOnceItsOwnStreamHasAReader) {
  using P = std::pair<std::uint64_t, std::uint64_t>;
  auto fib = Stream<std::uint64_t>::unfold(mem_, "fib", P{0, 1}, [](P s) {
    return std::pair{s.first, P{s.second, s.first + s.second}};
  });
  auto first = fib.take(mem_, "first5", 5);  // take subscribes to fib at once...
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(first.published(), 0u) << "...but passes nothing on before its own stream has a reader";
  auto cur = Stream<std::uint64_t>(mem_, "first5").cursor();  // as another process would
  EXPECT_EQ(drain(cur), (std::vector<std::uint64_t>{0, 1, 1, 2, 3}));
  ASSERT_TRUE(first.wait_operator_for(1s));
  // take is done and left fib: the endless generator stops with nobody
  // listening (after the one item it may have been blocked on when take left).
  const std::uint64_t when_done = fib.published();
  std::this_thread::sleep_for(50ms);
  const std::uint64_t made = fib.published();
  EXPECT_LE(made, when_done + 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fib.published(), made);
}

TEST_F(StreamOperators, AnInputsFailureIsPassedOnDownstream) {
  auto risky = src_.map(mem_, "risky2", [](double v) {
    if (v < 0) throw std::domain_error("negative");
    return v;
  });
  auto kept = risky.filter(mem_, "kept", [](double) { return true; });
  auto cur = kept.cursor();
  emit_all({1.0, -1.0});
  EXPECT_EQ(drain(cur), std::vector<double>{1.0});
  EXPECT_EQ(cur.end_reason(), StreamEnd::operator_failed) << "not a plain close";
}

TEST_F(StreamOperators, ForeachRunsTheHandlerHereUntilTheEndOrAFalse) {
  std::vector<double> seen;
  std::thread feeder([&] {
    ASSERT_TRUE(src_.wait_for_subscribers(1, 5s));
    emit_all({1.0, 2.0, 3.0});
  });
  const std::uint64_t n = src_.foreach([&](double v) { seen.push_back(v); });
  feeder.join();
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(seen, (std::vector<double>{1.0, 2.0, 3.0}));

  auto naturals = Stream<int>::unfold(mem_, "nat", 0, [](int& k) { return k++; });
  std::vector<int> got;
  EXPECT_EQ(naturals.foreach([&](int v) {
    got.push_back(v);
    return v < 4;  // false stops
  }), 5u);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST_F(StreamOperators, TheIssueChainOnATemporaryKeepsRunning) {
  auto fahrenheit = src_.map(mem_, "temp_f", [](double c) { return c * 9 / 5 + 32; });
  auto warnings = fahrenheit.filter(mem_, "warnings", [](double f) { return f > 100.0; })
                      .window(mem_, "2ms", std::chrono::milliseconds(2));
  std::vector<double> alerted;
  std::mutex m;
  auto sub = warnings.subscribe([&](const auto& window) {
    std::lock_guard lock(m);
    for (double f : window) alerted.push_back(f);
  });
  emit_all({30.0, 40.0, 38.5, 20.0, 50.0});
  ASSERT_TRUE(sub.wait_for(2s)) << "the close reached the end of the chain";
  std::lock_guard lock(m);
  EXPECT_EQ(alerted, (std::vector<double>{40.0 * 9 / 5 + 32, 38.5 * 9 / 5 + 32, 50.0 * 9 / 5 + 32}));
  EXPECT_EQ(sub.end_reason(), StreamEnd::closed);
}

TEST_F(StreamOperators, AFailingOperatorEndsItsStreamWithTheReason) {
  auto risky = src_.map(mem_, "risky", [](double v) {
    if (v == 13.0) throw std::domain_error("unlucky 13");
    return v;
  });
  auto cur = risky.cursor();
  emit_all({1.0, 13.0, 2.0});
  EXPECT_EQ(drain(cur), std::vector<double>{1.0});
  EXPECT_EQ(cur.end_reason(), StreamEnd::operator_failed);
  ASSERT_TRUE(risky.wait_operator_for(1s));
  EXPECT_EQ(risky.operator_error(), "unlucky 13");
}

TEST_F(StreamOperators, DestroyingTheOperatorsHandleEndsItsStream) {
  auto opened_cursor = [&] {
    auto d = std::optional(src_.map(mem_, "short_lived", [](double v) { return -v; }));
    Stream<double> opened(mem_, "short_lived");  // as another process would open it
    auto cur = opened.cursor();
    src_.emit(4.0);
    EXPECT_EQ(cur.next_for(2s), -4.0);
    d.reset();  // the last owner of the operator
    return cur;
  }();
  EXPECT_FALSE(opened_cursor.next_for(2s).has_value());
  EXPECT_EQ(opened_cursor.end_reason(), StreamEnd::operator_stopped);
  EXPECT_EQ(src_.subscribers(), 0u) << "the operator let go of its input";
}

TEST_F(StreamOperators, BackpressureReachesTheSourceThroughAnOperator) {
  Stream<int> in(mem_, "in", 8);
  auto out = in.map(mem_, "out", [](int v) { return v + 1; });
  auto cur = out.cursor();  // never read until the end
  int sent = 0;
  while (sent < 100 && in.emit_for(sent, 100ms)) ++sent;
  EXPECT_GE(sent, 16) << "8 in the output, 8 in the input";
  EXPECT_LE(sent, 17) << "+1 held by the operator while it waits to emit";
  for (int i = 0; i < sent; ++i) ASSERT_EQ(cur.next_for(2s), i + 1);
}

TEST_F(StreamOperators, AnOperatorsNameMustBeNewAndItsStreamIsNotEmittable) {
  auto f = src_.map(mem_, "taken", [](double v) { return v; });
  try {
    (void)src_.filter(mem_, "taken", [](double) { return true; });
    ADD_FAILURE() << "a second operator on an existing name";
  } catch (const zeroipc::RoleTaken& e) {
    EXPECT_TRUE(contains(e.what(), "stream 'taken': exists already")) << e.what();
  }
  try {
    f.emit(1.0);
    ADD_FAILURE() << "emit into an operator's stream";
  } catch (const zeroipc::StreamError& e) {
    EXPECT_EQ(e.reason(), zeroipc::StreamError::Reason::kNotEmittable);
  }
  EXPECT_TRUE(contains(error_of([&] { (void)src_.window(mem_, "neg", -1s); }), "positive duration"));
}

}  // namespace
