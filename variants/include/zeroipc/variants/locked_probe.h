// zeroipc/variants/locked_probe.h — a bounded hash table of byte keys and
// values under one process-shared owner lock: linear probing (Peterson
// 1957; Knuth, TAOCP vol. 3, 6.4 algorithm L) with tombstones, and a second
// table that a rebuild fills before one store switches to it.
//
// Used by Map (key + value) and Set (key only, value_size 0). Keys and
// values are bytes of fixed sizes, compared with memcmp; the home slot is
// key_hash() & (table_size - 1) (detail/key_hash.h, SPECIFICATION.md §7.8).
//
// Progress: blocking, as locked_ring. Every operation, find included, holds
// the lock: each is linearizable at its critical section, and a reader
// never sees a value half-written. A holder killed at any instruction is
// detected by the lock (its word holds the owner key) and taken over; the
// taker repairs what it left (below).
//
// Sizes: table_size = bit_ceil(capacity + ceil(capacity / 3)), so the load
// stays at most 3/4 and a table holding `capacity` keys still has an empty
// slot; inserting the (capacity + 1)-th key throws Full. Every probe visits
// at most table_size slots: no operation loops on hostile bytes.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.8):
//
//   0    u32 lock           owner lock (owner_lock.h)
//   4    u32 active         which table is live: 0 = A, 1 = B
//   8    u64 holder_pid     for messages and tools
//   64   u64 count          keys present                 } written under
//   72   u64 tombstones     erased slots not yet reused  } the lock; atomic
//   80   u64 journal        0, or 1 + the slot whose value is being replaced
//   88   u64 inserted       keys inserted, in all        } counters for
//   96   u64 erased         keys erased, in all          } tools (rates)
//   104  u64 assigned       values replaced, in all      }
//   112  u64 rebuilds       tables rebuilt, in all       }
//   128  journal value      value_size bytes (rounded up to 64): the old value
//   J    table A            table_size slots of `stride` bytes
//   J + table_size*stride   table B
//
//   slot: +0 u32 state (0 empty, 1 full, 2 tombstone), +4 u32 hash >> 32,
//         +8 key (key_size rounded up to 8), then value (value_size rounded up to 8)
//
// Memory ordering: the lock's (L1)/(L2) pair orders every slot access; the
// header words are atomic only so size() and tools can read them unlocked.
//
// What a kill costs (nothing is lost, nothing is duplicated):
//   insert: key and value are written into an empty or tombstone slot, then
//     its state becomes full with one store: killed before it, the key is
//     not there; after it, it is (and the count is recounted by the taker).
//   erase: one store full -> tombstone.
//   insert_or_assign of a present key: the old value goes to the journal,
//     journal = 1 + slot, the value is overwritten, journal = 0. The taker
//     of a dead holder's lock copies a journalled value back: the
//     assignment did not happen.
//   rebuild (when tombstones reach table_size / 4): the other table is
//     cleared and filled, then `active` switches with one store. Killed
//     before it, the live table is untouched.
//   After any takeover the taker recounts count and tombstones from the
//   live table (O(table_size), only then).
#pragma once

#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "zeroipc/layout/map.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/key_hash.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

namespace detail {
/// The windows of locked_probe's operations, for tests that kill a holder
/// inside each on purpose (crash_hook.h).
enum class MapCrashPoint : int {
  kInsertWritten = 1,    // key and value written into a free slot, state not yet full
  kInsertPublished = 2,  // state full, count not yet updated
  kAssignHalfWritten = 3,  // old value journalled, new value half written
  kEraseMarked = 4,      // tombstone stored, count not yet updated
  kRebuildFilled = 5,    // the other table filled, `active` not yet switched
};
inline void crash_point(MapCrashPoint point) noexcept { zeroipc::detail::crash_point_of(point); }
}  // namespace detail

struct locked_probe {
  static constexpr std::uint16_t kId = 1;
  static constexpr std::string_view kName = "locked_probe";
  /// Keys a table may hold: table_size stays within 2^32 slots.
  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{3} << 30;

  enum SlotState : std::uint32_t { kEmpty = 0, kFull = 1, kTombstone = 2 };

