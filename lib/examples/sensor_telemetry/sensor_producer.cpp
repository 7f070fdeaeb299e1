// Sensor telemetry, producer side: a process samples 8 temperature sensors in
// turn, a tick every 500 us, and writes every reading into a named Array in
// shared memory: the history any other process reads in place, no copy, no
// message. After each reading it publishes how many it has written (one
// release store). A reading over 24.5 C also goes out on a Stream of alerts,
// which any number of processes subscribe to. At the end it closes the alert
// stream and sets the Future "done" to the number of readings.
//
//   sensor_producer [segment] [readings]     defaults: /zeroipc_sensor_demo 4000
//
// Start sensor_consumer once this prints its "ready" line: the producer
// waits up to 5 s for a subscriber to the alerts (a subscriber sees the
// items emitted after it subscribed). Its last line is the statistics of what
// it wrote, from a seeded generator, for checking the consumer's.
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <numbers>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "telemetry.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  const std::string segment = argc > 1 ? argv[1] : telemetry::kDefaultSegment;
  const std::size_t samples = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 4000;

  // A fresh segment for every run: a stale one from an earlier run (its alert
  // stream ended, its Future set) is unlinked first; processes still using it
  // keep their mapping.
  zeroipc::Memory::unlink(segment);
  zeroipc::Memory mem(segment, 1 << 20);
  zeroipc::Array<float> temps(mem, telemetry::kReadings, samples);
  zeroipc::Array<std::uint64_t> written(mem, telemetry::kWritten, 1);
  zeroipc::Stream<telemetry::Alert> alerts(mem, telemetry::kAlerts, 256);
  zeroipc::Future<std::uint64_t> done(mem, telemetry::kDone);
  std::printf("producer (pid %d): ready: %s holds '%s' (%zu readings of %zu sensors), '%s', '%s'\n",
              static_cast<int>(getpid()), segment.c_str(), telemetry::kReadings, samples, telemetry::kSensors,
              telemetry::kAlerts, telemetry::kDone);
  std::fflush(stdout);
  if (!alerts.wait_for_subscribers(1, 5s)) std::printf("producer: nobody subscribed to the alerts in 5 s\n");

  std::mt19937 rng(42);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  telemetry::Stats stats;
  std::uint64_t n_alerts = 0;
  auto tick = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < samples; ++i) {
    // A daily cycle around 21 C, each sensor a little off the others, and noise.
    const auto sensor = static_cast<std::uint32_t>(i % telemetry::kSensors);
    const double t = static_cast<double>(i) / static_cast<double>(samples);
    const auto c = static_cast<float>(21.0 + 4.0 * std::sin(2 * std::numbers::pi * t) +
                                      0.4 * (sensor - 3.5) + noise(rng));
    temps[i] = c;
    std::atomic_ref<std::uint64_t>(written[0]).store(i + 1, std::memory_order_release);
    stats.add(c);
    if (c > telemetry::kAlertCelsius) {
      alerts.emit({i, c, sensor});
      ++n_alerts;
    }
    if (sensor == telemetry::kSensors - 1) std::this_thread::sleep_until(tick += 500us);
  }
  alerts.close();
  done.set_value(samples);
  std::printf("producer: wrote %zu readings, %llu of them over %.1f C (sent as alerts)\n", samples,
              static_cast<unsigned long long>(n_alerts), static_cast<double>(telemetry::kAlertCelsius));
  stats.print("producer", n_alerts);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sensor_producer: %s\n", e.what());
  return 1;
}
