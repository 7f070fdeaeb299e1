// zeroipc::select over channels: the first ready case wins (in argument
// order), select_for times out, try_select takes the default branch, a
// select asleep in one process is woken by a send or a receive in another,
// closed channels, and rendezvous channels (a select meets a blocked
// receive, a blocked send, and another select).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <unistd.h>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>
#include <zeroipc/select.h>

#include "channel_test_support.h"
#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using channel_test::eventually;
using channel_test::Signal;
using zeroipc::Channel;
using zeroipc::ChannelClosed;
using zeroipc::Memory;
using zeroipc::recv_case;
using zeroipc::send_case;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 1 << 20;

TEST(ChannelSelect, TheFirstReadyCaseWinsInArgumentOrder) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> a(mem, "a", 4);
  Channel<double> b(mem, "b", 4);
  int got_a = 0;
  double got_b = 0;
  b.send(2.5);
  EXPECT_EQ(zeroipc::select(recv_case(a, [&](int v) { got_a = v; }), recv_case(b, [&](double v) { got_b = v; })), 1u);
  EXPECT_EQ(got_b, 2.5);
  a.send(1);
  b.send(3.5);
  EXPECT_EQ(zeroipc::select(recv_case(a, [&](int v) { got_a = v; }), recv_case(b, [&](double v) { got_b = v; })), 0u)
      << "both ready: the earlier case";
  EXPECT_EQ(got_a, 1);
  EXPECT_EQ(b.size_approx(), 1u) << "exactly one case fired";
}

TEST(ChannelSelect, SelectForTimesOutAndTrySelectTakesTheDefaultBranch) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> a(mem, "a", 1);
  Channel<int> b(mem, "b", 1);
  b.send(0);  // b full: its send case is not ready either
  int fired = 0;
  const auto t0 = Clock::now();
  EXPECT_FALSE(zeroipc::select_for(60ms, recv_case(a, [&](int) { ++fired; }), send_case(b, 1, [&] { ++fired; })));
  EXPECT_GE(Clock::now() - t0, 60ms);
  EXPECT_LT(Clock::now() - t0, 1s);
  const auto t1 = Clock::now();
  EXPECT_FALSE(zeroipc::try_select(recv_case(a, [&](int) { ++fired; }), send_case(b, 1, [&] { ++fired; })));
  EXPECT_LT(Clock::now() - t1, 100ms);
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(zeroipc::try_select(recv_case(a, [&](int) { ++fired; }), send_case(a, 9, [&] { ++fired; })), 1u);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(a.receive(), 9);
}

TEST(ChannelSelect, ASelectInOneProcessIsWokenByASendInAnother) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> a(mem, "a", 2);
  Channel<int> b(mem, "b", 2);
  Signal go;
  const pid_t sender = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "b");
    if (!go.receive()) return 2;
    std::this_thread::sleep_for(50ms);  // the select is asleep by now
    c.send(77);
    return 0;
  });
  go.send();
  int got = 0;
  const auto t0 = Clock::now();
  const std::size_t i = zeroipc::select(recv_case(a, [&](int v) { got = -v; }), recv_case(b, [&](int v) { got = v; }));
  EXPECT_EQ(i, 1u);
  EXPECT_EQ(got, 77);
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(wait_for(sender), 0);
}

TEST(ChannelSelect, ASendCaseFiresWhenAnotherProcessMakesRoom) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> c(mem, "c", 1);
  Channel<int> never(mem, "never", 1);
  c.send(1);
  const pid_t receiver = spawn([&] {
    Memory peer(name);
    Channel<int> in(peer, "c");
    std::this_thread::sleep_for(50ms);
    if (in.receive() != 1) return 1;
    return in.receive_for(3s) == 2 ? 0 : 2;
  });
  bool sent = false;
  const auto i = zeroipc::select_for(3s, recv_case(never, [](int) {}), send_case(c, 2, [&] { sent = true; }));
  EXPECT_EQ(i, std::optional<std::size_t>(1));
  EXPECT_TRUE(sent);
  EXPECT_EQ(wait_for(receiver), 0);
}

