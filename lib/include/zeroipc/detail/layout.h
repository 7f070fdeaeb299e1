// zeroipc/detail/layout.h — the bytes of SPECIFICATION.md, as C++ structs.
//
// These are plain structs of fixed-width integers (trivially copyable,
// standard layout) laid over the mapped segment. Fields the specification
// marks "atomic" are only touched through std::atomic_ref (see atomic_of()).
// Every offset below is asserted, so a layout change fails to compile here
// before it can silently disagree with the C and Python implementations;
// tests/unit/layout_test.cpp pins the same offsets from the bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace zeroipc::detail {

inline constexpr std::size_t kCacheLine = 64;
inline constexpr std::uint16_t kFormatVersion = 1;
inline constexpr char kSegmentMagic[4] = {'Z', 'I', 'P', 'M'};
inline constexpr char kStructMagic[4] = {'Z', 'I', 'P', 'S'};

inline constexpr std::uint32_t kDefaultTableCapacity = 64;
inline constexpr std::uint32_t kMaxTableCapacity = 65536;
inline constexpr std::uint32_t kAttachCapacity = 64;  // written by version 1 creators
inline constexpr std::uint32_t kMaxAttachCapacity = 4096;
inline constexpr std::size_t kMaxStructureNameLength = 31;
inline constexpr std::size_t kMaxSegmentNameLength = 255;  // including the leading '/'

inline constexpr std::uint32_t kLockWaitersBit = 0x80000000u;  // = kPidLockWaitersBit

/// align64(x) of the specification; callers check x against overflow first.
constexpr std::uint64_t align64(std::uint64_t x) noexcept { return (x + 63) & ~std::uint64_t{63}; }

// ---------------------------------------------------------------- §2 segment header
struct SegmentHeader {
  // Written once by the creator (cache line 0).
  char magic[4];
  std::uint16_t format_version;
  std::uint16_t header_size;
  std::uint64_t segment_size;
  std::uint64_t table_offset;
  std::uint32_t table_capacity;
  std::uint32_t attach_capacity;
  std::uint64_t data_offset;
  std::uint64_t created_ns;
  std::uint32_t creator_pid;
  std::uint8_t reserved0[12];
  // Mutable bookkeeping, atomic (cache line 1).
  std::uint32_t table_lock;  // owner lock word (§3.2): holder key | waiters bit
  std::uint32_t table_count;
  std::uint64_t alloc_cursor;
  std::uint64_t lock_holder_pid;  // pid of the table lock's holder, for messages
  std::uint64_t table_generation;
  std::uint32_t attach_overflow;
  std::uint8_t reserved1[28];
};
static_assert(sizeof(SegmentHeader) == 128, "segment header is two cache lines (spec §2)");
static_assert(offsetof(SegmentHeader, format_version) == 4, "spec §2");
static_assert(offsetof(SegmentHeader, header_size) == 6, "spec §2");
static_assert(offsetof(SegmentHeader, segment_size) == 8, "spec §2");
static_assert(offsetof(SegmentHeader, table_offset) == 16, "spec §2");
static_assert(offsetof(SegmentHeader, table_capacity) == 24, "spec §2");
static_assert(offsetof(SegmentHeader, attach_capacity) == 28, "spec §2");
static_assert(offsetof(SegmentHeader, data_offset) == 32, "spec §2");
static_assert(offsetof(SegmentHeader, created_ns) == 40, "spec §2");
static_assert(offsetof(SegmentHeader, creator_pid) == 48, "spec §2");
static_assert(offsetof(SegmentHeader, table_lock) == 64,
              "the mutable bookkeeping starts its own cache line so lookups of the "
              "read-only fields do not share a line with the lock (spec §2)");
static_assert(offsetof(SegmentHeader, table_count) == 68, "spec §2");
static_assert(offsetof(SegmentHeader, alloc_cursor) == 72, "spec §2");
static_assert(offsetof(SegmentHeader, lock_holder_pid) == 80, "spec §2");
static_assert(offsetof(SegmentHeader, table_generation) == 88, "spec §2");
static_assert(offsetof(SegmentHeader, attach_overflow) == 96, "spec §2");

