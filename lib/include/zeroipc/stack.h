// zeroipc/stack.h — a bounded LIFO stack of trivially copyable T in a segment,
// with the algorithm chosen at compile time.
//
//   zeroipc::Stack<int, zeroipc::variants::treiber_tagged> s(mem, "free_ids", 1024);
//   s.push(7);                     // false when full
//   std::optional<int> v = s.pop(); // nullopt when empty
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/detail/variant_errors.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/elimination_backoff.h"
#include "zeroipc/variants/treiber_tagged.h"

namespace zeroipc {

namespace variants {
using default_stack = treiber_tagged;
}

template <class T, class V = variants::default_stack>
class Stack : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Stack<T> copies T's bytes between processes: T must be trivially copyable");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");
  using Impl = typename V::template stack<T>;

 public:
  using value_type = T;
  using variant = V;

  /// Creates `name` with room for `capacity` elements, or opens it if it
  /// exists (same variant, element size and capacity).
  Stack(Memory& mem, std::string_view name, std::size_t capacity)
      : StructureHandle(mem, name, spec(), check_capacity(mem, name, capacity),
                        [&](std::byte* body) { V::init(body, capacity, sizeof(T)); }),
        impl_(make_impl()) {}

  /// Opens the existing stack `name`.
  Stack(Memory& mem, std::string_view name) : Stack(mem, name, open_only) {}
  Stack(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only), impl_(make_impl()) {}

  /// Pushes `value`; false when the stack is full.
  bool push(const T& value) {
    return guarded([&] { return impl_->push(value); });
  }
  /// Pops the newest element; nullopt when the stack is empty.
  std::optional<T> pop() {
    T out{};
    if (!guarded([&] { return impl_->pop(out); })) return std::nullopt;
    return out;
  }

  /// Gives back the nodes that killed processes held (taken off one list,
  /// never linked into the other: variants/detail/op_slots.h). Returns how
  /// many. A push that finds the stack full while a dead process was in
  /// flight does this by itself. Throws Timeout if live operations kept it
  /// from running for 5 s.
  std::size_t recover() {
    return static_cast<std::size_t>(guarded([&] { return impl_->recover(); }));
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(stored_capacity()); }

  static detail::StructSpec spec() noexcept {
    return detail::element_spec<T>(detail::Kind::kStack, V::kId, "Stack", &total_size);
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    return detail::with_header(V::body_size(capacity, element_size));
  }

 private:
  std::unique_ptr<Impl> make_impl() const { return std::make_unique<Impl>(body(), stored_capacity()); }

  static std::size_t check_capacity(const Memory& mem, std::string_view name, std::size_t capacity) {
    if (V::body_size(capacity, sizeof(T)) == 0) bad_capacity(mem, name, spec(), capacity, "1 to 2^32 - 2");
    return capacity;
  }

  std::unique_ptr<Impl> impl_;
};

}  // namespace zeroipc
