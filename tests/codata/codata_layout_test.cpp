// The bytes SPECIFICATION.md §7.4 promises for Future (kind 8) and Lazy
// (kind 9), read from the raw segment with little-endian helpers at the
// documented offsets - never through the C++ layout struct - and what a
// reader does with state bytes no implementation writes.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>

#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/memory.h>
#include <zeroipc/variants/detail/process.h>

#include "raw_bytes.h"
#include "test_support.h"

namespace {

using zeroipc::test::le;
using zeroipc::test::bytes_of;
using zeroipc::test::expect_common_header;
using namespace std::chrono_literals;
using zeroipc::Future;
using zeroipc::Lazy;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;

std::uint64_t state_of(const std::byte* s) { return le(s, 64, 8); }
unsigned phase_of(std::uint64_t w) { return static_cast<unsigned>(w & 0xF); }
std::uint32_t seq_of(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 4) & 0x0FFFFFFF; }
std::uint32_t owner_of(std::uint64_t w) { return static_cast<std::uint32_t>(w >> 32); }

// §7.4: capacity 1, total_size = 384 + align8(element_size), variant 0, kind-specific bytes zero.
void expect_codata_header(const std::byte* s, std::uint16_t kind, std::uint32_t element_size, std::uint8_t dtype,
                          std::uint64_t total) {
  expect_common_header(s, {kind, 0, element_size, dtype, 1, total});
  for (std::size_t i = 32; i < 64; ++i) EXPECT_EQ(le(s, i, 1), 0u) << "§6 kind-specific bytes zero, at " << i;
}

TEST(CodataLayout, FutureBytes) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  const std::uint32_t me = zeroipc::detail::self_key();
  Future<double> f(mem, "f");
  const std::byte* s = bytes_of(mem, "f");
  expect_codata_header(s, 8, 8, 10, 392);

  std::uint64_t w = state_of(s);
  EXPECT_EQ(phase_of(w), 0u) << "§7.4 pending";
  EXPECT_EQ(seq_of(w), 0u) << "§7.4 sequence starts at 0";
  EXPECT_EQ(owner_of(w), me) << "§7.4 the creator is the producer (its owner key, §4.1)";
  EXPECT_EQ(le(s, 72, 8), static_cast<std::uint64_t>(::getpid())) << "§7.4 owner_pid";
  EXPECT_EQ(le(s, 80, 4), me) << "§7.4 owner_tag = the key owner_pid was written for";
  EXPECT_EQ(le(s, 84, 4), 0u) << "§7.4 sleepers";
  EXPECT_EQ(le(s, 88, 4), 0u) << "§7.4 generation";

  f.set_value(2.5);
  w = state_of(s);
  EXPECT_EQ(phase_of(w), 2u) << "§7.4 ready";
  EXPECT_EQ(seq_of(w), 2u) << "§7.4 pending -> setting -> ready: two transitions";
  EXPECT_EQ(owner_of(w), me) << "§7.4 the setter";
  EXPECT_EQ(le(s, 80, 4), me) << "§7.4 owner_tag of the setter";
  double v = 0;
  std::memcpy(&v, s + 384, 8);
  EXPECT_EQ(v, 2.5) << "§7.4 value at 384";

  Future<std::int32_t> g(mem, "g");
  g.set_error("bad input");
  const std::byte* t = bytes_of(mem, "g");
  expect_codata_header(t, 8, 4, 5, 392);
  EXPECT_EQ(phase_of(state_of(t)), 3u) << "§7.4 error";
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(t + 128)), "bad input") << "§7.4 message at 128";
}

