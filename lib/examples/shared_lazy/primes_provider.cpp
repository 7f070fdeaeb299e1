// Shared lazy value, provider: creates the Lazy "primes" with its computation,
// which makes this process its provider: when a process without the
// computation calls get(), a thread of this process computes the value (once;
// every later get(), in any process, reads the cached value). The provider
// never asks for the value itself; it stays up until the last reader has it
// (the Future "all_read"), then prints how many times the value was computed.
//
//   primes_provider <segment>
#include <atomic>
#include <chrono>
#include <cstdio>
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
  if (argc < 2) {
    std::fprintf(stderr, "usage: primes_provider <segment>\n");
    return 2;
  }
  const std::string segment = argv[1];

  zeroipc::Memory mem(segment, primes::kSegmentBytes);
  zeroipc::Array<std::uint64_t> computations(mem, primes::kComputations, 1);
  zeroipc::Array<std::uint64_t> readers_done(mem, primes::kReadersDone, 1);
  const zeroipc::Future<std::uint32_t> all_read(mem, primes::kAllRead);

  // Runs on a thread of this process, on the first demand from any process.
  const zeroipc::Lazy<primes::Summary> value(mem, primes::kValue, [&computations] {
    const std::uint64_t n = std::atomic_ref<std::uint64_t>(computations[0]).fetch_add(1) + 1;
    std::printf("provider: a reader asked for the value: computing the primes below %llu (computation %llu)\n",
                static_cast<unsigned long long>(primes::kLimit), static_cast<unsigned long long>(n));
    std::fflush(stdout);
    const auto start = std::chrono::steady_clock::now();
    primes::Summary s = primes::sieve(primes::kLimit);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    s.computed_by = static_cast<std::int32_t>(getpid());
    s.compute_ms = static_cast<std::uint32_t>(took.count());
    std::printf("provider: computed %llu primes in %u ms\n", static_cast<unsigned long long>(s.count), s.compute_ms);
    std::fflush(stdout);
    return s;
  });
  std::printf("provider (pid %d): ready: the Lazy '%s' has its computation here; waiting for '%s'\n",
              static_cast<int>(getpid()), primes::kValue, primes::kAllRead);
  std::fflush(stdout);

  const auto readers = all_read.get_for(15s);
  // Every reader has the segment mapped (or never came): remove its name.
  zeroipc::Memory::unlink(segment);
  const std::uint64_t computed = std::atomic_ref<std::uint64_t>(computations[0]).load();
  if (!readers) {
    std::fprintf(stderr, "primes_provider: only %llu readers had the value after 15 s\n",
                 static_cast<unsigned long long>(std::atomic_ref<std::uint64_t>(readers_done[0]).load()));
    return 1;
  }
  std::printf("provider: %u readers have the value; computed %llu time%s\n", *readers,
              static_cast<unsigned long long>(computed), computed == 1 ? "" : "s");
  std::printf("provider: readers=%u computations=%llu\n", *readers, static_cast<unsigned long long>(computed));
  return computed == 1 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "primes_provider: %s\n", e.what());
  return 1;
}
