// What the market data programs agree on: names, records, the clock.
//
//   market_feed       emits     ticks          Stream<Tick>, each stamped at emit
//   market_analytics  builds    tick_windows   = ticks.window(8 ticks)
//                               bars           = tick_windows.map(open, close, mean: the moving average)
//                               signals        = bars.filter(the price crossed its mean)
//   market_trader     subscribes to ticks, bars and signals; measures emit -> handler latency
//
// Startup order: the feed holds its ticks back until the Future "market_ready"
// is set, which the analytics set once the trader has subscribed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <time.h>

namespace market {

inline constexpr std::size_t kSegmentBytes = 8 << 20;
inline constexpr const char* kTicks = "ticks";
inline constexpr const char* kTickWindows = "tick_windows";
inline constexpr const char* kBars = "bars";
inline constexpr const char* kSignals = "signals";
inline constexpr const char* kReady = "market_ready";  // Future<uint32_t>
inline constexpr std::size_t kBarTicks = 8;             // ticks per bar (per window)

struct Tick {
  std::uint64_t seq;      // 0, 1, 2, ...
  double price;
  std::int64_t stamp_ns;  // CLOCK_MONOTONIC when emitted: one clock for every process of the machine
};

struct Bar {
  std::uint64_t first_seq, last_seq;
  double open, close;
  double mean;            // the average price over the bar's ticks
  std::int64_t stamp_ns;  // the last tick's stamp
  std::uint32_t count;    // ticks in the bar
  std::uint32_t reserved;
};

/// A signal: the price crossed its average within the bar (opened on one side, closed on the other).
inline bool crosses_mean(const Bar& b) { return (b.open < b.mean) != (b.close < b.mean); }

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace market
