// One hostile write into a queue's or stack's body must not make the next
// operation spin forever: every loop over shared state has a bound from the
// structure's own limits, after which it reports CorruptSegment. These are
// the cases an adversarial review reproduced (each spun at 100% CPU before),
// and their neighbours. Each operation runs in a forked child under a 5 s
// alarm, so a regression is a failed test (exit 128 + SIGALRM), not a hang.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/stack.h>

#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Queue;
using zeroipc::Stack;
using zeroipc::test::put_le;
using zeroipc::test::ScopedName;

constexpr int kCorrupt = 0, kReturned = 1, kOtherError = 2, kHung = 128 + SIGALRM;

// Runs `op` in a child with a 5 s alarm: kCorrupt if it threw CorruptSegment,
// kReturned if it returned, kOtherError for any other exception, kHung if the alarm killed it.
int outcome(const std::function<void()>& op) {
  const pid_t child = zeroipc::test::spawn([&] {
    ::alarm(5);
    try {
      op();
      return kReturned;
    } catch (const zeroipc::CorruptSegment& e) {
      std::fprintf(stderr, "  (CorruptSegment: %s)\n", e.what());
      return kCorrupt;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "  (other: %s)\n", e.what());
      return kOtherError;
    }
  });
  return zeroipc::test::wait_for(child);
}

std::byte* body_of(Memory& mem, const char* name) { return zeroipc::test::bytes_of(mem, name) + 64; }

TEST(HostileState, VyukovCellSequenceSetToALaterLap) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  Queue<std::uint64_t, zeroipc::variants::vyukov_bounded> q(mem, "q", 8);
  std::byte* body = body_of(mem, "q");
  put_le(body, 128 + 0 * 16, 8, 8);  // cell 0, the next push's, says "position 8" (a lap ahead)
  EXPECT_EQ(outcome([&] { q.push(1); }), kCorrupt) << "push";
  put_le(body, 128 + 0 * 16, 8, 0);
  ASSERT_TRUE(q.push(1));            // position 0 published: sequence 1
  put_le(body, 128 + 0 * 16, 8, 1 + 8);  // ... and now a lap ahead of the next pop's
  EXPECT_EQ(outcome([&] { (void)q.pop(); }), kCorrupt) << "pop";
}

TEST(HostileState, ScqThresholdAndTailPushedFarAhead) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::scq;
  Queue<std::uint64_t, V> q(mem, "q", 8);
  ASSERT_TRUE(q.push(1));
  std::byte* aq = body_of(mem, "q") + V::kAqOffset;
  const std::uint64_t head = zeroipc::test::le(aq, 128, 8);
  put_le(aq, 0, 8, std::uint64_t{1} << 40);  // threshold far above 3n - 1
  put_le(aq, 64, 8, head + (std::uint64_t{1} << 40));  // tail far ahead
  EXPECT_EQ(outcome([&] { (void)q.pop(); }), kCorrupt) << "threshold and tail";
  put_le(aq, 0, 8, 3 * 8 - 1);  // a valid threshold, the tail still far ahead: the element
  EXPECT_EQ(outcome([&] { (void)q.pop(); (void)q.pop(); }), kCorrupt) << "tail alone";  // at head, then nothing
}

TEST(HostileState, ScqEntriesThatNoEnqueueCanUse) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::scq_indices;  // u64 elements through index rings
  Queue<std::uint64_t, V> q(mem, "q", 8);
  std::byte* aq = body_of(mem, "q") + V::kAqOffset;
  for (std::size_t e = 0; e < 16; ++e) put_le(aq, 192 + 8 * e, 8, 3);  // every entry "holds" index 3
  EXPECT_EQ(outcome([&] { q.push(1); }), kCorrupt);
}

// scq's direct cells: every cell "full" (index 3, cycle 0, a lap long
// gone). A push is bounded by positions: it reports full after at most c
// positions, it does not spin; a pop passes them; a recovery empties them
// (none is at a live position), and the capacity is back.
TEST(HostileState, ScqDirectCellsThatNoEnqueueCanUse) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::scq;
  Queue<std::uint64_t, V> q(mem, "q", 8);
  std::byte* ring = body_of(mem, "q") + V::kRingOffset;
  for (std::size_t c = 0; c < 16; ++c) put_le(ring, 192 + 16 * c, 8, 3);  // every cell's word: full, cycle 0
  EXPECT_EQ(outcome([&] { if (q.push(1)) std::abort(); }), kReturned) << "push: full, not a spin";
  EXPECT_EQ(outcome([&] { if (q.pop()) std::abort(); }), kReturned) << "pop: nothing of its cycle";
  EXPECT_EQ(q.recover(), 16u) << "every full cell off the live positions is emptied";
  std::size_t pushed = 0;
  while (pushed <= 8 && q.push(pushed)) ++pushed;
  EXPECT_EQ(pushed, 8u);
}

