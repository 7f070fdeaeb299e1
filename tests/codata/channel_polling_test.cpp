// Polling a Channel with try_send / try_receive (and select's first look):
// an answer of "not ready" is read without the channel's lock.
//
// Why it matters: a spinning ping-pong (the harness's zeroipc_channel_spin)
// polls an empty channel millions of times a second. When each poll took the
// lock, the poller contended with the very sender it was waiting for, and on
// a loaded 2-core machine a round trip went from microseconds to ~12 ms (the
// sender, finding the lock held by a preempted poller, gave its core away).
// These tests count lock acquisitions through the channel's kLocked crash
// point, which every acquisition passes: a poll that finds nothing to do must
// pass it zero times, and anything else (an element to take, a closed or
// corrupt channel) must still go through the lock and get its usual answer.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>
#include <zeroipc/select.h>

#include "channel_test_support.h"
#include "test_support.h"

namespace {

using zeroipc::Channel;
using zeroipc::ChannelClosed;
using zeroipc::Memory;
using zeroipc::detail::ChannelCrashPoint;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;

constexpr std::size_t kSegmentSize = 1 << 20;

std::atomic<int> g_locks{0};

/// Counts the channel-lock acquisitions of this process while alive.
class LockCounter {
 public:
  LockCounter() {
    g_locks.store(0);
    zeroipc::detail::channel_crash_hook().store(+[](ChannelCrashPoint p) {
      if (p == ChannelCrashPoint::kLocked) g_locks.fetch_add(1);
    });
  }
  ~LockCounter() { zeroipc::detail::channel_crash_hook().store(nullptr); }
  LockCounter(const LockCounter&) = delete;
  LockCounter& operator=(const LockCounter&) = delete;
  /// Acquisitions since the last call.
  int take() { return g_locks.exchange(0); }
};

TEST(ChannelPolling, BufferedEmptyTryReceiveAndFullTrySendTakeNoLock) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 2);
  LockCounter locks;

  for (int i = 0; i < 100; ++i) EXPECT_FALSE(ch.try_receive().has_value());
  EXPECT_EQ(locks.take(), 0) << "polling an empty channel must not take its lock";

  EXPECT_TRUE(ch.try_send(1));
  EXPECT_TRUE(ch.try_send(2));
  EXPECT_EQ(locks.take(), 2) << "a send that has room goes through the lock";
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(ch.try_send(3));
  EXPECT_EQ(locks.take(), 0) << "polling a full channel must not take its lock";

  EXPECT_EQ(ch.try_receive(), 1);
  EXPECT_EQ(locks.take(), 1) << "a receive that has an element goes through the lock";
  EXPECT_TRUE(ch.try_send(3)) << "room again after the receive";
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_EQ(ch.try_receive(), 3);
  EXPECT_FALSE(ch.try_receive().has_value());
}

TEST(ChannelPolling, ClosedChannelStillAnswersThroughTheLock) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> full(mem, "full", 1);
  Channel<int> empty(mem, "empty", 1);
  full.send(7);
  full.close();
  empty.close();
  LockCounter locks;

  EXPECT_THROW((void)full.try_send(8), ChannelClosed)
      << "a full, closed channel: the send throws rather than reporting 'not ready'";
  EXPECT_EQ(full.try_receive(), 7) << "drained after the close";
  EXPECT_FALSE(full.try_receive().has_value()) << "then the end";
  EXPECT_FALSE(empty.try_receive().has_value());
  EXPECT_GE(locks.take(), 4) << "every one of those answers is decided under the lock";
}

TEST(ChannelPolling, RendezvousPollsWithNoPartnerTakeNoLock) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "r", 0);
  LockCounter locks;
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(ch.try_receive().has_value()) << "no offer posted";
    EXPECT_FALSE(ch.try_send(1)) << "no receiver waiting";
  }
  EXPECT_EQ(locks.take(), 0);
}

TEST(ChannelPolling, TrySelectOverIdleChannelsTakesNoLock) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> in(mem, "in", 4);
  Channel<int> out(mem, "out", 1);
  out.send(0);  // full
  LockCounter locks;
  std::optional<int> got;
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(zeroipc::try_select(zeroipc::recv_case(in, [&](int v) { got = v; }),
                                     zeroipc::send_case(out, 1, [] {}))
                     .has_value());
  }
  EXPECT_EQ(locks.take(), 0);
  in.send(5);
  EXPECT_EQ(zeroipc::try_select(zeroipc::recv_case(in, [&](int v) { got = v; }), zeroipc::send_case(out, 1, [] {})),
            std::optional<std::size_t>(0));
  EXPECT_EQ(got, 5);
}

TEST(ChannelPolling, CorruptPositionsAreStillAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 4);
  // head beyond tail: no valid channel holds this; the lock-free look must
  // not answer "empty" or "full" for it, the locked path must say what is wrong.
  const auto entry = mem.table().find("q");
  ASSERT_TRUE(entry.has_value());
  auto* layout = reinterpret_cast<zeroipc::detail::ChannelLayout*>(mem.base() + entry->offset);
  std::atomic_ref<std::uint64_t>(layout->head).store(9);
  std::atomic_ref<std::uint64_t>(layout->tail).store(3);
  EXPECT_THROW((void)ch.try_receive(), zeroipc::CorruptSegment);
  EXPECT_THROW((void)ch.try_send(1), zeroipc::CorruptSegment);
  EXPECT_TRUE(contains(error_of([&] { (void)ch.try_receive(); }), "head 9 and tail 3"))
      << error_of([&] { (void)ch.try_receive(); });
}

}  // namespace
