// The bytes SPECIFICATION.md §7.5 promises for a Stream (kind 10), read from
// the raw segment with little-endian helpers at the documented offsets -
// never through the C++ layout struct - and what readers and the producer
// do with bytes no implementation writes (the segment is untrusted).
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>
#include <zeroipc/variants/detail/liveness.h>
#include <zeroipc/variants/detail/process.h>

#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::test::le;
using zeroipc::test::put_le;
using zeroipc::test::bytes_of;
using zeroipc::test::expect_common_header;
using zeroipc::CorruptSegment;
using zeroipc::Memory;
using zeroipc::Stream;
using zeroipc::test::contains;
using zeroipc::test::error_of;

constexpr std::size_t kRing = 4352;

class StreamLayout : public ::testing::Test {
 protected:
  zeroipc::test::ScopedName name_{"slayout"};
  Memory mem_{name_.str(), 4 << 20, 8};
};

TEST_F(StreamLayout, HeaderProducerSlotsAndCells) {
  const auto me = static_cast<std::uint64_t>(::getpid());
  Stream<double> s(mem_, "s", 1000);
  const std::byte* b = bytes_of(mem_, "s");
  // Kind 10, dtype f64; §7.5: capacity rounded up to a power of two, total_size = 4352 + capacity * (8 + align8(element_size)).
  expect_common_header(b, {10, 0, 8, 10, 1024, kRing + 1024u * 16u});
  EXPECT_EQ(le(b, 32, 4), 64u) << "subscriber_slots";
  EXPECT_EQ(le(b, 36, 4), 0u) << "overflow block";
  EXPECT_EQ(le(b, 40, 4), 0u) << "origin emit";
  for (std::size_t i = 44; i < 64; ++i) EXPECT_EQ(le(b, i, 1), 0u) << "reserved, at " << i;

  EXPECT_EQ(le(b, 64, 4), me) << "producer_pid";
  EXPECT_EQ(le(b, 68, 4), zeroipc::detail::self_key()) << "producer_key (§4.1)";
  EXPECT_EQ(le(b, 72, 8), zeroipc::detail::process_start_time(::getpid())) << "producer_start";
  EXPECT_EQ(le(b, 80, 4), 0u) << "end_reason open";
  EXPECT_EQ(le(b, 84, 4), 0u) << "high_water: no slot used yet";
  EXPECT_EQ(le(b, 128, 8), 0u) << "published: count 0, open";
  EXPECT_EQ(le(b, 192, 8), 0u) << "resume_at: not blocked";

  auto c1 = s.cursor();
  auto c2 = s.cursor();
  EXPECT_EQ(le(b, 84, 4), 2u) << "high_water";
  const std::uint64_t st = le(b, 256, 8);
  EXPECT_EQ(st & 3, 2u) << "slot 0 active";
  EXPECT_EQ(st >> 32, zeroipc::detail::self_key()) << "slot 0 owner key (§4.1)";
  EXPECT_EQ(le(b, 256 + 8, 8), me) << "slot pid";
  EXPECT_EQ(le(b, 256 + 16, 8), 0u) << "slot cursor";
  EXPECT_EQ(le(b, 320, 8) & 3, 2u) << "slot 1 (offset 320) active";

  s.emit(1.5);
  s.emit(-2.0);
  EXPECT_EQ(le(b, 128, 8), 2u << 1) << "published = count << 1";
  EXPECT_EQ(le(b, kRing, 8), 2u) << "cell 0: seq = 2p + 2 for p = 0";
  double v = 0;
  std::memcpy(&v, b + kRing + 8, 8);
  EXPECT_EQ(v, 1.5);
  EXPECT_EQ(le(b, kRing + 16, 8), 4u) << "cell 1 at stride 16: seq for p = 1";
  EXPECT_EQ(c1.next(), 1.5);
  EXPECT_EQ(le(b, 256 + 16, 8), 1u) << "slot 0's cursor moved";
  EXPECT_EQ(le(b, 144, 8), 0u) << "sleep_at: no reader slept yet";
  EXPECT_EQ(c1.next(), -2.0);
  EXPECT_FALSE(c1.next_for(std::chrono::milliseconds(1)).has_value());
  EXPECT_EQ(le(b, 144, 8), 2u << 1) << "sleep_at: the `published` it slept on";

  c2 = s.cursor();  // the old slot 1 is given back, a new one is taken
  std::uint64_t free_slots = 0;
  for (std::size_t i = 0; i < 64; ++i) free_slots += (le(b, 256 + 64 * i, 8) & 3) == 0 ? 1 : 0;
  EXPECT_EQ(free_slots, 62u);

  s.close();
  EXPECT_EQ(le(b, 128, 8), (2u << 1) | 1u) << "closed bit";
  EXPECT_EQ(le(b, 80, 4), 1u) << "end_reason closed";
}

