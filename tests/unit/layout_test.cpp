// Pins the bytes SPECIFICATION.md promises (§1-§4, §6, §7.1; §7.2 and §7.3 in
// queue_layout_test.cpp and stack_layout_test.cpp).
//
// Every value here is read from the raw bytes of a real segment with
// little-endian helpers at the byte offsets the document gives - never through
// the C++ layout structs - so the structs (and the C and Python readers
// written from the same document) cannot drift from the format unnoticed.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include "raw_bytes.h"
#include <zeroipc/variants/detail/liveness.h>

#include "test_support.h"

namespace {

using zeroipc::test::le;

// ----------------------------------------------------------- little-endian helpers
std::uint8_t u8(const std::byte* p, std::size_t off) { return static_cast<std::uint8_t>(le(p, off, 1)); }
std::uint16_t u16(const std::byte* p, std::size_t off) { return static_cast<std::uint16_t>(le(p, off, 2)); }
std::uint32_t u32(const std::byte* p, std::size_t off) { return static_cast<std::uint32_t>(le(p, off, 4)); }
std::uint64_t u64(const std::byte* p, std::size_t off) { return le(p, off, 8); }

float f32(const std::byte* p, std::size_t off) {
  const std::uint32_t bits = u32(p, off);
  float f;
  static_assert(sizeof f == sizeof bits);
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
double f64(const std::byte* p, std::size_t off) {
  const std::uint64_t bits = u64(p, off);
  double d;
  static_assert(sizeof d == sizeof bits);
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

bool all_zero(const std::byte* p, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}

std::string bytes_str(const std::byte* p, std::size_t off, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(p + off), n);
}

constexpr std::uint64_t align64(std::uint64_t x) { return (x + 63) & ~std::uint64_t{63}; }

std::uint64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Field 22 of /proc/self/stat, parsed here independently of the library:
// fields after the command name's last ')' start at field 3.
std::uint64_t my_start_time() {
  std::ifstream in("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::string rest = stat.substr(close + 2);  // starts with field 3
  std::size_t pos = 0;
  for (int field = 3; field < 22; ++field) {
    pos = rest.find(' ', pos);
    if (pos == std::string::npos) return 0;
    ++pos;
  }
  return std::stoull(rest.substr(pos, rest.find(' ', pos) - pos));
}

struct Rec24 {
  std::uint64_t id;
  double value;
  std::uint32_t flags;
  std::uint32_t pad;
};
static_assert(sizeof(Rec24) == 24);

// Geometry of a version 1 segment with `capacity` table entries (§1).
constexpr std::uint64_t kHeaderSize = 128;
constexpr std::uint64_t kAttachCapacity = 64;
constexpr std::uint64_t kTableOffset = 128 + 16 * kAttachCapacity;  // 1152
constexpr std::uint64_t data_offset_for(std::uint64_t capacity) {
  return align64(kTableOffset + 64 * capacity);
}
static_assert(kTableOffset == 1152);
static_assert(data_offset_for(4) == 1408);

}  // namespace

TEST(Layout, SegmentHeaderTableAndFloatArrayBytes) {
  zeroipc::test::ScopedName name("layout");
  constexpr std::size_t kSize = 64 * 1024;
  const std::uint64_t before = now_ns();
  zeroipc::Memory mem(name.str(), kSize, 4);
  const std::uint64_t after = now_ns();
  ASSERT_TRUE(mem.created());
  zeroipc::Array<float> a(mem, "temperature", 3);
  a[0] = 23.5f;
  a[1] = -1.25f;
  a[2] = 1e30f;

  const std::byte* p = mem.base();
  const auto pid = static_cast<std::uint32_t>(::getpid());

  // §1: the file is /dev/shm/<name>, exactly segment_size bytes, mode 0600.
  struct stat st{};
  ASSERT_EQ(::stat(("/dev/shm" + name.str()).c_str(), &st), 0) << "§1: segment file in /dev/shm";
  EXPECT_EQ(static_cast<std::uint64_t>(st.st_size), kSize) << "§1: file size is segment_size";
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "§1: created with mode 0600";

  // §2 segment header, write-once line (bytes 0..63).
  EXPECT_EQ(u8(p, 0), 0x5A) << "§2 magic[0] 'Z'";
  EXPECT_EQ(u8(p, 1), 0x49) << "§2 magic[1] 'I'";
  EXPECT_EQ(u8(p, 2), 0x50) << "§2 magic[2] 'P'";
  EXPECT_EQ(u8(p, 3), 0x4D) << "§2 magic[3] 'M'";
  EXPECT_EQ(u16(p, 4), 1u) << "§2 format_version at 4";
  EXPECT_EQ(u16(p, 6), 128u) << "§2 header_size at 6";
  EXPECT_EQ(u64(p, 8), kSize) << "§2 segment_size at 8";
  EXPECT_EQ(u64(p, 16), 1152u) << "§2 table_offset at 16 (§1: T = 1152 for A = 64)";
  EXPECT_EQ(u32(p, 24), 4u) << "§2 table_capacity at 24";
  EXPECT_EQ(u32(p, 28), 64u) << "§2 attach_capacity at 28 (version 1 writes A = 64)";
  EXPECT_EQ(u64(p, 32), 1408u) << "§2 data_offset at 32 = align64(1152 + 64*4)";
  const std::uint64_t created_ns = u64(p, 40);
  EXPECT_GE(created_ns, before) << "§2 created_ns at 40 (CLOCK_REALTIME ns)";
  EXPECT_LE(created_ns, after) << "§2 created_ns at 40 (CLOCK_REALTIME ns)";
  EXPECT_EQ(u32(p, 48), pid) << "§2 creator_pid at 48";
  EXPECT_TRUE(all_zero(p, 52, 64)) << "§2 reserved bytes 52..63 are zero";

  // §2 mutable bookkeeping (bytes 64..127).
  EXPECT_EQ(u32(p, 64), 0u) << "§2 table_lock at 64 is free (0)";
  EXPECT_EQ(u32(p, 68), 1u) << "§2 table_count at 68: one entry used";
  EXPECT_EQ(u64(p, 72), 1408u + align64(64 + 3 * 4))
      << "§2 alloc_cursor at 72 = data_offset + align64(total_size of the array)";
  EXPECT_EQ(u64(p, 72) % 64, 0u) << "§2 alloc_cursor is a multiple of 64";
  EXPECT_EQ(u64(p, 80), 0u) << "§2/§3.2 lock_holder_pid at 80 is 0 when the lock is free";
  EXPECT_GE(u64(p, 88), 1u) << "§2 table_generation at 88 counted the READY entry";
  EXPECT_EQ(u32(p, 96), 0u) << "§2 attach_overflow at 96";
  EXPECT_TRUE(all_zero(p, 100, 128)) << "§2 reserved bytes 100..127 are zero";

  // §4 attach slots at 128 + 16*i: this process is recorded with its start time.
  const std::uint64_t start = my_start_time();
  ASSERT_NE(start, 0u) << "could not read field 22 of /proc/self/stat";
  int mine = -1;
  for (std::uint64_t i = 0; i < kAttachCapacity; ++i) {
    const std::size_t slot = 128 + 16 * i;
    const std::uint32_t slot_pid = u32(p, slot);
    if (slot_pid == 0) {
      EXPECT_EQ(u64(p, slot + 8), 0u) << "§4 a free slot (pid 0) has start_time 0, slot " << i;
      continue;
    }
    EXPECT_NE(u32(p, slot + 4), 0u) << "§4 an owner key at +4 of every used slot " << i;
    if (slot_pid == pid && mine < 0) mine = static_cast<int>(i);
  }
  ASSERT_GE(mine, 0) << "§4: some attach slot at 128+16*i holds getpid()";
  const std::size_t my_slot = 128 + 16 * static_cast<std::size_t>(mine);
  EXPECT_NE(u64(p, my_slot + 8), 0u) << "§4 start_time at +8 is written after the pid";
  EXPECT_EQ(u64(p, my_slot + 8), start) << "§4 start_time = field 22 of /proc/<pid>/stat";
  // §4.1: the key at +4 is this process's, and the kernel holds a read lock
  // for it on byte 2^62 + key of the segment's file (asked through a new
  // open file description, which the lock conflicts with).
  const std::uint32_t key = u32(p, my_slot + 4);
  EXPECT_EQ(key & 0x80000000u, 0u) << "§4.1 keys are 31 bits";
  EXPECT_EQ(zeroipc::test::liveness_lock_held(name.str(), key), true)
      << "§4.1 the liveness lock of this process's key is held";
  EXPECT_EQ(zeroipc::test::liveness_lock_held(name.str(), key ^ 1u), false) << "§4.1 no lock for a key nobody has";
  EXPECT_TRUE(all_zero(p, 128 + 16 * kAttachCapacity, 1152))
      << "§1 nothing between the attach slots and the table";

  // §3 name table at T = 1152, 4 entries of 64 bytes.
  const std::size_t e0 = 1152;
  EXPECT_EQ(bytes_str(p, e0, 11), "temperature") << "§3 entry 0 name at +0";
  EXPECT_TRUE(all_zero(p, e0 + 11, e0 + 32)) << "§3 name is NUL-terminated and NUL-padded to 32 bytes";
  EXPECT_EQ(u64(p, e0 + 32), 1408u) << "§3 entry offset at +32 = data_offset (first structure)";
  EXPECT_EQ(u64(p, e0 + 40), align64(76)) << "§3 entry size at +40 = align64(request)";
  EXPECT_LE(u64(p, e0 + 32) + u64(p, e0 + 40), u64(p, 72)) << "§3 offset + size <= alloc_cursor";
  EXPECT_EQ(u32(p, e0 + 48), 2u) << "§3 entry state at +48 is READY (2)";
  EXPECT_EQ(u32(p, e0 + 52), pid) << "§3 entry creator_pid at +52";
  EXPECT_EQ(u32(p, e0 + 56), zeroipc::detail::self_key()) << "§3 creator_key at +56: this process's owner key";
  EXPECT_TRUE(all_zero(p, e0 + 60, e0 + 64)) << "§3 entry reserved bytes +60..+63";
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_TRUE(all_zero(p, 1152 + 64 * i, 1152 + 64 * (i + 1)))
        << "§3 unused table entry " << i << " is all zero (FREE, no name)";
  }
  EXPECT_TRUE(all_zero(p, 1152 + 4 * 64, 1408)) << "§1 padding between table end and data_offset";

  // §6 common structure header at the entry's offset, §7.1 array layout.
  const std::size_t s = 1408;
  EXPECT_EQ(bytes_str(p, s, 4), "ZIPS") << "§6 structure magic 'ZIPS' at +0";
  EXPECT_EQ(u16(p, s + 4), 1u) << "§6 kind at +4 = 1 (array, §6.1)";
  EXPECT_EQ(u16(p, s + 6), 0u) << "§6 variant at +6 = 0 (§6.2: arrays have no variants)";
  EXPECT_EQ(u32(p, s + 8), 4u) << "§6 element_size at +8 = sizeof(float)";
  EXPECT_EQ(u16(p, s + 12), 1u) << "§6 layout_version at +12 = 1 (§7.1)";
  EXPECT_EQ(u8(p, s + 14), 9u) << "§6 dtype at +14 = 9 (f32, §6.3)";
  EXPECT_EQ(u8(p, s + 15), 0u) << "§6 reserved byte 15";
  EXPECT_EQ(u64(p, s + 16), 3u) << "§6 capacity at +16";
  EXPECT_EQ(u64(p, s + 24), 76u) << "§6 total_size at +24 = 64 + 3*4 (§7.1)";
  EXPECT_TRUE(all_zero(p, s + 32, s + 64)) << "§7.1 kind-specific bytes 32..63 are zero for arrays";
  EXPECT_EQ(f32(p, s + 64), 23.5f) << "§7.1 element 0 at +64, IEEE binary32 little-endian";
  EXPECT_EQ(f32(p, s + 68), -1.25f) << "§7.1 element 1 at +64 + 1*4";
  EXPECT_EQ(f32(p, s + 72), 1e30f) << "§7.1 element 2 at +64 + 2*4";
  EXPECT_EQ(u32(p, s + 64), 0x41BC0000u) << "§7.1 23.5f is stored as its binary32 bits";
  EXPECT_TRUE(all_zero(p, s + 76, s + 128)) << "§7.1 the rest of the region is zero-filled";
  EXPECT_TRUE(all_zero(p, 1536, 4096)) << "§2 nothing is written past alloc_cursor";

  // Writing through the bytes is visible through the Array (same memory, no copy).
  const float v = 42.0f;
  std::memcpy(mem.base() + s + 64 + 4, &v, sizeof v);
  EXPECT_EQ(a[1], 42.0f) << "§7.1 element i lives at offset + 64 + i*element_size";
}

TEST(Layout, DtypeCodesAndConsecutiveStructures) {
  zeroipc::test::ScopedName name("layout_dt");
  zeroipc::Memory mem(name.str(), 64 * 1024, 8);
  const std::byte* p = mem.base();
  const std::uint64_t data_offset = data_offset_for(8);
  ASSERT_EQ(u64(p, 32), data_offset) << "§1 D = align64(T + 64*C) for C = 8";

  zeroipc::Array<std::uint64_t> a_u64(mem, "u64", 5);
  zeroipc::Array<std::int16_t> a_i16(mem, "i16", 7);
  zeroipc::Array<bool> a_bool(mem, "flags", 65);
  zeroipc::Array<double> a_f64(mem, "f64", 2);
  zeroipc::Array<Rec24> a_rec(mem, "records", 3);
  a_u64[4] = 0x0102030405060708ull;
  a_i16[6] = -2;
  a_bool[64] = true;
  a_f64[1] = -0.5;
  a_rec[2] = Rec24{0xAABBCCDDEEFF0011ull, 3.0, 7u, 0u};

  struct Expect {
    const char* name;
    std::uint32_t element_size;
    std::uint8_t dtype;
    std::uint64_t capacity;
    const char* why;
  };
  const Expect expected[] = {
      {"u64", 8, 8, 5, "§6.3 u64 = 8"},
      {"i16", 2, 3, 7, "§6.3 i16 = 3"},
      {"flags", 1, 11, 65, "§6.3 bool = 11 (1 byte)"},
      {"f64", 8, 10, 2, "§6.3 f64 = 10"},
      {"records", 24, 0, 3, "§6.3 opaque = 0 for a 24-byte struct"},
  };

  ASSERT_EQ(u32(p, 68), 5u) << "§2 table_count = 5";
  std::uint64_t expected_offset = data_offset;
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const Expect& x = expected[i];
    SCOPED_TRACE(x.name);
    const std::size_t e = 1152 + 64 * i;
    EXPECT_EQ(bytes_str(p, e, std::strlen(x.name)), x.name) << "§3 entry " << i << " name";
    EXPECT_TRUE(all_zero(p, e + std::strlen(x.name), e + 32)) << "§3 name NUL-padded";
    const std::uint64_t offset = u64(p, e + 32);
    const std::uint64_t size = u64(p, e + 40);
    const std::uint64_t total = 64 + x.capacity * x.element_size;
    EXPECT_EQ(offset, expected_offset)
        << "§3.1 step 3: a new structure starts at alloc_cursor, the next 64-aligned offset "
           "after the previous structure's region";
    EXPECT_EQ(offset % 64, 0u) << "§3 offset is a multiple of 64";
    EXPECT_EQ(size, align64(total)) << "§3.1 step 3: size = align64(request)";
    EXPECT_EQ(u32(p, e + 48), 2u) << "§3 state READY";

    const std::size_t s = static_cast<std::size_t>(offset);
    EXPECT_EQ(bytes_str(p, s, 4), "ZIPS") << "§6 magic";
    EXPECT_EQ(u16(p, s + 4), 1u) << "§6.1 kind array = 1";
    EXPECT_EQ(u16(p, s + 6), 0u) << "§6.2 variant none = 0";
    EXPECT_EQ(u32(p, s + 8), x.element_size) << "§6 element_size";
    EXPECT_EQ(u16(p, s + 12), 1u) << "§7.1 layout_version 1";
    EXPECT_EQ(u8(p, s + 14), x.dtype) << x.why;
    EXPECT_EQ(u8(p, s + 15), 0u) << "§6 reserved byte 15";
    EXPECT_EQ(u64(p, s + 16), x.capacity) << "§6 capacity";
    EXPECT_EQ(u64(p, s + 24), total) << "§7.1 total_size = 64 + capacity*element_size";
    EXPECT_TRUE(all_zero(p, s + 32, s + 64)) << "§7.1 kind-specific bytes are zero";
    expected_offset = offset + size;
  }
  EXPECT_EQ(u64(p, 72), expected_offset) << "§3.1 step 5: alloc_cursor = end of the last region";
  for (std::size_t i = 5; i < 8; ++i) {
    EXPECT_TRUE(all_zero(p, 1152 + 64 * i, 1152 + 64 * (i + 1))) << "§3 unused entry " << i;
  }

