// zeroipc/variants/elimination_backoff.h — the elimination-backoff stack of
// Hendler, Shavit & Yerushalmi, "A Scalable Lock-free Stack Algorithm"
// (SPAA 2004), in shared memory, with the exchanger-based elimination of
// Herlihy & Shavit, "The Art of Multiprocessor Programming", ch. 11.
//
// A Treiber stack (detail/tagged_list.h) plus an elimination array. An
// operation tries the stack's CAS once; when it loses to contention it backs
// off into a random slot of the elimination array and waits a short while
// for a partner: a push that meets a pop hands its node over directly and
// both return without touching the stack; two pushes or two pops that meet
// go back to the stack.
//
// Progress: lock-free (every retry follows another operation's success: a
// won stack CAS or a completed exchange).
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.3.2):
//
//   0     u64 top         (own cache line) the stack, as treiber_tagged
//   64    u64 free_top    (own cache line) the free nodes
//   128   slots[16], one u64 per cache line (slot i at 128 + 64 i):
//           bits 63..34 tag, bits 33..32 state (0 EMPTY, 1 WAITING, 2 BUSY),
//           bits 31..0 offer: node index + 1 for a push, 0xFFFFFFFF for a pop
//   1152  thread slots and recovery control, detail/op_slots.h (kOpAreaBytes = 8256)
//   9408  nodes[capacity], stride align8(8 + element_size), as treiber_tagged
//
// Exchange on a slot (every successful CAS increments the tag):
//   EMPTY   --CAS by A-->  WAITING(a)      A waits for a partner
//   WAITING --CAS by B-->  BUSY(b)         B takes a, A will read b
//   BUSY    --store by A-> EMPTY           A takes b and frees the slot
//   WAITING --CAS by A-->  EMPTY           A gave up (timeout) before a partner came
// The node of a push that met a pop now belongs to the pop (it copies the
// element and returns the node to the free list).
//
// Memory-ordering pairs:
//   (1) push writes its element into its node before the release CAS that
//       offers it (EMPTY -> WAITING, or WAITING -> BUSY), which pairs with
//       (2) the pop's acquire load or CAS that sees the offer: the pop reads
//       the element the push wrote. Stack CASes: detail/tagged_list.h.
//
// What a kill costs (beyond treiber_tagged's, which apply to the stack path):
//   waiting in a slot with a push offer: a pop that pairs with it later gets
//     the element (the push was in flight; it is delivered once, not lost).
//   waiting in a slot with a pop offer: a push that pairs with it hands its
//     element to the dead pop: that element is lost, as the in-flight element
//     of the killed consumer (its pop had linearized).
//   after a partner made the slot BUSY, before freeing it: the slot stays
//     BUSY forever and is lost for elimination (others skip it); the stack
//     keeps working through its CAS path.
// A recovery (op_slots.h, as treiber_tagged) gives back every node that is
// on no list (held by a dead push or pop, or offered in a slot by a dead
// waiter: that push's element is dropped, as its in-flight element) and
// empties every elimination slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <unistd.h>

#include "zeroipc/layout/stack.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/tagged_list.h"

namespace zeroipc::variants {

struct elimination_backoff {
  static constexpr std::uint16_t kId = 2;
  static constexpr std::string_view kName = "elimination_backoff";
  /// "empty" is exact, "full" is not: a push holds its node from taking it
  /// off the free list until it links it (or hands it over in an exchange),
  /// and a pop holds one until it returns it; meanwhile a push can report
  /// full with fewer than `capacity` elements on the stack.
  /// tests/unit/linearizability_test.cpp counts such histories.
  static constexpr bool kExactEmptyFull = false;
  static constexpr std::uint64_t kSlots = ZEROIPC_ELIMINATION_SLOTS;
  static constexpr std::uint64_t kOpsOffset = offsetof(zeroipc_elimination_body, ops);
  static constexpr std::uint64_t kNodesOffset = sizeof(zeroipc_elimination_body);
  static_assert(kNodesOffset % 64 == 0, "nodes start on a cache line");

  static constexpr std::uint64_t stride(std::uint32_t element_size) noexcept {
    return detail::node_stride(element_size);
  }
  static constexpr std::uint64_t body_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    if (capacity == 0 || capacity >= 0xFFFFFFFFu || element_size == 0) return 0;
    return detail::mul_add_or_zero(capacity, stride(element_size), kNodesOffset);
  }
  static void init(std::byte* body, std::uint64_t capacity, std::uint32_t element_size) noexcept {
    const std::uint64_t free_top = 1;  // node 0, tag 0
    reinterpret_cast<zeroipc_elimination_body*>(body)->free_top = free_top;
    for (std::uint64_t i = 0; i < capacity; ++i) {
      const auto next = static_cast<std::uint32_t>(i + 1 < capacity ? i + 2 : 0);
      reinterpret_cast<zeroipc_stack_node*>(body + kNodesOffset + i * stride(element_size))->next = next;
    }
  }

  template <class T>
  class stack {
    static_assert(std::is_trivially_copyable_v<T>);

   public:
    stack(std::byte* body, std::uint64_t capacity) noexcept
        : body_(reinterpret_cast<zeroipc_elimination_body*>(body)),
          top_(reinterpret_cast<zeroipc_elimination_body*>(body)->top, body + kNodesOffset, stride(sizeof(T)), capacity),
          free_(reinterpret_cast<zeroipc_elimination_body*>(body)->free_top, body + kNodesOffset, stride(sizeof(T)),
                capacity),
          ops_(body + kOpsOffset),
          capacity_(capacity),
          rng_(static_cast<std::uint64_t>(::getpid()) * 0x9E3779B97F4A7C15ull ^
               reinterpret_cast<std::uintptr_t>(this)) {}

