// zeroipc/variants/treiber_tagged.h — Treiber's lock-free stack (R. K.
// Treiber, "Systems Programming: Coping with Parallelism", IBM RJ 5118, 1986)
// over a fixed array of nodes, with an ABA tag in the CAS word.
//
// Progress: lock-free (a CAS fails only because another operation succeeded).
//
// Layout (offsets from the start of the body; SPECIFICATION.md §7.3.1):
//
//   0    u64 top         (own cache line)   tag << 32 | (node index + 1); 0 = empty
//   64   u64 free_top    (own cache line)   the free list, same encoding
//   128  thread slots and recovery control, detail/op_slots.h (kOpAreaBytes = 8256)
//   8384 nodes[capacity], each `stride` = align8(8 + element_size) bytes:
//          +0 u32 next   index + 1 of the node below, 0 = none
//          +8 element bytes
//
// Both lists are Treiber stacks of node indices. push takes a node off the
// free list, fills it, and pushes it on top; pop takes the top node, copies
// the element out, and returns the node to the free list. The 32-bit tag is
// incremented by every successful CAS, so a node popped and pushed back
// between another process's read of `top` and its CAS makes that CAS fail
// (ABA), unless exactly 2^32 operations happened in between.
//
// Memory-ordering pairs:
//   (1) the release CAS that links a node (after writing its element and
//       next) pairs with (2) the acquire load/CAS that takes it: the taker
//       sees the element and next (detail/tagged_list.h (T1)/(T2)).
//   Every operation runs inside its thread slot (op_slots.h (D1)-(D5)).
//
// What a kill costs:
//   push, after taking a free node, before linking it: the node is held by
//     nobody (the stack holds one element fewer at most); no element lost.
//   pop, after unlinking the node, before returning it to the free list:
//     the element dies with the process (in flight) and the node is held by
//     nobody.
//   Such a node is given back by the next recovery (op_slots.h): a push that
//   finds the stack full while a dead thread was in flight recovers by itself;
//   Stack::recover() does it on demand. Nothing else: every step is one CAS,
//   and the survivors never wait (except for a recovery in progress).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "zeroipc/layout/stack.h"
#include "zeroipc/variants/detail/crash_hook.h"
#include "zeroipc/variants/detail/failure.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/tagged_list.h"

namespace zeroipc::variants {

struct treiber_tagged {
  static constexpr std::uint16_t kId = 1;
  static constexpr std::string_view kName = "treiber_tagged";
  /// "empty" is exact, "full" is not: a push holds its node from taking it
  /// off the free list until it links it (or hands it over in an exchange),
  /// and a pop holds one until it returns it; meanwhile a push can report
  /// full with fewer than `capacity` elements on the stack.
  /// tests/unit/linearizability_test.cpp counts such histories.
  static constexpr bool kExactEmptyFull = false;
  static constexpr std::uint64_t kOpsOffset = offsetof(zeroipc_treiber_body, ops);
  static constexpr std::uint64_t kNodesOffset = sizeof(zeroipc_treiber_body);
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
    reinterpret_cast<zeroipc_treiber_body*>(body)->free_top = free_top;
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
        : top_(reinterpret_cast<zeroipc_treiber_body*>(body)->top, body + kNodesOffset, stride(sizeof(T)), capacity),
          free_(reinterpret_cast<zeroipc_treiber_body*>(body)->free_top, body + kNodesOffset, stride(sizeof(T)), capacity),
          ops_(body + kOpsOffset),
          capacity_(capacity) {}

    bool push(const T& value) {
      // No free node: every node is on the stack, or held by an operation in
      // flight (if one of those died, ops_.push recovers once).
      return ops_.push(ops_.my_slot(handle_), [&] {
        const std::uint32_t node = free_.take();
        if (node == 0) return false;
        detail::crash_point(detail::VariantCrashPoint::kPushHolding);
        std::memcpy(top_.element(node), &value, sizeof(T));
        top_.link(node);  // (1)
        return true;
      }, rebuild_fn());
    }

    bool pop(T& out) {
      const std::uint32_t s = ops_.my_slot(handle_);
      detail::OpScope op(ops_, s, rebuild_fn());
      const std::uint32_t node = top_.take();  // (2)
      if (node == 0) return false;
      detail::crash_point(detail::VariantCrashPoint::kPopHolding);
      std::memcpy(&out, top_.element(node), sizeof(T));
      free_.link(node);
      return true;
    }

    /// Gives back the nodes that killed processes held (op_slots.h); how many.
    /// Throws Busy if live operations did not let it run within kRecoveryPatience.
    std::uint64_t recover() { return ops_.recover_or_throw(rebuild_fn()); }

   private:
    auto rebuild_fn() {
      return [this] { return rebuild(); };
    }
    // With no operation in flight: every node not on the stack goes back on
    // the free list. Returns how many were on neither list.
    std::uint64_t rebuild() { return detail::rebuild_free_list(top_, free_, capacity_, "stack"); }

    detail::TaggedList top_;
    detail::TaggedList free_;
    detail::OpSlots ops_;
    std::uint64_t capacity_;
    const std::uint64_t handle_ = detail::op_detail::next_handle_id();
  };
};

}  // namespace zeroipc::variants
