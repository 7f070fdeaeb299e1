// The name table protocol (SPECIFICATION.md §3): lock-free lookups of READY
// entries; entries reserved under an owner lock (a futex word with the
// holder's key) with recovery from a holder that died; structures
// initialised outside the lock, by a creator whose key is in its entry, so
// that a large structure does not keep other creators waiting.
//
// Memory-ordering pairs (numbered as referenced below):
//   (1) the release store of state = READY after initialising the structure
//       pairs with (2) the acquire load of state in lookups: a reader that sees
//       READY sees the name, offset, size and the initialised structure.
//   (3) the release store of table_count after writing a new entry pairs with
//       (4) the acquire load of table_count in lookups.
//   (5) lock acquisition (CAS, acquire) pairs with (6) the release exchange of
//       unlock: everything one creator wrote is visible to the next.
#include "zeroipc/table.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <unistd.h>

#include "zeroipc/detail/crash_points.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/variants/detail/futex.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/error.h"

namespace zeroipc {
namespace {

using detail::atomic_of;
using detail::EntryState;
using detail::Mapping;
using detail::TableEntry;
using detail::futex_wait;
using detail::kOwnerCheckEvery;
using detail::owner_alive;

std::string where(const Mapping& m) { return "zeroipc: segment '" + detail::printable(m.name()) + "'"; }

std::uint32_t load_count(const Mapping& m, std::memory_order order) {
  const std::uint32_t count = atomic_of(m.header().table_count).load(order);
  if (count > m.geometry().table_capacity) {
    throw CorruptSegment(where(m) + ": table_count " + std::to_string(count) +
                         " exceeds table_capacity " + std::to_string(m.geometry().table_capacity));
  }
  return count;
}

std::uint64_t load_cursor(const Mapping& m) {
  const std::uint64_t cursor = atomic_of(m.header().alloc_cursor).load(std::memory_order_relaxed);
  if (cursor < m.geometry().data_offset || cursor > m.size() || cursor % detail::kCacheLine != 0) {
    throw CorruptSegment(where(m) + ": alloc_cursor " + std::to_string(cursor) +
                         " is not a multiple of 64 inside the heap [" +
                         std::to_string(m.geometry().data_offset) + ", " + std::to_string(m.size()) +
                         "]");
  }
  return cursor;
}

EntryState load_state(TableEntry& e, std::memory_order order) {
  return static_cast<EntryState>(atomic_of(e.state).load(order));
}

// A private copy of entry `i` if it is READY: every field read once, after
// the acquire load of its state (2), so that what is checked is what is used
// (spec §5). READY entries never change: a hostile peer is the only writer.
std::optional<TableEntry> copy_ready_entry(const Mapping& m, std::uint32_t i) {
  TableEntry& shared = m.table_entries()[i];
  TableEntry e{};
  e.state = atomic_of(shared.state).load(std::memory_order_acquire);  // (2)
  if (static_cast<EntryState>(e.state) != EntryState::kReady) return std::nullopt;
  std::memcpy(e.name, shared.name, sizeof e.name);
  e.offset = shared.offset;
  e.size = shared.size;
  e.creator_pid = shared.creator_pid;
  return e;
}

// Checks the copy `e` of entry `i` (spec §5 item 6).
TableEntryInfo check_entry(const Mapping& m, std::uint32_t i, const TableEntry& e) {
  const std::size_t len = strnlen(e.name, sizeof e.name);
  const std::string bad = where(m) + ": table entry " + std::to_string(i) + " ";
  if (len == sizeof e.name) throw CorruptSegment(bad + "has a name without a terminating NUL");
  if (len == 0) throw CorruptSegment(bad + "is READY with an empty name");
  for (std::size_t k = 0; k < len; ++k) {
    const auto c = static_cast<unsigned char>(e.name[k]);
    if (c < 0x20 || c > 0x7e) {
      throw CorruptSegment(bad + "has the byte " +
                           detail::printable(std::string_view(e.name + k, 1)) +
                           " in its name (names are printable ASCII)");
    }
  }
  TableEntryInfo info{std::string(e.name, len), e.offset, e.size, e.creator_pid};
  const std::string named = bad + "('" + detail::printable(info.name) + "') ";
  if (info.offset % detail::kCacheLine != 0 || info.offset < m.geometry().data_offset) {
    throw CorruptSegment(named + "has offset " + std::to_string(info.offset) +
                         ", expected a multiple of 64 at or after the heap start " +
                         std::to_string(m.geometry().data_offset));
  }
  if (info.size < sizeof(detail::StructHeader) || !m.contains(info.offset, info.size)) {
    throw CorruptSegment(named + "has size " + std::to_string(info.size) + " at offset " +
                         std::to_string(info.offset) + ", expected at least 64 bytes inside the " +
                         std::to_string(m.size()) + "-byte segment");
  }
  return info;
}

bool name_is(const TableEntry& e, std::string_view name) {
  return name.size() < sizeof e.name && std::memcmp(e.name, name.data(), name.size()) == 0 &&
         e.name[name.size()] == '\0';
}

// Lock-free lookup of a READY entry: the entry is copied once, and the copy
// is both matched against `name` and checked.
std::optional<TableEntryInfo> lookup(const Mapping& m, std::string_view name) {
  const std::uint32_t count = load_count(m, std::memory_order_acquire);  // (4)
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::optional<TableEntry> e = copy_ready_entry(m, i);  // (2)
    if (e && name_is(*e, name)) return check_entry(m, i, *e);
  }
  return std::nullopt;
}

// The table lock is an owner lock (zeroipc/variants/detail/owner_lock.h) on
// the header's table_lock and lock_holder_pid words (spec §3.2).
class TableLock {
 public:
  TableLock(Mapping& m, std::chrono::milliseconds patience) : m_(m) {
    const auto r = detail::owner_lock_acquire(m.header().table_lock, m.header().lock_holder_pid,
                                              patience);  // (5)
    if (r.outcome == detail::OwnerLockResult::kTimedOut) {
      throw Timeout(where(m) + ": the table lock is held by live process " +
                    (r.other != 0 ? std::to_string(r.other) : std::string("(pid not recorded)")) +
                    " for longer than " + std::to_string(patience.count()) + " ms");
    }
    if (r.outcome == detail::OwnerLockResult::kTakenOver) stolen_ = true;
  }
  ~TableLock() { release(); }
  /// Unlocks now (idempotent). (6)
  void release() noexcept {
    if (held_) detail::owner_lock_release(m_.header().table_lock, m_.header().lock_holder_pid);  // (6)
    held_ = false;
  }
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;

