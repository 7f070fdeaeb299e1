// What the shared-lazy programs agree on: the names in the segment, the value
// (a summary of the primes below ten million) and the expensive computation.
//
//   primes_provider   registers the computation of the Lazy "primes"; never calls get() itself
//   primes_reader x N open "primes" without a computation and call get(): the first get()
//                     demands the value, the provider computes it on a thread of its own,
//                     and every reader gets the same, computed once
//
// Bookkeeping, so that the test can check "once" and the provider knows when
// to leave: the Array "computations" counts the computations (in the
// segment, so it counts them in any process); the readers count themselves
// out in the Array "readers_done", and the last one sets the Future "all_read".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace primes {

inline constexpr std::size_t kSegmentBytes = 1 << 20;
inline constexpr const char* kValue = "primes";              // Lazy<Summary>
inline constexpr const char* kComputations = "computations";  // Array<uint64_t>, [0]: computations run
inline constexpr const char* kReadersDone = "readers_done";  // Array<uint64_t>, [0]: readers that have the value
inline constexpr const char* kAllRead = "all_read";          // Future<uint32_t>: set by the last reader
inline constexpr std::uint64_t kLimit = 10'000'000;

/// The value: trivially copyable, so it is cached in the segment as it is.
struct Summary {
  std::uint64_t limit;    // the primes below this
  std::uint64_t count;    // how many: pi(limit)
  std::uint64_t largest;  // the largest of them
  std::uint64_t sum;      // their sum
  std::int32_t computed_by;    // pid of the process that computed it
  std::uint32_t compute_ms;    // how long it took
};

/// The expensive part: a sieve of Eratosthenes up to `limit` (about 100 ms
/// for ten million).
inline Summary sieve(std::uint64_t limit) {
  std::vector<bool> composite(limit);
  Summary s{limit, 0, 0, 0, 0, 0};
  for (std::uint64_t i = 2; i < limit; ++i) {
    if (composite[i]) continue;
    ++s.count;
    s.largest = i;
    s.sum += i;
    for (std::uint64_t j = i * i; j < limit; j += i) composite[j] = true;
  }
  return s;
}

}  // namespace primes
