// Channel<T>, buffered, between real processes (fork): the worker-pool seed
// of issue 6, try/timed operations, close() waking blocked senders and
// receivers, errors (closed, wrong type, wrong capacity, too large), threads
// of one process (for TSan), and processes SIGKILLed at each step of the
// protocol while holding the channel's lock.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include <zeroipc/channel.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>

#include "channel_test_support.h"
#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using channel_test::eventually;
using channel_test::kill_me_at;
using channel_test::Signal;
using zeroipc::Channel;
using zeroipc::ChannelClosed;
using zeroipc::Memory;
using zeroipc::detail::ChannelCrashPoint;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSegmentSize = 1 << 20;

struct Task {
  std::uint32_t id;
  std::uint32_t payload;
};
struct Result {
  std::uint32_t id;
  std::uint32_t worker;
  std::uint64_t value;
};
std::uint64_t work(const Task& t) { return std::uint64_t{t.payload} * 2654435761u + t.id; }

TEST(Channel, BufferedKeepsOrderAndReportsFullAndEmpty) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 3);
  EXPECT_TRUE(ch.created());
  EXPECT_EQ(ch.capacity(), 3u);
  EXPECT_FALSE(ch.is_rendezvous());
  EXPECT_FALSE(ch.try_receive().has_value());
  EXPECT_TRUE(ch.try_send(1));
  ch.send(2);
  EXPECT_TRUE(ch.send_for(3, 10ms));
  EXPECT_EQ(ch.size_approx(), 3u);
  EXPECT_FALSE(ch.try_send(4)) << "full at capacity 3 (not at the slot count 4)";
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_EQ(ch.receive_for(10ms), 3);
  EXPECT_FALSE(ch.try_receive().has_value());
  EXPECT_EQ(ch.size_approx(), 0u);
}

TEST(Channel, TimedOperationsTimeOutInBoundedTime) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 1);
  auto t0 = Clock::now();
  EXPECT_FALSE(ch.receive_for(60ms).has_value());
  auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 60ms);
  EXPECT_LT(waited, 1s);
  ch.send(1);
  t0 = Clock::now();
  EXPECT_FALSE(ch.send_for(2, 60ms));
  waited = Clock::now() - t0;
  EXPECT_GE(waited, 60ms);
  EXPECT_LT(waited, 1s);
  EXPECT_FALSE(ch.send_for(2, 0ms));
  EXPECT_FALSE(ch.send_for(2, -5ms));
  EXPECT_EQ(ch.receive(), 1);
}

TEST(Channel, WorkerPoolProcessesEveryTaskExactlyOnce) {
  // The seed of issue 6: a dispatcher, three workers and an aggregator, each
  // its own process; the dispatcher closes "tasks", the workers drain it and
  // stop, the parent closes "results" once they are gone.
  constexpr std::uint32_t kTasks = 3000;
  constexpr int kWorkers = 3;
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<Task> tasks(mem, "tasks", 16);
  Channel<Result> results(mem, "results", 16);

  const pid_t aggregator = spawn([&] {
    Memory peer(name);
    Channel<Result> in(peer, "results");
    std::vector<int> seen(kTasks, 0);
    std::vector<int> per_worker(kWorkers, 0);
    while (auto r = in.receive()) {
      if (r->id >= kTasks || r->worker >= kWorkers) return 2;
      if (r->value != work(Task{r->id, r->id ^ 0x5A5Au})) return 3;
      ++seen[r->id];
      ++per_worker[r->worker];
    }
    for (int s : seen) {
      if (s != 1) return 4;  // lost or duplicated
    }
    return 0;
  });
  std::vector<pid_t> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(spawn([&, w] {
      Memory peer(name);
      Channel<Task> in(peer, "tasks");
      Channel<Result> out(peer, "results");
      while (auto t = in.receive()) out.send(Result{t->id, static_cast<std::uint32_t>(w), work(*t)});
      return in.is_closed() ? 0 : 5;
    }));
  }
  const pid_t dispatcher = spawn([&] {
    Memory peer(name);
    Channel<Task> out(peer, "tasks");
    for (std::uint32_t i = 0; i < kTasks; ++i) out.send(Task{i, i ^ 0x5A5Au});
    return out.close() ? 0 : 6;
  });
  EXPECT_EQ(wait_for(dispatcher), 0);
  for (pid_t w : workers) EXPECT_EQ(wait_for(w), 0);
  EXPECT_TRUE(results.close());
  EXPECT_EQ(wait_for(aggregator), 0) << "2 bad id, 3 bad value, 4 a task lost or processed twice";
  EXPECT_TRUE(tasks.is_closed());
  EXPECT_EQ(tasks.size_approx(), 0u);
}

