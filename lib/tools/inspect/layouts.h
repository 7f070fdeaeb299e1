// layouts.h — where each field of SPECIFICATION.md lies, as data.
//
// One description per layout (the segment's header, attach slots and table;
// each structure kind and variant), built from the library's own layout
// structs and variant constants, never from a second copy of the numbers
// where the library has them. `show` reads fields by name through it, and
// `dump` annotates every offset with the field it falls in, so the two
// cannot disagree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zeroipc/detail/layout.h"

namespace zeroipc::inspect {

/// A field, or an array of `count` items `stride` bytes apart, each made of `parts`.
struct Field {
  std::string name;
  std::uint64_t offset = 0;  // from the start of the enclosing layout (or item)
  std::uint64_t size = 0;    // bytes of one item
  std::uint64_t count = 1;
  std::uint64_t stride = 0;
  std::vector<Field> parts;
};

class Layout {
 public:
  Layout() = default;
  explicit Layout(std::vector<Field> fields) : fields_(std::move(fields)) {}

  /// Offset of a field (a dotted path for a field inside another:
  /// "ops.recoveries"), or of `part` inside item `index` of an array field:
  /// at("cells", 3, "sequence"), at("ops.slots", 5, "key"). A name that is
  /// not in the layout is a bug in the inspector: std::logic_error.
  [[nodiscard]] std::uint64_t at(std::string_view path, std::uint64_t index = 0,
                                 std::string_view part = {}) const;
  [[nodiscard]] const Field& field(std::string_view path) const;
  /// "cells[3].sequence", "header.capacity", or "" when nothing covers
  /// `offset`; `into` (if given) receives which byte of that field it is.
  [[nodiscard]] std::string locate(std::uint64_t offset, std::uint64_t* into = nullptr) const;
  [[nodiscard]] const std::vector<Field>& fields() const noexcept { return fields_; }

 private:
  std::vector<Field> fields_;
};

/// The segment's header, attach slots and name table (as found in its header;
/// the caller has validated them).
Layout segment_layout(std::uint64_t table_offset, std::uint32_t table_capacity, std::uint32_t attach_capacity);

/// The bytes a structure of this header needs (SPECIFICATION.md §7), or 0
/// when its kind, variant, element size or capacity is not one the format allows.
std::uint64_t expected_total_size(const detail::StructHeader& h);

/// The layout of a structure whose header `h` has been checked (its
/// expected_total_size() equals h.total_size).
Layout structure_layout(const detail::StructHeader& h);

}  // namespace zeroipc::inspect
