// What the worker pool's programs agree on: the names and sizes in the
// segment, the job and result records, and the work itself.
//
//   pool_dispatcher --jobs--> pool_worker x N --results--> pool_aggregator
//
// Every program creates the segment and the structures or opens them if they
// exist (same sizes everywhere), so they may start in any order.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pool {

inline constexpr std::size_t kSegmentBytes = 1 << 20;
inline constexpr const char* kJobs = "jobs";               // Channel<Job>: dispatcher -> workers
inline constexpr const char* kResults = "results";         // Channel<Result>: workers -> aggregator
inline constexpr const char* kFinished = "workers_done";   // Array<uint64_t>, [0]: workers that finished
inline constexpr std::size_t kChannelCapacity = 64;

struct Job {
  std::uint64_t id;  // 0 .. jobs-1
  std::uint64_t n;   // the input of the work
};

struct Result {
  std::uint64_t id;  // the job's
  std::uint64_t value;
  std::uint32_t worker;
  std::uint32_t reserved;
};

/// The job's input, from its id (so the dispatcher knows every job's answer).
inline std::uint64_t input_of(std::uint64_t id) { return 1 + id * 7919 % 100000; }

/// The work: the number of Collatz steps from n down to 1.
inline std::uint64_t work(std::uint64_t n) {
  std::uint64_t steps = 0;
  for (; n != 1; ++steps) n = n % 2 == 0 ? n / 2 : 3 * n + 1;
  return steps;
}

}  // namespace pool
