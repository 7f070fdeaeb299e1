// The bytes SPECIFICATION.md §7.6 promises for a Channel (kind 11), read
// from the raw segment at the documented offsets with little-endian helpers
// - never through the C++ layout struct - and what an opener or an
// operation does with bytes no implementation writes (a corrupt segment is
// a clear CorruptSegment error, never a crash).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>

#include <zeroipc/channel.h>
#include <zeroipc/memory.h>
#include <zeroipc/variants/detail/liveness.h>

#include "channel_test_support.h"
#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::test::le;
using zeroipc::test::put_le;
using zeroipc::test::bytes_of;
using zeroipc::test::expect_common_header;
using namespace std::chrono_literals;
using channel_test::eventually;
using zeroipc::Channel;
using zeroipc::CorruptSegment;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

unsigned phase_of(std::uint64_t w) { return static_cast<unsigned>(w & 0xF); }
std::uint32_t seq_of(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 4) & 0x0FFFFFFF; }
std::uint32_t owner_of(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); }

TEST(ChannelLayout, BufferedBytes) {
  ScopedName name("chlayout");
  Memory mem(name.str(), 1 << 20, 4);
  Channel<std::uint32_t> ch(mem, "c", 5);
  const std::byte* s = bytes_of(mem, "c");
  // Kind 11, dtype u32; §7.6: capacity = cells = the channel capacity, total_size = 448 + bit_ceil(cells) * element_size.
  expect_common_header(s, {11, 0, 4, 6, 5, 448u + 8 * 4});
  EXPECT_EQ(le(s, 32, 8), 5u) << "§7.6 channel_capacity in the kind-specific bytes";
  for (std::size_t i = 40; i < 64; ++i) EXPECT_EQ(le(s, i, 1), 0u) << "kind-specific byte " << i;
  for (std::size_t off : {64u, 68u, 72u, 80u, 84u, 128u, 192u, 256u, 264u, 320u, 328u, 384u, 392u, 400u}) {
    EXPECT_EQ(le(s, off, 4), 0u) << "initial state zero at " << off;
  }

  ch.send(0xA1);
  ch.send(0xB2);
  EXPECT_EQ(le(s, 192, 8), 2u) << "§7.6 tail";
  EXPECT_EQ(le(s, 128, 8), 0u) << "§7.6 head";
  EXPECT_EQ(le(s, 256, 8), 2u) << "§7.6 data_epoch: one bump per send";
  EXPECT_EQ(le(s, 448, 4), 0xA1u) << "§7.6 slot 0 at 448";
  EXPECT_EQ(le(s, 452, 4), 0xB2u) << "§7.6 slot 1 at 448 + element_size";
  EXPECT_EQ(ch.receive(), 0xA1u);
  EXPECT_EQ(le(s, 128, 8), 1u) << "§7.6 head";
  EXPECT_EQ(le(s, 320, 8), 1u) << "§7.6 space_epoch: one bump per receive";
  EXPECT_EQ(le(s, 64, 4), 0u) << "§7.6 lock free after each operation";
  EXPECT_EQ(le(s, 72, 8), 0u) << "§7.6 lock_pid cleared on unlock";

  for (std::uint32_t i = 0; i < 8; ++i) {  // positions 2..9: slot = position & 7
    ch.send(0x100 + i);
    ASSERT_TRUE(ch.receive().has_value());
  }
  EXPECT_EQ(le(s, 192, 8), 10u);
  EXPECT_EQ(le(s, 448 + (9 & 7) * 4, 4), 0x107u) << "§7.6 position 9 in slot 1";

  ch.close();
  EXPECT_EQ(le(s, 68, 4), 1u) << "§7.6 closed";
  EXPECT_EQ(le(s, 84, 4), static_cast<std::uint32_t>(::getpid())) << "§7.6 closed_by";
  EXPECT_EQ(le(s, 256, 8), 11u) << "close bumps data_epoch";
  EXPECT_EQ(le(s, 320, 8), 10u) << "close bumps space_epoch";
}

