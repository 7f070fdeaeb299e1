// zeroipc/detail/structure.h — create / open a structure by name and check
// its common header (SPECIFICATION.md §6) against what the caller expects.
//
// Every structure type (Array, Queue, ...) describes itself with a
// StructSpec; this is the one place that turns "the name exists but is
// something else" into a Mismatch that names expected and found values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "zeroipc/detail/layout.h"

namespace zeroipc::detail {

class Mapping;

struct StructSpec {
  Kind kind;
  std::uint16_t variant = 0;
  std::uint16_t layout_version = 1;
  std::uint32_t element_size = 0;
  std::uint8_t dtype = 0;
  /// Map and Set: the key's size, kept in kind_specific bytes 0..3 of the
  /// header (spec §7.8) and checked on open; 0 for the other kinds.
  std::uint32_t key_size = 0;
  /// Bytes the structure needs for `capacity` elements, header included;
  /// 0 when that overflows or the capacity is not allowed.
  std::uint64_t (*total_size)(std::uint64_t capacity, std::uint32_t element_size) = nullptr;
  /// For messages: what element_size means ("element size", "value size").
  const char* element_size_name = "element size";
  /// For messages, e.g. "Array<float>".
  const char* type_name = "";
};

struct OpenedStructure {
  std::byte* base = nullptr;  // the structure's common header
  std::uint64_t capacity = 0;
  bool created = false;
  /// The private copy of the common header that was checked. Code that needs
  /// a header field (element size, kind-specific bytes) reads it here, never
  /// again from the segment: a peer may rewrite the shared bytes after the
  /// check (SPECIFICATION.md §5: read once, check, use the copy).
  StructHeader header{};
};

/// Creates `name` with `capacity` elements (calling `init_body` on the zeroed
/// region after the common header is written, under the table lock), or opens
/// and checks it if it exists — then its capacity must equal `capacity`.
OpenedStructure create_or_open_structure(const std::shared_ptr<Mapping>& mapping,
                                         std::string_view name, const StructSpec& spec,
                                         std::uint64_t capacity,
                                         const std::function<void(std::byte*)>& init_body);

/// Opens the existing structure `name` and checks it; any capacity is accepted.
OpenedStructure open_structure(const std::shared_ptr<Mapping>& mapping, std::string_view name,
                               const StructSpec& spec);

/// "array", "queue", ... or "unknown kind N".
std::string kind_name(std::uint16_t kind);
/// "vyukov_bounded", ..., "none", or "unknown variant N".
std::string variant_name(std::uint16_t kind, std::uint16_t variant);

}  // namespace zeroipc::detail
