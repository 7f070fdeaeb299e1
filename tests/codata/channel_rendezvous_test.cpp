// Channel<T> of capacity 0 (rendezvous) between real processes: a send
// returns only after a receive took that value; try/timed operations;
// close() while an offer is posted (taken or withdrawn, never lost); many
// senders and receivers; and senders SIGKILLed in the middle of a handoff.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>

#include "channel_test_support.h"
#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using channel_test::eventually;
using channel_test::kill_me_at;
using channel_test::now_ns;
using channel_test::SharedCounters;
using channel_test::Signal;
using zeroipc::Channel;
using zeroipc::ChannelClosed;
using zeroipc::Memory;
using zeroipc::detail::ChannelCrashPoint;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 1 << 20;

TEST(ChannelRendezvous, SendReturnsOnlyAfterAReceiveTookTheValue) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<std::int64_t> rv(mem, "rv", 0);
  EXPECT_TRUE(rv.is_rendezvous());
  EXPECT_EQ(rv.capacity(), 0u);
  SharedCounters shared;  // [0] receiving flag, [1] send start, [2] send return, [3] receive start
  const pid_t sender = spawn([&] {
    Memory peer(name);
    Channel<std::int64_t> c(peer, "rv");
    shared[1].store(now_ns());
    if (!c.send_for(42, 10s)) return 2;
    shared[2].store(now_ns());
    return shared[0].load() == 1 ? 0 : 1;  // the receiver had started before send returned
  });
  ASSERT_TRUE(eventually([&] { return rv.core().offer_owner() == sender; }));
  std::this_thread::sleep_for(100ms);  // the sender stays blocked while nobody receives
  EXPECT_EQ(shared[2].load(), 0u) << "send returned with no receiver";
  shared[0].store(1);
  shared[3].store(now_ns());
  EXPECT_EQ(rv.receive(), 42);
  EXPECT_EQ(wait_for(sender), 0) << "send returned before the receive began";
  EXPECT_GE(shared[2].load(), shared[3].load());
  EXPECT_GE(shared[2].load() - shared[1].load(), 100'000'000u) << "the sender was blocked ~100 ms";
  EXPECT_EQ(rv.core().offer_owner(), 0);
}

TEST(ChannelRendezvous, ReceiveBlocksUntilASenderOffers) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  Signal go;
  const pid_t sender = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    if (!go.receive()) return 2;
    return c.send_for(5, 10s) ? 0 : 1;
  });
  go.send();
  EXPECT_EQ(rv.receive_for(3s), 5);
  EXPECT_EQ(wait_for(sender), 0);
}

TEST(ChannelRendezvous, TrySendNeedsAWaitingReceiverAndTryReceiveAnOffer) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  auto t0 = Clock::now();
  EXPECT_FALSE(rv.try_send(1)) << "nobody receives";
  EXPECT_FALSE(rv.try_receive().has_value()) << "nobody offers";
  EXPECT_LT(Clock::now() - t0, 100ms);

  const pid_t receiver = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    return c.receive_for(3s) == 7 ? 0 : 1;
  });
  ASSERT_TRUE(eventually([&] { return rv.core().receivers_waiting() == 1; }));
  EXPECT_TRUE(rv.try_send(7));
  EXPECT_EQ(wait_for(receiver), 0);
  EXPECT_EQ(rv.core().receivers_waiting(), 0u);

  const pid_t sender = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    return c.send_for(8, 10s) ? 0 : 1;
  });
  ASSERT_TRUE(eventually([&] { return rv.core().offer_owner() == sender; }));
  EXPECT_EQ(rv.try_receive(), 8);
  EXPECT_EQ(wait_for(sender), 0);
}

TEST(ChannelRendezvous, SendForWithdrawsAnOfferNobodyTook) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  const auto t0 = Clock::now();
  EXPECT_FALSE(rv.send_for(1, 60ms));
  EXPECT_GE(Clock::now() - t0, 60ms);
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(rv.core().offer_owner(), 0) << "withdrawn";
  EXPECT_FALSE(rv.try_receive().has_value());
  EXPECT_FALSE(rv.receive_for(30ms).has_value());
}

TEST(ChannelRendezvous, CloseWhileAnOfferIsPostedTakesOrWithdrawsItNeverLosesIt) {
  // Deterministic half: the sender withdraws before anyone receives.
  {
    ScopedName name;
    Memory mem(name, kSegmentSize);
    Channel<int> rv(mem, "rv", 0);
    const pid_t sender = spawn([&] {
      Memory peer(name);
      Channel<int> c(peer, "rv");
      try {
        c.send(3);
      } catch (const ChannelClosed&) {
        return 0;
      }
      return 1;
    });
    ASSERT_TRUE(eventually([&] { return rv.core().offer_owner() == sender; }));
    rv.close();
    EXPECT_EQ(wait_for(sender), 0) << "send threw: its value was withdrawn";
    EXPECT_FALSE(rv.receive().has_value()) << "and is not delivered";
  }
  // Racy half: a receive right after close() may take the offer first.
  // Either way the two sides agree.
  int taken = 0;
  for (int round = 0; round < 8; ++round) {
    ScopedName name;
    Memory mem(name, kSegmentSize);
    Channel<int> rv(mem, "rv", 0);
    const pid_t sender = spawn([&] {
      Memory peer(name);
      Channel<int> c(peer, "rv");
      try {
        c.send(round);
      } catch (const ChannelClosed&) {
        return 10;  // withdrawn
      }
      return 20;  // taken
    });
    ASSERT_TRUE(eventually([&] { return rv.core().offer_owner() == sender; }));
    rv.close();
    const auto got = rv.receive();
    const int code = wait_for(sender);
    if (got) {
      EXPECT_EQ(*got, round);
      EXPECT_EQ(code, 20) << "the receiver has the value, yet send threw";
      ++taken;
    } else {
      EXPECT_EQ(code, 10) << "send returned, yet no receiver has the value";
    }
  }
  std::printf("  close-vs-receive race: %d of 8 offers taken, the rest withdrawn\n", taken);
}

