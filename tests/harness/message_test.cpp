// The harness's messages (harness/include/zeroipc/harness/message.h): every
// byte is checked, sequences round-trip, the multiset hash catches a duplicate
// that hides a loss, Receipts (the receiver's loop-local checks) find what
// the message-by-message checks find; and run_layout.h's dispatch compiles in
// exactly the sizes config.h accepts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/message.h>

#include "../../harness/src/run_layout.h"

namespace {

using namespace zeroipc::harness;

const std::uint64_t kMaxIndex = (std::uint64_t{1} << kIndexBits) - 1;

std::vector<std::uint64_t> sample_sequences() {
  return {sequence_of(0, 0), sequence_of(0, 1), sequence_of(3, 12345), sequence_of(255, kMaxIndex),
          sequence_of(17, 1u << 20)};
}

template <std::size_t S>
void check_write_and_read() {
  auto m = std::make_unique<Message<S>>();
  for (std::uint64_t seq : sample_sequences()) {
    m->write(seq);
    EXPECT_TRUE(m->intact()) << "S=" << S << " seq=" << seq;
    EXPECT_EQ(m->sequence(), seq);
    EXPECT_EQ(m->w[0] & kSequenceMask, seq);
    EXPECT_EQ(m->w[0], header_of(seq));
    for (std::size_t j = 1; j < Message<S>::kWords; ++j) ASSERT_EQ(m->w[j], fill_word(seq, j)) << j;
    // A copy byte for byte is the same message.
    auto copy = std::make_unique<Message<S>>();
    std::memcpy(copy.get(), m.get(), S);
    EXPECT_TRUE(copy->intact());
    EXPECT_EQ(copy->sequence(), seq);
  }
}

template <std::size_t S>
void check_every_byte_flip_is_caught() {
  static_assert(sizeof(Message<S>) == S);
  auto m = std::make_unique<Message<S>>();
  for (std::uint64_t seq : sample_sequences()) {
    m->write(seq);
    auto* bytes = reinterpret_cast<unsigned char*>(m.get());
    for (std::size_t b = 0; b < S; ++b) {
      for (unsigned mask : {0x01u, 0x02u, 0x04u, 0x08u, 0x10u, 0x20u, 0x40u, 0x80u, 0xFFu}) {
        bytes[b] = static_cast<unsigned char>(bytes[b] ^ mask);
        EXPECT_FALSE(m->intact()) << "S=" << S << " seq=" << seq << " byte " << b << " ^ " << mask;
        bytes[b] = static_cast<unsigned char>(bytes[b] ^ mask);
      }
    }
    EXPECT_TRUE(m->intact());  // restored
  }
}

TEST(Message, WriteThenIntactForEverySize) {
  check_write_and_read<8>();
  check_write_and_read<16>();
  check_write_and_read<24>();  // any multiple of 8 is a message, even one the harness does not compile in
  check_write_and_read<64>();
  check_write_and_read<128>();
  check_write_and_read<1024>();
  check_write_and_read<4096>();
  check_write_and_read<65536>();
  EXPECT_EQ(sizeof(Message<8>), 8u);
  EXPECT_EQ(sizeof(Message<1024>), 1024u);
  EXPECT_EQ(Message<1024>::kWords, 128u);
}

TEST(Message, FlippingAnySingleByteIsCaught) {
  check_every_byte_flip_is_caught<8>();
  check_every_byte_flip_is_caught<16>();
  check_every_byte_flip_is_caught<64>();
  check_every_byte_flip_is_caught<1024>();
}

TEST(Message, TornMessageIsCaught) {
  // The header of one message with the body of another (a reader that overtook a writer).
  Message<64> a, b;
  a.write(sequence_of(1, 100));
  b.write(sequence_of(1, 101));
  Message<64> torn = b;
  torn.w[0] = a.w[0];
  EXPECT_FALSE(torn.intact());
  torn = a;
  torn.w[7] = b.w[7];
  EXPECT_FALSE(torn.intact());
  // A zeroed slot (never written) is not a message either.
  Message<64> zero{};
  EXPECT_FALSE(zero.intact());
  Message<8> zero8{};
  EXPECT_FALSE(zero8.intact());
}

TEST(Message, SequenceRoundTrip) {
  for (std::uint64_t producer : std::vector<std::uint64_t>{0, 1, 7, 128, kMaxProducers - 1}) {
    for (std::uint64_t index : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{123456789}, kMaxIndex}) {
      const std::uint64_t seq = sequence_of(producer, index);
      EXPECT_EQ(producer_of(seq), producer);
      EXPECT_EQ(index_of(seq), index);
      EXPECT_EQ(seq & ~kSequenceMask, 0u) << "a sequence fits the 48 low bits";
      Message<16> m;
      m.write(seq);
      EXPECT_EQ(producer_of(m.sequence()), producer);
      EXPECT_EQ(index_of(m.sequence()), index);
    }
  }
  EXPECT_NE(sequence_of(1, 0), sequence_of(0, 1));
  EXPECT_EQ(sequence_of(1, 0), std::uint64_t{1} << kIndexBits);
}