  // Elements at offset + 64 + i*element_size, little-endian.
  const std::size_t s_u64 = static_cast<std::size_t>(u64(p, 1152 + 32));
  EXPECT_EQ(u64(p, s_u64 + 64 + 4 * 8), 0x0102030405060708ull) << "§7.1 u64 element 4";
  EXPECT_EQ(u8(p, s_u64 + 64 + 4 * 8), 0x08) << "§7.1 integers are little-endian";
  const std::size_t s_i16 = static_cast<std::size_t>(u64(p, 1152 + 64 + 32));
  EXPECT_EQ(u16(p, s_i16 + 64 + 6 * 2), 0xFFFEu) << "§7.1 i16 element 6 (two's complement -2)";
  const std::size_t s_bool = static_cast<std::size_t>(u64(p, 1152 + 128 + 32));
  EXPECT_EQ(u8(p, s_bool + 64 + 64), 1u) << "§6.3 bool is 1 byte, 0 or 1";
  EXPECT_EQ(u8(p, s_bool + 64 + 63), 0u) << "§7.1 elements are zero-filled by the creator";
  const std::size_t s_f64 = static_cast<std::size_t>(u64(p, 1152 + 192 + 32));
  EXPECT_EQ(f64(p, s_f64 + 64 + 8), -0.5) << "§6.3 f64 is IEEE binary64";
  const std::size_t s_rec = static_cast<std::size_t>(u64(p, 1152 + 256 + 32));
  EXPECT_EQ(u64(p, s_rec + 64 + 2 * 24), 0xAABBCCDDEEFF0011ull) << "§7.1 opaque element 2 at +64+2*24";
  EXPECT_EQ(f64(p, s_rec + 64 + 2 * 24 + 8), 3.0) << "§7.1 opaque element bytes as the writer left them";
  EXPECT_EQ(u32(p, s_rec + 64 + 2 * 24 + 16), 7u) << "§7.1 opaque element bytes as the writer left them";
}
