// Sensor telemetry, consumer side: another process opens the segment and its
// structures by name (kind and element type are checked), subscribes to the
// alert stream, and follows the readings Array as the producer fills it,
// reading them in place and keeping running statistics. Every 10 ms it looks
// at how many readings there are; it stops when the producer's Future "done"
// is set (or throws, if the producer died first). It checks every alert
// against the reading it names, prints the statistics and removes the segment.
//
//   sensor_consumer [segment] [--keep]      default: /zeroipc_sensor_demo
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "telemetry.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  const std::string segment = argc > 1 ? argv[1] : telemetry::kDefaultSegment;
  const bool keep = argc > 2 && std::strcmp(argv[2], "--keep") == 0;

  zeroipc::Memory peer(segment);  // throws if missing
  const zeroipc::Array<float> temps(peer, telemetry::kReadings);
  zeroipc::Array<std::uint64_t> written(peer, telemetry::kWritten);
  const zeroipc::Stream<telemetry::Alert> alerts(peer, telemetry::kAlerts);
  const zeroipc::Future<std::uint64_t> done(peer, telemetry::kDone, zeroipc::open_only);

  // The alerts arrive on a thread of this process; each names its reading.
  std::atomic<std::uint64_t> n_alerts{0};
  std::uint64_t wrong_alerts = 0;
  auto sub = alerts.subscribe([&](const telemetry::Alert& a) {
    n_alerts.fetch_add(1, std::memory_order_relaxed);
    if (a.index >= temps.size() || temps[a.index] != a.celsius || !(a.celsius > telemetry::kAlertCelsius)) {
      ++wrong_alerts;
    }
  });

  telemetry::Stats stats;
  std::uint64_t next_report = 1000;
  for (;;) {
    const std::optional<std::uint64_t> total = done.get_for(10ms);  // throws if the producer died
    const std::uint64_t upto =
        total ? *total : std::atomic_ref<std::uint64_t>(written[0]).load(std::memory_order_acquire);
    while (stats.count < upto) stats.add(temps[stats.count]);
    if (stats.count >= next_report && !total) {
      std::printf("consumer: %6llu readings so far: mean %.2f C, min %.2f C, max %.2f C, %llu alerts\n",
                  static_cast<unsigned long long>(stats.count), stats.mean(), static_cast<double>(stats.min),
                  static_cast<double>(stats.max), static_cast<unsigned long long>(n_alerts.load()));
      next_report += 1000;
    }
    if (total) break;
  }
  sub.wait();  // the producer closed the stream: every alert has been delivered

  std::printf("consumer (pid %d): read %llu readings in place and %llu alerts (%llu not matching their reading)\n",
              static_cast<int>(getpid()), static_cast<unsigned long long>(stats.count),
              static_cast<unsigned long long>(n_alerts.load()), static_cast<unsigned long long>(wrong_alerts));
  stats.print("consumer", n_alerts.load());
  if (!keep) zeroipc::Memory::unlink(segment);
  return wrong_alerts == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sensor_consumer: %s\n", e.what());
  return 1;
}
