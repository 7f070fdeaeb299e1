// zeroipc/detail/mapping.h — one process's mapping of one segment.
//
// Shared by the Memory handle and every structure opened through it
// (std::shared_ptr), so a structure stays valid after its Memory is gone and
// the segment is unmapped only when the last user lets go.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "zeroipc/detail/layout.h"

namespace zeroipc::detail {

/// The header fields that locate the table, attach slots and heap, copied
/// out of the segment once they have been validated (SPECIFICATION.md §5):
/// later code uses these copies, never a re-read that a corrupt or hostile
/// peer could have changed since.
struct Geometry {
  std::uint64_t table_offset = 0;
  std::uint32_t table_capacity = 0;
  std::uint32_t attach_capacity = 0;
  std::uint64_t data_offset = 0;
};

class Mapping {
 public:
  /// Takes ownership of the mapping [base, base + size) and of `fd`, the
  /// segment's file, which stays open while the mapping lives: this
  /// process's liveness lock is held through it (liveness.h).
  Mapping(std::string name, std::byte* base, std::uint64_t size, int fd) noexcept
      : name_(std::move(name)), base_(base), size_(size), fd_(fd) {}
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::byte* base() const noexcept { return base_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
  /// The segment's file (open while the mapping lives).
  [[nodiscard]] int fd() const noexcept { return fd_; }
  [[nodiscard]] SegmentHeader& header() const noexcept {
    return *reinterpret_cast<SegmentHeader*>(base_);
  }

  [[nodiscard]] const Geometry& geometry() const noexcept { return geometry_; }
  void set_geometry(const Geometry& g) noexcept { geometry_ = g; }
  [[nodiscard]] TableEntry* table_entries() const noexcept {
    return reinterpret_cast<TableEntry*>(base_ + geometry_.table_offset);
  }
  [[nodiscard]] AttachSlot* attach_slots() const noexcept {
    return reinterpret_cast<AttachSlot*>(base_ + kAttachOffset);
  }

  /// True when [offset, offset + length) lies inside the mapping (no overflow).
  [[nodiscard]] bool contains(std::uint64_t offset, std::uint64_t length) const noexcept {
    return offset <= size_ && length <= size_ - offset;
  }

  /// Takes this process's liveness lock (spec §4.1; SystemError if it cannot)
  /// and claims an attach slot (§4); idempotent.
  void attach();

 private:
  void detach() noexcept;

  std::string name_;
  std::byte* base_;
  std::uint64_t size_;
  int fd_;
  Geometry geometry_;
  int attach_slot_ = -1;
  std::uint64_t attach_owner_ = 0;  // what this process wrote into its attach slot
  bool registered_ = false;
};

}  // namespace zeroipc::detail