    bool push(const T& value) {
      return ops_.push(ops_.my_slot(handle_), [&] {
        const std::uint32_t node = free_.take();
        if (node == 0) return false;  // full, or a dead operation holds nodes (ops_.push recovers once)
        detail::crash_point(detail::VariantCrashPoint::kPushHolding);
        std::memcpy(top_.element(node), &value, sizeof(T));
        for (;;) {
          if (top_.try_link(node)) return true;
          // Contended: try to hand the node straight to a pop. (1)
          if (exchange(node) == kPopOffer) return true;
        }
      }, rebuild_fn());
    }

    bool pop(T& out) {
      const std::uint32_t s = ops_.my_slot(handle_);
      detail::OpScope op(ops_, s, rebuild_fn());
      for (;;) {
        bool contended = false;
        std::uint32_t node = top_.try_take(contended);
        if (!contended) {
          if (node == 0) return false;  // empty
        } else {
          const std::uint32_t got = exchange(kPopOffer);  // (2)
          node = (got != kPopOffer && got != 0 && got <= capacity_) ? got : 0;
          if (node == 0) continue;
        }
        detail::crash_point(detail::VariantCrashPoint::kPopHolding);
        std::memcpy(&out, top_.element(node), sizeof(T));
        free_.link(node);
        return true;
      }
    }

    /// Gives back the nodes that killed processes held (op_slots.h); how many.
    std::uint64_t recover() { return ops_.recover_or_throw(rebuild_fn()); }

   private:
    static constexpr std::uint32_t kPopOffer = 0xFFFFFFFFu;

    auto rebuild_fn() {
      return [this] { return rebuild(); };
    }
    // With no operation in flight: the elimination slots are emptied and every
    // node not on the stack goes back on the free list.
    std::uint64_t rebuild() {
      for (std::uint64_t i = 0; i < kSlots; ++i) {
        std::atomic_ref<std::uint64_t> slot(body_->slots[i].word);
        slot.store(make(slot.load(std::memory_order_relaxed), kEmpty, 0), std::memory_order_relaxed);
      }
      return detail::rebuild_free_list(top_, free_, capacity_, "stack");
    }
    static constexpr std::uint64_t kEmpty = 0, kWaiting = 1, kBusy = 2;
    static constexpr int kPatience = 256;  // polls of a slot while waiting for a partner

    static std::uint64_t state_of(std::uint64_t w) noexcept { return (w >> 32) & 3; }
    static std::uint32_t offer_of(std::uint64_t w) noexcept { return static_cast<std::uint32_t>(w); }
    static std::uint64_t make(std::uint64_t old, std::uint64_t state, std::uint32_t offer) noexcept {
      return (((old >> 34) + 1) << 34) | (state << 32) | offer;
    }

    // Offers `mine` in a random slot; returns the partner's offer, or 0 if
    // nobody came (or the slot was busy).
    std::uint32_t exchange(std::uint32_t mine) noexcept {
      // xorshift64. The state is shared by the handle's threads: relaxed loads
      // and stores (threads racing here only pick the same slot, never UB).
      std::uint64_t r = rng_.load(std::memory_order_relaxed);
      r ^= r << 13;
      r ^= r >> 7;
      r ^= r << 17;
      rng_.store(r, std::memory_order_relaxed);
      std::atomic_ref<std::uint64_t> slot(
          body_->slots[r % kSlots].word);
      std::uint64_t w = slot.load(std::memory_order_acquire);  // (2)
      if (state_of(w) == kEmpty) {
        const std::uint64_t waiting = make(w, kWaiting, mine);
        if (!slot.compare_exchange_strong(w, waiting, std::memory_order_acq_rel)) return 0;  // (1)
        for (int i = 0; i < kPatience; ++i) {
          const std::uint64_t now = slot.load(std::memory_order_acquire);  // (2)
          if (now != waiting) return take_partner(slot, now);
        }
        std::uint64_t expected = waiting;
        if (slot.compare_exchange_strong(expected, make(waiting, kEmpty, 0), std::memory_order_acq_rel)) {
          return 0;  // gave up
        }
        return take_partner(slot, expected);  // a partner came at the last moment
      }
      if (state_of(w) == kWaiting) {
        if (slot.compare_exchange_strong(w, make(w, kBusy, mine), std::memory_order_acq_rel)) {  // (1)(2)
          return offer_of(w);
        }
      }
      return 0;
    }

    // The slot went WAITING -> BUSY(partner): read the partner's offer and free the slot.
    static std::uint32_t take_partner(std::atomic_ref<std::uint64_t>& slot, std::uint64_t busy) noexcept {
      slot.store(make(busy, kEmpty, 0), std::memory_order_release);
      return offer_of(busy);
    }

    zeroipc_elimination_body* body_;
    detail::TaggedList top_;
    detail::TaggedList free_;
    detail::OpSlots ops_;
    std::uint64_t capacity_;
    std::atomic<std::uint64_t> rng_;  // xorshift64 state for the slot choice
    const std::uint64_t handle_ = detail::op_detail::next_handle_id();
  };
};

}  // namespace zeroipc::variants