TEST(Message, Mix64IsABijectionOnASample) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < 4096; ++i) out.push_back(mix64(i));
  std::sort(out.begin(), out.end());
  EXPECT_EQ(std::adjacent_find(out.begin(), out.end()), out.end());
  EXPECT_NE(mix64(0), 0u);
}

TEST(Tally, MultisetHashIgnoresOrderButCatchesADuplicateHidingALoss) {
  std::vector<std::uint64_t> sent;
  for (std::uint64_t p = 0; p < 3; ++p)
    for (std::uint64_t i = 0; i < 100; ++i) sent.push_back(sequence_of(p, i));
  Tally t;
  for (auto s : sent) t.on_send(s);
  EXPECT_EQ(t.sent, sent.size());

  // Received in any order: the same multiset.
  auto shuffled = sent;
  std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(42));
  for (auto s : shuffled) t.on_receive(s);
  EXPECT_EQ(t.received, t.sent);
  EXPECT_EQ(t.received_hash, t.sent_hash);
  EXPECT_EQ(t.corrupt, 0u);
  EXPECT_EQ(t.out_of_order, 0u);

  // Split over two consumers and summed: still the same.
  Tally c0, c1;
  for (std::size_t i = 0; i < shuffled.size(); ++i) (i % 2 ? c1 : c0).on_receive(shuffled[i]);
  EXPECT_EQ(c0.received + c1.received, t.sent);
  EXPECT_EQ(c0.received_hash + c1.received_hash, t.sent_hash);

  // One message delivered twice and another lost: the counts agree, the hash does not.
  auto wrong = shuffled;
  const auto lost = std::find(wrong.begin(), wrong.end(), sequence_of(1, 50));
  ASSERT_NE(lost, wrong.end());
  *lost = sequence_of(2, 7);
  Tally bad;
  for (auto s : wrong) bad.on_receive(s);
  EXPECT_EQ(bad.received, t.sent);
  EXPECT_NE(bad.received_hash, t.sent_hash);
}

// ---- Receipts: the receiver's checks kept in locals over a loop ------------------

// What the receiver checked message by message before Receipts (the counts
// straight into a Tally, a table of next indexes): Receipts must find the same.
struct PlainReceiver {
  Tally t;
  std::vector<std::uint64_t> next;
  bool fifo;
  PlainReceiver(std::size_t producers, bool f) : next(producers, 0), fifo(f) {}
  template <class M>
  bool receive(const M& m) {
    const std::uint64_t seq = m.sequence();
    t.on_receive(seq);
    if (!m.intact() || producer_of(seq) >= next.size()) {
      ++t.corrupt;
      return false;
    }
    auto& n = next[producer_of(seq)];
    if (fifo && index_of(seq) < n) ++t.out_of_order;
    n = std::max(n, index_of(seq) + 1);
    return true;
  }
};

// Three producers interleaved at random, each in order, with repeats, gaps,
// swaps, corrupt words and a producer the run does not have mixed in; folded
// at random points (the loops of one worker) into one Tally.
template <std::size_t S, bool Fifo>
void check_receipts_match_plain_receiver(std::uint64_t seed) {
  constexpr std::uint64_t kProducers = 3;
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> next_send(kProducers, 0);
  std::vector<std::uint64_t> next_index(kProducers, 0);
  PlainReceiver plain(kProducers, Fifo);
  Tally tally;
  auto r = std::make_unique<Receipts<Fifo>>(next_index.data(), kProducers);
  auto m = std::make_unique<Message<S>>();
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t p = rng() % kProducers;
    std::uint64_t index = next_send[p]++;
    const unsigned what = static_cast<unsigned>(rng() % 100);
    if (what == 0 && index > 0) index -= 1 + rng() % index;  // a repeat, or a late one
    if (what == 1) next_send[p] += rng() % 5;                // a gap (lost messages)
    m->write(sequence_of(what == 2 ? kProducers + rng() % 4 : p, index));  // 2: a producer the run lacks
    if (what == 3) m->w[rng() % Message<S>::kWords] ^= std::uint64_t{1} << (rng() % 64);  // a flipped bit
    std::uint64_t seq = 0;
    const bool ok = r->receive(*m, seq);
    EXPECT_EQ(ok, plain.receive(*m)) << i;
    if (ok) {
      EXPECT_EQ(seq, m->sequence());
    }
    if (what == 4) {  // the loop ends; the next one starts where it left off
      r->fold_into(tally);
      r = std::make_unique<Receipts<Fifo>>(next_index.data(), kProducers);
    }
  }
  r->fold_into(tally);
  EXPECT_EQ(tally.received, plain.t.received);
  EXPECT_EQ(tally.received_hash, plain.t.received_hash);
  EXPECT_EQ(tally.corrupt, plain.t.corrupt);
  EXPECT_EQ(tally.out_of_order, plain.t.out_of_order);
  EXPECT_GT(tally.corrupt, 0u);
  if (Fifo) {
    EXPECT_GT(tally.out_of_order, 0u);
    EXPECT_EQ(next_index, plain.next);
  } else {
    EXPECT_EQ(tally.out_of_order, 0u);
  }
}