TEST(Channel, ThreadsOfOneProcessShareItToo) {
  // The same protocol between threads: what TSan can see.
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<std::uint64_t> ch(mem, "q", 8);
  constexpr std::uint64_t kPerProducer = 2000;
  std::atomic<std::uint64_t> sum{0};
  std::atomic<std::uint64_t> count{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < 2; ++p) {
    threads.emplace_back([&, p] {
      Channel<std::uint64_t> mine(mem, "q");
      for (std::uint64_t i = 1; i <= kPerProducer; ++i) mine.send(i + static_cast<std::uint64_t>(p) * 1'000'000);
    });
  }
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&] {
      Channel<std::uint64_t> mine(mem, "q");
      while (auto v = mine.receive()) {
        sum += *v;
        ++count;
      }
    });
  }
  threads[0].join();
  threads[1].join();
  ch.close();
  threads[2].join();
  threads[3].join();
  EXPECT_EQ(count.load(), 2 * kPerProducer);
  EXPECT_EQ(sum.load(), kPerProducer * (kPerProducer + 1) + kPerProducer * 1'000'000);
}

TEST(Channel, CloseIsIdempotentAndSendingOnAClosedChannelThrows) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "jobs", 4);
  ch.send(1);
  ch.send(2);
  EXPECT_TRUE(ch.close());
  EXPECT_FALSE(ch.close()) << "close() is idempotent";
  EXPECT_TRUE(ch.is_closed());
  EXPECT_EQ(ch.closed_by(), ::getpid());
  const std::string e = error_of([&] { ch.send(3); });
  EXPECT_TRUE(contains(e, "channel 'jobs'") && contains(e, "closed")) << e;
  EXPECT_TRUE(contains(e, "closed by process " + std::to_string(::getpid()))) << e;
  EXPECT_THROW(ch.try_send(3), ChannelClosed);
  EXPECT_THROW(ch.send_for(3, 10ms), ChannelClosed);
  EXPECT_EQ(ch.receive(), 1) << "what was sent before close() is still received";
  EXPECT_EQ(ch.try_receive(), 2);
  EXPECT_FALSE(ch.receive().has_value()) << "closed and drained: nullopt at once";
  EXPECT_FALSE(ch.receive_for(1h).has_value());
}

TEST(Channel, CloseWakesBlockedSendersAndReceiversInOtherProcesses) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> full(mem, "full", 1);
  Channel<int> empty(mem, "empty", 1);
  full.send(7);
  Signal started;
  std::vector<pid_t> kids;
  for (int i = 0; i < 2; ++i) {
    kids.push_back(spawn([&] {  // blocked senders: throw, their value not sent
      Memory peer(name);
      Channel<int> c(peer, "full");
      started.send();
      try {
        c.send(100);
      } catch (const ChannelClosed& e) {
        return contains(e.what(), "while this send waited") ? 0 : 2;
      }
      return 1;
    }));
    kids.push_back(spawn([&] {  // blocked receivers: nullopt
      Memory peer(name);
      Channel<int> c(peer, "empty");
      started.send();
      return c.receive().has_value() ? 1 : 0;
    }));
  }
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(started.receive());
  std::this_thread::sleep_for(30ms);  // let them reach their futex sleep (the test passes either way)
  const auto t0 = Clock::now();
  full.close();
  empty.close();
  for (pid_t k : kids) EXPECT_EQ(wait_for(k), 0);
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(full.receive(), 7) << "the element sent before close() is drained";
  EXPECT_FALSE(full.receive().has_value()) << "the blocked senders' values were not sent";
}

TEST(Channel, OpeningAsTheWrongTypeOrCapacityIsAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<std::int32_t> ch(mem, "task_queue", 4);
  Memory peer(name.str());
  Channel<std::int32_t> opened(peer, "task_queue");
  EXPECT_FALSE(opened.created());
  EXPECT_EQ(opened.capacity(), 4u);
  opened.send(5);
  EXPECT_EQ(ch.receive(), 5);

  std::string e = error_of([&] { Channel<double> wrong(peer, "task_queue"); });
  EXPECT_TRUE(contains(e, "expected element size 8 bytes, found 4")) << e;
  e = error_of([&] { Channel<float> wrong(peer, "task_queue"); });
  EXPECT_TRUE(contains(e, "expected element type f32, found i32")) << e;
  e = error_of([&] { Channel<std::int32_t> wrong(peer, "task_queue", 8); });
  EXPECT_TRUE(contains(e, "exists with capacity 4 (buffered), requested capacity 8 (buffered)")) << e;
  e = error_of([&] { Channel<std::int32_t> wrong(peer, "task_queue", 0); });
  EXPECT_TRUE(contains(e, "requested capacity 0 (rendezvous)")) << e;
  Channel<std::int32_t> rv(mem, "rv", 0);
  e = error_of([&] { Channel<std::int32_t> wrong(peer, "rv", 1); });
  EXPECT_TRUE(contains(e, "exists with capacity 0 (rendezvous), requested capacity 1 (buffered)")) << e;
  zeroipc::Future<std::int32_t> f(mem, "future");
  e = error_of([&] { Channel<std::int32_t> wrong(peer, "future"); });
  EXPECT_TRUE(contains(e, "expected channel (opened as Channel), found future")) << e;
  e = error_of([&] { zeroipc::Future<std::int32_t> wrong(peer, "task_queue", zeroipc::open_only); });
  EXPECT_TRUE(contains(e, "expected future (opened as Future), found channel")) << e;
  EXPECT_THROW(Channel<int>(peer, "missing"), zeroipc::NotFound);
}

