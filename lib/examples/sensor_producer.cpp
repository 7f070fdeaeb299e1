// The seed's example, producer side: a process writes a simulated day of
// temperature readings into a named Array in shared memory and exits. The
// data stays in the segment for any other process to read (sensor_consumer).
//
//   sensor_producer [segment] [samples]     defaults: /zeroipc_sensor_demo 1000
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <exception>
#include <numbers>
#include <string>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

int main(int argc, char** argv) try {
  const std::string segment = argc > 1 ? argv[1] : "/zeroipc_sensor_demo";
  const std::size_t samples = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 1000;

  zeroipc::Memory mem(segment, 1 << 20);
  zeroipc::Array<float> temps(mem, "temperature", samples);
  zeroipc::Array<std::uint64_t> meta(mem, "temperature_meta", 2);  // [0] samples, [1] checksum

  std::uint64_t checksum = 0;
  for (std::size_t i = 0; i < temps.size(); ++i) {
    // A daily cycle around 21 C with a deterministic wobble.
    const double t = static_cast<double>(i) / static_cast<double>(temps.size());
    temps[i] = static_cast<float>(21.0 + 4.0 * std::sin(2 * std::numbers::pi * t) +
                                  0.25 * std::sin(37.0 * t));
    std::uint32_t bits;
    std::memcpy(&bits, &temps[i], sizeof bits);
    checksum = checksum * 1099511628211ull + bits;
  }
  meta[0] = temps.size();
  meta[1] = checksum;
  std::printf("producer (pid %d): wrote %zu readings to %s/temperature (%s), checksum %016llx\n",
              static_cast<int>(getpid()), temps.size(), segment.c_str(),
              mem.created() ? "new segment" : "existing segment",
              static_cast<unsigned long long>(checksum));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sensor_producer: %s\n", e.what());
  return 1;
}
