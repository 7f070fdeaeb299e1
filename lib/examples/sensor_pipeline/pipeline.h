// What the sensor pipeline's programs agree on: the stream names and records.
//
//   pipeline_source   emits     celsius       Stream<float>, one reading per item
//   pipeline_stages   builds    fahrenheit    = celsius.map(c * 9 / 5 + 32)
//                               hot           = fahrenheit.filter(f > 100)
//                               hot_windows   = hot.window(5 readings)
//                               hot_averages  = hot_windows.map(average), Stream<Average>
//   pipeline_display  subscribes to hot_averages and prints them
//   pipeline_tap      reads the intermediate stream hot by name and counts it
//
// Startup order: a subscriber sees only what is emitted after it subscribed,
// so the source holds its readings back until the Future "pipeline_ready" is
// set, which the stages set once the display and the tap have subscribed.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pipeline {

inline constexpr std::size_t kSegmentBytes = 4 << 20;
inline constexpr const char* kCelsius = "celsius";
inline constexpr const char* kFahrenheit = "fahrenheit";
inline constexpr const char* kHot = "hot";
inline constexpr const char* kHotWindows = "hot_windows";
inline constexpr const char* kHotAverages = "hot_averages";
inline constexpr const char* kReady = "pipeline_ready";  // Future<uint32_t>
inline constexpr float kHotFahrenheit = 100.0f;
inline constexpr std::size_t kWindow = 5;  // readings per window

struct Average {
  float fahrenheit;      // the mean of the window
  std::uint32_t count;   // readings in it: kWindow, or fewer for the last one
};

}  // namespace pipeline