TEST(Channel, ACapacityTooLargeIsAClearError) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  std::string e = error_of([&] { Channel<std::uint64_t> big(mem, "big", std::size_t{1} << 20); });
  EXPECT_TRUE(contains(e, "'big'") && contains(e, "needs")) << e;  // SegmentFull: the bytes it needs
  EXPECT_THROW(Channel<std::uint64_t>(mem, "big", std::size_t{1} << 20), zeroipc::SegmentFull);
  e = error_of([&] { Channel<char> huge(mem, "huge", (std::size_t{1} << 31) + 1); });
  EXPECT_TRUE(contains(e, "capacity 2147483649 is larger than the maximum 2^31")) << e;
  Channel<std::uint64_t> fits(mem, "fits", 1000);  // 448 + 1024 * 8 bytes
  EXPECT_EQ(fits.capacity(), 1000u);
}

// ---------------------------------------------------------------- crashes

// A child that dies at `point` inside send(99) on a buffered channel.
pid_t sender_killed_at(const ScopedName& name, ChannelCrashPoint point) {
  return spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "q");
    kill_me_at(point);
    c.send(99);
    return 1;  // not reached
  });
}

TEST(ChannelCrash, SenderKilledBeforeItsCommitLosesOnlyItsElement) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 4);
  ch.send(1);
  const pid_t victim = sender_killed_at(name, ChannelCrashPoint::kWritten);
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
  const auto t0 = Clock::now();
  ch.send(2);  // takes the dead holder's lock over
  EXPECT_LT(Clock::now() - t0, 1s);
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_EQ(ch.receive(), 2) << "99 was written but never published";
  EXPECT_FALSE(ch.try_receive().has_value());
}

TEST(ChannelCrash, SenderKilledAfterItsCommitHoldingTheLockWakesTheReceiver) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 4);
  Signal started;
  const pid_t receiver = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "q");
    started.send();
    const auto v = c.receive_for(3s);  // asleep when the sender dies, lock held, without waking it
    return v == 99 ? 0 : 1;
  });
  ASSERT_TRUE(started.receive());
  std::this_thread::sleep_for(30ms);
  const pid_t victim = sender_killed_at(name, ChannelCrashPoint::kPublished);
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
  EXPECT_EQ(wait_for(receiver), 0) << "the committed element is received";
  ch.send(3);
  EXPECT_EQ(ch.receive(), 3);
}

TEST(ChannelCrash, ReceiverKilledHoldingTheLockCostsAtMostItsElement) {
  for (const ChannelCrashPoint point : {ChannelCrashPoint::kLocked, ChannelCrashPoint::kTaken}) {
    ScopedName name;
    Memory mem(name, kSegmentSize);
    Channel<int> ch(mem, "q", 4);
    ch.send(1);
    ch.send(2);
    const pid_t victim = spawn([&] {
      Memory peer(name);
      Channel<int> c(peer, "q");
      kill_me_at(point);
      (void)c.receive();
      return 1;
    });
    ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
    const auto first = ch.receive_for(2s);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(*first, point == ChannelCrashPoint::kTaken ? 2 : 1)
        << "killed after moving head: element 1 died with it; before: nothing lost";
    ch.send(3);
    EXPECT_TRUE(ch.close());
    std::vector<int> rest;
    while (auto v = ch.receive()) rest.push_back(*v);
    EXPECT_EQ(rest.back(), 3);
  }
}

TEST(ChannelCrash, CloserKilledBeforeClosingLeavesTheChannelOpen) {
  ScopedName name;
  Memory mem(name, kSegmentSize);
  Channel<int> ch(mem, "q", 4);
  const pid_t victim = spawn([&] {
    Memory peer(name);
    Channel<int> c(peer, "q");
    kill_me_at(ChannelCrashPoint::kClosing);
    c.close();
    return 1;
  });
  ASSERT_EQ(wait_for(victim), 128 + SIGKILL);
  EXPECT_FALSE(ch.is_closed());
  EXPECT_TRUE(ch.try_send(1));
  EXPECT_TRUE(ch.close());
  EXPECT_EQ(ch.receive(), 1);
  EXPECT_FALSE(ch.receive().has_value());
}

}  // namespace
