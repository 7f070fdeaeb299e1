// N processes create structures in one segment at the same time: every entry
// is there once, no two overlap, and no process ever sees an entry whose
// structure is not initialised.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include "test_support.h"

namespace {

using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr int kProcesses = 8;
constexpr int kPrivate = 24;  // names only one process creates
constexpr int kShared = 12;   // names every process creates (create-or-open race)

std::string private_name(int p, int i) { return "p" + std::to_string(p) + "_" + std::to_string(i); }
std::string shared_name(int i) { return "shared_" + std::to_string(i); }
std::size_t capacity_of(int i) { return static_cast<std::size_t>(100 + 997 * i); }

TEST(ConcurrentCreate, EveryEntryOnceNoOverlapNoHalfMadeStructure) {
  ScopedName name;
  Memory mem(name, 16 << 20, 512);
  Array<std::uint32_t> go(mem, "go", 1);
  std::atomic_ref<std::uint32_t> start(go[0]);

  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    children.push_back(spawn([&, p] {
      Memory m(name);
      std::atomic_ref<std::uint32_t> flag(Array<std::uint32_t>(m, "go")[0]);
      while (flag.load(std::memory_order_acquire) == 0) {
      }
      for (int i = 0; i < kPrivate; ++i) {
        Array<std::uint32_t> a(m, private_name(p, i), capacity_of(i));
        if (!a.created()) return 2;
        std::fill(a.begin(), a.end(), static_cast<std::uint32_t>(p * 1000 + i));
        if (i < kShared) {
          Array<std::uint64_t> s(m, shared_name(i), capacity_of(i));
          // Whoever created it, it is initialised: zero, or a writer's tag.
          std::atomic_ref<std::uint64_t>(s[0]).fetch_add(1);
        }
      }
      return 0;
    }));
  }
  // A reader process checks every READY entry it can see while they are created.
  const pid_t reader = spawn([&] {
    Memory m(name);
    std::atomic_ref<std::uint32_t> flag(Array<std::uint32_t>(m, "go")[0]);
    while (flag.load(std::memory_order_acquire) == 0) {
    }
    const std::size_t expected = 1 + kProcesses * kPrivate + kShared;
    for (int rounds = 0; rounds < 100000; ++rounds) {
      const auto entries = m.table().entries();
      for (const auto& e : entries) {
        // Opening validates the structure header: throws if half-made.
        if (e.name.rfind("shared_", 0) == 0) {
          Array<std::uint64_t> s(m, e.name);
        } else {
          Array<std::uint32_t> a(m, e.name);
        }
      }
      if (entries.size() == expected) return 0;
    }
    return 3;
  });
  start.store(1, std::memory_order_release);
  for (pid_t c : children) EXPECT_EQ(wait_for(c), 0);
  EXPECT_EQ(wait_for(reader), 0);

  auto entries = mem.table().entries();
  ASSERT_EQ(entries.size(), static_cast<std::size_t>(1 + kProcesses * kPrivate + kShared));
  std::set<std::string> names;
  for (const auto& e : entries) EXPECT_TRUE(names.insert(e.name).second) << "duplicate " << e.name;
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    EXPECT_GE(entries[i].offset, entries[i - 1].offset + entries[i - 1].size)
        << entries[i - 1].name << " overlaps " << entries[i].name;
  }
  for (int p = 0; p < kProcesses; ++p) {
    for (int i = 0; i < kPrivate; ++i) {
      Array<std::uint32_t> a(mem, private_name(p, i));
      ASSERT_EQ(a.size(), capacity_of(i));
      EXPECT_TRUE(std::all_of(a.begin(), a.end(),
                              [&](std::uint32_t v) { return v == static_cast<std::uint32_t>(p * 1000 + i); }))
          << private_name(p, i);
    }
  }
  for (int i = 0; i < kShared; ++i) {
    Array<std::uint64_t> s(mem, shared_name(i));
    EXPECT_EQ(s[0], static_cast<std::uint64_t>(kProcesses)) << "every process opened the same " << shared_name(i);
  }
}

}  // namespace
