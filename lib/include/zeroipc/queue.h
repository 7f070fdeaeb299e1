// zeroipc/queue.h — a bounded FIFO queue of trivially copyable T in a segment,
// with the algorithm chosen at compile time.
//
//   zeroipc::Queue<Order> q(mem, "orders", 4096);                            // default variant
//   zeroipc::Queue<Order, zeroipc::variants::vyukov_bounded> v(mem, "v", 4096);
//   zeroipc::Queue<Order> opened(peer, "orders");      // open: kind, variant, element size checked
//   bool ok = q.push(order);                           // false when full
//   std::optional<Order> o = q.pop();                  // nullopt when empty
//
// Capacity: any count from 1 to 2^40 (2^31 for lcrq); capacity() is what was
// asked for, and at most that many elements are ever in the queue (push
// returns false at that count: exactly there for the exact variants, maybe
// earlier while other operations are in flight for the others). Each variant
// runs on a ring of R = bit_ceil(max(capacity, 2)) slots and counts the
// capacity against it; for a power of two R == capacity and the published
// algorithm runs unchanged (SPECIFICATION.md §7.2).
//
// The variant's id is stored in the structure header, so opening a queue as
// another variant fails with a message naming both. The algorithms live in
// variants/ (one header each, with their progress guarantee, memory-ordering
// pairs and crash analysis); zeroipc/registry.h picks one by name at run time.
//
// The default variant is locked_ring, chosen from the crash experiment
// (tests/process/queue_crash_test.cpp; table in the README). Of the
// multi-producer / multi-consumer variants, three survive a producer or
// consumer SIGKILLed at any instruction without wedging the others:
// locked_ring, scq and lcrq (vyukov_bounded wedges when a process dies
// between claiming and publishing a cell). Of those three, locked_ring is
// the one where a kill costs nothing beyond the dead process's own
// in-flight element with nothing to repair: the owner lock is taken over
// from the dead holder and every slot stays usable, whereas a kill inside
// an scq or lcrq operation can take one slot of capacity (an index or data
// node that only the dead process would have returned) until the next
// recovery (recover(), or a push that finds the queue full: variants/detail/
// op_slots.h). It was also the fastest of the three in both the one-to-one
// and the 4+4 runs on our 2-core machine (results/2026-11-23-variant-ratios-*).
// Its cost: it is blocking, so a holder that is *stopped* (SIGSTOP, a
// debugger) rather than killed stalls every other process until it resumes.
// Pick scq or lcrq (lock-free; elements of up to 8 bytes sit in their cells,
// written by a 16-byte CAS: x86-64 cmpxchg16b) or scq_indices (lock-free with
// single-width atomics only) where lock-freedom matters more.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/process_roles.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/detail/variant_errors.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/lcrq.h"
#include "zeroipc/variants/locked_ring.h"
#include "zeroipc/variants/scq.h"
#include "zeroipc/variants/spsc_ring.h"
#include "zeroipc/variants/vyukov_bounded.h"

namespace zeroipc {

namespace variants {
using default_queue = locked_ring;
}

struct QueueOptions {
  /// Position of the first element (positions are 64-bit and only grow).
  /// Tests start near 2^32 and 2^64 to exercise wraparound.
  std::uint64_t initial_position = 0;
};

template <class T, class V = variants::default_queue>
class Queue : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Queue<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");
  using Impl = typename V::template queue<T>;
  static constexpr bool kHasRoles = requires(Impl& i) { i.claim_producer(); };
  static constexpr bool kRecovers = requires(Impl& i) { i.recover(); };

 public:
  using value_type = T;
  using variant = V;

  /// Creates `name` with room for `capacity` elements (any count from 1 to
  /// 2^40, 2^31 for lcrq), or opens it if it exists (same variant, element
  /// size and capacity).
  Queue(Memory& mem, std::string_view name, std::size_t capacity, const QueueOptions& options = {})
      : StructureHandle(mem, name, spec(), check_capacity(mem, name, capacity),
                        [&](std::byte* body) { V::init(body, capacity, sizeof(T), options.initial_position); }),
        impl_(make_impl()) {}

  /// Opens the existing queue `name`.
  Queue(Memory& mem, std::string_view name) : Queue(mem, name, open_only) {}
  Queue(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), impl_(make_impl()) {}

  // A moved-from handle no longer holds a role (its destructor releases nothing).
  Queue(Queue&& other) noexcept
      : StructureHandle(std::move(other)),
        impl_(std::move(other.impl_)),
        producer_key_(std::exchange(other.producer_key_, 0)),
        consumer_key_(std::exchange(other.consumer_key_, 0)) {}
  Queue& operator=(Queue&& other) noexcept {
    if (this != &other) {
      this->~Queue();
      new (this) Queue(std::move(other));
    }
    return *this;
  }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  ~Queue() {
    if constexpr (kHasRoles) {
      if (producer_key_ != 0) release(variants::detail::Role::kProducer, producer_key_);
      if (consumer_key_ != 0) release(variants::detail::Role::kConsumer, consumer_key_);
    }
  }

