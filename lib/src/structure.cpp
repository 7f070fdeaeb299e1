// Creating and opening structures by name, and checking their common header
// (SPECIFICATION.md §6) against what the caller's type expects.
#include "zeroipc/detail/structure.h"

#include "zeroipc/detail/structure_handle.h"

#include <cstring>

#include "zeroipc/detail/crash_points.h"
#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/error.h"
#include "zeroipc/table.h"

namespace zeroipc::detail {
namespace {

std::string who(const Mapping& m, std::string_view name) {
  return "zeroipc: segment '" + printable(m.name()) + "', structure '" + printable(name) + "'";
}

// Checks the structure at `entry` against `spec` (and `capacity` unless 0).
OpenedStructure check(const Mapping& m, const TableEntryInfo& entry, const StructSpec& spec,
                      std::uint64_t capacity) {
  std::byte* base = m.base() + entry.offset;  // read_entry() checked entry.offset/size
  StructHeader h{};
  std::memcpy(&h, base, sizeof h);  // check a private copy (spec §5)
  const std::string w = who(m, entry.name);
  if (std::memcmp(h.magic, kStructMagic, 4) != 0) {
    throw CorruptSegment(w + ": no structure header at offset " + std::to_string(entry.offset) +
                         " (expected magic 'ZIPS', found '" +
                         printable(std::string_view(h.magic, 4)) + "')");
  }
  if (h.kind != static_cast<std::uint16_t>(spec.kind)) {
    throw Mismatch(w + ": expected " + kind_name(static_cast<std::uint16_t>(spec.kind)) +
                   " (opened as " + spec.type_name + "), found " + kind_name(h.kind));
  }
  if (h.variant != spec.variant) {
    throw Mismatch(w + ": expected variant " + variant_name(h.kind, spec.variant) + ", found " +
                   variant_name(h.kind, h.variant));
  }
  if (h.layout_version != spec.layout_version) {
    throw VersionMismatch(w + ": " + kind_name(h.kind) + " layout version " +
                          std::to_string(h.layout_version) + " is not the version " +
                          std::to_string(spec.layout_version) + " this build reads");
  }
  if (h.element_size != spec.element_size) {
    throw Mismatch(w + ": expected " + spec.element_size_name + " " + std::to_string(spec.element_size) +
                   " bytes, found " + std::to_string(h.element_size));
  }
  if (spec.key_size != 0) {
    std::uint32_t key_size = 0;
    std::memcpy(&key_size, h.kind_specific, sizeof key_size);
    if (key_size != spec.key_size) {
      throw Mismatch(w + ": expected key size " + std::to_string(spec.key_size) + " bytes, found " +
                     std::to_string(key_size));
    }
  }
  if (h.dtype != 0 && spec.dtype != 0 && h.dtype != spec.dtype) {
    throw Mismatch(w + ": expected element type " + dtype_name(spec.dtype) + ", found " +
                   dtype_name(h.dtype));
  }
  if (capacity != 0 && h.capacity != capacity) {
    throw Mismatch(w + ": exists with capacity " + std::to_string(h.capacity) + ", requested " +
                   std::to_string(capacity));
  }
  const std::uint64_t expected = spec.total_size(h.capacity, h.element_size);
  if (expected == 0 || h.total_size != expected || h.total_size > entry.size) {
    throw CorruptSegment(w + ": header says capacity " + std::to_string(h.capacity) + " and " +
                         std::to_string(h.total_size) + " bytes; the layout needs " +
                         std::to_string(expected) + " bytes and the entry holds " +
                         std::to_string(entry.size));
  }
  return {base, h.capacity, false, h};
}

}  // namespace

OpenedStructure create_or_open_structure(const std::shared_ptr<Mapping>& mapping,
                                         std::string_view name, const StructSpec& spec,
                                         std::uint64_t capacity,
                                         const std::function<void(std::byte*)>& init_body) {
  const std::uint64_t total = capacity == 0 ? 0 : spec.total_size(capacity, spec.element_size);
  if (total == 0) {
    throw InvalidArgument(who(*mapping, name) + ": capacity " + std::to_string(capacity) +
                          " is not allowed for " + spec.type_name + " (zero, or too large)");
  }
  Table table(mapping);
  auto made = table.find_or_create(name, total, [&](std::byte* region, std::uint64_t) {
    StructHeader h{};
    std::memcpy(h.magic, kStructMagic, 4);
    h.kind = static_cast<std::uint16_t>(spec.kind);
    h.variant = spec.variant;
    h.element_size = spec.element_size;
    h.layout_version = spec.layout_version;
    h.dtype = spec.dtype;
    h.capacity = capacity;
    h.total_size = total;
    std::memcpy(h.kind_specific, &spec.key_size, sizeof spec.key_size);
    std::memcpy(region, &h, sizeof h);
    crash_point(CrashPoint::kStructureHalfMade);
    init_body(region);
  });
  OpenedStructure opened = check(*mapping, made.entry, spec, capacity);
  opened.created = made.created;
  return opened;
}

OpenedStructure open_structure(const std::shared_ptr<Mapping>& mapping, std::string_view name,
                               const StructSpec& spec) {
  check_structure_name(name);
  auto entry = Table(mapping).find(name);
  if (!entry) {
    throw NotFound(who(*mapping, name) + ": no such structure (expected a " +
                   kind_name(static_cast<std::uint16_t>(spec.kind)) + " created by another "
                   "process first)");
  }
  return check(*mapping, *entry, spec, 0);
}

std::string structure_where(std::string_view segment, const StructSpec& spec, std::string_view name) {
  const auto kind = static_cast<std::uint16_t>(spec.kind);
  std::string w = "zeroipc: segment '" + printable(segment) + "', " + kind_name(kind) + " '" + printable(name) + "'";
  if (spec.variant != 0) w += " (" + variant_name(kind, spec.variant) + ")";
  return w;
}

void StructureHandle::bad_capacity(const Memory& mem, std::string_view name, const StructSpec& spec,
                                   std::uint64_t capacity, std::string_view expected) {
  throw InvalidArgument(structure_where(mem.name(), spec, name) + ": capacity " + std::to_string(capacity) +
                        " is not allowed (expected " + std::string(expected) + ")");
}

std::string kind_name(std::uint16_t kind) {
  static constexpr const char* kNames[] = {"array",  "queue",  "stack", "map",
                                           "set",    "pool",   "ring",  "future",
                                           "lazy",   "stream", "channel"};
  if (kind >= 1 && kind <= 11) return kNames[kind - 1];
  return "unknown kind " + std::to_string(kind);
}

std::string variant_name(std::uint16_t kind, std::uint16_t variant) {
  if (variant == 0) return "none";
  if (kind == static_cast<std::uint16_t>(Kind::kQueue)) {
    static constexpr const char* kQueues[] = {"vyukov_bounded", "lcrq", "scq", "spsc_ring",
                                              "locked_ring", "lcrq_nodes", "scq_indices"};
    if (variant <= 7) return kQueues[variant - 1];
  } else if (kind == static_cast<std::uint16_t>(Kind::kStack)) {
    static constexpr const char* kStacks[] = {"treiber_tagged", "elimination_backoff"};
    if (variant <= 2) return kStacks[variant - 1];
  } else if (kind == static_cast<std::uint16_t>(Kind::kMap) || kind == static_cast<std::uint16_t>(Kind::kSet)) {
    static constexpr const char* kMaps[] = {"locked_probe"};
    if (variant <= 1) return kMaps[variant - 1];
  } else if (kind == static_cast<std::uint16_t>(Kind::kPool)) {
    static constexpr const char* kPools[] = {"locked_free_list"};
    if (variant <= 1) return kPools[variant - 1];
  } else if (kind == static_cast<std::uint16_t>(Kind::kRing)) {
    static constexpr const char* kRings[] = {"gated_ring"};
    if (variant <= 1) return kRings[variant - 1];
  }
  return "unknown variant " + std::to_string(variant);
}

std::string dtype_name(std::uint8_t code) {
  static constexpr const char* kNames[] = {"opaque", "i8",  "u8",  "i16", "u16", "i32",
                                           "u32",    "i64", "u64", "f32", "f64", "bool"};
  if (code <= 11) return kNames[code];
  return "unknown dtype " + std::to_string(code);
}

}  // namespace zeroipc::detail