TEST(ChannelRendezvous, ManySendersAndReceiversInManyProcesses) {
  constexpr int kSenders = 3;
  constexpr int kPerSender = 150;
  constexpr int kReceivers = 2;
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<std::uint32_t> rv(mem, "rv", 0);
  Channel<std::uint32_t> got(mem, "got", 1024);
  std::vector<pid_t> kids;
  for (int r = 0; r < kReceivers; ++r) {
    kids.push_back(spawn([&] {
      Memory peer(name);
      Channel<std::uint32_t> in(peer, "rv");
      Channel<std::uint32_t> out(peer, "got");
      while (auto v = in.receive()) out.send(*v);
      return 0;
    }));
  }
  std::vector<pid_t> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.push_back(spawn([&, s] {
      Memory peer(name);
      Channel<std::uint32_t> out(peer, "rv");
      for (int i = 0; i < kPerSender; ++i) out.send(static_cast<std::uint32_t>(s * kPerSender + i));
      return 0;
    }));
  }
  for (pid_t s : senders) EXPECT_EQ(wait_for(s), 0);
  rv.close();
  for (pid_t k : kids) EXPECT_EQ(wait_for(k), 0);
  std::vector<int> seen(kSenders * kPerSender, 0);
  while (auto v = got.try_receive()) {
    ASSERT_LT(*v, seen.size());
    ++seen[*v];
  }
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 1) << "value " << i;
}

// ---------------------------------------------------------------- crashes

pid_t rendezvous_sender_killed_at(const ScopedName& name, ChannelCrashPoint point, int value) {
  return spawn([&, value] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    kill_me_at(point);
    c.send(value);
    return 1;
  });
}

TEST(ChannelRendezvousCrash, SenderKilledMidHandoffHoldingTheLockDoesNotHangTheReceiver) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  Signal started;
  Signal first_done;
  const pid_t receiver = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    started.send();
    const auto t0 = Clock::now();
    if (c.receive_for(300ms).has_value()) return 1;  // nothing was ever offered
    if (Clock::now() - t0 > 3s) return 2;            // it must come back from a dead holder's lock
    first_done.send();
    return c.receive_for(10s) == 2 ? 0 : 3;  // the next live sender's value arrives
  });
  ASSERT_TRUE(started.receive());
  // Killed with the value copied into the cell, the lock held, the offer not posted.
  const pid_t victim = rendezvous_sender_killed_at(name, ChannelCrashPoint::kWritten, 1);
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
  ASSERT_TRUE(first_done.receive(10s));
  EXPECT_TRUE(rv.send_for(2, 10s));  // returns once the receiver took 2
  EXPECT_EQ(wait_for(receiver), 0) << "1 got a value never offered, 2 hung, 3 lost the next value";
}

TEST(ChannelRendezvousCrash, AnOfferPostedByASenderThatDiedIsDeliveredOnce) {
  for (const ChannelCrashPoint point : {ChannelCrashPoint::kPublished, ChannelCrashPoint::kOffered}) {
    ScopedName name;
    Memory mem(name, kSegmentSize);
    Channel<int> rv(mem, "rv", 0);
    const pid_t victim = rendezvous_sender_killed_at(name, point, 11);
    ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
    const auto t0 = Clock::now();
    EXPECT_EQ(rv.receive_for(2s), 11) << "the posted offer is complete: it is delivered";
    EXPECT_LT(Clock::now() - t0, 1s);
    EXPECT_FALSE(rv.try_receive().has_value()) << "once";
  }
}

TEST(ChannelRendezvousCrash, ABlockedSenderWithdrawsTheOfferOfADeadSender) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  const pid_t victim = rendezvous_sender_killed_at(name, ChannelCrashPoint::kOffered, 1);
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
  EXPECT_EQ(rv.core().offer_owner(), victim);
  const pid_t live = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    return c.send_for(2, 5s) ? 0 : 1;
  });
  // Within one 20 ms owner-check slice the live sender sees the owner dead,
  // withdraws that offer and posts its own.
  ASSERT_TRUE(eventually([&] { return rv.core().offer_owner() == live; }, 2s));
  EXPECT_EQ(rv.receive(), 2);
  EXPECT_EQ(wait_for(live), 0);
  EXPECT_FALSE(rv.try_receive().has_value()) << "the dead sender's 1 was withdrawn, not delivered";
}

}  // namespace
