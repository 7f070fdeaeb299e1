// Fibonacci generator: builds the endless stream of the Fibonacci numbers
// with unfold, from the state (F(n), F(n+1)), and the stream of the first 50
// with take; both are named streams that other processes open. It stays up
// until take() has passed its 50 numbers on, then leaves (the numbers stay in
// the segment for the consumer).
//
//   fib_generator <segment>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>
#include <utility>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "fib.h"

using namespace std::chrono_literals;
using zeroipc::Stream;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fib_generator <segment>\n");
    return 2;
  }
  const std::string segment = argv[1];
  zeroipc::Memory mem(segment, fib::kSegmentBytes);

  // One step: F(n), and the next state (F(n+1), F(n+2)). Endless: take() ends it.
  // Nothing is generated before "fib.first50" has a reader: an operator reads
  // its input only once its own stream has one, and unfold generates only
  // while its stream has one (take, here).
  using State = std::pair<std::uint64_t, std::uint64_t>;
  const auto fibonacci = Stream<std::uint64_t>::unfold(mem, fib::kAll, State{0, 1}, [](State s) {
    return std::pair{s.first, State{s.second, s.first + s.second}};
  });
  const auto first = fibonacci.take(mem, fib::kFirst, fib::kCount);
  std::printf("generator (pid %d): ready: '%s' = take(%llu) of '%s' = unfold(F(0) = 0, F(1) = 1)\n",
              static_cast<int>(getpid()), fib::kFirst, static_cast<unsigned long long>(fib::kCount), fib::kAll);
  std::fflush(stdout);

  // take() finishes once it passed on its 50 numbers (or its input failed);
  // then "fib" has no reader, and unfold() pauses until the generator leaves.
  const bool finished = first.wait_operator_for(15s);
  // The consumer has the segment mapped by now (or never came): remove its name.
  zeroipc::Memory::unlink(segment);
  if (!finished || !fibonacci.operator_error().empty()) {
    std::fprintf(stderr, "fib_generator: %s\n",
                 finished ? fibonacci.operator_error().c_str() : "take() did not finish within 15 s");
    return 1;
  }
  std::printf("generator: take() passed on its %llu numbers to '%s' and ended it; leaving\n",
              static_cast<unsigned long long>(first.published()), fib::kFirst);
  std::printf("generator: taken=%llu\n", static_cast<unsigned long long>(first.published()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fib_generator: %s\n", e.what());
  return 1;
}
