// What sensor_producer and sensor_consumer agree on: the names in the
// segment, the alert record, and how running statistics are kept and printed
// (both sides print them the same way, so a run can be checked line by line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace telemetry {

inline constexpr const char* kDefaultSegment = "/zeroipc_sensor_demo";
inline constexpr const char* kReadings = "temperature";      // Array<float>: every reading, in order
inline constexpr const char* kWritten = "temperature_meta";  // Array<uint64_t>, [0]: readings written so far
inline constexpr const char* kAlerts = "alerts";             // Stream<Alert>: the readings over kAlertCelsius
inline constexpr const char* kDone = "done";                 // Future<uint64_t>: the final count
inline constexpr std::size_t kSensors = 8;                   // readings go round the sensors
inline constexpr float kAlertCelsius = 24.5f;

struct Alert {
  std::uint64_t index;  // of the reading in the Array
  float celsius;
  std::uint32_t sensor;
};

struct Stats {
  std::uint64_t count = 0;
  double sum = 0;
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();

  void add(float c) {
    ++count;
    sum += c;
    min = c < min ? c : min;
    max = c > max ? c : max;
  }
  [[nodiscard]] double mean() const { return count == 0 ? 0.0 : sum / static_cast<double>(count); }

  void print(const char* who, std::uint64_t alerts) const {
    std::printf("%s: count=%llu mean=%.4f min=%.4f max=%.4f alerts=%llu\n", who,
                static_cast<unsigned long long>(count), mean(), static_cast<double>(min),
                static_cast<double>(max), static_cast<unsigned long long>(alerts));
  }
};

}  // namespace telemetry
