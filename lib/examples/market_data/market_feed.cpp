// Market data, feed: emits a price tick every 200 us on the stream "ticks",
// a seeded random walk, each tick stamped with CLOCK_MONOTONIC just before
// emit(). It creates the segment and the stream, and emits once the Future
// "market_ready" is set (the analytics set it when the trader subscribed).
//
//   market_feed <segment> [ticks] [interval_us]     defaults: 2000 ticks, 200 us
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "market.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: market_feed <segment> [ticks] [interval_us]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const std::uint64_t n_ticks = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 2000;
  const std::chrono::microseconds interval(argc > 3 ? std::strtol(argv[3], nullptr, 10) : 200);

  zeroipc::Memory mem(segment, market::kSegmentBytes);
  zeroipc::Stream<market::Tick> ticks(mem, market::kTicks, 1024);
  const zeroipc::Future<std::uint32_t> ready(mem, market::kReady);
  std::printf("feed (pid %d): ready: '%s' waits for '%s'\n", static_cast<int>(getpid()), market::kTicks,
              market::kReady);
  std::fflush(stdout);
  if (!ready.get_for(10s)) {  // throws FutureError if the analytics failed or died
    std::fprintf(stderr, "market_feed: nobody set '%s' within 10 s\n", market::kReady);
    zeroipc::Memory::unlink(segment);
    return 1;
  }
  zeroipc::Memory::unlink(segment);  // everyone has it mapped: the name can go

  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> step(-0.1, 0.1);
  double price = 100.0;
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  for (std::uint64_t seq = 0; seq < n_ticks; ++seq) {
    std::this_thread::sleep_until(next += interval);
    ticks.emit({seq, price, market::now_ns()});
    price += step(rng);
  }
  ticks.close();
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::printf("feed: ticks=%llu in %.2f s (one every %lld us)\n", static_cast<unsigned long long>(n_ticks),
              took.count(), static_cast<long long>(interval.count()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "market_feed: %s\n", e.what());
  return 1;
}
