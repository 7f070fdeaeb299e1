// zeroipc/array.h — a fixed-size array of trivially copyable T in a segment.
//
//   zeroipc::Array<float> temps(mem, "temperature", 1000);  // create (or open: capacity must match)
//   zeroipc::Array<float> again(peer, "temperature");       // open: kind, element size, dtype checked
//   temps[0] = 23.5f;                                        // plain memory access
//   temps.size(); temps.data();
//
// Elements are plain memory shared by every process that opens the name:
// access is as fast as any array, and as unsynchronised. Use std::atomic_ref
// on elements, or a Queue/Channel, to coordinate. Layout: SPECIFICATION.md §7.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/memory.h"

namespace zeroipc {

template <class T>
class Array : public detail::StructureHandle {
  static_assert(std::is_trivially_copyable_v<T>,
                "Array<T> shares T's bytes between processes: T must be trivially copyable");
  static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>, "use Array<T>, not Array<const T>");
  static_assert(alignof(T) <= detail::kCacheLine,
                "elements start on a 64-byte boundary (spec §7.1): alignof(T) must be <= 64");
  static_assert(sizeof(T) <= 0xFFFFFFF0u, "element_size is a u32 in the common header (spec §6)");

 public:
  using value_type = T;
  using size_type = std::size_t;
  using iterator = T*;
  using const_iterator = const T*;

  /// Creates `name` with `capacity` zeroed elements, or opens it if it exists
  /// (then it must be an Array of the same element size, dtype and capacity).
  Array(Memory& mem, std::string_view name, std::size_t capacity)
      : StructureHandle(mem, name, spec(), capacity, [](std::byte*) {}),
        data_(reinterpret_cast<T*>(body())),
        size_(static_cast<std::size_t>(stored_capacity())) {}

  /// Opens the existing Array `name`; throws NotFound if there is none.
  Array(Memory& mem, std::string_view name) : Array(mem, name, open_only) {}
  Array(Memory& mem, std::string_view name, open_only_t)
      : StructureHandle(mem, name, spec(), open_only),
        data_(reinterpret_cast<T*>(body())),
        size_(static_cast<std::size_t>(stored_capacity())) {}

  T& operator[](std::size_t i) noexcept { return data_[i]; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  /// Bounds-checked access; throws OutOfRange.
  T& at(std::size_t i) { return data_[check(i)]; }
  const T& at(std::size_t i) const { return data_[check(i)]; }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::size_t size_bytes() const noexcept { return size_ * sizeof(T); }
  [[nodiscard]] T* data() noexcept { return data_; }
  [[nodiscard]] const T* data() const noexcept { return data_; }
  [[nodiscard]] std::span<T> span() noexcept { return {data_, size_}; }
  [[nodiscard]] std::span<const T> span() const noexcept { return {data_, size_}; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }

  /// The layout this type expects (used by create/open and by tests).
  static detail::StructSpec spec() noexcept {
    return detail::element_spec<T>(detail::Kind::kArray, 0, "Array", &total_size);
  }

  /// Bytes an Array of `capacity` elements of `element_size` occupies; 0 on overflow.
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t element_size) noexcept {
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    if (capacity == 0 || element_size == 0) return 0;
    if (capacity > (kMax - sizeof(detail::StructHeader)) / element_size) return 0;
    return sizeof(detail::StructHeader) + capacity * element_size;
  }

 private:
  std::size_t check(std::size_t i) const {
    if (i >= size_) {
      throw OutOfRange(where() + ": index " + std::to_string(i) +
                              " out of range (size " + std::to_string(size_) + ")");
    }
    return i;
  }

  T* data_;
  std::size_t size_;
};

}  // namespace zeroipc