TEST(Receipts, FindWhatTheMessageByMessageChecksFind) {
  check_receipts_match_plain_receiver<8, true>(1);
  check_receipts_match_plain_receiver<64, true>(2);
  check_receipts_match_plain_receiver<8, false>(3);
  check_receipts_match_plain_receiver<64, false>(4);
}

TEST(Receipts, CountTheCasesTheyAreFor) {
  std::vector<std::uint64_t> next(2, 0);
  Receipts<true> r(next.data(), next.size());
  Message<16> m;
  std::uint64_t seq = 0;
  for (std::uint64_t i : {0, 1, 2}) {
    m.write(sequence_of(0, i));
    EXPECT_TRUE(r.receive(m, seq));
    EXPECT_EQ(seq, sequence_of(0, i));
  }
  m.write(sequence_of(1, 0));
  EXPECT_TRUE(r.receive(m, seq));  // another producer's first: in order
  m.write(sequence_of(0, 2));
  EXPECT_TRUE(r.receive(m, seq));  // producer 0's last again: a repeat
  m.write(sequence_of(0, 5));
  EXPECT_TRUE(r.receive(m, seq));  // a gap: loss shows in the counts and hashes, not here
  m.write(sequence_of(0, 4));
  EXPECT_TRUE(r.receive(m, seq));  // overtaken
  m.write(sequence_of(2, 0));
  EXPECT_FALSE(r.receive(m, seq));  // producer 2 is not in the run
  m.write(sequence_of(1, 1));
  m.w[1] ^= 1;
  EXPECT_FALSE(r.receive(m, seq));  // a flipped fill bit
  Tally t;
  t.corrupt = 1;  // folded counts add to what the tally had
  r.fold_into(t);
  EXPECT_EQ(t.received, 9u);
  EXPECT_EQ(t.corrupt, 3u);
  EXPECT_EQ(t.out_of_order, 2u);
  EXPECT_EQ(next, (std::vector<std::uint64_t>{6, 1}));
  r.fold_into(t);  // nothing new
  EXPECT_EQ(t.received, 9u);
  Tally expected;
  for (std::uint64_t s : {sequence_of(0, 0), sequence_of(0, 1), sequence_of(0, 2), sequence_of(1, 0),
                          sequence_of(0, 2), sequence_of(0, 5), sequence_of(0, 4), sequence_of(2, 0),
                          sequence_of(1, 1)}) {
    expected.on_receive(s);
  }
  EXPECT_EQ(t.received_hash, expected.received_hash);
}

// ---- run_layout.h: the compiled-in message sizes ----------------------------------

TEST(RunLayout, WithMessageSizeAcceptsEverySupportedSize) {
  for (std::int64_t size : supported_message_sizes()) {
    std::size_t seen = 0;
    bool intact = false;
    zeroipc::harness::run::with_message_size(static_cast<std::uint64_t>(size), [&](auto s) {
      constexpr std::size_t S = decltype(s)::value;
      seen = S;
      auto m = std::make_unique<Message<S>>();
      m->write(sequence_of(2, 9));
      intact = m->intact() && sizeof(Message<S>) == S;
    });
    EXPECT_EQ(seen, static_cast<std::size_t>(size));
    EXPECT_TRUE(intact) << size;
  }
}

TEST(RunLayout, WithMessageSizeRefusesOtherSizes) {
  int calls = 0;
  auto count = [&](auto) { ++calls; };
  EXPECT_THROW(zeroipc::harness::run::with_message_size(24, count), std::invalid_argument);
  EXPECT_THROW(zeroipc::harness::run::with_message_size(0, count), std::invalid_argument);
  EXPECT_THROW(zeroipc::harness::run::with_message_size(65537, count), std::invalid_argument);
  EXPECT_EQ(calls, 0);
  try {
    zeroipc::harness::run::with_message_size(24, count);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("24"), std::string::npos) << e.what();
  }
}

}  // namespace
