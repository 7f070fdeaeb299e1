// The seed's example, consumer side: another process opens the segment and
// the Array by name (kind, element type and size are checked), reads the
// readings in place — no copy, no serialisation — verifies them against the
// producer's checksum, prints a summary and removes the segment.
//
//   sensor_consumer [segment] [--keep]      default: /zeroipc_sensor_demo
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <numeric>
#include <string>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

int main(int argc, char** argv) try {
  const std::string segment = argc > 1 ? argv[1] : "/zeroipc_sensor_demo";
  const bool keep = argc > 2 && std::strcmp(argv[2], "--keep") == 0;

  zeroipc::Memory peer(segment);                          // throws if missing
  zeroipc::Array<float> temps(peer, "temperature");       // open by name, checked
  zeroipc::Array<std::uint64_t> meta(peer, "temperature_meta");

  std::uint64_t checksum = 0;
  for (float v : temps) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    checksum = checksum * 1099511628211ull + bits;
  }
  const auto [lo, hi] = std::minmax_element(temps.begin(), temps.end());
  const double mean = std::accumulate(temps.begin(), temps.end(), 0.0) /
                      static_cast<double>(temps.size());
  const bool ok = meta[0] == temps.size() && meta[1] == checksum;
  std::printf("consumer (pid %d): read %zu readings in place: min %.2f C, mean %.2f C, max %.2f C; "
              "checksum %016llx %s\n",
              static_cast<int>(getpid()), temps.size(), static_cast<double>(*lo), mean,
              static_cast<double>(*hi), static_cast<unsigned long long>(checksum),
              ok ? "matches the producer's" : "DOES NOT MATCH the producer's");
  if (!keep) zeroipc::Memory::unlink(segment);
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sensor_consumer: %s\n", e.what());
  return 1;
}
