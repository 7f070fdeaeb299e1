// Sensor readings from C, consumer side: a C++ process opens by name what the
// C producer (sensor_producer.c, libzeroipc-c) created, with the C++ library:
// the Queue of readings (the struct of reading.h, the same bytes in both
// languages), the Array of each sensor's last reading and the Future "done".
// It pops every reading in order, keeps running statistics, checks that the
// sequence has no gap and that each reading's sensor is the one its turn
// names, and once "done" is set and the queue drained, that the Array holds
// the last reading it popped for each sensor. It prints the statistics as the
// producer does and removes the segment.
//
//   sensor_c_consumer [segment] [--keep]      default: /zeroipc_sensor_c_demo
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/queue.h>

#include "reading.h"

// The record as the C compiler lays it out (reading.h): a change on either
// side that moves a field fails here, not at run time.
static_assert(std::is_trivially_copyable_v<sensor_reading> && sizeof(sensor_reading) == 24);
static_assert(offsetof(sensor_reading, seq) == 0 && offsetof(sensor_reading, sensor_id) == 8 &&
              offsetof(sensor_reading, temperature) == 12 && offsetof(sensor_reading, humidity) == 16 &&
              offsetof(sensor_reading, timestamp_ms) == 20);

using namespace std::chrono_literals;

namespace {

struct Stats {
  std::uint64_t count = 0;
  double temperature_sum = 0, humidity_sum = 0;
  float min = 0, max = 0;

  // As the producer's stats_add, in the same order: the same sums to the bit.
  void add(const sensor_reading& r) {
    if (count == 0 || r.temperature < min) min = r.temperature;
    if (count == 0 || r.temperature > max) max = r.temperature;
    ++count;
    temperature_sum += r.temperature;
    humidity_sum += r.humidity;
  }
  void print(const char* who) const {
    std::printf("%s: count=%llu mean=%.4f min=%.4f max=%.4f humidity=%.4f\n", who,
                static_cast<unsigned long long>(count), count ? temperature_sum / static_cast<double>(count) : 0.0,
                static_cast<double>(min), static_cast<double>(max),
                count ? humidity_sum / static_cast<double>(count) : 0.0);
  }
};

}  // namespace

int main(int argc, char** argv) try {
  const std::string segment = argc > 1 ? argv[1] : SENSOR_DEFAULT_SEGMENT;
  const bool keep = argc > 2 && std::strcmp(argv[2], "--keep") == 0;

  zeroipc::Memory peer(segment);  // throws if missing
  // Opening checks the kind, the variant and the element size against the
  // header the C library wrote.
  zeroipc::Queue<sensor_reading, zeroipc::variants::vyukov_bounded> readings(peer, SENSOR_READINGS);
  const zeroipc::Array<sensor_reading> latest(peer, SENSOR_LATEST);
  const zeroipc::Future<std::uint64_t> done(peer, SENSOR_DONE, zeroipc::open_only);

  Stats stats;
  sensor_reading last[SENSOR_COUNT] = {};
  std::uint64_t out_of_order = 0, wrong_sensor = 0;
  std::optional<std::uint64_t> total;
  for (;;) {
    if (const std::optional<sensor_reading> r = readings.pop()) {
      if (r->seq != stats.count) ++out_of_order;
      if (r->sensor_id != r->seq % SENSOR_COUNT) ++wrong_sensor;
      if (r->sensor_id < SENSOR_COUNT) last[r->sensor_id] = *r;
      stats.add(*r);
      if (stats.count % 1000 == 0) {
        std::printf("consumer: %6llu readings so far, the last from sensor %u at %u ms: %.2f C, %.1f %%\n",
                    static_cast<unsigned long long>(stats.count), r->sensor_id, r->timestamp_ms,
                    static_cast<double>(r->temperature), static_cast<double>(r->humidity));
      }
      continue;
    }
    if (total) break;  // "done" was set before this empty pop: everything has been read
    // Empty: has the producer finished? (Throws if it died first.)
    total = done.get_for(1ms);
  }

  std::uint64_t latest_mismatches = 0;
  for (std::size_t s = 0; s < SENSOR_COUNT && s < latest.size(); ++s) {
    if (std::memcmp(&latest[s], &last[s], sizeof(sensor_reading)) != 0) ++latest_mismatches;
  }
  const bool ok = out_of_order == 0 && wrong_sensor == 0 && latest_mismatches == 0 && stats.count == *total;
  std::printf("consumer (pid %d): popped %llu of %llu readings (%llu out of order, %llu with the wrong sensor, "
              "%llu sensors whose latest reading differs)\n",
              static_cast<int>(getpid()), static_cast<unsigned long long>(stats.count),
              static_cast<unsigned long long>(*total), static_cast<unsigned long long>(out_of_order),
              static_cast<unsigned long long>(wrong_sensor), static_cast<unsigned long long>(latest_mismatches));
  stats.print("consumer");
  if (!keep) zeroipc::Memory::unlink(segment);
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sensor_c_consumer: %s\n", e.what());
  return 1;
}
