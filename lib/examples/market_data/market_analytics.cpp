// Market data, analytics: opens "ticks" and derives, as named streams fed by
// threads of this process:
//
//   ticks --window(8)--> tick_windows --map--> bars --filter--> signals
//
// A bar is 8 ticks: open, close, and their mean (the moving average, one per
// window). A signal is a bar in which the price crossed that average. Once
// the trader has subscribed, it sets the Future "market_ready" for the feed.
//
//   market_analytics <segment>
#include <chrono>
#include <cstdio>
#include <exception>
#include <unistd.h>

#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "market.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: market_analytics <segment>\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);
  zeroipc::Future<std::uint32_t> ready(mem, market::kReady, zeroipc::open_only);
  ready.claim_producer();  // the feed waits for it: if this process dies, the feed hears so
  const zeroipc::Stream<market::Tick> ticks(mem, market::kTicks);

  const auto windows = ticks.window<market::kBarTicks>(mem, market::kTickWindows, market::kBarTicks);
  const auto bars =
      windows.map(mem, market::kBars, [](const zeroipc::Window<market::Tick, market::kBarTicks>& w) {
        double sum = 0;
        for (const market::Tick& t : w) sum += t.price;
        const market::Tick& first = w[0];
        const market::Tick& last = w[w.size() - 1];
        return market::Bar{.first_seq = first.seq, .last_seq = last.seq, .open = first.price, .close = last.price,
                           .mean = sum / static_cast<double>(w.size()), .stamp_ns = last.stamp_ns,
                           .count = static_cast<std::uint32_t>(w.size()), .reserved = 0};
      });
  const auto signals = bars.filter(mem, market::kSignals, market::crosses_mean);
  std::printf("analytics (pid %d): ready: %s -> %s -> %s -> %s\n", static_cast<int>(getpid()), market::kTicks,
              market::kTickWindows, market::kBars, market::kSignals);
  std::fflush(stdout);

  // The trader subscribes to ticks, bars and signals; ticks and bars each
  // also feed one of our operators.
  if (!ticks.wait_for_subscribers(2, 10s) || !bars.wait_for_subscribers(2, 10s) ||
      !signals.wait_for_subscribers(1, 10s)) {
    ready.set_error("the trader did not subscribe within 10 s");
    std::fprintf(stderr, "market_analytics: the trader did not subscribe within 10 s\n");
    return 1;
  }
  ready.set_value(1);

  if (!signals.wait_operator_for(30s)) {
    std::fprintf(stderr, "market_analytics: the feed did not end within 30 s\n");
    return 1;
  }
  std::printf("analytics: windows=%llu bars=%llu signals=%llu\n",
              static_cast<unsigned long long>(windows.published()), static_cast<unsigned long long>(bars.published()),
              static_cast<unsigned long long>(signals.published()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "market_analytics: %s\n", e.what());
  return 1;
}
