// zeroipc/memory.h — a named POSIX shared-memory segment.
//
//   zeroipc::Memory mem("/sensor_data", 10 * 1024 * 1024); // create, or open + validate if it exists
//   zeroipc::Memory peer("/sensor_data");                   // open an existing one; throws if missing
//   zeroipc::Memory::unlink("/sensor_data");                // remove the name
//
// Creation is atomic: the segment is built under a temporary name and linked
// to its final name only when complete, so no process ever opens a half-made
// segment, and creating a name that exists opens it instead (never unlinks it
// under attached processes). Opening validates the header and table bounds
// (SPECIFICATION.md §5): a foreign or corrupt file is a CorruptSegment error,
// never a crash.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "zeroipc/error.h"
#include "zeroipc/table.h"

namespace zeroipc {

namespace detail {
class Mapping;
}

/// Options for creating a segment (or opening it, when the name exists).
struct MemoryOptions {
  /// Number of name-table entries (structures the segment can hold), 1..65536.
  std::uint32_t table_capacity = 64;
  /// Permission bits of the shared-memory object (exactly these; umask is not applied).
  mode_t mode = 0600;
  /// Open an existing segment whose file another user owns. Off by default:
  /// that user can rewrite or truncate it (a truncated mapping raises SIGBUS
  /// on access), so it is a ForeignSegment error unless trusted here.
  bool allow_foreign_owner = false;
};

/// Options for opening an existing segment.
struct OpenOptions {
  /// As MemoryOptions::allow_foreign_owner.
  bool allow_foreign_owner = false;
};

/// A process that has the segment mapped, as recorded in its attach slots.
struct AttachedProcess {
  pid_t pid;                 // in the attaching process's pid namespace
  std::uint64_t start_time;  // clock ticks since boot, 0 = not yet recorded (for tools)
  bool alive;                // false: it died (or let go of the segment) without detaching
  std::uint32_t key = 0;     // its owner key (SPECIFICATION.md §4.1)
};

class Memory {
 public:
  /// Creates the segment `name` of `size` bytes, or opens and validates it if
  /// it exists (then it must be at least `size` bytes).
  Memory(std::string_view name, std::size_t size,
         std::size_t table_capacity = MemoryOptions{}.table_capacity);
  Memory(std::string_view name, std::size_t size, const MemoryOptions& options);

  /// Opens the existing segment `name`; throws NotFound if there is none.
  explicit Memory(std::string_view name);
  Memory(std::string_view name, const OpenOptions& options);

  Memory(Memory&&) noexcept = default;
  Memory& operator=(Memory&&) noexcept = default;
  Memory(const Memory&) = delete;
  Memory& operator=(const Memory&) = delete;
  ~Memory() = default;

  /// Removes the name (processes that have it mapped keep their mapping).
  /// Returns false if there was no such segment.
  static bool unlink(std::string_view name);
  /// True when a shared-memory object of that name exists.
  static bool exists(std::string_view name);

  [[nodiscard]] const std::string& name() const noexcept;
  /// Total bytes of the segment.
  [[nodiscard]] std::size_t size() const noexcept;
  /// Address of the segment in this process (it differs between processes).
  [[nodiscard]] std::byte* base() const noexcept;
  /// True when this handle created the segment, false when it opened it.
  [[nodiscard]] bool created() const noexcept { return created_; }
  /// The name table of the segment.
  [[nodiscard]] Table table() const { return Table(mapping_); }
  /// Heap bytes not yet allocated.
  [[nodiscard]] std::size_t free_bytes() const;
  /// Processes recorded in the attach slots, live or dead.
  [[nodiscard]] std::vector<AttachedProcess> attached() const;

  /// The shared mapping (used by structures to keep it alive).
  [[nodiscard]] const std::shared_ptr<detail::Mapping>& mapping() const noexcept {
    return mapping_;
  }

 private:
  std::shared_ptr<detail::Mapping> mapping_;
  bool created_ = false;
};

}  // namespace zeroipc
