// zeroipc/variants/locked_free_list.h — an object pool: `capacity` objects
// and a stack of the free ones' indices, under one process-shared owner lock.
//
// Each object has a state word, the truth of who has it:
//
//   state = generation << 32 | (acquired ? owner_key << 1 | 1 : 0)
//
// The free stack is derived from the states (a cache, so acquire is O(1)):
// whoever takes the lock over from a dead holder rebuilds it from them.
// A handle is (index, generation, pool id): the generation changes at every
// acquire, so a handle released once no longer matches (a second release, or
// a use after release, is refused), and the pool id (random, written at
// creation) refuses another pool's handle.
//
// Progress: blocking, as locked_ring: an acquire or release is a handful of
// stores under the lock. A holder killed inside is taken over within one
// 20 ms liveness check.
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.9):
//
//   0    u32 lock         owner lock (owner_lock.h)
//   8    u64 holder_pid   for messages and tools
//   64   u64 free_top     indices on the free stack               } under the
//   72   u64 acquired     acquires, in all (for tools)            } lock;
//   80   u64 released     releases, in all                        } atomic
//   88   u64 pool_id      written once at creation, never 0
//   128  u32 free[capacity]          the free stack, bottom first
//   S    u64 state[capacity]         S = 128 + align64(4 * capacity)
//   O    objects[capacity]           O = S + align64(8 * capacity), each `object_size` bytes
//
// Memory ordering: the lock's (L1)/(L2) pair orders the free stack and the
// states; a process that receives a handle from another (through a Queue,
// say) gets the object's contents through that channel's own ordering.
//
// What a kill costs (nothing handed out twice, nothing lost):
//   acquire: state := acquired (the acquire happens here), then free_top -= 1.
//     Killed before the state store: nothing happened. After it: the object
//     is the dead process's (as if it died just after acquire returned).
//   release: state := free (the release happens here), then push the index.
//     Killed between: the rebuild puts the index back.
//   An object acquired by a process that then dies stays acquired: its
//   handle may have been passed to a live process. held_by_dead() lists them
//   for the application (or zeroipc-inspect) to decide.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "zeroipc/layout/pool.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/owner_lock.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::variants {

namespace detail {
/// The windows of locked_free_list's operations, for tests (crash_hook.h).
enum class PoolCrashPoint : int {
  kAcquireMarked = 1,  // the state says acquired, free_top not yet lowered
  kReleaseMarked = 2,  // the state says free, the index not yet pushed
};
inline void crash_point(PoolCrashPoint point) noexcept { zeroipc::detail::crash_point_of(point); }
}  // namespace detail

struct locked_free_list {
  static constexpr std::uint16_t kId = 1;
  static constexpr std::string_view kName = "locked_free_list";
  static constexpr std::uint64_t kMaxCapacity = std::uint64_t{1} << 32;

