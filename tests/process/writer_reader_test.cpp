// A writer and a reader in different processes share an Array, both ways.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include "test_support.h"

namespace {

using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

TEST(WriterReader, AChildWritesAndTheParentReads) {
  ScopedName name;
  const pid_t writer = spawn([&] {
    Memory mem(name, 1 << 20);
    Array<double> a(mem, "samples", 4096);
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<double>(i) * 0.5;
    return 0;
  });
  ASSERT_EQ(wait_for(writer), 0);
  Memory peer(name);
  Array<double> a(peer, "samples");
  ASSERT_EQ(a.size(), 4096u);
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], static_cast<double>(i) * 0.5) << i;
}

TEST(WriterReader, ConcurrentProcessesHandOffThroughTheSegment) {
  // The parent and a child alternate writing rounds into one array; each waits
  // for its turn on a flag (atomic_ref on an element) and checks the other's
  // writes. Runs while both processes are attached and mapped at different
  // addresses.
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<std::uint64_t> data(mem, "data", 1024);
  Array<std::uint32_t> turn(mem, "turn", 1);
  constexpr std::uint32_t kRounds = 200;

  auto play = [&](Memory& m, std::uint32_t me) {
    Array<std::uint64_t> d(m, "data");
    Array<std::uint32_t> t(m, "turn");
    std::atomic_ref<std::uint32_t> flag(t[0]);
    for (std::uint32_t round = me; round < kRounds; round += 2) {
      while (flag.load(std::memory_order_acquire) != round) {
      }
      if (round > 0) {
        for (std::size_t i = 0; i < d.size(); ++i) {
          if (d[i] != (round - 1) * 1'000'000ull + i) return 1;
        }
      }
      for (std::size_t i = 0; i < d.size(); ++i) d[i] = round * 1'000'000ull + i;
      flag.store(round + 1, std::memory_order_release);
    }
    return 0;
  };
  const pid_t child = spawn([&] {
    Memory m(name);
    return play(m, 1);
  });
  EXPECT_EQ(play(mem, 0), 0);
  EXPECT_EQ(wait_for(child), 0);
  EXPECT_EQ(turn[0], kRounds);
}

TEST(WriterReader, AReaderSeesTheSegmentDisappearOnlyByName) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<int> a(mem, "a", 1);
  a[0] = 7;
  const pid_t child = spawn([&] {
    Memory m(name);
    Array<int> b(m, "a");
    Memory::unlink(name);  // removes the name; both mappings stay valid
    return b[0] == 7 ? 0 : 1;
  });
  EXPECT_EQ(wait_for(child), 0);
  EXPECT_EQ(a[0], 7);
  EXPECT_FALSE(Memory::exists(name));
}

}  // namespace
