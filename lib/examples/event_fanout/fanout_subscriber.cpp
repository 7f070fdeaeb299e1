// Event fan-out, subscriber: opens the stream "events" and runs a handler on
// every event with foreach, in this thread, until the producer closes the
// stream; then prints what its handler found. Three of them run at once,
// each its own process with its own handler:
//
//   counter   counts the events
//   revenue   sums the amounts of the purchases
//   tally     counts the events of each kind
//
// Each handler also folds the event into a checksum of the whole sequence.
//
//   fanout_subscriber <segment> counter|revenue|tally
#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "fanout.h"

int main(int argc, char** argv) try {
  const std::string role = argc > 2 ? argv[2] : "";
  if (role != "counter" && role != "revenue" && role != "tally") {
    std::fprintf(stderr, "usage: fanout_subscriber <segment> counter|revenue|tally\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);  // created by the producer
  const zeroipc::Stream<fanout::Event> events(mem, fanout::kEvents);

  std::uint64_t checksum = fanout::kChecksumSeed;
  std::uint64_t handled = 0;
  if (role == "counter") {
    std::uint64_t count = 0;
    handled = events.foreach([&](const fanout::Event& e) {
      ++count;
      checksum = fanout::mix(checksum, e);
    });
    std::printf("counter (pid %d): counted %llu events\n", static_cast<int>(getpid()),
                static_cast<unsigned long long>(count));
  } else if (role == "revenue") {
    std::uint64_t cents = 0, purchases = 0;
    handled = events.foreach([&](const fanout::Event& e) {
      if (e.kind == fanout::kPurchase) {
        cents += e.cents;
        ++purchases;
      }
      checksum = fanout::mix(checksum, e);
    });
    std::printf("revenue (pid %d): %llu purchases, %llu.%02llu in all; revenue_cents=%llu\n",
                static_cast<int>(getpid()), static_cast<unsigned long long>(purchases),
                static_cast<unsigned long long>(cents / 100), static_cast<unsigned long long>(cents % 100),
                static_cast<unsigned long long>(cents));
  } else {
    std::array<std::uint64_t, fanout::kKinds> tally{};
    handled = events.foreach([&](const fanout::Event& e) {
      ++tally.at(e.kind);
      checksum = fanout::mix(checksum, e);
    });
    std::printf("tally (pid %d):", static_cast<int>(getpid()));
    for (std::size_t k = 0; k < fanout::kKinds; ++k) {
      std::printf(" %s=%llu", fanout::kKindNames[k], static_cast<unsigned long long>(tally[k]));
    }
    std::printf("\n");
  }
  // foreach returned: the stream ended and every event was read. How it ended:
  const bool closed = events.end_reason() == zeroipc::StreamEnd::closed;
  std::printf("%s: events=%llu checksum=%016llx end=%s\n", role.c_str(), static_cast<unsigned long long>(handled),
              static_cast<unsigned long long>(checksum), closed ? "closed" : "abnormal");
  return closed ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fanout_subscriber: %s\n", e.what());
  return 1;
}