  static constexpr std::uint64_t states_offset(std::uint64_t capacity) noexcept {
    return zeroipc_pool_states_offset(capacity);
  }
  static constexpr std::uint64_t objects_offset(std::uint64_t capacity) noexcept {
    return zeroipc_pool_objects_offset(capacity);
  }
  /// Body bytes for `capacity` objects of `object_size` bytes; 0 when not allowed.
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t object_size) noexcept {
    if (capacity == 0 || capacity > kMaxCapacity || object_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, object_size, objects_offset(capacity));
  }
  /// Every object free, index 0 on top; `pool_id` must not be 0.
  static void init(std::byte* body, std::uint64_t capacity, std::uint64_t pool_id) noexcept {
    auto* control = reinterpret_cast<zeroipc_pool_control*>(body);
    control->free_top = capacity;
    control->pool_id = pool_id;
    for (std::uint64_t i = 0; i < capacity; ++i) {
      const auto index = static_cast<std::uint32_t>(capacity - 1 - i);
      std::memcpy(body + zeroipc_pool_free_offset(i), &index, 4);
    }
  }

  struct Handle {
    std::uint32_t index;
    std::uint32_t generation;
    std::uint64_t pool_id;
  };

  class pool {
   public:
    pool(std::byte* body, std::uint64_t capacity, std::uint32_t object_size) noexcept
        : body_(body),
          capacity_(capacity),
          object_size_(object_size),
          states_(body + states_offset(capacity)),
          objects_(body + objects_offset(capacity)) {}

    /// A free object, now this process's; false when none is free.
    bool acquire(Handle& out) {
      Guard g(*this);
      const std::uint64_t top = word(ctl().free_top).load(std::memory_order_relaxed);
      if (top > capacity_) {
        throw CorruptState("free_top " + std::to_string(top) + " exceeds the capacity " + std::to_string(capacity_));
      }
      if (top == 0) return false;
      std::uint32_t index;
      std::memcpy(&index, body_ + zeroipc_pool_free_offset(top - 1), 4);
      if (index >= capacity_) {
        throw CorruptState("free stack holds index " + std::to_string(index) + " of " + std::to_string(capacity_));
      }
      const std::uint64_t s = state(index).load(std::memory_order_relaxed);
      if (s & 1) throw CorruptState("free stack holds object " + std::to_string(index) + ", which is acquired");
      const auto generation = static_cast<std::uint32_t>((s >> 32) + 1);
      state(index).store(std::uint64_t{generation} << 32 | std::uint64_t{zeroipc::detail::self_key()} << 1 | 1,
                         std::memory_order_relaxed);  // the acquire happens here
      detail::crash_point(detail::PoolCrashPoint::kAcquireMarked);
      word(ctl().free_top).store(top - 1, std::memory_order_relaxed);
      word(ctl().acquired).store(word(ctl().acquired).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      out = {index, generation, pool_id()};
      return true;
    }

    /// Frees the object of `h`; kNotOurs / kNotHeld (nothing changed) when
    /// `h` is another pool's, or not an object acquired under this handle.
    enum class Release { kReleased, kNotOurs, kNotHeld };
    Release release(const Handle& h) {
      if (h.pool_id != pool_id() || h.index >= capacity_) return Release::kNotOurs;
      Guard g(*this);
      const std::uint64_t s = state(h.index).load(std::memory_order_relaxed);
      if ((s & 1) == 0 || static_cast<std::uint32_t>(s >> 32) != h.generation) return Release::kNotHeld;
      const std::uint64_t top = word(ctl().free_top).load(std::memory_order_relaxed);
      if (top >= capacity_) {
        throw CorruptState("free_top " + std::to_string(top) + " with object " + std::to_string(h.index) +
                           " acquired (capacity " + std::to_string(capacity_) + ")");
      }
      state(h.index).store(s & ~std::uint64_t{0xFFFFFFFF}, std::memory_order_relaxed);  // the release happens here
      detail::crash_point(detail::PoolCrashPoint::kReleaseMarked);
      std::memcpy(body_ + zeroipc_pool_free_offset(top), &h.index, 4);
      word(ctl().free_top).store(top + 1, std::memory_order_relaxed);
      word(ctl().released).store(word(ctl().released).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      return Release::kReleased;
    }

    /// The object of `h` if `h` is an acquired object of this pool now, else nullptr.
    [[nodiscard]] std::byte* object(const Handle& h) const noexcept {
      if (h.pool_id != pool_id() || h.index >= capacity_) return nullptr;
      const std::uint64_t s = state(h.index).load(std::memory_order_relaxed);
      if ((s & 1) == 0 || static_cast<std::uint32_t>(s >> 32) != h.generation) return nullptr;
      return objects_ + std::uint64_t{h.index} * object_size_;
    }

    /// Free objects now (without the lock: exact when nothing is in flight).
    [[nodiscard]] std::uint64_t available() const noexcept {
      const std::uint64_t top = word(ctl().free_top).load(std::memory_order_relaxed);
      return top > capacity_ ? 0 : top;
    }

    /// Acquired objects whose acquiring process is dead.
    std::vector<Handle> held_by_dead() const {
      std::vector<Handle> out;
      for (std::uint64_t i = 0; i < capacity_; ++i) {
        const std::uint64_t s = state(i).load(std::memory_order_relaxed);
        if ((s & 1) == 0) continue;
        const auto key = static_cast<std::uint32_t>(s >> 1) & zeroipc::detail::kOwnerKeyMask;
        if (!zeroipc::detail::owner_alive(body_, key)) {
          out.push_back({static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(s >> 32), pool_id()});
        }
      }
      return out;
    }

    [[nodiscard]] std::uint64_t pool_id() const noexcept { return word(ctl().pool_id).load(std::memory_order_relaxed); }

   private:
    zeroipc_pool_control& ctl() const noexcept { return *reinterpret_cast<zeroipc_pool_control*>(body_); }
    static std::atomic_ref<std::uint64_t> word(std::uint64_t& field) noexcept {
      return std::atomic_ref<std::uint64_t>(field);
    }
    std::atomic_ref<std::uint64_t> state(std::uint64_t i) const noexcept {
      return std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(states_ + 8 * i));
    }

    // After taking the lock over from a dead holder: the free stack again,
    // from the states.
    void rebuild_free_stack() {
      std::uint64_t top = 0;
      for (std::uint64_t i = 0; i < capacity_; ++i) {
        if ((state(i).load(std::memory_order_relaxed) & 1) != 0) continue;
        const auto index = static_cast<std::uint32_t>(i);
        std::memcpy(body_ + zeroipc_pool_free_offset(top), &index, 4);
        ++top;
      }
      word(ctl().free_top).store(top, std::memory_order_relaxed);
    }

    struct Guard {
      explicit Guard(pool& p) : p_(p) {
        zeroipc::detail::OwnerLockResult r;
        // A live holder is waited for however long it takes; a dead one is taken over.
        while ((r = zeroipc::detail::owner_lock_acquire(lock(), holder(), std::chrono::hours(1))).outcome ==
               zeroipc::detail::OwnerLockResult::kTimedOut) {
        }
        if (r.outcome == zeroipc::detail::OwnerLockResult::kTakenOver) p_.rebuild_free_stack();
      }
      ~Guard() { zeroipc::detail::owner_lock_release(lock(), holder()); }
      Guard(const Guard&) = delete;
      Guard& operator=(const Guard&) = delete;
      std::uint32_t& lock() const noexcept { return p_.ctl().lock; }
      std::uint64_t& holder() const noexcept { return p_.ctl().holder_pid; }
      pool& p_;
    };

    std::byte* body_;
    std::uint64_t capacity_;
    std::uint32_t object_size_;
    std::byte* states_;
    std::byte* objects_;
  };
};

}  // namespace zeroipc::variants
