// zeroipc/detail/structure_handle.h — what every structure handle shares:
// create or open by name, the checked common header, and the one way
// messages name a structure ("zeroipc: segment '/s', queue 'orders' (lcrq)").
//
// A structure derives from StructureHandle, passes its StructSpec (kind,
// variant, element size, layout size), and adds only its algorithm and
// layout. Its constructors are then:
//
//   Thing(Memory& mem, std::string_view name, std::size_t capacity)
//       : StructureHandle(mem, name, spec(), capacity, [&](std::byte* body) { init(body...); }) {}
//   Thing(Memory& mem, std::string_view name)            // or (mem, name, open_only)
//       : StructureHandle(mem, name, spec(), open_only) {}
//
// Everything read from the structure header was read once and checked
// (structure.cpp): header() is that private copy (SPECIFICATION.md §5).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/variant_errors.h"
#include "zeroipc/error.h"
#include "zeroipc/memory.h"
#include "zeroipc/tags.h"

namespace zeroipc::detail {

/// "zeroipc: segment '/s', queue 'orders' (lcrq)" — the prefix of every
/// message about one structure; the variant is left out when it is 0.
std::string structure_where(std::string_view segment, const StructSpec& spec, std::string_view name);

/// The StructSpec of a structure whose elements are T: kind, variant,
/// element size and dtype from T, the layout's size function.
template <class T>
StructSpec element_spec(Kind kind, std::uint16_t variant, const char* type_name,
                        std::uint64_t (*total_size)(std::uint64_t, std::uint32_t)) noexcept {
  StructSpec s{};
  s.kind = kind;
  s.variant = variant;
  s.element_size = static_cast<std::uint32_t>(sizeof(T));
  s.dtype = static_cast<std::uint8_t>(dtype_of<T>());
  s.total_size = total_size;
  s.type_name = type_name;
  return s;
}

/// A variant's body size plus the common header; 0 when the body is not allowed.
constexpr std::uint64_t with_header(std::uint64_t body_size) noexcept {
  return body_size == 0 ? 0 : body_size + sizeof(StructHeader);
}

class StructureHandle {
 public:
  /// The structure's name in the segment's table.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  /// True when this handle created the structure, false when it opened it.
  [[nodiscard]] bool created() const noexcept { return opened_.created; }
  /// The segment's name ("/sensor_data").
  [[nodiscard]] const std::string& segment_name() const noexcept { return mapping_->name(); }
  /// "zeroipc: segment '/s', <kind> '<name>' (<variant>)", for messages.
  [[nodiscard]] std::string where() const { return structure_where(segment_name(), spec_, name_); }

 protected:
  /// Creates `name` with `capacity` (init_body gets the zeroed bytes after
  /// the common header, under the table lock) or opens and checks it: then
  /// its capacity must equal `capacity`.
  StructureHandle(Memory& mem, std::string_view name, const StructSpec& spec, std::uint64_t capacity,
                  const std::function<void(std::byte* body)>& init_body)
      : mapping_(mem.mapping()),
        spec_(spec),
        opened_(create_or_open_structure(mapping_, name, spec, capacity,
                                         [&](std::byte* base) { init_body(base + sizeof(StructHeader)); })),
        name_(name) {}

  /// Opens the existing structure `name` (any capacity): NotFound if missing.
  StructureHandle(Memory& mem, std::string_view name, const StructSpec& spec, open_only_t)
      : mapping_(mem.mapping()), spec_(spec), opened_(open_structure(mapping_, name, spec)), name_(name) {}

  /// A second handle on the structure `other` names, as opening it again
  /// would give (for a thread of this process that works for a handle:
  /// Future::then, Lazy's provider). Handles are not copyable otherwise.
  struct duplicate_t {};
  StructureHandle(const StructureHandle& other, duplicate_t)
      : mapping_(other.mapping_), spec_(other.spec_), opened_(other.opened_), name_(other.name_) {}

  StructureHandle(StructureHandle&&) noexcept = default;
  StructureHandle& operator=(StructureHandle&&) noexcept = default;
  ~StructureHandle() = default;

  /// The common header (spec §6), in the segment.
  [[nodiscard]] std::byte* header_bytes() const noexcept { return opened_.base; }
  /// The structure's own bytes, after the common header.
  [[nodiscard]] std::byte* body() const noexcept { return opened_.base + sizeof(StructHeader); }
  /// The checked private copy of the common header.
  [[nodiscard]] const StructHeader& header() const noexcept { return opened_.header; }
  /// The capacity stored in the checked header.
  [[nodiscard]] std::uint64_t stored_capacity() const noexcept { return opened_.capacity; }
  [[nodiscard]] const std::shared_ptr<Mapping>& mapping() const noexcept { return mapping_; }

  /// Calls f(), turning the variants' failures into zeroipc::Errors that
  /// name this structure (the name is only built when one is thrown).
  template <class F>
  decltype(auto) guarded(F&& f) const {
    return translating_variant_errors([this] { return where(); }, std::forward<F>(f));
  }

  /// Throws InvalidArgument: `capacity` is not one this structure takes;
  /// `expected` says which ones it does ("from 1 to 2^40").
  [[noreturn]] static void bad_capacity(const Memory& mem, std::string_view name, const StructSpec& spec,
                                        std::uint64_t capacity, std::string_view expected);

 private:
  std::shared_ptr<Mapping> mapping_;  // keeps the segment mapped
  StructSpec spec_;
  OpenedStructure opened_;
  std::string name_;
};

}  // namespace zeroipc::detail
