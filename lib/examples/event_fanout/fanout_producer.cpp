// Event fan-out, producer: creates the stream "events", waits until all three
// subscribers have subscribed (a subscriber sees only what is emitted after
// it subscribed), emits the events and closes the stream. It prints what each
// subscriber should arrive at.
//
//   fanout_producer <segment> [events]      default: 10000 events
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "fanout.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fanout_producer <segment> [events]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const std::uint64_t n_events = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10000;

  zeroipc::Memory mem(segment, fanout::kSegmentBytes);
  zeroipc::Stream<fanout::Event> events(mem, fanout::kEvents, fanout::kCapacity);
  std::printf("producer (pid %d): ready: '%s' waits for %zu subscribers\n", static_cast<int>(getpid()),
              fanout::kEvents, fanout::kSubscribers);
  std::fflush(stdout);

  if (!events.wait_for_subscribers(fanout::kSubscribers, 10s)) {
    std::fprintf(stderr, "fanout_producer: %zu of %zu subscribers after 10 s\n", events.subscribers(),
                 fanout::kSubscribers);
    zeroipc::Memory::unlink(segment);
    return 1;
  }
  // Every subscriber has the segment mapped now: remove its name. The memory
  // lives until the last of them unmaps it.
  zeroipc::Memory::unlink(segment);

  std::uint64_t checksum = fanout::kChecksumSeed, revenue = 0;
  std::array<std::uint64_t, fanout::kKinds> tally{};
  for (std::uint64_t seq = 0; seq < n_events; ++seq) {
    const fanout::Event e = fanout::event_of(seq);
    events.emit(e);  // waits while the slowest subscriber is 256 events behind
    checksum = fanout::mix(checksum, e);
    ++tally[e.kind];
    if (e.kind == fanout::kPurchase) revenue += e.cents;
  }
  events.close();  // each subscriber's foreach returns once it has read everything
  std::printf("producer: emitted %llu events to %zu subscribers and closed '%s'\n",
              static_cast<unsigned long long>(n_events), fanout::kSubscribers, fanout::kEvents);
  std::printf("producer: events=%llu revenue_cents=%llu view=%llu add_to_cart=%llu purchase=%llu checksum=%016llx\n",
              static_cast<unsigned long long>(n_events), static_cast<unsigned long long>(revenue),
              static_cast<unsigned long long>(tally[fanout::kView]),
              static_cast<unsigned long long>(tally[fanout::kAddToCart]),
              static_cast<unsigned long long>(tally[fanout::kPurchase]), static_cast<unsigned long long>(checksum));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "fanout_producer: %s\n", e.what());
  return 1;
}
