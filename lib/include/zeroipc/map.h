// zeroipc/map.h — a bounded hash map of trivially copyable keys and values
// in a segment, shared by every process that opens its name.
//
//   zeroipc::Map<std::uint64_t, double> prices(mem, "prices", 4096);  // create (capacity: keys it holds), or open
//   zeroipc::Map<std::uint64_t, double> same(peer, "prices");         // open: kind, variant, key and value sizes checked
//   bool inserted = prices.insert(k, v);          // false if k is present (its value unchanged)
//   bool fresh = prices.insert_or_assign(k, v);   // true if inserted, false if it replaced a value
//   std::optional<double> v = prices.find(k);
//   prices.contains(k); prices.erase(k); prices.size(); prices.capacity();
//
// Keys are compared by their bytes (memcmp) and hashed as SPECIFICATION.md
// §7.8 says, so C and Python find the same keys. A key type with padding
// bytes compares its padding too: give such a struct explicit padding
// members set to zero (std::has_unique_object_representations_v<K> tells).
// Inserting a key beyond `capacity` throws StructureFull (insert's false
// keeps meaning "already present"). Every operation is linearizable; what a
// kill costs is in the variant's header (variants/locked_probe.h: nothing
// is lost or duplicated, a half-done assignment is undone).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/structure_handle.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/locked_probe.h"

namespace zeroipc {

namespace variants {
using default_map = locked_probe;
}

namespace detail {

/// What Map and Set share: the handle over a variant's byte table of
/// `Key`s, and the operations that need only the key.
template <class Key, class V>
class KeyTableHandle : public StructureHandle {
 public:
  [[nodiscard]] bool contains(const Key& key) const {
    return guarded([&] { return table_->find(bytes(key), nullptr); });
  }
  /// Removes `key`; false if it was not present.
  bool erase(const Key& key) {
    return guarded([&] { return table_->erase(bytes(key)); });
  }
  /// Keys present (exact when no operation is in flight).
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(table_->size()); }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  /// Keys it can hold.
  [[nodiscard]] std::size_t capacity() const noexcept { return static_cast<std::size_t>(stored_capacity()); }

 protected:
  KeyTableHandle(Memory& mem, std::string_view name, const StructSpec& spec, std::size_t capacity,
                 std::uint32_t key_size, std::uint32_t value_size)
      : StructureHandle(mem, name, spec, check_capacity(mem, name, spec, capacity, key_size, value_size),
                        [&](std::byte* body) { V::init(body, capacity, key_size, value_size); }),
        table_(std::make_unique<typename V::table>(body(), stored_capacity(), key_size, value_size)) {}
  KeyTableHandle(Memory& mem, std::string_view name, const StructSpec& spec, std::uint32_t key_size,
                 std::uint32_t value_size)
      : StructureHandle(mem, name, spec, open_only),
        table_(std::make_unique<typename V::table>(body(), stored_capacity(), key_size, value_size)) {}

  static std::size_t check_capacity(const Memory& mem, std::string_view name, const StructSpec& spec,
                                    std::size_t capacity, std::uint32_t key_size, std::uint32_t value_size) {
    if (V::body_size(capacity, key_size, value_size) == 0) {
      bad_capacity(mem, name, spec, capacity, "1 to " + std::to_string(V::kMaxCapacity) + " keys");
    }
    return capacity;
  }

  static std::uint64_t body_total(std::uint64_t capacity, std::uint32_t key_size, std::uint32_t value_size) noexcept {
    return with_header(V::body_size(capacity, key_size, value_size));
  }

  template <class T>
  static const std::byte* bytes(const T& v) noexcept {
    return reinterpret_cast<const std::byte*>(std::addressof(v));
  }

  template <class T>
  static T copy_of(const std::byte* p) noexcept {
    std::array<std::byte, sizeof(T)> b;
    std::memcpy(b.data(), p, sizeof(T));
    return std::bit_cast<T>(b);
  }

  std::unique_ptr<typename V::table> table_;  // on the heap: the handle is movable
};

}  // namespace detail

template <class Key, class Value, class V = variants::default_map>
class Map : public detail::KeyTableHandle<Key, V> {
  static_assert(std::is_trivially_copyable_v<Key> && std::is_trivially_copyable_v<Value>,
                "Map<Key, Value> copies bytes between processes: both must be trivially copyable");
  static_assert(sizeof(Key) <= 0xFFFFFFF0u && sizeof(Value) <= 0xFFFFFFF0u,
                "key and value sizes are u32s in the header (spec §6, §7.8)");
  using Base = detail::KeyTableHandle<Key, V>;

 public:
  using key_type = Key;
  using mapped_type = Value;
  using variant = V;

  /// Creates `name` holding up to `capacity` keys, or opens it if it exists
  /// (same variant, key and value sizes and capacity).
  Map(Memory& mem, std::string_view name, std::size_t capacity)
      : Base(mem, name, spec(), capacity, sizeof(Key), sizeof(Value)) {}
  /// Opens the existing map `name`.
  Map(Memory& mem, std::string_view name) : Map(mem, name, open_only) {}
  Map(Memory& mem, std::string_view name, open_only_t) : Base(mem, name, spec(), sizeof(Key), sizeof(Value)) {}

  /// Adds key -> value; false (and the stored value unchanged) if key is
  /// present. Throws StructureFull if capacity() keys are present.
  bool insert(const Key& key, const Value& value) {
    return this->guarded([&] { return this->table_->insert(Base::bytes(key), Base::bytes(value), false); }) ==
           V::table::Insert::kInserted;
  }
  /// Adds key -> value, or replaces the value of a present key; true if it
  /// inserted, false if it replaced. Throws StructureFull as insert().
  bool insert_or_assign(const Key& key, const Value& value) {
    return this->guarded([&] { return this->table_->insert(Base::bytes(key), Base::bytes(value), true); }) ==
           V::table::Insert::kInserted;
  }
  /// The value of `key`, or nullopt.
  std::optional<Value> find(const Key& key) const {
    std::array<std::byte, sizeof(Value)> out;
    if (!this->guarded([&] { return this->table_->find(Base::bytes(key), out.data()); })) return std::nullopt;
    return std::bit_cast<Value>(out);
  }
  // contains, erase, size, empty, capacity: KeyTableHandle.

  /// Calls f(key, value) for every entry, in slot order, as one atomic
  /// snapshot (under the map's lock: f must not use this map).
  template <class F>
  void for_each(F&& f) const {
    this->guarded([&] {
      this->table_->for_each([&](const std::byte* k, const std::byte* v) {
        const Key key = Base::template copy_of<Key>(k);
        const Value value = Base::template copy_of<Value>(v);
        f(key, value);
      });
    });
  }

  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kMap;
    s.variant = V::kId;
    s.element_size = static_cast<std::uint32_t>(sizeof(Value));
    s.element_size_name = "value size";
    s.key_size = static_cast<std::uint32_t>(sizeof(Key));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<Value>());
    s.total_size = &total_size;
    s.type_name = "Map";
    return s;
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t value_size) noexcept {
    return Base::body_total(capacity, sizeof(Key), value_size);
  }
};

}  // namespace zeroipc
