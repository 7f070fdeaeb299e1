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

#include "zeroipc/layout/layout.h"

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

// The structs are the C99 layout headers' (zeroipc/layout/*.h), shared with the
// C implementation (lib/c) so that C and C++ cannot drift: one definition of each
// byte, its offsets asserted there against the section of the specification.

// ---------------------------------------------------------------- §2 segment header
using SegmentHeader = ::zeroipc_segment_header;
static_assert(sizeof(SegmentHeader) == ZEROIPC_SEGMENT_HEADER_SIZE, "segment header is two cache lines (spec §2)");
static_assert(offsetof(SegmentHeader, table_lock) == kCacheLine,
              "the mutable bookkeeping starts its own cache line so lookups of the "
              "read-only fields do not share a line with the lock (spec §2)");

// ---------------------------------------------------------------- §4 attach slots
inline constexpr std::size_t kAttachOffset = ZEROIPC_ATTACH_OFFSET;

/// owner = pid | key << 32, claimed with one 64-bit CAS, so a slot never
/// names a pid without the key that judges its liveness (§4.1).
using AttachSlot = ::zeroipc_attach_slot;
constexpr std::uint32_t attach_pid(std::uint64_t owner) noexcept { return zeroipc_attach_pid(owner); }
constexpr std::uint32_t attach_key(std::uint64_t owner) noexcept { return zeroipc_attach_key(owner); }

// ---------------------------------------------------------------- §3 name table
enum class EntryState : std::uint32_t {
  kFree = ZEROIPC_ENTRY_FREE, kReserved = ZEROIPC_ENTRY_RESERVED, kReady = ZEROIPC_ENTRY_READY,
};

using TableEntry = ::zeroipc_table_entry;
static_assert(sizeof(TableEntry) == kCacheLine, "one table entry is one cache line (spec §3)");

inline constexpr std::uint64_t kDefaultTableOffset = ZEROIPC_DEFAULT_TABLE_OFFSET;

// ---------------------------------------------------------------- §6 structure header
enum class Kind : std::uint16_t {
  kArray = 1, kQueue = 2, kStack = 3, kMap = 4, kSet = 5, kPool = 6,
  kRing = 7, kFuture = 8, kLazy = 9, kStream = 10, kChannel = 11,
};

using StructHeader = ::zeroipc_struct_header;
static_assert(sizeof(StructHeader) == kCacheLine, "the common structure header is one cache line (spec §6)");

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
