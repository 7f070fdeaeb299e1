// zeroipc/variants/detail/tagged_list.h — a Treiber list of node indices with
// an ABA tag, in shared memory: the building block of the stack variants.
//
//   list word (u64): tag << 32 | (node index + 1); low half 0 = empty
//   node: +0 u32 next (index + 1 of the node below, 0 = none), +8 element
//
// Memory-ordering pairs:
//   (T1) the release CAS that links a node (after its element and next are
//        written) pairs with (T2) the acquire load / CAS that takes it.
//   `next` is read with a relaxed atomic load: a concurrent taker may be
//   reusing the node, and then the value is stale and the tagged CAS fails.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "zeroipc/variants/detail/failure.h"

namespace zeroipc::variants::detail {

class TaggedList {
 public:
  static constexpr std::uint64_t kIndexMask = 0xFFFFFFFFu;

  TaggedList(std::uint64_t& word, std::byte* nodes, std::uint64_t stride, std::uint64_t capacity) noexcept
      : word_(word), nodes_(nodes), stride_(stride), capacity_(capacity) {}

  /// One attempt to take the top node. Returns the node (1-based), 0 if the
  /// list is empty; sets `contended` when the CAS lost to another process.
  std::uint32_t try_take(bool& contended) noexcept {
    std::uint64_t top = word_.load(std::memory_order_acquire);  // (T2)
    const auto node = static_cast<std::uint32_t>(top & kIndexMask);
    contended = false;
    if (node == 0 || node > capacity_) return 0;  // empty (a corrupt index reads as empty)
    const std::uint64_t next = next_of(node).load(std::memory_order_relaxed);
    const std::uint64_t tag = (top >> 32) + 1;
    if (word_.compare_exchange_strong(top, (tag << 32) | next, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {  // (T2)
      return node;
    }
    contended = true;
    return 0;
  }

  /// One attempt to link `node` on top; false when the CAS lost.
  bool try_link(std::uint32_t node) noexcept {
    std::uint64_t top = word_.load(std::memory_order_relaxed);
    next_of(node).store(static_cast<std::uint32_t>(top & kIndexMask), std::memory_order_relaxed);
    const std::uint64_t tag = (top >> 32) + 1;
    return word_.compare_exchange_strong(top, (tag << 32) | node, std::memory_order_release,
                                         std::memory_order_relaxed);  // (T1)
  }

  /// Takes the top node, retrying lost CASes; 0 when empty.
  std::uint32_t take() noexcept {
    for (;;) {
      bool contended = false;
      const std::uint32_t node = try_take(contended);
      if (node != 0 || !contended) return node;
    }
  }

  /// Links `node` on top, retrying lost CASes.
  void link(std::uint32_t node) noexcept {
    while (!try_link(node)) {
    }
  }

  std::byte* element(std::uint32_t node) const noexcept { return nodes_ + (node - 1) * stride_ + 8; }

  // ---- recovery (op_slots.h): only while no operation is in flight

  /// Marks every node on the list in `seen` (node n at seen[n - 1]) and
  /// returns how many there are. strict: a node index past the capacity, or
  /// a node met twice (a cycle, or a node on two lists), is a CorruptState;
  /// otherwise the walk stops there (for a list about to be rebuilt anyway).
  std::uint64_t mark(std::vector<bool>& seen, bool strict, const char* which) const {
    std::uint64_t n = 0;
    std::uint32_t node = static_cast<std::uint32_t>(word_.load(std::memory_order_acquire) & kIndexMask);
    while (node != 0) {
      if (node > capacity_ || seen[node - 1]) {
        if (!strict) return n;
        throw CorruptState(std::string("the ") + which + " list " +
                           (node > capacity_ ? "names node " + std::to_string(node) + " of " + std::to_string(capacity_)
                                             : "meets node " + std::to_string(node) + " twice"));
      }
      seen[node - 1] = true;
      ++n;
      node = next_of(node).load(std::memory_order_relaxed);
    }
    return n;
  }

  /// Makes the list hold exactly the nodes not marked in `taken`, and returns
  /// how many that is. The tag still grows.
  std::uint64_t rebuild_from_unmarked(const std::vector<bool>& taken) {
    std::uint32_t head = 0;
    std::uint64_t n = 0;
    for (std::uint64_t i = capacity_; i-- > 0;) {
      if (taken[i]) continue;
      const auto node = static_cast<std::uint32_t>(i + 1);
      next_of(node).store(head, std::memory_order_relaxed);
      head = node;
      ++n;
    }
    const std::uint64_t old = word_.load(std::memory_order_relaxed);
    word_.store((((old >> 32) + 1) << 32) | head, std::memory_order_release);
    return n;
  }

 private:
  std::atomic_ref<std::uint32_t> next_of(std::uint32_t node) const noexcept {
    return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(nodes_ + (node - 1) * stride_));
  }

  std::atomic_ref<std::uint64_t> word_;
  std::byte* nodes_;
  std::uint64_t stride_;
  std::uint64_t capacity_;
};

/// With no operation in flight: `free` is rebuilt to hold every node not
/// marked in `in_use`. Returns how many nodes were neither in use nor on
/// the old free list (held by killed processes).
inline std::uint64_t rebuild_free_list_except(TaggedList& free, const std::vector<bool>& in_use) {
  std::vector<bool> listed = in_use;
  const std::uint64_t was_free = free.mark(listed, false, "free");
  const std::uint64_t free_now = free.rebuild_from_unmarked(in_use);
  return free_now > was_free ? free_now - was_free : 0;
}

/// With no operation in flight (op_slots.h): every node that is not on
/// `data` (walked strictly: a corrupt data list is a CorruptState) goes on
/// `free`, which is rebuilt from scratch. Returns how many nodes were on
/// neither list (held by killed processes).
inline std::uint64_t rebuild_free_list(const TaggedList& data, TaggedList& free, std::uint64_t capacity,
                                       const char* data_name) {
  std::vector<bool> on_data(capacity, false);
  data.mark(on_data, true, data_name);
  return rebuild_free_list_except(free, on_data);
}

/// align8(8 + element_size): the node stride of the stack variants.
constexpr std::uint64_t node_stride(std::uint32_t element_size) noexcept {
  return (8 + std::uint64_t{element_size} + 7) & ~std::uint64_t{7};
}

}  // namespace zeroipc::variants::detail
