// Worker pool, dispatcher: sends every job on the channel "jobs" (blocking
// while the workers are 64 jobs behind), then closes it: the workers drain
// what is left and stop. It prints the total the results must add up to.
//
//   pool_dispatcher <segment> [jobs]      default: 3000 jobs
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>

#include "pool.h"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pool_dispatcher <segment> [jobs]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const std::uint64_t n_jobs = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 3000;

  zeroipc::Memory mem(segment, pool::kSegmentBytes);  // create, or open if a worker made it first
  zeroipc::Channel<pool::Job> jobs(mem, pool::kJobs, pool::kChannelCapacity);

  std::uint64_t expected_total = 0;
  for (std::uint64_t id = 0; id < n_jobs; ++id) {
    const pool::Job job{id, pool::input_of(id)};
    jobs.send(job);
    expected_total += pool::work(job.n);
  }
  jobs.close();
  std::printf("dispatcher (pid %d): sent %llu jobs on '%s' and closed it\n", static_cast<int>(getpid()),
              static_cast<unsigned long long>(n_jobs), pool::kJobs);
  std::printf("dispatcher: jobs=%llu expected_total=%llu\n", static_cast<unsigned long long>(n_jobs),
              static_cast<unsigned long long>(expected_total));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pool_dispatcher: %s\n", e.what());
  return 1;
}
