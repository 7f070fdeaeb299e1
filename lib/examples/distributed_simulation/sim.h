// What the simulation's coordinator and workers agree on: the segment size,
// the name of worker i's Future, and the record it holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sim {

inline constexpr std::size_t kSegmentBytes = 1 << 20;

/// The Future worker i sets: "result.0", "result.1", ...
inline std::string result_name(unsigned worker) { return "result." + std::to_string(worker); }

struct Outcome {
  double energy;         // of the simulated spring at the end
  std::uint64_t steps;
  std::uint32_t worker;
  std::uint32_t reserved;
};

}  // namespace sim
