// Market data, trader: subscribes to the raw ticks, the bars and the signals,
// and measures for every item the latency from emit() in the feed to the
// handler here: now - the tick's CLOCK_MONOTONIC stamp (for a bar or a
// signal, the stamp of its last tick: the window waits for it). It prints
// p50, p99 and max per stream, and checks what it got: every tick once and
// in order, and the signals exactly the bars whose price crossed their mean.
//
//   market_trader <segment>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <unistd.h>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "market.h"

namespace {

void print_latency(const char* what, std::vector<std::int64_t> ns) {
  if (ns.empty()) return;
  std::sort(ns.begin(), ns.end());
  const auto us_at = [&](double q) {  // the q quantile, in microseconds
    const auto i = std::min(ns.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ns.size())));
    return static_cast<double>(ns[i]) / 1e3;
  };
  std::printf("trader: emit -> handler, %-30s p50 %8.1f us   p99 %8.1f us   max %8.1f us   (%zu items)\n", what,
              us_at(0.50), us_at(0.99), us_at(1.0), ns.size());
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: market_trader <segment>\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);
  const zeroipc::Stream<market::Tick> ticks(mem, market::kTicks);
  const zeroipc::Stream<market::Bar> bars(mem, market::kBars);
  const zeroipc::Stream<market::Bar> signals(mem, market::kSignals);

  // Each subscription runs its handler on a thread of its own.
  std::vector<std::int64_t> tick_ns, bar_ns, signal_ns;
  std::uint64_t next_seq = 0, gaps = 0;
  auto tick_sub = ticks.subscribe([&](const market::Tick& t) {
    tick_ns.push_back(market::now_ns() - t.stamp_ns);
    if (t.seq != next_seq) ++gaps;
    next_seq = t.seq + 1;
  });
  std::vector<market::Bar> got_bars, got_signals;
  auto bar_sub = bars.subscribe([&](const market::Bar& b) {
    bar_ns.push_back(market::now_ns() - b.stamp_ns);
    got_bars.push_back(b);
  });
  auto signal_sub = signals.subscribe([&](const market::Bar& b) {
    signal_ns.push_back(market::now_ns() - b.stamp_ns);
    got_signals.push_back(b);
  });
  tick_sub.wait();
  bar_sub.wait();
  signal_sub.wait();

  // The signals must be exactly the bars that crossed their mean, in order.
  std::vector<std::uint64_t> crossing, signalled;
  for (const market::Bar& b : got_bars) {
    if (market::crosses_mean(b)) crossing.push_back(b.first_seq);
  }
  for (const market::Bar& b : got_signals) signalled.push_back(b.first_seq);
  const bool consistent = crossing == signalled;

  std::printf("trader (pid %d): %zu ticks (%s), %zu bars of %zu ticks, %zu signals (%s)\n",
              static_cast<int>(getpid()), tick_ns.size(), gaps == 0 ? "every one once, in order" : "GAPS",
              got_bars.size(), market::kBarTicks, got_signals.size(),
              consistent ? "exactly the bars whose price crossed their mean" : "NOT the crossing bars");
  print_latency("ticks", tick_ns);
  print_latency("bars (window, map)", bar_ns);
  print_latency("signals (window, map, filter)", signal_ns);
  std::printf("trader: ticks=%zu gaps=%llu bars=%zu signals=%zu signals_consistent=%s\n", tick_ns.size(),
              static_cast<unsigned long long>(gaps), got_bars.size(), got_signals.size(), consistent ? "yes" : "no");
  return gaps == 0 && consistent ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "market_trader: %s\n", e.what());
  return 1;
}
