// The messages the harness sends through every structure, and how a receiver
// checks them.
//
// A message of S bytes (a multiple of 8, at least 8) is S/8 words:
//   word 0:  bits 0..39  index (per producer, counting from 0 over warm-up and timed phase)
//            bits 40..47 producer
//            bits 48..63 check: the top 16 bits of mix64(bits 0..47)
//   word j:  fill(word 0's low 48 bits, j) for j = 1 .. S/8 - 1
// The sender writes every word (as a real message would be written); the
// receiver reads every word and checks both the check bits and the sum of
// the fill words, so a torn, stale or corrupt message is caught whatever its
// size, and the sequence (producer, index) catches loss, duplication and
// reordering. Timestamps are not carried: one-way latency uses per-message
// stamps written beside the structure (the 8-byte message has no room).
//
// Loss and duplication across several consumers are judged from a multiset
// hash: every side adds mix64(sequence) of each message it sends or receives;
// equal counts and equal sums mean the same multiset of messages, up to a
// 2^-64 chance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace zeroipc::harness {

/// SplitMix64's finaliser: a bijection on 64 bits with good avalanche.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline constexpr int kIndexBits = 40;
inline constexpr std::uint64_t kSequenceMask = (std::uint64_t{1} << 48) - 1;
inline constexpr std::uint64_t kMaxProducers = 256;

constexpr std::uint64_t sequence_of(std::uint64_t producer, std::uint64_t index) noexcept {
  return (producer << kIndexBits) | index;
}
constexpr std::uint64_t header_of(std::uint64_t sequence) noexcept {
  return (mix64(sequence) & ~kSequenceMask) | sequence;
}
constexpr std::uint64_t fill_word(std::uint64_t sequence, std::uint64_t j) noexcept {
  return sequence * 0x9E3779B97F4A7C15ull + j;
}

/// fill_word(sequence, j) summed over j in [first, first + count), modulo 2^64.
constexpr std::uint64_t fill_sum(std::uint64_t sequence, std::uint64_t first, std::uint64_t count) noexcept {
  // count * sequence * K + (first + ... + first + count - 1); count * (2 first + count - 1) is even
  return count * (sequence * 0x9E3779B97F4A7C15ull) + count * (2 * first + count - 1) / 2;
}

template <std::size_t S>
struct Message {
  static_assert(S >= 8 && S % 8 == 0, "a message is a whole number of 8-byte words");
  static constexpr std::size_t kWords = S / 8;
  std::uint64_t w[kWords];

  void write(std::uint64_t sequence) noexcept {
    w[0] = header_of(sequence);
    for (std::size_t j = 1; j < kWords; ++j) w[j] = fill_word(sequence, j);
  }
  std::uint64_t sequence() const noexcept { return w[0] & kSequenceMask; }
  /// Every word as write(sequence()) left it.
  bool intact() const noexcept {
    const std::uint64_t seq = sequence();
    if (w[0] != header_of(seq)) return false;
    if constexpr (kWords > 1) {
      std::uint64_t sum = 0;
      for (std::size_t j = 1; j < kWords; ++j) sum += w[j];
      return sum == fill_sum(seq, 1, kWords - 1);
    }
    return true;
  }
};
static_assert(sizeof(Message<8>) == 8 && sizeof(Message<64>) == 64 && std::is_trivially_copyable_v<Message<64>>,
              "a message is exactly its size, copied byte for byte");

constexpr std::uint64_t producer_of(std::uint64_t sequence) noexcept { return sequence >> kIndexBits; }
constexpr std::uint64_t index_of(std::uint64_t sequence) noexcept {
  return sequence & ((std::uint64_t{1} << kIndexBits) - 1);
}

/// What one side saw: counts and multiset hashes of what it sent and received.
struct Tally {
  std::uint64_t sent = 0, sent_hash = 0;
  std::uint64_t received = 0, received_hash = 0;
  std::uint64_t corrupt = 0, out_of_order = 0;

  void on_send(std::uint64_t sequence) noexcept {
    ++sent;
    sent_hash += mix64(sequence);
  }
  void on_receive(std::uint64_t sequence) noexcept {
    ++received;
    received_hash += mix64(sequence);
  }
};

}  // namespace zeroipc::harness