// ---------------------------------------------------------------- §4 attach slots
inline constexpr std::size_t kAttachOffset = sizeof(SegmentHeader);

/// owner = pid | key << 32, claimed with one 64-bit CAS, so a slot never
/// names a pid without the key that judges its liveness (§4.1).
struct AttachSlot {
  std::uint64_t owner;       // atomic: pid (low half) | owner key << 32; 0 = free
  std::uint64_t start_time;  // atomic: /proc start time of that pid, for tools (0 = not written)
};
static_assert(sizeof(AttachSlot) == 16, "spec §4");
static_assert(offsetof(AttachSlot, start_time) == 8, "spec §4");
constexpr std::uint32_t attach_pid(std::uint64_t owner) noexcept { return static_cast<std::uint32_t>(owner); }
constexpr std::uint32_t attach_key(std::uint64_t owner) noexcept { return static_cast<std::uint32_t>(owner >> 32); }

// ---------------------------------------------------------------- §3 name table
enum class EntryState : std::uint32_t { kFree = 0, kReserved = 1, kReady = 2 };

struct TableEntry {
  char name[32];
  std::uint64_t offset;
  std::uint64_t size;
  std::uint32_t state;  // atomic, EntryState
  std::uint32_t creator_pid;
  std::uint32_t creator_key;  // atomic: the creator's owner key (§4.1), written before RESERVED
  std::uint32_t reserved;
};
static_assert(sizeof(TableEntry) == 64, "one table entry is one cache line (spec §3)");
static_assert(offsetof(TableEntry, offset) == 32, "spec §3");
static_assert(offsetof(TableEntry, size) == 40, "spec §3");
static_assert(offsetof(TableEntry, state) == 48, "spec §3");
static_assert(offsetof(TableEntry, creator_pid) == 52, "spec §3");
static_assert(offsetof(TableEntry, creator_key) == 56, "spec §3");

inline constexpr std::uint64_t kDefaultTableOffset =
    kAttachOffset + kAttachCapacity * sizeof(AttachSlot);
static_assert(kDefaultTableOffset == 1152, "spec §1: T = 1152 for version 1 creators");

// ---------------------------------------------------------------- §6 structure header
enum class Kind : std::uint16_t {
  kArray = 1, kQueue = 2, kStack = 3, kMap = 4, kSet = 5, kPool = 6,
  kRing = 7, kFuture = 8, kLazy = 9, kStream = 10, kChannel = 11,
};

struct StructHeader {
  char magic[4];
  std::uint16_t kind;
  std::uint16_t variant;
  std::uint32_t element_size;
  std::uint16_t layout_version;
  std::uint8_t dtype;
  std::uint8_t reserved0;
  std::uint64_t capacity;
  std::uint64_t total_size;
  std::uint8_t kind_specific[32];
};
static_assert(sizeof(StructHeader) == 64, "the common structure header is one cache line (spec §6)");
static_assert(offsetof(StructHeader, kind) == 4, "spec §6");
static_assert(offsetof(StructHeader, variant) == 6, "spec §6");
static_assert(offsetof(StructHeader, element_size) == 8, "spec §6");
static_assert(offsetof(StructHeader, layout_version) == 12, "spec §6");
static_assert(offsetof(StructHeader, dtype) == 14, "spec §6");
static_assert(offsetof(StructHeader, capacity) == 16, "spec §6");
static_assert(offsetof(StructHeader, total_size) == 24, "spec §6");
static_assert(offsetof(StructHeader, kind_specific) == 32, "spec §6");

template <class T>
inline constexpr bool kIsLayout =
    std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>;
static_assert(kIsLayout<SegmentHeader> && kIsLayout<AttachSlot> && kIsLayout<TableEntry> &&
                  kIsLayout<StructHeader>,
              "layout structs are overlaid on shared bytes: they must be plain data");

/// The one way to touch a field the specification marks atomic.
template <class T>
[[nodiscard]] inline std::atomic_ref<T> atomic_of(T& field) noexcept {
  static_assert(std::atomic_ref<T>::is_always_lock_free,
                "shared-memory atomics must be lock-free: a lock-based fallback would live in "
                "one process's memory, not in the segment");
  return std::atomic_ref<T>(field);
}

}  // namespace zeroipc::detail