TEST(CodataLayout, LazyBytes) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  Lazy<std::uint16_t> l(mem, "l", [] { return std::uint16_t{0xBEEF}; });
  const std::byte* s = bytes_of(mem, "l");
  expect_codata_header(s, 9, 2, 4, 392);
  EXPECT_EQ(state_of(s), 0u) << "§7.4 empty, no owner";

  EXPECT_EQ(l.get(), 0xBEEF);
  std::uint64_t w = state_of(s);
  EXPECT_EQ(phase_of(w), 2u) << "§7.4 ready";
  EXPECT_EQ(seq_of(w), 2u) << "empty -> computing -> ready";
  EXPECT_EQ(owner_of(w), zeroipc::detail::self_key());
  EXPECT_EQ(le(s, 72, 8), static_cast<std::uint64_t>(::getpid())) << "§7.4 owner_pid";
  EXPECT_EQ(le(s, 384, 2), 0xBEEFu) << "§7.4 value at 384";

  EXPECT_TRUE(l.invalidate());
  w = state_of(s);
  EXPECT_EQ(phase_of(w), 0u) << "§7.4 invalidate: empty";
  EXPECT_EQ(seq_of(w), 3u);
  EXPECT_EQ(owner_of(w), 0u);
  EXPECT_EQ(le(s, 88, 4), 1u) << "§7.4 generation counts invalidations";
}

TEST(CodataLayout, OddValueSizesArePaddedToEightBytes) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  Future<std::array<char, 3>> f(mem, "f");
  expect_codata_header(bytes_of(mem, "f"), 8, 3, 0, 392);
  f.set_value({'a', 'b', 'c'});
  EXPECT_EQ(f.get(), (std::array<char, 3>{'a', 'b', 'c'}));
  Lazy<std::array<std::uint64_t, 5>> big(mem, "big", [] { return std::array<std::uint64_t, 5>{1, 2, 3, 4, 5}; });
  expect_codata_header(bytes_of(mem, "big"), 9, 40, 0, 424);
  EXPECT_EQ(big.get()[4], 5u);
}

// The state word as a writable atomic, for forging what a corrupt peer leaves.
std::atomic_ref<std::uint64_t> raw_state(Memory& mem, const char* name) {
  auto entry = mem.table().find(name);
  return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(mem.base() + entry->offset + 64));
}

TEST(CodataLayout, AnUnknownPhaseIsAClearErrorNotUndefinedBehaviour) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  Future<double> f(mem, "f");
  raw_state(mem, "f").store(7);
  EXPECT_FALSE(f.is_ready());
  EXPECT_TRUE(contains(error_of([&] { f.get(); }), "unknown state phase 7")) << error_of([&] { f.get(); });
  EXPECT_TRUE(contains(error_of([&] { f.set_value(1.0); }), "unknown state phase 7"));
  EXPECT_THROW(f.get(), zeroipc::CorruptSegment);

  Lazy<double> l(mem, "l", [] { return 1.0; });
  raw_state(mem, "l").store(0x0000000100000019ull);  // phase 9
  EXPECT_TRUE(contains(error_of([&] { l.get(); }), "unknown state phase 9"));
  EXPECT_TRUE(contains(error_of([&] { l.invalidate(); }), "unknown state phase 9"));
}

TEST(CodataLayout, AnOwnerKeyOfZeroCountsAsDeadNotAsAHang) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  Future<double> f(mem, "f");
  raw_state(mem, "f").store(zeroipc::detail::codata::make(5, 0, 0));  // pending, no producer
  const std::string e = error_of([&] { (void)f.get_for(5s); });
  EXPECT_TRUE(contains(e, "producer a process (pid not recorded) died")) << e;

  Lazy<double> l(mem, "l");
  raw_state(mem, "l").store(zeroipc::detail::codata::make(5, 1, 0));  // computing, no owner
  l.set_computation([] { return 4.0; });
  EXPECT_EQ(l.get(), 4.0) << "taken over";
}

TEST(CodataLayout, AMessageWithoutItsNulIsCut) {
  zeroipc::test::ScopedName name("clayout");
  Memory mem(name.str(), 1 << 20, 4);
  Future<double> f(mem, "f");
  f.set_error("x");
  auto entry = mem.table().find("f");
  std::memset(mem.base() + entry->offset + 128, 'A', 256);  // no NUL anywhere
  const std::string e = error_of([&] { f.get(); });
  EXPECT_TRUE(contains(e, std::string(255, 'A'))) << e;
  EXPECT_FALSE(contains(e, std::string(256, 'A'))) << e;
}

}  // namespace
