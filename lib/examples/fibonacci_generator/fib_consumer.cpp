// Fibonacci consumer: opens the stream "fib.first50" by name and prints every
// number with foreach (ten to a line), in this thread, until the stream ends; checks that
// each number is the sum of the two before it.
//
//   fib_consumer <segment>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "fib.h"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fib_consumer <segment>\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);  // created by the generator
  const zeroipc::Stream<std::uint64_t> first(mem, fib::kFirst);

  std::printf("consumer (pid %d): the numbers of '%s':\n", static_cast<int>(getpid()), fib::kFirst);
  std::uint64_t n = 0, before_last = 0, last = 0;
  bool sums_hold = true;
  const std::uint64_t count = first.foreach([&](std::uint64_t f) {
    if (n >= 2 && f != before_last + last) sums_hold = false;
    if (n % 10 == 0) {
      std::printf("  F(%llu..%llu):", static_cast<unsigned long long>(n), static_cast<unsigned long long>(n + 9));
    }
    std::printf(" %llu", static_cast<unsigned long long>(f));
    if (n % 10 == 9) std::printf("\n");
    before_last = last;
    last = f;
    ++n;
  });
  if (n % 10 != 0) std::printf("\n");
  const bool closed = first.end_reason() == zeroipc::StreamEnd::closed;
  std::printf("consumer: %llu numbers, each the sum of the two before it: %s\n",
              static_cast<unsigned long long>(count), sums_hold ? "yes" : "NO");
  std::printf("consumer: count=%llu last=%llu sums=%s end=%s\n", static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(last), sums_hold ? "ok" : "wrong", closed ? "closed" : "abnormal");
  return closed && sums_hold ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fib_consumer: %s\n", e.what());
  return 1;
}