  /// True when the lock was taken over from a dead holder.
  [[nodiscard]] bool stolen() const noexcept { return stolen_; }

 private:
  Mapping& m_;
  bool stolen_ = false;
  bool held_ = true;
};

// Spec §3.3, under the lock: undo the creations dead creators left. A
// RESERVED entry below table_count whose creator is dead goes back to FREE
// (its region is kept for reuse); a RESERVED entry at table_count is the one
// creation a dead lock holder interrupted between moving the cursor and
// the count (only possible when the lock was taken over). Each field is
// read once.
void recover(Mapping& m, bool lock_stolen) {
  TableEntry* entries = m.table_entries();
  const std::uint32_t count = load_count(m, std::memory_order_relaxed);
  bool changed = false;
  for (std::uint32_t i = 0; i < count; ++i) {
    TableEntry& e = entries[i];
    if (load_state(e, std::memory_order_acquire) != EntryState::kReserved) continue;
    if (owner_alive(&e, atomic_of(e.creator_key).load(std::memory_order_relaxed))) continue;  // still initialising
    std::memset(e.name, 0, sizeof e.name);  // offset and size kept for reuse
    atomic_of(e.state).store(static_cast<std::uint32_t>(EntryState::kFree), std::memory_order_release);
    changed = true;
  }
  if (lock_stolen && count < m.geometry().table_capacity) {
    TableEntry& next = entries[count];
    if (load_state(next, std::memory_order_relaxed) == EntryState::kReserved) {
      const std::uint64_t cursor = load_cursor(m);
      const std::uint64_t offset = atomic_of(next.offset).load(std::memory_order_relaxed);
      const std::uint64_t size = atomic_of(next.size).load(std::memory_order_relaxed);
      // Died between moving the cursor and moving the count: roll the cursor back.
      if (offset >= m.geometry().data_offset && size <= cursor && offset == cursor - size) {
        atomic_of(m.header().alloc_cursor).store(offset, std::memory_order_relaxed);
      }
      atomic_of(next.size).store(0, std::memory_order_relaxed);
      atomic_of(next.state).store(static_cast<std::uint32_t>(EntryState::kFree), std::memory_order_relaxed);
    }
  }
  if (changed) atomic_of(m.header().table_generation).fetch_add(1, std::memory_order_relaxed);
}

// The index of a RESERVED entry named `name` whose creator lives (a creation
// in progress outside the lock), if there is one.
std::optional<std::uint32_t> reserved_by_live_creator(const Mapping& m, std::string_view name) {
  const std::uint32_t count = load_count(m, std::memory_order_acquire);
  for (std::uint32_t i = 0; i < count; ++i) {
    TableEntry& e = m.table_entries()[i];
    if (load_state(e, std::memory_order_acquire) != EntryState::kReserved) continue;
    char copy[sizeof e.name];
    std::memcpy(copy, e.name, sizeof copy);
    if (name.size() >= sizeof copy || std::memcmp(copy, name.data(), name.size()) != 0 || copy[name.size()] != '\0') {
      continue;
    }
    if (owner_alive(&e, atomic_of(e.creator_key).load(std::memory_order_relaxed))) return i;
  }
  return std::nullopt;
}

// Waits (futex on the entry's state, checking its creator every 20 ms) until
// entry `i` is no longer RESERVED, its creator died, or `deadline`.
bool wait_for_creation(const Mapping& m, std::uint32_t i, std::chrono::steady_clock::time_point deadline) {
  TableEntry& e = m.table_entries()[i];
  for (;;) {
    const auto state = static_cast<std::uint32_t>(EntryState::kReserved);
    if (atomic_of(e.state).load(std::memory_order_acquire) != state) return true;
    if (!owner_alive(&e, atomic_of(e.creator_key).load(std::memory_order_relaxed))) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    futex_wait(&e.state, state, std::min<std::chrono::nanoseconds>(deadline - now, kOwnerCheckEvery));
  }
}

}  // namespace

