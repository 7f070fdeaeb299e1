// Distributed simulation, coordinator: creates (or opens) the Futures
// "result.0" .. "result.<N-1>", one per worker process, and waits for all of
// them, 10 s at most in all. For each worker it prints the value, the error
// the worker set, "died" (it claimed the Future and died without setting
// it), or "timed out" (nothing yet: a worker that never started, or hangs).
// Then it removes the segment.
//
//   sim_coordinator <segment> <workers> [timeout_s]     default: 10 s
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>
#include <vector>

#include <zeroipc/error.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>

#include "sim.h"

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sim_coordinator <segment> <workers> [timeout_s]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const auto n_workers = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  const std::chrono::seconds timeout(argc > 3 ? std::strtol(argv[3], nullptr, 10) : 10);

  zeroipc::Memory mem(segment, sim::kSegmentBytes);
  std::vector<zeroipc::Future<sim::Outcome>> results;
  for (unsigned i = 0; i < n_workers; ++i) results.emplace_back(mem, sim::result_name(i));
  std::printf("coordinator (pid %d): waiting for %u results, %lld s at most\n", static_cast<int>(getpid()),
              n_workers, static_cast<long long>(timeout.count()));

  // Future::all() stops at the first failure; each worker's outcome is wanted here.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  unsigned values = 0, errors = 0, died = 0, timed_out = 0;
  for (unsigned i = 0; i < n_workers; ++i) {
    const std::string name = sim::result_name(i);
    try {
      const auto left = std::max(deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration{});
      if (const auto r = results[i].get_for(left)) {
        ++values;
        std::printf("coordinator: %s=value energy.%u=%.6g\n", name.c_str(), i, r->energy);
      } else {
        ++timed_out;
        std::printf("coordinator: %s=timed_out\n", name.c_str());
      }
    } catch (const zeroipc::FutureError& e) {
      const bool dead = e.reason() == zeroipc::FutureError::Reason::kProducerDied;
      ++(dead ? died : errors);
      std::printf("coordinator: %s=%s (%s)\n", name.c_str(), dead ? "died" : "error", e.what());
    }
  }
  std::printf("coordinator: values=%u errors=%u died=%u timed_out=%u\n", values, errors, died, timed_out);
  zeroipc::Memory::unlink(segment);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sim_coordinator: %s\n", e.what());
  return 1;
}
