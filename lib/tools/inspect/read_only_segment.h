// read_only_segment.h — one segment file, mapped PROT_READ, read as untrusted bytes.
//
// zeroipc-inspect never attaches: it takes no liveness lock, claims no attach
// slot, takes no lock and writes nothing. Every read goes through this class:
//   - bounds-checked against the mapping (an offset read from the segment is
//     just a number until it is checked here);
//   - guarded against SIGBUS, so a file truncated by its owner while we read
//     it is an error ("the file shrank"), not a crash;
//   - 4- and 8-byte aligned fields the format marks atomic are read with one
//     aligned load each (single-copy atomic; never a 16-byte one: cmpxchg16b
//     writes, and the mapping is read-only).
// Liveness (SPECIFICATION.md §4.1) is asked of the kernel through this
// process's own read-only descriptor with F_OFD_GETLK, which sets no lock.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zeroipc::inspect {

enum class Alive { kYes, kNo, kUnknown };

/// "alive", "dead" or "unknown".
const char* alive_text(Alive a) noexcept;

class ReadOnlySegment {
 public:
  /// Opens /dev/shm/<name without its '/'> read-only and maps it. Throws
  /// zeroipc::NotFound when there is no such file, zeroipc::SystemError when
  /// it cannot be opened or mapped.
  explicit ReadOnlySegment(const std::string& name);
  ~ReadOnlySegment();
  ReadOnlySegment(const ReadOnlySegment&) = delete;
  ReadOnlySegment& operator=(const ReadOnlySegment&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  /// The file's size when it was opened (the extent of the mapping).
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  [[nodiscard]] mode_t mode() const noexcept { return mode_; }
  [[nodiscard]] uid_t owner_uid() const noexcept { return uid_; }
  [[nodiscard]] std::int64_t mtime_ns() const noexcept { return mtime_ns_; }
  [[nodiscard]] int fd() const noexcept { return fd_; }

  /// True when [offset, offset + length) lies inside the mapping (no overflow).
  [[nodiscard]] bool contains(std::uint64_t offset, std::uint64_t length) const noexcept {
    return offset <= size_ && length <= size_ - offset;
  }
  /// Copies [offset, offset + length) into `out`; false when it is out of
  /// bounds or the file shrank under the mapping (SIGBUS caught).
  bool copy(std::uint64_t offset, void* out, std::size_t length) const noexcept;
  /// An aligned atomic load of a u32 / u64 field; nullopt as for copy().
  [[nodiscard]] std::optional<std::uint32_t> u32(std::uint64_t offset) const noexcept;
  [[nodiscard]] std::optional<std::uint64_t> u64(std::uint64_t offset) const noexcept;
  /// A copy of a plain struct at `offset`.
  template <class T>
  [[nodiscard]] std::optional<T> read(std::uint64_t offset) const noexcept {
    T v{};
    if (!copy(offset, &v, sizeof v)) return std::nullopt;
    return v;
  }

  /// Whether the owner `key` (§4.1) holds its liveness lock on this file.
  /// Key 0 is nobody (dead); a failed query is kUnknown.
  [[nodiscard]] Alive owner(std::uint32_t key) const noexcept;
  /// Every key whose liveness lock is held on this file now: the processes
  /// that have the segment mapped, whether or not they got an attach slot.
  [[nodiscard]] std::vector<std::uint32_t> live_keys() const;

 private:
  template <class T>
  std::optional<T> atomic_load(std::uint64_t offset) const noexcept;

  std::string name_;
  std::string path_;
  int fd_ = -1;
  const std::byte* base_ = nullptr;
  std::uint64_t size_ = 0;
  mode_t mode_ = 0;
  uid_t uid_ = 0;
  std::int64_t mtime_ns_ = 0;
};

}  // namespace zeroipc::inspect