  static constexpr std::uint64_t round8(std::uint64_t n) noexcept { return (n + 7) & ~std::uint64_t{7}; }
  static constexpr std::uint64_t table_size(std::uint64_t capacity) noexcept {
    return std::bit_ceil(capacity + (capacity + 2) / 3);
  }
  static constexpr std::uint64_t stride(std::uint32_t key_size, std::uint32_t value_size) noexcept {
    return zeroipc_probe_stride(key_size, value_size);
  }
  static constexpr std::uint64_t tables_offset(std::uint32_t value_size) noexcept {
    return zeroipc_probe_tables_offset(value_size);
  }

  /// Body bytes for `capacity` keys; 0 when not allowed or too large.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t key_size,
                                           std::uint32_t value_size) noexcept {
    if (capacity == 0 || capacity > kMaxCapacity || key_size == 0) return 0;
    return detail::mul_add_or_zero(2 * table_size(capacity), stride(key_size, value_size),
                                   tables_offset(value_size));
  }
  /// The zeroed body is an empty table A: nothing to write.
  static void init(std::byte*, std::uint64_t, std::uint32_t, std::uint32_t) noexcept {}

  class table {
   public:
    table(std::byte* body, std::uint64_t capacity, std::uint32_t key_size, std::uint32_t value_size) noexcept
        : body_(body),
          capacity_(capacity),
          table_size_(table_size(capacity)),
          key_size_(key_size),
          value_size_(value_size),
          stride_(stride(key_size, value_size)),
          value_at_(zeroipc_probe_slot_value_offset(key_size)) {}

    enum class Insert { kInserted, kPresent, kAssigned };

    /// Adds key -> value. With `assign`, a present key's value is replaced
    /// (kAssigned); without, it is left alone (kPresent). Throws Full when
    /// `capacity` keys are present and the key is not one of them.
    Insert insert(const std::byte* key, const std::byte* value, bool assign) {
      Guard g(*this);
      const std::uint64_t h = detail::key_hash(key, key_size_);
      const Probe p = probe(g.slots, key, h);
      if (p.found != kNone) {
        if (!assign) return Insert::kPresent;
        std::byte* s = slot(g.slots, p.found);
        std::memcpy(body_ + ZEROIPC_PROBE_JOURNAL_OFFSET, s + value_at_, value_size_);
        word(ctl().journal).store(p.found + 1, std::memory_order_relaxed);
        std::memcpy(s + value_at_, value, value_size_ / 2);
        detail::crash_point(detail::MapCrashPoint::kAssignHalfWritten);
        std::memcpy(s + value_at_ + value_size_ / 2, value + value_size_ / 2, value_size_ - value_size_ / 2);
        word(ctl().journal).store(0, std::memory_order_relaxed);
        word(ctl().assigned).store(word(ctl().assigned).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return Insert::kAssigned;
      }
      const std::uint64_t n = word(ctl().count).load(std::memory_order_relaxed);
      if (n >= capacity_) {
        throw Full("holds " + std::to_string(n) + " keys, its capacity");
      }
      const std::uint64_t at = p.tombstone != kNone ? p.tombstone : p.empty;
      if (at == kNone) {  // every slot full, yet fewer than capacity < table_size keys counted
        throw CorruptState("all " + std::to_string(table_size_) + " slots are full but the count is " +
                           std::to_string(n));
      }
      std::byte* s = slot(g.slots, at);
      std::memcpy(s + 8, key, key_size_);
      if (value_size_ != 0) std::memcpy(s + value_at_, value, value_size_);
      const auto hi = static_cast<std::uint32_t>(h >> 32);
      std::memcpy(s + 4, &hi, 4);
      const bool reused = state(s) == kTombstone;
      detail::crash_point(detail::MapCrashPoint::kInsertWritten);
      state_ref(s).store(kFull, std::memory_order_relaxed);  // the insert happens here
      detail::crash_point(detail::MapCrashPoint::kInsertPublished);
      word(ctl().count).store(n + 1, std::memory_order_relaxed);
      if (reused) word(ctl().tombstones).store(word(ctl().tombstones).load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      word(ctl().inserted).store(word(ctl().inserted).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return Insert::kInserted;
    }

    /// Copies the value of `key` into `out` (value_size bytes); false if absent.
    bool find(const std::byte* key, std::byte* out) {
      Guard g(*this);
      const Probe p = probe(g.slots, key, detail::key_hash(key, key_size_));
      if (p.found == kNone) return false;
      if (out != nullptr && value_size_ != 0) std::memcpy(out, slot(g.slots, p.found) + value_at_, value_size_);
      return true;
    }

    /// Removes `key`; false if absent.
    bool erase(const std::byte* key) {
      Guard g(*this);
      const Probe p = probe(g.slots, key, detail::key_hash(key, key_size_));
      if (p.found == kNone) return false;
      state_ref(slot(g.slots, p.found)).store(kTombstone, std::memory_order_relaxed);  // the erase happens here
      detail::crash_point(detail::MapCrashPoint::kEraseMarked);
      word(ctl().count).store(word(ctl().count).load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
      word(ctl().erased).store(word(ctl().erased).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      std::uint64_t tombs = word(ctl().tombstones).load(std::memory_order_relaxed) + 1;
      // A tombstone followed by an empty slot ends no probe that an empty
      // slot would not end: it (and the tombstones before it) become empty,
      // one store each, every intermediate state valid.
      std::uint64_t i = p.found;
      for (std::uint64_t n = 0; n < table_size_ && tombs > 0 &&
                                state(slot(g.slots, (i + 1) & (table_size_ - 1))) == kEmpty &&
                                state(slot(g.slots, i)) == kTombstone;
           ++n) {
        state_ref(slot(g.slots, i)).store(kEmpty, std::memory_order_relaxed);
        --tombs;
        i = (i - 1) & (table_size_ - 1);
      }
      word(ctl().tombstones).store(tombs, std::memory_order_relaxed);
      if (tombs >= table_size_ / 4) rebuild(g);
      return true;
    }

    /// Keys present (exact when no operation is in flight).
    [[nodiscard]] std::uint64_t size() const noexcept { return word(ctl().count).load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t tombstones() const noexcept { return word(ctl().tombstones).load(std::memory_order_relaxed); }

    /// Calls f(key, value) for every key present, under the lock (f must not
    /// use this table).
    template <class F>
    void for_each(F&& f) {
      Guard g(*this);
      for (std::uint64_t i = 0; i < table_size_; ++i) {
        std::byte* s = slot(g.slots, i);
        if (state(s) == kFull) f(static_cast<const std::byte*>(s + 8), static_cast<const std::byte*>(s + value_at_));
      }
    }

   private:
    static constexpr std::uint64_t kNone = ~std::uint64_t{0};
    struct Probe {
      std::uint64_t found = kNone;      // the key's slot
      std::uint64_t tombstone = kNone;  // the first tombstone on the way
      std::uint64_t empty = kNone;      // the empty slot that ended the probe
    };

    zeroipc_probe_control& ctl() const noexcept { return *reinterpret_cast<zeroipc_probe_control*>(body_); }
    static std::atomic_ref<std::uint64_t> word(std::uint64_t& field) noexcept { return std::atomic_ref<std::uint64_t>(field); }
    std::atomic_ref<std::uint32_t> active_ref() const noexcept { return std::atomic_ref<std::uint32_t>(ctl().active); }
    static std::atomic_ref<std::uint32_t> state_ref(std::byte* s) noexcept {
      return std::atomic_ref<std::uint32_t>(reinterpret_cast<zeroipc_probe_slot*>(s)->state);
    }
    std::byte* tables(std::uint32_t which) const noexcept {
      return body_ + tables_offset(value_size_) + which * table_size_ * stride_;
    }
    std::byte* slot(std::byte* slots, std::uint64_t i) const noexcept { return slots + i * stride_; }

    std::uint32_t state(std::byte* s) const {
      const std::uint32_t v = state_ref(s).load(std::memory_order_relaxed);
      if (v > kTombstone) {
        throw CorruptState("slot state " + std::to_string(v) + " (expected 0 empty, 1 full or 2 tombstone)");
      }
      return v;
    }

    // At most table_size slots, from the key's home slot.
    Probe probe(std::byte* slots, const std::byte* key, std::uint64_t h) const {
      Probe p;
      const auto hi = static_cast<std::uint32_t>(h >> 32);
      for (std::uint64_t n = 0, i = h & (table_size_ - 1); n < table_size_; ++n, i = (i + 1) & (table_size_ - 1)) {
        std::byte* s = slot(slots, i);
        const std::uint32_t st = state(s);
        if (st == kEmpty) {
          p.empty = i;
          return p;
        }
        if (st == kTombstone) {
          if (p.tombstone == kNone) p.tombstone = i;
          continue;
        }
        std::uint32_t shi;
        std::memcpy(&shi, s + 4, 4);
        if (shi == hi && std::memcmp(s + 8, key, key_size_) == 0) {
          p.found = i;
          return p;
        }
      }
      return p;
    }

    struct Guard;

    // Fills the other table with the live keys, then switches to it.
    void rebuild(Guard& g) {
      const std::uint32_t other = 1 - active_ref().load(std::memory_order_relaxed);
      std::byte* to = tables(other);
      std::memset(to, 0, table_size_ * stride_);
      for (std::uint64_t i = 0; i < table_size_; ++i) {
        std::byte* s = slot(g.slots, i);
        if (state(s) != kFull) continue;
        const std::uint64_t h = detail::key_hash(s + 8, key_size_);
        std::uint64_t j = h & (table_size_ - 1);
        for (std::uint64_t n = 0; state(slot(to, j)) != kEmpty; ++n, j = (j + 1) & (table_size_ - 1)) {
          if (n == table_size_) throw CorruptState("the rebuilt table filled up (its bytes changed under the lock)");
        }
        std::memcpy(slot(to, j), s, stride_);
      }
      detail::crash_point(detail::MapCrashPoint::kRebuildFilled);
      active_ref().store(other, std::memory_order_relaxed);  // the rebuild happens here
      word(ctl().tombstones).store(0, std::memory_order_relaxed);
      word(ctl().rebuilds).store(word(ctl().rebuilds).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      g.slots = to;
    }

    // After taking the lock over from a dead holder: undo a half-done
    // assignment, recount.
    void repair(std::byte* slots) {
      const std::uint64_t j = word(ctl().journal).load(std::memory_order_relaxed);
      if (j != 0) {
        if (j > table_size_) {
          throw CorruptState("journal names slot " + std::to_string(j - 1) + " of " + std::to_string(table_size_));
        }
        std::memcpy(slot(slots, j - 1) + value_at_, body_ + ZEROIPC_PROBE_JOURNAL_OFFSET, value_size_);
        word(ctl().journal).store(0, std::memory_order_relaxed);
      }
      std::uint64_t full = 0, tombs = 0;
      for (std::uint64_t i = 0; i < table_size_; ++i) {
        const std::uint32_t st = state(slot(slots, i));
        full += st == kFull;
        tombs += st == kTombstone;
      }
      word(ctl().count).store(full, std::memory_order_relaxed);
      word(ctl().tombstones).store(tombs, std::memory_order_relaxed);
    }

    struct Guard {
      explicit Guard(table& t) : t_(t) {
        zeroipc::detail::OwnerLockResult r;
        // A live holder is waited for however long it takes; a dead one is taken over.
        while ((r = zeroipc::detail::owner_lock_acquire(lock(), holder(), std::chrono::hours(1))).outcome ==
               zeroipc::detail::OwnerLockResult::kTimedOut) {
        }
        try {
          const std::uint32_t a = t_.active_ref().load(std::memory_order_relaxed);
          if (a > 1) throw CorruptState("active table " + std::to_string(a) + " (expected 0 or 1)");
          slots = t_.tables(a);
          if (r.outcome == zeroipc::detail::OwnerLockResult::kTakenOver) t_.repair(slots);
        } catch (...) {
          zeroipc::detail::owner_lock_release(lock(), holder());
          throw;
        }
      }
      ~Guard() { zeroipc::detail::owner_lock_release(lock(), holder()); }
      Guard(const Guard&) = delete;
      Guard& operator=(const Guard&) = delete;
      std::uint32_t& lock() const noexcept { return t_.ctl().lock; }
      std::uint64_t& holder() const noexcept { return t_.ctl().holder_pid; }
      table& t_;
      std::byte* slots = nullptr;  // the live table
    };

    std::byte* body_;
    std::uint64_t capacity_;
    std::uint64_t table_size_;
    std::uint32_t key_size_;
    std::uint32_t value_size_;
    std::uint64_t stride_;
    std::uint64_t value_at_;
  };
};

}  // namespace zeroipc::variants