TEST(HostileState, LcrqRingWhoseNextIsItselfOrACycle) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::lcrq;
  Queue<std::uint64_t, V> q(mem, "q", 8);
  std::byte* rings = body_of(mem, "q") + V::kRingsOffset;
  const std::size_t ring_bytes = V::ring_bytes(8);
  put_le(rings, 8, 4, 1);  // ring 0's next: ring 0 + 1, itself
  EXPECT_EQ(outcome([&] { q.push(1); }), kCorrupt) << "push, self loop";
  EXPECT_EQ(outcome([&] { (void)q.pop(); }), kCorrupt) << "pop, self loop";
  put_le(rings, 8, 4, 2);               // ring 0 -> ring 1
  put_le(rings + ring_bytes, 8, 4, 1);  // ring 1 -> ring 0
  EXPECT_EQ(outcome([&] { q.push(1); }), kCorrupt) << "push, two-ring cycle";
  EXPECT_EQ(outcome([&] { (void)q.recover(); }), kCorrupt) << "recover, two-ring cycle";
}

// lcrq's direct cells: a pop that died between its FAA and emptying its
// cell leaves it full, holding an element of a lap gone by. A push that
// comes round to it must not take it for a full queue for good (lcrq.h,
// admit): a few refusals, then H is read and the position passed, as a
// push always did. Here the cell of the next push's position is made to
// hold the previous lap's element while head is past that position.
TEST(HostileState, LcrqCellLeftFullByADeadPopCostsRefusalsNotAWedge) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::lcrq;
  Queue<std::uint64_t, V> q(mem, "q", 8);
  for (std::uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(q.push(i));
  for (std::uint64_t i = 0; i < 8; ++i) ASSERT_EQ(q.pop(), std::optional<std::uint64_t>(i));
  std::byte* ring0 = body_of(mem, "q") + V::kRingsOffset;
  const std::uint64_t mask = (std::uint64_t{1} << 62) - 1;
  const std::uint64_t t = zeroipc::test::le(ring0, 128, 8) & mask;  // the next push's position
  ASSERT_EQ(zeroipc::test::le(ring0, 64, 8) & mask, t) << "empty: head = tail";
  put_le(ring0, 192 + 16 * (t % 8), 8, ((t - 8) & mask) | (std::uint64_t{1} << 62));  // full, index t - R
  int refused = 0;
  while (!q.push(100)) ASSERT_LT(++refused, 1000) << "every push refused: the queue wedged";
  EXPECT_GT(refused, 0) << "the cell of the previous lap answers full without head being read";
  EXPECT_LT(refused, 64) << "refused without reading head at most kReadBoundEvery - 1 times";
  EXPECT_EQ(q.pop(), std::optional<std::uint64_t>(100));
  EXPECT_FALSE(q.pop().has_value()) << "the old element is not delivered: its dequeuer took its position";
}

TEST(HostileState, LcrqTailFarAheadOfHead) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::lcrq;
  Queue<std::uint64_t, V> q(mem, "q", 8);
  ASSERT_TRUE(q.push(1));
  std::byte* ring0 = body_of(mem, "q") + V::kRingsOffset;
  put_le(ring0, 128, 8, zeroipc::test::le(ring0, 64, 8) + (std::uint64_t{1} << 40));
  EXPECT_EQ(outcome([&] { (void)q.pop(); (void)q.pop(); }), kCorrupt);
}

TEST(HostileState, SpscAndLockedRingHeadAndTailMoreThanARingApart) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  Queue<std::uint64_t, zeroipc::variants::spsc_ring> s(mem, "s", 8);
  Queue<std::uint64_t, zeroipc::variants::locked_ring> l(mem, "l", 8);
  put_le(body_of(mem, "s"), 0, 8, 1000);  // spsc tail
  EXPECT_EQ(outcome([&] { (void)s.pop(); }), kCorrupt) << "spsc_ring pop";
  // Regression: the consumer kept the bad tail in its cached copy, and the
  // next pops returned slots nobody pushed. Every pop must refuse it.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(outcome([&] { (void)s.pop(); }), kCorrupt) << "spsc_ring pop again, " << i;
  put_le(body_of(mem, "s"), 0, 8, 0);
  put_le(body_of(mem, "s"), 64, 8, 1000);  // head past tail
  EXPECT_EQ(outcome([&] { for (int i = 0; i < 9; ++i) (void)s.push(1); }), kCorrupt) << "spsc_ring push";
  put_le(body_of(mem, "l"), 72, 8, 1000);  // locked_ring tail
  EXPECT_EQ(outcome([&] { (void)l.pop(); }), kCorrupt) << "locked_ring pop";
  EXPECT_EQ(outcome([&] { (void)l.push(1); }), kCorrupt) << "locked_ring push";
}

TEST(HostileState, StackListWithACycleIsFoundByRecovery) {
  ScopedName name("hostile");
  Memory mem(name, 1 << 20);
  using V = zeroipc::variants::treiber_tagged;
  Stack<std::uint64_t, V> st(mem, "st", 4);
  ASSERT_TRUE(st.push(1));
  ASSERT_TRUE(st.push(2));
  std::byte* nodes = body_of(mem, "st") + V::kNodesOffset;
  // The top node (node index 1, stored as 2) links back to itself.
  put_le(nodes + 1 * 16, 0, 4, 2);
  EXPECT_EQ(outcome([&] { (void)st.recover(); }), kCorrupt);
  EXPECT_NE(outcome([&] { (void)st.pop(); (void)st.pop(); (void)st.pop(); }), kHung) << "pops finish";
}

}  // namespace
