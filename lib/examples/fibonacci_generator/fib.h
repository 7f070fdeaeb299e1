// What the Fibonacci programs agree on: the names of the two streams.
//
//   fib_generator   fib          = Stream<uint64_t>::unfold(seed (0, 1), step), endless
//                   fib.first50  = fib.take(50)
//   fib_consumer    opens fib.first50 by name and prints it with foreach
//
// Both streams are fed by threads of the generator process (an operator runs
// where it was built), which stays up until take() has passed on its 50
// numbers; the numbers stay in the segment for the consumer to read.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fib {

inline constexpr std::size_t kSegmentBytes = 1 << 20;
inline constexpr const char* kAll = "fib";            // Stream<uint64_t>: F(0), F(1), ... (endless)
inline constexpr const char* kFirst = "fib.first50";  // Stream<uint64_t>: F(0) .. F(49)
inline constexpr std::uint64_t kCount = 50;

}  // namespace fib