TEST(ChannelSelect, ClosedChannels) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> a(mem, "a", 2);
  Channel<int> b(mem, "b", 2);
  a.send(1);
  a.close();
  b.close();
  int got = 0;
  bool a_closed = false;
  // a still holds 1: drained first.
  EXPECT_EQ(zeroipc::select(recv_case(a, [&](int v) { got = v; }, [&] { a_closed = true; }), recv_case(b, [](int) {})), 0u);
  EXPECT_EQ(got, 1);
  EXPECT_FALSE(a_closed);
  // Now a is closed and drained: its on_closed action fires.
  EXPECT_EQ(zeroipc::select(recv_case(a, [&](int v) { got = v; }, [&] { a_closed = true; }), recv_case(b, [](int) {})), 0u);
  EXPECT_TRUE(a_closed);
  // Without on_closed actions and every channel closed: an error, not a hang.
  const std::string e = error_of([&] { zeroipc::select(recv_case(a, [](int) {}), recv_case(b, [](int) {})); });
  EXPECT_TRUE(contains(e, "closed and drained")) << e;
  EXPECT_THROW(zeroipc::try_select(recv_case(a, [](int) {})), ChannelClosed);
  // A closed channel's recv case is skipped while others are live.
  Channel<int> c(mem, "c", 2);
  c.send(5);
  EXPECT_EQ(zeroipc::select(recv_case(a, [](int) {}), recv_case(c, [&](int v) { got = v; })), 1u);
  EXPECT_EQ(got, 5);
  // Sending on a closed channel from a select throws.
  EXPECT_THROW(zeroipc::try_select(send_case(b, 1)), ChannelClosed);
}

TEST(ChannelSelect, ASleepingSelectIsWokenByCloseInAnotherProcess) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> a(mem, "a", 2);
  const pid_t closer = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "a");
    std::this_thread::sleep_for(50ms);
    c.close();
    return 0;
  });
  bool closed = false;
  EXPECT_EQ(zeroipc::select_for(3s, recv_case(a, [](int) {}, [&] { closed = true; })), std::optional<std::size_t>(0));
  EXPECT_TRUE(closed);
  EXPECT_EQ(wait_for(closer), 0);
}

TEST(ChannelSelect, RendezvousRecvCaseTakesABlockedSendersOffer) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  Channel<int> other(mem, "other", 1);
  const pid_t sender = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    std::this_thread::sleep_for(30ms);
    c.send(9);  // returns once the select took it
    return 0;
  });
  int got = 0;
  EXPECT_EQ(zeroipc::select_for(3s, recv_case(other, [](int) {}), recv_case(rv, [&](int v) { got = v; })),
            std::optional<std::size_t>(1));
  EXPECT_EQ(got, 9);
  EXPECT_EQ(wait_for(sender), 0);
  EXPECT_EQ(rv.core().receivers_waiting(), 0u) << "the select no longer counts as a waiting receiver";
}

TEST(ChannelSelect, RendezvousSendCaseMeetsABlockedReceiverAndAnotherSelect) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> rv(mem, "rv", 0);
  EXPECT_FALSE(zeroipc::try_select(send_case(rv, 1))) << "no receiver waiting: not ready";
  const pid_t receiver = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    return c.receive_for(3s) == 4 ? 0 : 1;
  });
  EXPECT_EQ(zeroipc::select_for(3s, send_case(rv, 4)), std::optional<std::size_t>(0));
  EXPECT_EQ(wait_for(receiver), 0);

  const pid_t selecting = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "rv");
    int got = 0;
    const auto i = zeroipc::select_for(3s, recv_case(c, [&](int v) { got = v; }));
    return i == std::optional<std::size_t>(0) && got == 6 ? 0 : 1;
  });
  bool sent = false;
  EXPECT_EQ(zeroipc::select_for(3s, send_case(rv, 6, [&] { sent = true; })), std::optional<std::size_t>(0));
  EXPECT_TRUE(sent);
  EXPECT_EQ(wait_for(selecting), 0);
  EXPECT_TRUE(eventually([&] { return rv.core().receivers_waiting() == 0; }));
}

}  // namespace
