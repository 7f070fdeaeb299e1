// zeroipc/table.h — the name table of a segment (SPECIFICATION.md §3).
//
// Lookups are lock-free: they read only READY entries, which never change.
// Creation takes the table lock (a futex word holding the holder's pid); a
// holder that dies is detected and its half-made entry is rolled back, so a
// creator killed at any instruction leaves no visible half-initialised
// structure, no overlap and no lost entry.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zeroipc {

namespace detail {
class Mapping;
}

/// One READY entry of the table, already bounds-checked.
struct TableEntryInfo {
  std::string name;
  std::uint64_t offset = 0;  // from the start of the segment, multiple of 64
  std::uint64_t size = 0;    // bytes reserved for the structure
  std::uint32_t creator_pid = 0;
};

class Table {
 public:
  explicit Table(std::shared_ptr<detail::Mapping> mapping);

  /// The READY entry called `name`, or nullopt. Throws CorruptSegment if the
  /// entry's offsets are out of bounds.
  [[nodiscard]] std::optional<TableEntryInfo> find(std::string_view name) const;

  /// Every READY entry, in table order.
  [[nodiscard]] std::vector<TableEntryInfo> entries() const;

  [[nodiscard]] std::uint32_t capacity() const noexcept;

  /// Result of find_or_create(): the entry, and whether this call made it.
  struct Created {
    TableEntryInfo entry;
    bool created;
  };
  using Initializer = std::function<void(std::byte* region, std::uint64_t size)>;

  /// Returns the READY entry `name` if there is one (without calling `init`);
  /// otherwise reserves `size` bytes, calls `init` on them while holding the
  /// table lock, and publishes the entry. Throws SegmentFull, TableFull,
  /// InvalidName, or Timeout if a live process holds the lock past `patience`.
  Created find_or_create(std::string_view name, std::uint64_t size, const Initializer& init,
                         std::chrono::milliseconds patience = std::chrono::seconds(10));

 private:
  std::shared_ptr<detail::Mapping> mapping_;
};

}  // namespace zeroipc
