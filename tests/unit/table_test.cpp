// Table: lock-free lookup, creation under the owner lock, dead-holder takeover.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <set>
#include <thread>

#include <zeroipc/array.h>
#include <zeroipc/detail/layout.h>
#include <zeroipc/memory.h>
#include <zeroipc/table.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using zeroipc::Memory;
using zeroipc::test::ScopedName;

std::uint32_t& lock_word(Memory& mem) {
  return reinterpret_cast<zeroipc::detail::SegmentHeader*>(mem.base())->table_lock;
}
std::uint64_t& holder_pid(Memory& mem) {
  return reinterpret_cast<zeroipc::detail::SegmentHeader*>(mem.base())->lock_holder_pid;
}

TEST(Table, FindsOnlyWhatWasCreated) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  auto table = mem.table();
  EXPECT_EQ(table.capacity(), 64u);
  EXPECT_FALSE(table.find("x"));
  int calls = 0;
  auto made = table.find_or_create("x", 100, [&](std::byte* region, std::uint64_t size) {
    ++calls;
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(region) % 64, 0u);
    EXPECT_GE(size, 100u);
  });
  EXPECT_TRUE(made.created);
  EXPECT_EQ(made.entry.name, "x");
  EXPECT_EQ(made.entry.size, 128u);
  EXPECT_EQ(made.entry.creator_pid, static_cast<std::uint32_t>(::getpid()));
  auto again = table.find_or_create("x", 100, [&](std::byte*, std::uint64_t) { ++calls; });
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.entry.offset, made.entry.offset);
  EXPECT_EQ(calls, 1) << "init runs once, by the creator";
  auto found = table.find("x");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->offset, made.entry.offset);
  ASSERT_EQ(table.entries().size(), 1u);
}

TEST(Table, AnInitializerThatThrowsLeavesNoEntryAndItsRegionIsReused) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  auto table = mem.table();
  EXPECT_THROW(table.find_or_create("bad", 1000,
                                    [](std::byte*, std::uint64_t) { throw std::runtime_error("no"); }),
               std::runtime_error);
  EXPECT_FALSE(table.find("bad"));
  const std::size_t free_before = mem.free_bytes();
  auto made = table.find_or_create("good", 500, [](std::byte*, std::uint64_t) {});
  EXPECT_EQ(mem.free_bytes(), free_before) << "the abandoned region was reused";
  EXPECT_EQ(made.entry.size, 1024u);
  EXPECT_EQ(lock_word(mem), 0u) << "the lock was released";
}

TEST(Table, ALockHeldByADeadProcessIsTakenOver) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  lock_word(mem) = zeroipc::test::dead_owner_key();  // as if it died holding the lock
  const auto t0 = std::chrono::steady_clock::now();
  zeroipc::Array<int> a(mem, "after", 4);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(lock_word(mem), 0u);
}

TEST(Table, ALockHeldByALiveProcessTimesOutWithItsPid) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  zeroipc::test::LiveOwner holder;
  lock_word(mem) = holder.key();
  holder_pid(mem) = static_cast<std::uint64_t>(holder.pid());
  try {
    mem.table().find_or_create("x", 64, [](std::byte*, std::uint64_t) {}, 200ms);
    ADD_FAILURE() << "created under a lock held by a live process";
  } catch (const zeroipc::Timeout& e) {
    EXPECT_NE(std::string(e.what()).find("live process " + std::to_string(holder.pid())),
              std::string::npos)
        << e.what();
  }
  holder.kill();
  EXPECT_NO_THROW(mem.table().find_or_create("x", 64, [](std::byte*, std::uint64_t) {}, 2000ms));
}

