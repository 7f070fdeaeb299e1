// The read side of the codata structures once their value is there
// (Google Benchmark): what a reader pays for a value that is already set.
//   future_get_ready     Future<double>::get() of a set Future: one acquire
//                        load of the state word and an 8-byte copy
//   future_is_ready      Future<double>::is_ready(): one acquire load
//   lazy_get_computed    Lazy<double>::get() of a computed Lazy: acquire load,
//                        the value as acquire word loads, the state re-loaded
//                        (the sequence check that invalidate() needs)
//   reference_atomic     the floor: an acquire load of a flag and a copy of a
//                        double from private memory
// The target is "a few nanoseconds, far below 53 ns".
//
// Stream (issue 6): what emit() costs.
//   stream_emit/N        Stream<double>::emit() with N = 0, 1, 4 subscribers
//                        that keep up: Cursors in this thread, drained
//                        between timed batches of 256 emits (manual time:
//                        only the emits are timed; 1024 cells, so no emit
//                        ever waits). The cost of the subscribers is their
//                        cache lines (cursor slots) being scanned once per
//                        ~1024 emits, plus the cells they read pulled back.
//   stream_emit_threads/N  the same with N subscriber threads reading with
//                        Cursor::next() all along (real time, backpressure
//                        on): end-to-end throughput of one producer thread;
//                        on a 2-core machine N = 4 oversubscribes the CPUs.
//                        The readers start once, before the timed loop, and
//                        their count and sum are checked after it.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "bench_common.h"

namespace {

using zeroipc::bench::Segment;

void future_get_ready(benchmark::State& state) {
  Segment seg;
  zeroipc::Future<double> f(seg.mem, "f");
  f.set_value(3.25);
  for (auto _ : state) benchmark::DoNotOptimize(f.get());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void future_is_ready(benchmark::State& state) {
  Segment seg;
  zeroipc::Future<double> f(seg.mem, "f");
  f.set_value(3.25);
  for (auto _ : state) benchmark::DoNotOptimize(f.is_ready());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void lazy_get_computed(benchmark::State& state) {
  Segment seg;
  zeroipc::Lazy<double> l(seg.mem, "l", [] { return 3.25; });
  benchmark::DoNotOptimize(l.get());  // computes once
  for (auto _ : state) benchmark::DoNotOptimize(l.get());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void reference_atomic(benchmark::State& state) {
  struct {
    std::atomic<std::uint64_t> flag{2};
    double value = 3.25;
  } cell;
  for (auto _ : state) {
    double v = 0;
    if (cell.flag.load(std::memory_order_acquire) == 2) v = cell.value;
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK(future_get_ready);
BENCHMARK(future_is_ready);
BENCHMARK(lazy_get_computed);
BENCHMARK(reference_atomic);

// ---------------------------------------------------------------- Stream (issue 6)

void stream_emit(benchmark::State& state) {
  constexpr int kEmits = 256;
  Segment seg;
  zeroipc::Stream<double> s(seg.mem, "s", 1024);
  std::vector<zeroipc::Cursor<double>> subscribers;
  for (std::int64_t i = 0; i < state.range(0); ++i) subscribers.push_back(s.cursor());
  double x = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kEmits; ++i) s.emit(x += 1.0);
    const auto t1 = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
    for (auto& c : subscribers) {
      while (auto v = c.try_next()) benchmark::DoNotOptimize(*v);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kEmits);
}

void stream_emit_threads(benchmark::State& state) {
  constexpr int kEmits = 4096;
  Segment seg;
  zeroipc::Stream<std::uint64_t> s(seg.mem, "s", 1024);
  std::vector<zeroipc::Cursor<std::uint64_t>> cursors;
  for (std::int64_t i = 0; i < state.range(0); ++i) cursors.push_back(s.cursor());
  std::vector<std::uint64_t> counts(cursors.size()), sums(cursors.size());
  std::vector<std::thread> readers;
  for (std::size_t r = 0; r < cursors.size(); ++r) {
    readers.emplace_back([&, r] {
      std::uint64_t count = 0, sum = 0;
      while (auto v = cursors[r].next()) {
        ++count;
        sum += *v;
      }
      counts[r] = count;
      sums[r] = sum;
    });
  }
  std::uint64_t x = 0;
  for (auto _ : state) {
    for (int i = 0; i < kEmits; ++i) s.emit(x++);
  }
  s.close();
  for (auto& t : readers) t.join();
  // Backpressure: every reader saw every item 0 .. x-1 (count and sum).
  for (std::size_t r = 0; r < cursors.size(); ++r) {
    if (counts[r] != x || sums[r] != x * (x - 1) / 2) state.SkipWithError("a reader lost or repeated items");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kEmits);
}

BENCHMARK(stream_emit)->Arg(0)->Arg(1)->Arg(4)->UseManualTime();
BENCHMARK(stream_emit_threads)->Arg(1)->Arg(4)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