  /// Appends `value`; false when the queue is full.
  bool push(const T& value) {
    if constexpr (kHasRoles) {
      // The role belongs to the process that claimed it: a handle inherited
      // across fork() holds its parent's key, not this process's, and claims anew.
      if (producer_key_ != detail::self_key()) claim(variants::detail::Role::kProducer);
    }
    return guarded([&] { return impl_->push(value); });
  }

  /// Removes the oldest element; nullopt when the queue is empty.
  std::optional<T> pop() {
    std::optional<T> out(std::in_place);  // popped straight into the result: one copy of T
    if (!pop(*out)) out.reset();
    return out;
  }

  /// Removes the oldest element into `out`; false when the queue is empty
  /// (`out` may then have been written). Copies T once, from the slot to `out`.
  bool pop(T& out) {
    if constexpr (kHasRoles) {
      if (consumer_key_ != detail::self_key()) claim(variants::detail::Role::kConsumer);
    }
    return guarded([&] { return impl_->pop(out); });
  }

  /// Gives back the capacity that killed processes held: the nodes or
  /// indices a process took into an operation and never returned
  /// (variants/detail/op_slots.h). Returns how many; 0 for the variants that
  /// leak nothing (spsc_ring, locked_ring) or cannot be recovered
  /// (vyukov_bounded wedges instead: see its header). A push that finds the
  /// queue full while a dead process was in flight does this by itself.
  /// Throws Timeout if live operations kept it from running for 5 s.
  std::size_t recover() {
    if constexpr (kRecovers) {
      return static_cast<std::size_t>(guarded([&] { return impl_->recover(); }));
    } else {
      return 0;
    }
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(stored_capacity()); }
  /// Number of elements at some recent moment (exact when nobody is pushing or popping).
  [[nodiscard]] std::size_t size_approx() const noexcept {
    return static_cast<std::size_t>(impl_->size_approx());
  }

  static detail::StructSpec spec() noexcept {
    return detail::element_spec<T>(detail::Kind::kQueue, V::kId, "Queue", &total_size);
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    return detail::with_header(V::body_size(capacity, element_size));
  }

 private:
  std::unique_ptr<Impl> make_impl() const { return std::make_unique<Impl>(body(), stored_capacity()); }

  static std::string max_capacity_text() {
    std::uint64_t max = variants::detail::kMaxRingCapacity;
    if constexpr (requires { V::kMaxCapacity; }) max = V::kMaxCapacity;
    return "2^" + std::to_string(std::countr_zero(max));
  }

  static std::size_t check_capacity(const Memory& mem, std::string_view name, std::size_t capacity) {
    if (V::body_size(capacity, sizeof(T)) == 0) {
      bad_capacity(mem, name, spec(), capacity, "from 1 to " + max_capacity_text());
    }
    return capacity;
  }

  // A role belongs to the process (its owner key is in the segment); the
  // handles of this process that use it are counted (process_roles.h).
  std::string role_key(variants::detail::Role role, std::uint32_t owner) const {
    std::string k = segment_name();
    k += '\0';
    k += name();
    k += '\0';
    k += role == variants::detail::Role::kProducer ? 'p' : 'c';
    k += std::to_string(owner);
    return k;
  }
  void release(variants::detail::Role role, std::uint32_t owner) {
    if (owner != detail::self_key()) return;  // inherited across fork(): the parent's claim
    if (detail::ProcessRoles::release(role_key(role, owner))) impl_->release_role(role);
  }

  void claim(variants::detail::Role role) {
    const bool producer = role == variants::detail::Role::kProducer;
    const variants::detail::RoleClaim c = producer ? impl_->claim_producer() : impl_->claim_consumer();
    const char* what = producer ? "producer" : "consumer";
    if (!c.ok) {
      throw RoleTaken(where() + ": the " + what + " role is held by live " + detail::process_text(c.holder) +
                      "; a " + std::string(V::kName) + " allows one " + what);
    }
    detail::ProcessRoles::claim(role_key(role, c.key));
    (producer ? producer_key_ : consumer_key_) = c.key;
  }

  std::unique_ptr<Impl> impl_;  // on the heap: it holds atomic_refs, and Queue is movable
  std::uint32_t producer_key_ = 0;  // the owner key this handle claimed the role under (0: none)
  std::uint32_t consumer_key_ = 0;
};

}  // namespace zeroipc