TEST(Table, AZombieHolderCountsAsDead) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  std::uint32_t key = 0;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t zombie = zeroipc::test::spawn([&] {
    key = zeroipc::detail::self_key();
    return ::write(fds[1], &key, sizeof key) == static_cast<ssize_t>(sizeof key) ? 0 : 1;
  });
  ASSERT_EQ(::read(fds[0], &key, sizeof key), static_cast<ssize_t>(sizeof key));
  ::close(fds[0]);
  ::close(fds[1]);
  // Not reaped yet: kill(pid, 0) would still succeed, /proc says 'Z'.
  for (int i = 0; i < 200; ++i) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(zombie), &info, WEXITED | WNOWAIT) == 0) break;
  }
  lock_word(mem) = key | zeroipc::detail::kLockWaitersBit;
  EXPECT_NO_THROW(mem.table().find_or_create("z", 64, [](std::byte*, std::uint64_t) {}, 2000ms));
  zeroipc::test::wait_for(zombie);
}

TEST(Table, ThreadsCreatingConcurrentlyGetOneEntryPerName) {
  ScopedName name;
  Memory mem(name, 8 << 20, 512);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 60;
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Half the names are shared by every thread, half are private.
        const std::string n = (i % 2 == 0) ? "shared" + std::to_string(i)
                                           : "t" + std::to_string(t) + "_" + std::to_string(i);
        zeroipc::Array<std::uint64_t> a(mem, n, 16);
        if (a.created()) created.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto entries = mem.table().entries();
  EXPECT_EQ(entries.size(), static_cast<std::size_t>(kPerThread / 2 + kThreads * kPerThread / 2));
  EXPECT_EQ(created.load(), static_cast<int>(entries.size()));
  std::set<std::string> names;
  for (const auto& e : entries) EXPECT_TRUE(names.insert(e.name).second) << "duplicate " << e.name;
}

}  // namespace

namespace {

TEST(Table, ALongInitialisationDoesNotKeepOtherCreatorsWaiting) {
  // The table lock covers reserving an entry, not initialising the structure
  // (SPECIFICATION.md §3.1): a creator that takes seconds to initialise a
  // large structure must not make others time out.
  ScopedName name;
  Memory mem(name, 1 << 20);
  zeroipc::test::Signal initialising, finish;
  const pid_t slow = zeroipc::test::spawn([&] {
    Memory m(name);
    m.table().find_or_create("big", 4096, [&](std::byte*, std::uint64_t) {
      initialising.send();
      if (!finish.receive(std::chrono::seconds(10))) std::abort();
    });
    return 0;
  });
  ASSERT_TRUE(initialising.receive());
  // Another name: created at once, with a short patience.
  EXPECT_NO_THROW(mem.table().find_or_create("other", 64, [](std::byte*, std::uint64_t) {}, 500ms));
  // The same name: waits for the creator (not a second creation), then opens it.
  std::atomic<bool> opened{false};
  std::thread same([&] {
    auto r = mem.table().find_or_create("big", 4096, [](std::byte*, std::uint64_t) { ADD_FAILURE() << "created twice"; },
                                        10000ms);
    opened = !r.created;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(opened.load()) << "opened before its creator published it";
  finish.send();
  same.join();
  EXPECT_TRUE(opened.load());
  EXPECT_EQ(zeroipc::test::wait_for(slow), 0);
}

TEST(Table, ACreatorKilledWhileInitialisingOutsideTheLockLeavesItsRegionForReuse) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  zeroipc::test::Signal initialising;
  const pid_t victim = zeroipc::test::spawn([&] {
    Memory m(name);
    m.table().find_or_create("half", 4096, [&](std::byte*, std::uint64_t) {
      initialising.send();
      for (;;) ::pause();
    });
    return 1;
  });
  ASSERT_TRUE(initialising.receive());
  EXPECT_FALSE(mem.table().find("half").has_value()) << "nothing half-made is visible";
  ::kill(victim, SIGKILL);
  zeroipc::test::wait_for(victim);
  const std::size_t free_before = mem.free_bytes();
  auto again = mem.table().find_or_create("half", 4096, [](std::byte*, std::uint64_t) {}, 2000ms);
  EXPECT_TRUE(again.created);
  EXPECT_EQ(mem.free_bytes(), free_before) << "the dead creator's region was reused";
}

}  // namespace
