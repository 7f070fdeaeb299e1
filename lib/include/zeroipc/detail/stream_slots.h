// zeroipc/detail/stream_slots.h — the 64 subscriber slots of a Stream
// (SPECIFICATION.md §7.5): claiming one, judging its owner dead, the scan
// of cursors the producer makes when it runs out of known room, and the
// release of dead subscribers that hold it back. Used by stream_ring.h,
// which numbers the memory-ordering pairs ((S1), (B4), (J1)).
//
// Slot state: owner key << 32 | sequence << 2 | phase (0 free, 1 joining,
// 2 active). Every change is a CAS that adds 1 to the sequence; the key is
// the claimant's identity (liveness.h), published by the claim itself.
//   free(s)                 --join: CAS-->  joining(s+1, me)
//   joining|active(s, dead)  --join finding no free slot: CAS--> joining(s+1, me)
//   joining(s, me)          --CAS-->        active(s+1, me)   (after start_time, cursor)
//   active(s, me)           --leave: CAS--> free(s+1)
//   active(s, dead laggard) --producer: CAS--> free(s+1)
#pragma once

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <vector>
#include <string>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/detail/wait.h"
#include "zeroipc/error.h"
#include "zeroipc/variants/detail/liveness.h"

namespace zeroipc::detail::stream {

class SlotTable {
 public:
  /// `where` ("zeroipc: segment '/x', stream 'y'") must outlive the table.
  SlotTable(StreamLayout* layout, std::uint64_t capacity, const std::string* where) noexcept
      : l_(layout), capacity_(capacity), where_(where) {}

  [[nodiscard]] std::uint32_t high_water() const {
    const std::uint32_t hw = atomic_of(l_->high_water).load(std::memory_order_seq_cst);  // (S1)
    if (hw > kSubscriberSlots) {
      throw CorruptSegment(*where_ + ": high_water " + std::to_string(hw) + " exceeds the 64 subscriber slots");
    }
    return hw;
  }
  [[nodiscard]] std::uint64_t state(std::uint32_t i) const {
    const std::uint64_t s = atomic_of(l_->slots[i].state).load(std::memory_order_seq_cst);  // (S1)
    if (slot::phase(s) == 3) {
      throw CorruptSegment(*where_ + ": subscriber slot " + std::to_string(i) + " is in phase 3 (expected 0..2)");
    }
    return s;
  }
  /// Is the owner of slot state `s` dead?
  [[nodiscard]] bool owner_dead(std::uint32_t i, std::uint64_t s) const noexcept {
    return !owner_alive(&l_->slots[i], slot::owner(s));
  }
  /// The pid slot `i`'s owner recorded (0 if not yet written).
  [[nodiscard]] pid_t owner_pid(std::uint32_t i) const noexcept {
    const std::uint64_t pid = atomic_of(l_->slots[i].pid).load(std::memory_order_acquire);
    return pid <= INT_MAX ? static_cast<pid_t>(pid) : 0;
  }

  /// Takes a free slot (or, when none is free, a dead subscriber's) for
  /// process `me`: its index and the joining state it now holds.
  bool claim(std::uint32_t me, std::uint32_t& index, std::uint64_t& joining) {
    for (int pass = 0; pass < 2; ++pass) {  // pass 1 takes over slots of dead subscribers
      for (std::uint32_t i = 0; i < kSubscriberSlots; ++i) {
        std::uint64_t s = state(i);
        const bool take = slot::phase(s) == slot::kFree || (pass == 1 && owner_dead(i, s));
        if (take && atomic_of(l_->slots[i].state)
                        .compare_exchange_strong(s, slot::next(s, slot::kJoining, me), std::memory_order_acq_rel)) {
          index = i;
          joining = slot::next(s, slot::kJoining, me);
          return true;
        }
      }
    }
    return false;
  }

