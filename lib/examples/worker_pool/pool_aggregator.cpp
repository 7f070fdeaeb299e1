// Worker pool, aggregator: receives results until the channel "results" is
// closed and drained, checks that every job's result arrived exactly once,
// prints the total and how the jobs spread over the workers, and removes the
// segment (every other process is done with it by then).
//
//   pool_aggregator <segment> [jobs]      default: 3000 jobs
//
// A worker that dies never counts itself finished, so "results" would stay
// open: the aggregator gives up after 5 s without a result.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>

#include "pool.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pool_aggregator <segment> [jobs]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const std::uint64_t n_jobs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3000;

  zeroipc::Memory mem(segment, pool::kSegmentBytes);
  zeroipc::Channel<pool::Result> results(mem, pool::kResults, pool::kChannelCapacity);

  std::vector<std::uint32_t> arrivals(n_jobs);
  std::map<std::uint32_t, std::uint64_t> per_worker;
  std::uint64_t received = 0, unknown = 0, total = 0;
  for (;;) {
    const auto r = results.receive_for(5s);
    if (!r) {
      if (results.is_closed()) break;  // closed by the last worker, and drained
      std::printf("aggregator: no result for 5 s and '%s' still open: a worker died?\n", pool::kResults);
      break;
    }
    ++received;
    total += r->value;
    ++per_worker[r->worker];
    if (r->id < n_jobs) {
      ++arrivals[r->id];
    } else {
      ++unknown;
    }
  }
  const auto missing = std::count(arrivals.begin(), arrivals.end(), 0u);
  const auto repeated = std::count_if(arrivals.begin(), arrivals.end(), [](std::uint32_t a) { return a > 1; });

  std::printf("aggregator (pid %d): %llu results from %zu workers:", static_cast<int>(getpid()),
              static_cast<unsigned long long>(received), per_worker.size());
  for (const auto& [worker, count] : per_worker) {
    std::printf(" worker %u did %llu;", worker, static_cast<unsigned long long>(count));
  }
  std::printf(" %s\n", missing == 0 && repeated == 0 && unknown == 0 ? "every job exactly once"
                                                                     : "SOME JOBS MISSING OR REPEATED");
  std::printf("aggregator: results=%llu missing=%lld repeated=%lld unknown=%llu total=%llu\n",
              static_cast<unsigned long long>(received), static_cast<long long>(missing),
              static_cast<long long>(repeated), static_cast<unsigned long long>(unknown),
              static_cast<unsigned long long>(total));
  zeroipc::Memory::unlink(segment);
  return missing == 0 && repeated == 0 && unknown == 0 && results.is_closed() ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pool_aggregator: %s\n", e.what());
  return 1;
}