TEST_F(StreamLayout, DropOldestAndOperatorOrigins) {
  Stream<std::int32_t> d(mem_, "d", 3, zeroipc::StreamOptions{.overflow = zeroipc::Overflow::drop_oldest});
  const std::byte* b = bytes_of(mem_, "d");
  EXPECT_EQ(le(b, 16, 8), 4u);
  EXPECT_EQ(le(b, 36, 4), 1u) << "overflow drop_oldest";
  EXPECT_EQ(le(b, 24, 8), kRing + 4u * 16u) << "stride 8 + align8(4)";
  auto f = d.filter(mem_, "f", [](std::int32_t) { return true; });
  auto w = d.window<8>(mem_, "w", 2);
  EXPECT_EQ(le(bytes_of(mem_, "f"), 40, 4), 2u) << "origin filter";
  EXPECT_EQ(le(bytes_of(mem_, "w"), 40, 4), 6u) << "origin window_count";
  EXPECT_EQ(le(bytes_of(mem_, "w"), 8, 4), sizeof(zeroipc::Window<std::int32_t, 8>));
  EXPECT_EQ(sizeof(zeroipc::Window<std::int32_t, 8>), 24u + 8u * 4u) << "count, full, start_ns, end_ns, items";
  EXPECT_EQ(le(bytes_of(mem_, "w"), 14, 1), 0u) << "windows are opaque";
}

TEST_F(StreamLayout, ACorruptHeaderIsACorruptSegmentError) {
  { Stream<int> s(mem_, "slots", 8); }
  std::byte* b = bytes_of(mem_, "slots");
  put_le(b, 32, 4, 63);
  std::string e = error_of([&] { Stream<int> x(mem_, "slots"); });
  EXPECT_TRUE(contains(e, "bad stream config (subscriber_slots 63, expected 64")) << e;
  put_le(b, 32, 4, 64);
  put_le(b, 36, 4, 7);
  EXPECT_THROW(Stream<int>(mem_, "slots"), CorruptSegment);
  put_le(b, 36, 4, 0);
  const std::uint64_t key = le(b, 68, 4);
  put_le(b, 68, 4, 0);
  e = error_of([&] { Stream<int> x(mem_, "slots"); });
  EXPECT_TRUE(contains(e, "producer key 0 is not an owner key")) << e;
  put_le(b, 68, 4, key);
  put_le(b, 16, 8, 6);  // not a power of two
  e = error_of([&] { Stream<int> x(mem_, "slots"); });
  EXPECT_TRUE(contains(e, "the layout needs 0 bytes")) << e;
}

TEST_F(StreamLayout, CorruptCountersAndSlotsAreCaught) {
  Stream<int> s(mem_, "live", 8);
  std::byte* b = bytes_of(mem_, "live");
  auto cur = s.cursor();
  s.emit(1);
  s.emit(2);
  EXPECT_EQ(cur.next(), 1);
  EXPECT_EQ(cur.next(), 2);

  const std::uint64_t published = le(b, 128, 8);
  put_le(b, 128, 8, 0);  // the count goes back
  std::string e = error_of([&] { (void)cur.try_next(); });
  EXPECT_TRUE(contains(e, "published count went back from 2 to 0")) << e;
  put_le(b, 128, 8, published);

  put_le(b, 80, 4, 9);
  EXPECT_TRUE(contains(error_of([&] { (void)s.end_reason(); }), "unknown end_reason 9"));
  put_le(b, 80, 4, 0);

  put_le(b, 84, 4, 65);  // high_water past the table
  EXPECT_TRUE(contains(error_of([&] { (void)s.subscribers(); }), "high_water 65 exceeds the 64 subscriber slots"));
  put_le(b, 84, 4, 2);
  put_le(b, 256 + 64, 8, 3);  // slot 1 in phase 3
  EXPECT_TRUE(contains(error_of([&] { (void)s.subscribers(); }), "subscriber slot 1 is in phase 3"));
  put_le(b, 256 + 64, 8, 0);

  put_le(b, 256 + 16, 8, 50);  // a cursor past the published count
  e = error_of([&] {
    for (int i = 0; i < 20; ++i) s.emit(i);  // the producer scans cursors once it runs out of known room
  });
  EXPECT_TRUE(contains(e, "has cursor 50, past the")) << e;
}

TEST_F(StreamLayout, ACellThatDoesNotHoldItsPublishedPositionIsCaught) {
  Stream<int> s(mem_, "cells", 8);
  std::byte* b = bytes_of(mem_, "cells");
  auto cur = s.cursor();
  s.emit(7);
  put_le(b, kRing, 8, 0);  // the cell of position 0 never written, yet published
  std::string e = error_of([&] { (void)cur.try_next(); });
  EXPECT_TRUE(contains(e, "the cell of published position 0 holds sequence 0 (expected 2)")) << e;
  put_le(b, kRing, 8, 2 * 8 + 2);  // holds position 8: overwritten in block mode
  e = error_of([&] { (void)cur.try_next(); });
  EXPECT_TRUE(contains(e, "was overwritten before this subscriber read it")) << e;
}

}  // namespace
