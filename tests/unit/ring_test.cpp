// Ring<T, V>: one typed suite over zeroipc::RingVariants — readers see what
// was written after they registered, in order; the writer is gated by the
// slowest reader and writes freely with none; zero-copy acquire/release
// across the wrap; any capacity; 64 readers at most; checks on open;
// hostile positions; a writer thread and reader threads moving 10^6 checked
// elements.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/registry.h>
#include <zeroipc/ring.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::Ring;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;

template <class V>
class RingTest : public ::testing::Test {};
TYPED_TEST_SUITE(RingTest, zeroipc::test::ToTypes<zeroipc::RingVariants>::type, zeroipc::test::VariantName);

std::vector<std::uint32_t> iota(std::uint32_t from, std::size_t n) {
  std::vector<std::uint32_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

TYPED_TEST(RingTest, ReadersSeeWhatWasWrittenAfterTheyRegisteredInOrder) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring(mem, "r", 16);
  EXPECT_EQ(ring.capacity(), 16u);
  auto early = ring.reader();
  EXPECT_EQ(ring.write(iota(0, 10)), 10u);
  auto late = ring.reader();
  EXPECT_EQ(ring.write(iota(10, 4)), 4u);
  std::vector<std::uint32_t> out(32);
  ASSERT_EQ(early.read(out), 14u);
  EXPECT_EQ(std::vector<std::uint32_t>(out.begin(), out.begin() + 14), iota(0, 14));
  ASSERT_EQ(late.read(out), 4u);
  EXPECT_EQ(std::vector<std::uint32_t>(out.begin(), out.begin() + 4), iota(10, 4));
  EXPECT_EQ(late.read(out), 0u);
  EXPECT_EQ(ring.readers(), 2u);
}

TYPED_TEST(RingTest, TheSlowestReaderGatesTheWriterAndNoReaderGatesNothing) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring(mem, "r", 8);
  EXPECT_EQ(ring.write(iota(0, 20)), 8u) << "no reader: a ring's worth, nothing kept for anyone";
  {
    auto r = ring.reader();
    EXPECT_EQ(ring.write(iota(100, 20)), 8u);
    EXPECT_EQ(ring.write(iota(200, 1)), 0u) << "full: the reader has read nothing";
    std::vector<std::uint32_t> out(5);
    ASSERT_EQ(r.read(out), 5u);
    EXPECT_EQ(out, iota(100, 5));
    EXPECT_EQ(ring.write(iota(108, 20)), 5u);
    std::vector<std::uint32_t> rest(8);
    ASSERT_EQ(r.read(rest), 8u);
    EXPECT_EQ(rest, iota(105, 8)) << "across the wrap, nothing overwritten";
  }
  EXPECT_EQ(ring.readers(), 0u) << "a destroyed reader leaves its slot";
  EXPECT_EQ(ring.write(iota(0, 20)), 8u);
}

TYPED_TEST(RingTest, ZeroCopyAcquireAndReleaseAcrossTheWrap) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<std::uint64_t, TypeParam> ring(mem, "r", 10);  // not a power of two
  auto r = ring.reader();
  std::uint64_t next_write = 0, next_read = 0;
  std::mt19937 rng(3);
  for (int round = 0; round < 2000; ++round) {
    auto slot = ring.write_acquire(1 + rng() % 7);
    const std::size_t k = slot.empty() ? 0 : 1 + rng() % slot.size();
    for (std::size_t i = 0; i < k; ++i) slot[i] = next_write++;
    ring.write_release(k);
    auto view = r.read_acquire(1 + rng() % 7);
    const std::size_t take = view.empty() ? 0 : 1 + rng() % view.size();
    for (std::size_t i = 0; i < take; ++i) ASSERT_EQ(view[i], next_read++);
    r.read_release(take);
  }
  EXPECT_GT(next_read, 1000u);
  EXPECT_THROW(ring.write_release(100), zeroipc::InvalidArgument);
  EXPECT_THROW(r.read_release(100), zeroipc::InvalidArgument);
}

TYPED_TEST(RingTest, SixtyFourReadersAtMost) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<std::uint8_t, TypeParam> ring(mem, "r", 100);
  std::vector<typename Ring<std::uint8_t, TypeParam>::Reader> readers;
  for (int i = 0; i < 64; ++i) readers.push_back(ring.reader());
  const std::string what = error_of([&] { (void)ring.reader(); });
  EXPECT_TRUE(contains(what, "ring 'r'") && contains(what, "64 reader slots")) << what;
  readers.pop_back();
  EXPECT_NO_THROW((void)ring.reader());
}

TYPED_TEST(RingTest, OpeningChecksAndBadCapacities) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<float, TypeParam> ring(mem, "r", 1000);
  Ring<float, TypeParam> same(mem, "r");
  EXPECT_EQ(same.capacity(), 1000u);
  EXPECT_TRUE(contains(error_of([&] { Ring<double, TypeParam> bad(mem, "r"); }), "expected element size 8"));
  EXPECT_TRUE(contains(error_of([&] { Ring<float, TypeParam> bad(mem, "zero", 0); }), "capacity 0 is not allowed"));
  EXPECT_THROW((Ring<float, TypeParam>(mem, "missing")), zeroipc::NotFound);
}

TYPED_TEST(RingTest, HostilePositionsGiveCorruptSegment) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Ring<std::uint32_t, TypeParam> ring(mem, "r", 16);
  auto r = ring.reader();
  ASSERT_EQ(ring.write(iota(0, 4)), 4u);
  std::byte* body = zeroipc::test::structure_bytes(mem, "r") + sizeof(zeroipc::detail::StructHeader);
  const std::uint64_t far = std::uint64_t{1} << 40;
  std::memcpy(body + 64, &far, 8);  // write_pos a long way past the reader
  std::vector<std::uint32_t> out(4);
  EXPECT_THROW(r.read(out), zeroipc::CorruptSegment);
  const std::uint64_t four = 4, ahead = 1000;
  std::memcpy(body + 64, &four, 8);
  std::memcpy(body + 128 + 8, &ahead, 8);  // the reader's slot past the writer
  EXPECT_THROW(ring.write(iota(0, 1)), zeroipc::CorruptSegment);
}

TYPED_TEST(RingTest, ThreadsMoveAMillionElementsInOrder) {
  ScopedName name;
  Memory mem(name, 8 << 20);
  Ring<std::uint64_t, TypeParam> ring(mem, "r", 1000);
  const std::uint64_t n = kSanitized ? 100000 : 1000000;
  auto a = ring.reader();
  auto b = ring.reader();
  auto drain = [&](auto& reader, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::uint64_t> out(300);
    for (std::uint64_t next = 0; next < n;) {
      const std::size_t got = reader.read(std::span(out.data(), 1 + rng() % out.size()));
      for (std::size_t i = 0; i < got; ++i) ASSERT_EQ(out[i], next++);
      if (got == 0) std::this_thread::yield();
    }
  };
  std::thread ta([&] { drain(a, 1); });
  std::thread tb([&] { drain(b, 2); });
  std::mt19937_64 rng(9);
  std::vector<std::uint64_t> chunk;
  for (std::uint64_t next = 0; next < n;) {
    chunk.resize(std::min<std::uint64_t>(1 + rng() % 700, n - next));
    std::iota(chunk.begin(), chunk.end(), next);
    next += ring.write_all(std::span<const std::uint64_t>(chunk), std::chrono::seconds(30));
  }
  ta.join();
  tb.join();
}

}  // namespace
