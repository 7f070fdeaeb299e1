// zeroipc/set.h — a bounded hash set of trivially copyable keys in a
// segment: a Map without values (same table, same rules).
//
//   zeroipc::Set<std::uint64_t> seen(mem, "seen", 1024);   // create, or open + check
//   bool fresh = seen.insert(id);                          // false if present
//   seen.contains(id); seen.erase(id); seen.size(); seen.capacity();
//
// Keys are compared by their bytes and hashed as SPECIFICATION.md §7.8 says.
// Inserting a key beyond capacity() throws StructureFull.
#pragma once

#include "zeroipc/map.h"

namespace zeroipc {

template <class Key, class V = variants::default_map>
class Set : public detail::KeyTableHandle<Key, V> {
  static_assert(std::is_trivially_copyable_v<Key>,
                "Set<Key> copies bytes between processes: Key must be trivially copyable");
  static_assert(sizeof(Key) <= 0xFFFFFFF0u, "the key size is a u32 in the header (spec §6)");
  using Base = detail::KeyTableHandle<Key, V>;

 public:
  using key_type = Key;
  using value_type = Key;
  using variant = V;

  /// Creates `name` holding up to `capacity` keys, or opens it if it exists.
  Set(Memory& mem, std::string_view name, std::size_t capacity)
      : Base(mem, name, spec(), capacity, sizeof(Key), 0) {}
  /// Opens the existing set `name`.
  Set(Memory& mem, std::string_view name) : Set(mem, name, open_only) {}
  Set(Memory& mem, std::string_view name, open_only_t) : Base(mem, name, spec(), sizeof(Key), 0) {}

  /// Adds `key`; false if present. Throws StructureFull if capacity() keys are present.
  bool insert(const Key& key) {
    return this->guarded([&] { return this->table_->insert(Base::bytes(key), nullptr, false); }) ==
           V::table::Insert::kInserted;
  }
  // contains, erase, size, empty, capacity: KeyTableHandle.

  /// Calls f(key) for every key, as one atomic snapshot (f must not use this set).
  template <class F>
  void for_each(F&& f) const {
    this->guarded([&] {
      this->table_->for_each([&](const std::byte* k, const std::byte*) {
        const Key key = Base::template copy_of<Key>(k);
        f(key);
      });
    });
  }

  static detail::StructSpec spec() noexcept {
    detail::StructSpec s{};
    s.kind = detail::Kind::kSet;
    s.variant = V::kId;
    s.element_size = static_cast<std::uint32_t>(sizeof(Key));
    s.element_size_name = "key size";
    s.key_size = static_cast<std::uint32_t>(sizeof(Key));
    s.dtype = static_cast<std::uint8_t>(detail::dtype_of<Key>());
    s.total_size = &total_size;
    s.type_name = "Set";
    return s;
  }
  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t key_size) noexcept {
    return Base::body_total(capacity, key_size, 0);
  }
};

}  // namespace zeroipc