Table::Table(std::shared_ptr<detail::Mapping> mapping) : mapping_(std::move(mapping)) {}

std::uint32_t Table::capacity() const noexcept { return mapping_->geometry().table_capacity; }

std::optional<TableEntryInfo> Table::find(std::string_view name) const {
  return lookup(*mapping_, name);
}

std::vector<TableEntryInfo> Table::entries() const {
  const Mapping& m = *mapping_;
  const std::uint32_t count = load_count(m, std::memory_order_acquire);  // (4)
  std::vector<TableEntryInfo> out;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (const std::optional<TableEntry> e = copy_ready_entry(m, i)) out.push_back(check_entry(m, i, *e));  // (2)
  }
  return out;
}

Table::Created Table::find_or_create(std::string_view name, std::uint64_t size,
                                     const Initializer& init,
                                     std::chrono::milliseconds patience) {
  detail::check_structure_name(name);
  Mapping& m = *mapping_;
  if (auto found = lookup(m, name)) return {*found, false};  // fast path, no lock
  auto segment_full = [&](std::uint64_t need, std::uint64_t cursor) {
    return SegmentFull(where(m) + ": structure '" + detail::printable(name) + "' needs " +
                       std::to_string(need) + " bytes but only " +
                       std::to_string(m.size() - cursor) + " of " + std::to_string(m.size()) +
                       " are free");
  };
  if (size == 0) throw InvalidArgument(where(m) + ": structure '" + detail::printable(name) + "' of 0 bytes");
  if (size > m.size()) throw segment_full(size, load_cursor(m));  // also keeps align64 from overflowing
  const std::uint64_t need = detail::align64(size);
  const auto deadline = std::chrono::steady_clock::now() + patience;

  TableEntry* entries = m.table_entries();
  std::uint32_t slot = 0;
  std::uint64_t offset = 0;
  std::uint64_t region = 0;
  for (;;) {
    TableLock lock(m, patience);
    detail::crash_point(detail::CrashPoint::kTableLocked);
    recover(m, lock.stolen());
    if (auto found = lookup(m, name)) return {*found, false};  // created while we waited
    if (auto creating = reserved_by_live_creator(m, name)) {
      // Another process is initialising this name outside the lock: wait for
      // it to publish (then open it) or die (then its entry is undone).
      lock.release();
      if (!wait_for_creation(m, *creating, deadline)) {
        throw Timeout(where(m) + ": structure '" + detail::printable(name) +
                      "' is being created by a live process for longer than " +
                      std::to_string(patience.count()) + " ms");
      }
      continue;
    }

    const std::uint32_t count = load_count(m, std::memory_order_relaxed);
    const std::uint64_t cursor = load_cursor(m);

    // Step 3: reuse the smallest FREE region that fits and is not more than
    // twice what is needed (so a small structure does not sit in a big hole),
    // else append. Each entry's offset and size are loaded once: what is
    // checked is what is used, even if a peer that ignores the lock rewrites them.
    slot = count;
    for (std::uint32_t i = 0; i < count; ++i) {
      TableEntry& e = entries[i];
      const EntryState state = load_state(e, std::memory_order_relaxed);
      const std::uint64_t e_offset = atomic_of(e.offset).load(std::memory_order_relaxed);
      const std::uint64_t e_size = atomic_of(e.size).load(std::memory_order_relaxed);
      const bool below_cursor = e_offset >= m.geometry().data_offset && e_offset <= cursor &&
                                e_size <= cursor - e_offset;
      if (state != EntryState::kFree && !below_cursor) {
        // Appending at the cursor would overwrite this published (or initialising) structure.
        throw CorruptSegment(where(m) + ": table entry " + std::to_string(i) + " ('" +
                             detail::printable(std::string_view(e.name, strnlen(e.name, sizeof e.name))) +
                             "') at offset " + std::to_string(e_offset) + " with size " +
                             std::to_string(e_size) + " extends past alloc_cursor " +
                             std::to_string(cursor));
      }
      if (state == EntryState::kFree && below_cursor && e_size >= need && e_size / 2 <= need &&
          e_offset % detail::kCacheLine == 0 && (slot == count || e_size < region)) {
        slot = i;
        offset = e_offset;
        region = e_size;
      }
    }
    const bool append = slot == count;
    if (append) {
      if (count == m.geometry().table_capacity) {
        throw TableFull(where(m) + ": the name table is full (all " + std::to_string(count) +
                        " entries used) while creating '" + detail::printable(name) + "'");
      }
      if (need > m.size() - cursor) throw segment_full(need, cursor);
      offset = cursor;
      region = need;
    }

    // Step 4: describe the entry, then mark it RESERVED.
    TableEntry& e = entries[slot];
    std::memset(e.name, 0, sizeof e.name);
    std::memcpy(e.name, name.data(), name.size());
    atomic_of(e.offset).store(offset, std::memory_order_relaxed);
    atomic_of(e.size).store(region, std::memory_order_relaxed);
    e.creator_pid = static_cast<std::uint32_t>(::getpid());
    atomic_of(e.creator_key).store(detail::self_key(), std::memory_order_relaxed);
    std::memset(e.reserved, 0, sizeof e.reserved);
    atomic_of(e.state).store(static_cast<std::uint32_t>(EntryState::kReserved), std::memory_order_release);
    detail::crash_point(detail::CrashPoint::kEntryReserved);

    // Step 5: new slots move the cursor, then the count.
    if (append) {
      atomic_of(m.header().alloc_cursor).store(offset + region, std::memory_order_relaxed);
      detail::crash_point(detail::CrashPoint::kCursorMoved);
      atomic_of(m.header().table_count).store(count + 1, std::memory_order_release);  // (3)
    }
    detail::crash_point(detail::CrashPoint::kCountMoved);
    break;  // Step 6 runs without the lock: the region is ours (RESERVED by a live creator).
  }

  // Step 6: initialise. The region may hold a dead creator's half-made bytes.
  TableEntry& e = entries[slot];
  std::byte* base = m.base() + offset;
  std::memset(base, 0, region);
  try {
    init(base, region);
  } catch (...) {
    // Give the slot back (its region stays with it for reuse) and let the
    // caller see the error; nothing half-made stays visible. (Its name bytes
    // stay until the slot is reused: they are written only under the lock,
    // and nobody reads the name of a FREE entry.)
    atomic_of(e.state).store(static_cast<std::uint32_t>(EntryState::kFree), std::memory_order_release);
    detail::futex_wake(&e.state, INT_MAX);
    throw;
  }

  // Step 7: publish, and wake whoever waits for this name.
  atomic_of(e.state).store(static_cast<std::uint32_t>(EntryState::kReady), std::memory_order_release);  // (1)
  atomic_of(m.header().table_generation).fetch_add(1, std::memory_order_relaxed);
  detail::futex_wake(&e.state, INT_MAX);
  detail::crash_point(detail::CrashPoint::kEntryReady);
  return {TableEntryInfo{std::string(name), offset, region, e.creator_pid}, true};
}

}  // namespace zeroipc
