// What the event fan-out's programs agree on: the stream, the event record,
// the events themselves, and one checksum of the whole sequence.
//
//   fanout_producer --events--> fanout_subscriber counter   counts them
//                           \-> fanout_subscriber revenue   sums the purchases' amounts
//                           \-> fanout_subscriber tally     counts each kind
//
// Every subscriber reads every event, in order (a Stream is multicast); each
// also folds them into the checksum, which only comes out equal to the
// producer's when it saw every event, in the order emitted.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace fanout {

inline constexpr std::size_t kSegmentBytes = 1 << 20;
inline constexpr const char* kEvents = "events";  // Stream<Event>
inline constexpr std::size_t kCapacity = 256;    // the emitter waits while a subscriber is 256 behind
inline constexpr std::size_t kSubscribers = 3;

enum Kind : std::uint32_t { kView = 0, kAddToCart = 1, kPurchase = 2 };
inline constexpr std::size_t kKinds = 3;
inline constexpr std::array<const char*, kKinds> kKindNames{"view", "add_to_cart", "purchase"};

struct Event {
  std::uint64_t seq;     // 0, 1, 2, ...
  std::uint32_t kind;    // a Kind
  std::uint32_t cents;   // the amount (purchases), the item's price (the others)
};

/// Event number `seq` (so the producer knows every figure the subscribers should print).
inline Event event_of(std::uint64_t seq) {
  const std::uint64_t r = seq * 2654435761u % 100;
  const Kind kind = r < 70 ? kView : r < 90 ? kAddToCart : kPurchase;
  return {seq, kind, static_cast<std::uint32_t>(199 + seq * 7919 % 9800)};
}

/// FNV-1a over the event's fields, continuing from `h`: order-sensitive.
inline std::uint64_t mix(std::uint64_t h, const Event& e) {
  for (const std::uint64_t field : {e.seq, std::uint64_t{e.kind}, std::uint64_t{e.cents}}) {
    for (int byte = 0; byte < 8; ++byte) {
      h ^= (field >> (8 * byte)) & 0xFF;
      h *= 1099511628211u;
    }
  }
  return h;
}
inline constexpr std::uint64_t kChecksumSeed = 14695981039346656037u;

}  // namespace fanout