  /// Smallest cursor of the active subscribers, at most `w` (the position being written).
  [[nodiscard]] std::uint64_t min_cursor(std::uint64_t w) const {
    std::uint64_t m = w;
    const std::uint32_t hw = high_water();
    for (std::uint32_t i = 0; i < hw; ++i) {
      if (slot::phase(state(i)) != slot::kActive) continue;
      const std::uint64_t c = atomic_of(l_->slots[i].cursor).load(std::memory_order_seq_cst);  // (B4)
      if (c > w) {
        throw CorruptSegment(*where_ + ": subscriber slot " + std::to_string(i) + " has cursor " +
                             std::to_string(c) + ", past the " + std::to_string(w) + " items published");
      }
      m = std::min(m, c);
    }
    return m;
  }

  /// The subscribers holding position `w` back, as a wait.h OwnerCheck for a blocked producer.
  struct Laggards {
    const SlotTable* table;
    std::uint64_t w;
    /// For wait.h: is one of the laggards dead?
    [[nodiscard]] OwnerCheck check() const noexcept { return {&dead, this}; }
    static bool dead(const void* self, pid_t* who) noexcept {
      const auto* l = static_cast<const Laggards*>(self);
      try {
        return l->table->dead_laggards(l->w, who, false);
      } catch (...) {
        return false;  // a corrupt slot: the producer's next scan throws
      }
    }
  };
  /// The active subscribers at least `capacity` behind position `w`
  /// (holding it back) whose owner is dead; with `release`, their slots are freed.
  bool dead_laggards(std::uint64_t w, pid_t* who, bool release) const {
    bool found = false;
    const std::uint32_t hw = high_water();
    for (std::uint32_t i = 0; i < hw; ++i) {
      std::uint64_t s = state(i);
      if (slot::phase(s) != slot::kActive) continue;
      const std::uint64_t c = atomic_of(l_->slots[i].cursor).load(std::memory_order_seq_cst);
      if (w - std::min(c, w) < capacity_ || !owner_dead(i, s)) continue;
      found = true;
      *who = owner_pid(i);
      if (release) {
        atomic_of(l_->slots[i].state).compare_exchange_strong(s, slot::next(s, slot::kFree, 0),
                                                              std::memory_order_seq_cst);
      }
    }
    return found;
  }

  /// Raises high_water to cover slot `index` (J1).
  void raise_high_water(std::uint32_t index) noexcept {
    std::uint32_t hw = atomic_of(l_->high_water).load(std::memory_order_seq_cst);
    while (hw < index + 1 &&
           !atomic_of(l_->high_water).compare_exchange_weak(hw, index + 1, std::memory_order_seq_cst)) {  // (J1)
    }
  }

  /// Frees every slot whose owner is dead (active or joining); returns the
  /// pids of the live processes other than `me` (an owner key) that still hold one.
  std::vector<pid_t> release_dead(std::uint32_t me) const {
    std::vector<pid_t> live;
    const std::uint32_t hw = high_water();
    for (std::uint32_t i = 0; i < hw; ++i) {
      std::uint64_t s = state(i);
      if (slot::phase(s) == slot::kFree || slot::owner(s) == me) continue;
      if (!owner_dead(i, s)) {
        live.push_back(owner_pid(i));
        continue;
      }
      atomic_of(l_->slots[i].state).compare_exchange_strong(s, slot::next(s, slot::kFree, 0),
                                                            std::memory_order_seq_cst);
    }
    return live;
  }

  /// Number of active slots (a dead subscriber counts until released).
  [[nodiscard]] std::size_t active() const {
    std::size_t n = 0;
    const std::uint32_t hw = high_water();
    for (std::uint32_t i = 0; i < hw; ++i) n += slot::phase(state(i)) == slot::kActive ? 1 : 0;
    return n;
  }

 private:
  StreamLayout* l_;
  std::uint64_t capacity_;
  const std::string* where_;
};

}  // namespace zeroipc::detail::stream
