// Worker pool, worker: receives jobs until the channel "jobs" is closed and
// drained, and sends each result on "results". Several workers run at once,
// each a process; a job goes to exactly one of them.
//
// Who closes "results"? Every worker sends on it, so none may close it while
// another still works. Each worker, once done, adds one to a counter in the
// segment (an Array<uint64_t> element, through std::atomic_ref); the one that
// brings it to the number of workers is the last, and closes "results". All
// the other workers' sends came before their increments, so none is cut off.
//
//   pool_worker <segment> <index> <workers>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/channel.h>
#include <zeroipc/memory.h>

#include "pool.h"

int main(int argc, char** argv) try {
  if (argc < 4) {
    std::fprintf(stderr, "usage: pool_worker <segment> <index> <workers>\n");
    return 2;
  }
  const std::string segment = argv[1];
  const auto index = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
  const std::uint64_t n_workers = std::strtoull(argv[3], nullptr, 10);

  zeroipc::Memory mem(segment, pool::kSegmentBytes);
  zeroipc::Channel<pool::Job> jobs(mem, pool::kJobs, pool::kChannelCapacity);
  zeroipc::Channel<pool::Result> results(mem, pool::kResults, pool::kChannelCapacity);
  zeroipc::Array<std::uint64_t> finished(mem, pool::kFinished, 1);

  std::uint64_t done = 0;
  while (const auto job = jobs.receive()) {  // nullopt: closed and drained
    results.send({job->id, pool::work(job->n), index, 0});
    ++done;
  }
  const std::uint64_t finished_before =
      std::atomic_ref<std::uint64_t>(finished[0]).fetch_add(1, std::memory_order_acq_rel);
  const bool last = finished_before + 1 == n_workers;
  if (last) results.close();
  std::printf("worker %u (pid %d): jobs=%llu%s\n", index, static_cast<int>(getpid()),
              static_cast<unsigned long long>(done), last ? " (the last to finish: closed 'results')" : "");
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pool_worker: %s\n", e.what());
  return 1;
}
