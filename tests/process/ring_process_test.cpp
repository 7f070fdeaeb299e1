// Ring across real processes (fork), for every variant in zeroipc::RingVariants:
//   - two reader processes each get every byte of a 64 MiB transfer written
//     in chunks of random size, in order, checked byte by byte (8 MiB under
//     sanitizers); a third reader, SIGKILLed mid-transfer, does not stall
//     the writer for good;
//   - a second live writer gets RoleTaken; a dead writer's role is taken
//     over and the ring goes on from its last published position;
//   - a Reader inherited across fork() is refused in the child.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>
#include <zeroipc/registry.h>
#include <zeroipc/ring.h>

#include "test_support.h"
#include "variant_test_support.h"

namespace {

using namespace std::chrono_literals;
using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::Ring;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;
using zeroipc::test::Signal;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

std::uint8_t byte_at(std::uint64_t pos) { return static_cast<std::uint8_t>((pos * 2654435761u) >> 13); }

template <class V>
class RingProcess : public ::testing::Test {};
TYPED_TEST_SUITE(RingProcess, zeroipc::test::ToTypes<zeroipc::RingVariants>::type, zeroipc::test::VariantName);

TYPED_TEST(RingProcess, TwoReadersGetEveryByteOfABulkTransferAndAKilledOneStallsNothing) {
  const std::uint64_t total = (kSanitized ? 8ull : 64ull) << 20;
  ScopedName seg("ring");
  Memory mem(seg, 4 << 20);
  Ring<std::uint8_t, TypeParam> ring(mem, "bulk", 1 << 20);
  Array<std::uint64_t> got(mem, "got", 3);
  const std::string name = seg.str();
  Signal ready;
  auto reader_main = [&](int index, bool slow) {
    return [&, index, slow] {
      Memory m(name);
      Ring<std::uint8_t, TypeParam> r(m, "bulk");
      Array<std::uint64_t> g(m, "got");
      auto reader = r.reader();
      ready.send();
      std::mt19937_64 rng(static_cast<std::uint64_t>(index));
      for (std::uint64_t pos = 0; pos < total;) {
        std::span<const std::uint8_t> view = reader.read_acquire(1 + rng() % (256 << 10));
        for (std::size_t i = 0; i < view.size(); ++i) {
          if (view[i] != byte_at(pos + i)) return 2;
        }
        pos += view.size();
        reader.read_release(view.size());
        std::atomic_ref<std::uint64_t>(g[index]).store(pos);
        if (view.empty()) std::this_thread::yield();
        if (slow) std::this_thread::sleep_for(1ms);  // holds the writer back until it is killed
      }
      return 0;
    };
  };
  const pid_t a = spawn(reader_main(0, false));
  const pid_t b = spawn(reader_main(1, false));
  const pid_t doomed = spawn(reader_main(2, true));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ready.receive(10s));
  const pid_t writer = spawn([&] {
    Memory m(name);
    Ring<std::uint8_t, TypeParam> w(m, "bulk");
    std::mt19937_64 rng(42);
    std::vector<std::uint8_t> chunk;
    for (std::uint64_t pos = 0; pos < total;) {
      chunk.resize(std::min<std::uint64_t>(1 + rng() % (512 << 10), total - pos));
      for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = byte_at(pos + i);
      const std::size_t n = w.write_all(std::span<const std::uint8_t>(chunk), 60s);
      if (n != chunk.size()) return 3;  // stalled for a minute
      pos += n;
    }
    return 0;
  });
  // Kill the slow reader once it is well inside the transfer.
  while (std::atomic_ref<std::uint64_t>(got[2]).load() < (1u << 20)) std::this_thread::sleep_for(1ms);
  ::kill(doomed, SIGKILL);
  EXPECT_EQ(wait_for(doomed), 128 + SIGKILL);
  EXPECT_EQ(wait_for(writer), 0) << "3: the writer stalled (the dead reader held it back)";
  EXPECT_EQ(wait_for(a), 0) << "2: a byte out of order or wrong";
  EXPECT_EQ(wait_for(b), 0) << "2: a byte out of order or wrong";
  EXPECT_EQ(got[0], total);
  EXPECT_EQ(got[1], total);
}

TYPED_TEST(RingProcess, OneLiveWriterAndADeadOnesRoleIsTakenOver) {
  ScopedName seg("ringw");
  Memory mem(seg, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring(mem, "r", 64);
  auto reader = ring.reader();
  const std::uint32_t first[] = {1, 2, 3};
  ASSERT_EQ(ring.write(first), 3u);  // this process is the writer
  const std::string name = seg.str();
  const pid_t second = spawn([&] {
    Memory m(name);
    Ring<std::uint32_t, TypeParam> r(m, "r");
    const std::uint32_t x[] = {9};
    const std::string what = error_of([&] { r.write(x); });
    return contains(what, "writer role is held by live process " + std::to_string(::getppid())) ? 0 : 2;
  });
  EXPECT_EQ(wait_for(second), 0) << "a second live writer must get RoleTaken naming the holder";
  // A writer that dies holding the role: the next one takes it over and goes on.
  ScopedName seg2("ringw2");
  Memory mem2(seg2, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring2(mem2, "r", 64);
  auto r2 = ring2.reader();
  const std::string name2 = seg2.str();
  const pid_t dies = spawn([&] {
    Memory m(name2);
    Ring<std::uint32_t, TypeParam> r(m, "r");
    const std::uint32_t x[] = {7, 8};
    r.write(x);
    ::raise(SIGKILL);
    return 0;
  });
  EXPECT_EQ(wait_for(dies), 128 + SIGKILL);
  const std::uint32_t next[] = {9};
  EXPECT_EQ(ring2.write(next), 1u) << "the dead writer's role is taken over";
  std::uint32_t out[4] = {};
  ASSERT_EQ(r2.read(out), 3u);
  EXPECT_EQ(out[0], 7u);
  EXPECT_EQ(out[1], 8u);
  EXPECT_EQ(out[2], 9u);
}

TYPED_TEST(RingProcess, AReaderInheritedAcrossForkIsRefused) {
  ScopedName seg("ringf");
  Memory mem(seg, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring(mem, "r", 64);
  auto reader = ring.reader();
  const pid_t child = spawn([&] {
    std::uint32_t out[4];
    const std::string what = error_of([&] { reader.read(out); });
    return contains(what, "registered by another process") ? 0 : 2;
  });
  EXPECT_EQ(wait_for(child), 0);
  const std::uint32_t x[] = {5};
  ring.write(x);
  std::uint32_t out[2];
  EXPECT_EQ(reader.read(out), 1u) << "the parent's reader is untouched";
}

}  // namespace
