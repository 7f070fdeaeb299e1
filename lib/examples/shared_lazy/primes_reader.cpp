// Shared lazy value, reader: opens the Lazy "primes" by name, without a
// computation, and calls get(). If the value is not there yet, get() demands
// it from the provider and waits (one computation, however many readers ask
// at once); once it is there, get() is a copy from the segment. Prints the
// value and how long get() took; the last of the readers sets "all_read".
//
//   primes_reader <segment> <index> <readers>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/memory.h>

#include "primes.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 4) {
    std::fprintf(stderr, "usage: primes_reader <segment> <index> <readers>\n");
    return 2;
  }
  const unsigned index = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  const std::uint64_t n_readers = std::strtoull(argv[3], nullptr, 10);

  zeroipc::Memory mem(argv[1]);  // created by the provider
  zeroipc::Lazy<primes::Summary> value(mem, primes::kValue, zeroipc::open_only);  // no computation here
  value.set_timeout(10s);  // no provider within 10 s: get() throws rather than waiting 30 s
  zeroipc::Array<std::uint64_t> readers_done(mem, primes::kReadersDone, 1);
  zeroipc::Future<std::uint32_t> all_read(mem, primes::kAllRead, zeroipc::open_only);

  const bool was_ready = value.is_ready();
  const auto start = std::chrono::steady_clock::now();
  const primes::Summary s = value.get();
  const double waited_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  std::printf("reader %u (pid %d): %llu primes below %llu, the largest %llu; computed by pid %d in %u ms; "
              "get() %s %.1f ms\n",
              index, static_cast<int>(getpid()), static_cast<unsigned long long>(s.count),
              static_cast<unsigned long long>(s.limit), static_cast<unsigned long long>(s.largest), s.computed_by,
              s.compute_ms, was_ready ? "read the cached value in" : "waited", waited_ms);
  std::printf("reader %u: count=%llu largest=%llu sum=%llu computed_by=%d waited_ms=%.1f\n", index,
              static_cast<unsigned long long>(s.count), static_cast<unsigned long long>(s.largest),
              static_cast<unsigned long long>(s.sum), s.computed_by, waited_ms);

  // The last reader to have the value tells the provider it may leave.
  const std::uint64_t before = std::atomic_ref<std::uint64_t>(readers_done[0]).fetch_add(1, std::memory_order_acq_rel);
  if (before + 1 == n_readers) all_read.set_value(static_cast<std::uint32_t>(n_readers));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "primes_reader: %s\n", e.what());
  return 1;
}
