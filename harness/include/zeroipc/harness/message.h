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

/// A receiver's checks over one loop, kept in locals (registers) and added to
/// its Tally once, by fold_into(): what Tally::on_receive counts, plus
/// whether each message is intact and names a producer of the run, plus
/// (Fifo) whether each producer's indexes arrive in increasing order.
///
///   Receipts<true> r(next_index, producers);   // per producer: lowest index not seen yet
///   std::uint64_t seq;
///   if (r.receive(m, seq)) { ... }             // for every message
///   r.fold_into(tally);                        // counts into tally, the indexes back into next_index
///
/// A message costs a mix64 (the header check and the hash term are the same
/// value), an add per fill word, and with Fifo one compare: the sequence
/// expected next from the producer of the last message (in order, from the
/// same producer, as in a one-to-one stream). Anything else (another
/// producer, a gap, a repeat, a producer the run lacks) takes the longer way.
template <bool Fifo>
class Receipts {
 public:
  /// `next_index`: one entry per producer of the run (`producers`, at least
  /// one); read here and written back by fold_into(), so the order check
  /// carries over from one loop to the next.
  Receipts(std::uint64_t* next_index, std::uint64_t producers) noexcept
      : next_(next_index), producers_(producers), expected_(sequence_of(0, next_index[0])) {}

  /// Checks and counts a received message. True, with its sequence, when it
  /// is intact and names a producer of the run (the memory it came through
  /// is not trusted); false when it is corrupt.
  template <class M>
  [[gnu::always_inline]] bool receive(const M& m, std::uint64_t& seq) noexcept {
    seq = m.sequence();
    ++received_;
    hash_ += mix64(seq);  // the same mix64 as intact()'s header check: computed once
    if (!m.intact()) [[unlikely]] {
      ++corrupt_;
      return false;
    }
    if constexpr (Fifo) {
      if (seq == expected_) [[likely]] {
        ++expected_;
        return true;
      }
      const Turn t = unexpected(next_, producers_, expected_, seq);
      expected_ = t.expected;
      corrupt_ += t.corrupt;
      out_of_order_ += t.out_of_order;
      return !t.corrupt;
    } else {
      if (producer_of(seq) >= producers_) [[unlikely]] {
        ++corrupt_;
        return false;
      }
      return true;
    }
  }

  /// Messages received since the last fold.
  std::uint64_t received() const noexcept { return received_; }

  /// Adds what was counted since the last fold to `t` and writes the order
  /// state back; counting then starts again from zero.
  [[gnu::always_inline]] void fold_into(Tally& t) noexcept {
    t.received += received_;
    t.received_hash += hash_;
    t.corrupt += corrupt_;
    t.out_of_order += out_of_order_;
    received_ = hash_ = corrupt_ = out_of_order_ = 0;
    if constexpr (Fifo) next_[producer_of(expected_)] = index_of(expected_);
  }

 private:
  // Every member function a loop calls is inlined, and the one that is not
  // (unexpected) takes and returns values: a Receipts whose address never
  // leaves the loop stays in registers.
  struct Turn {
    std::uint64_t expected;
    bool corrupt, out_of_order;
  };
  // An intact message other than the one expected: another producer's, past
  // a gap, a repeat, or of a producer the run lacks.
  static Turn unexpected(std::uint64_t* next, std::uint64_t producers, std::uint64_t expected,
                         std::uint64_t seq) noexcept {
    const std::uint64_t producer = producer_of(seq), index = index_of(seq);
    if (producer >= producers) return {expected, true, false};
    next[producer_of(expected)] = index_of(expected);
    const std::uint64_t seen = next[producer];
    if (index < seen) return {sequence_of(producer, seen), false, true};  // a repeat, or one overtaken
    return {sequence_of(producer, index + 1), false, false};  // in order; a gap shows in the counts and hashes
  }

  std::uint64_t* next_;
  std::uint64_t producers_;
  std::uint64_t expected_;  // Fifo: the sequence expected next (its producer's entry in next_ is stale meanwhile)
  std::uint64_t received_ = 0, hash_ = 0, corrupt_ = 0, out_of_order_ = 0;
};

}  // namespace zeroipc::harness