TEST(ChannelLayout, RendezvousBytes) {
  ScopedName name("chlayout");
  Memory mem(name.str(), 1 << 20, 4);
  Channel<std::uint64_t> rv(mem, "rv", 0);
  std::byte* s = bytes_of(mem, "rv");
  EXPECT_EQ(le(s, 16, 8), 1u) << "§7.6 a rendezvous channel has one cell";
  EXPECT_EQ(le(s, 24, 8), 456u) << "§7.6 total_size = 448 + 8";
  EXPECT_EQ(le(s, 32, 8), 0u) << "§7.6 channel_capacity 0 = rendezvous";

  int key_pipe[2];
  ASSERT_EQ(::pipe(key_pipe), 0);
  const pid_t sender = spawn([&] {
    Memory peer(name.str());
    Channel<std::uint64_t> c(peer, "rv");
    const std::uint32_t key = zeroipc::detail::self_key();
    if (::write(key_pipe[1], &key, sizeof key) != static_cast<ssize_t>(sizeof key)) return 1;
    c.send(0x1122334455667788u);
    return 0;
  });
  std::uint32_t sender_key = 0;
  ASSERT_EQ(::read(key_pipe[0], &sender_key, sizeof sender_key), static_cast<ssize_t>(sizeof sender_key));
  ::close(key_pipe[0]);
  ::close(key_pipe[1]);
  ASSERT_TRUE(eventually([&] { return phase_of(le(s, 384, 8)) == 1; }));
  const std::uint64_t w = le(s, 384, 8);
  EXPECT_EQ(seq_of(w), 1u) << "§7.6 sequence 0 -> 1";
  EXPECT_EQ(owner_of(w), sender_key) << "§7.6 owner = the offering sender's owner key (§4.1)";
  EXPECT_EQ(le(s, 400, 4), sender_key) << "§7.6 handoff_tag = the key handoff_pid was written for";
  EXPECT_EQ(le(s, 392, 8), static_cast<std::uint64_t>(sender)) << "§7.6 handoff_pid";
  EXPECT_EQ(le(s, 448, 8), 0x1122334455667788u) << "§7.6 the offered value in cell 0";
  EXPECT_EQ(le(s, 256, 8), 1u) << "posting an offer bumps data_epoch";

  EXPECT_EQ(rv.receive(), 0x1122334455667788u);
  EXPECT_EQ(wait_for(sender), 0);
  const std::uint64_t after = le(s, 384, 8);
  EXPECT_EQ(phase_of(after), 0u) << "§7.6 taken: empty";
  EXPECT_EQ(seq_of(after), 2u);
  EXPECT_EQ(owner_of(after), 0u);
}

TEST(ChannelLayout, CorruptBytesAreAClearError) {
  ScopedName name("chlayout");
  Memory mem(name.str(), 1 << 20, 8);
  Channel<std::uint32_t> ch(mem, "c", 4);
  std::byte* s = bytes_of(mem, "c");

  put_le(s, 192, 8, 100);  // tail 100, head 0: more than the capacity apart
  std::string e = error_of([&] { (void)ch.try_receive(); });
  EXPECT_TRUE(contains(e, "head 0 and tail 100 are more than the capacity 4 apart")) << e;
  EXPECT_THROW(ch.try_send(1), CorruptSegment);
  put_le(s, 192, 8, 0);
  EXPECT_EQ(le(s, 64, 4), 0u) << "the lock was released by the throwing operation";

  put_le(s, 68, 4, 7);
  e = error_of([&] { ch.try_send(1); });
  EXPECT_TRUE(contains(e, "`closed` holds 7")) << e;
  put_le(s, 68, 4, 0);

  Channel<std::uint32_t> rv(mem, "rv", 0);
  std::byte* r = bytes_of(mem, "rv");
  put_le(r, 384, 8, 9);
  e = error_of([&] { (void)rv.try_receive(); });
  EXPECT_TRUE(contains(e, "unknown handoff phase 9")) << e;
  put_le(r, 384, 8, 0);
  EXPECT_FALSE(rv.try_receive().has_value());

  put_le(s, 32, 8, 3);  // channel_capacity disagrees with the cell count
  e = error_of([&] { Channel<std::uint32_t> opened(mem, "c"); });
  EXPECT_TRUE(contains(e, "header says 4 cells and channel capacity 3")) << e;
  put_le(r, 32, 8, 5);
  EXPECT_THROW(Channel<std::uint32_t>(mem, "rv"), CorruptSegment);

  put_le(s, 16, 8, std::uint64_t{1} << 40);  // a capacity the layout cannot hold
  EXPECT_THROW(Channel<std::uint32_t>(mem, "c"), CorruptSegment);
}

TEST(ChannelLayout, AGarbageLockHolderIsTakenOver) {
  ScopedName name("chlayout");
  Memory mem(name.str(), 1 << 20, 4);
  Channel<int> ch(mem, "c", 2);
  std::byte* s = bytes_of(mem, "c");
  put_le(s, 64, 4, 0x7FFFFFF0u);  // a pid no process has
  const auto t0 = std::chrono::steady_clock::now();
  ch.send(1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(ch.receive(), 1);
}

}  // namespace
