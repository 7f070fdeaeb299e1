// zeroipc/baselines/zeroipc_map_store.cpp — zeroipc's own Map behind the
// key-value store interface, so it is measured on exactly the work the other
// stores do.
//
// The creator makes a segment of its own, "/<name>-map", holding one
// Map<std::uint64_t, Bytes<S>, locked_probe> named "map" of spec.capacity
// keys; the others open it. Every call is one Map call: find copies the value
// out, assign is insert_or_assign, erase is erase. The creator unlinks the
// segment when it is destroyed (the others keep their mapping until they go).
#include <cstring>
#include <optional>

#include "store_kit.h"
#include "zeroipc/map.h"
#include "zeroipc/memory.h"

namespace zeroipc::baselines::store_adapters {

namespace {

std::string segment_of(const StoreSpec& spec) { return "/" + spec.name + "-map"; }

constexpr std::size_t kSlack = 1 << 16;  // the segment's table and headers

template <std::size_t S>
class ZeroipcMapStore final : public KeyValueStore {
  using M = Map<std::uint64_t, Bytes<S>, variants::locked_probe>;

 public:
  ZeroipcMapStore(const StoreSpec& spec, StoreRole role) : spec_(spec), creator_(role == StoreRole::create) {
    try {
      if (creator_) {
        Memory::unlink(segment_of(spec));  // a stale one of a crashed run of the same name
        mem_.emplace(segment_of(spec), M::total_size(spec.capacity, S) + kSlack);
        map_.emplace(*mem_, "map", spec.capacity);
      } else {
        mem_.emplace(segment_of(spec));
        map_.emplace(*mem_, "map", open_only);
      }
    } catch (const std::exception& e) {
      if (creator_) Memory::unlink(segment_of(spec));
      throw StoreError(spec.store + ": " + (creator_ ? "create" : "open") + " " + segment_of(spec) + ": " + e.what());
    }
  }
  ~ZeroipcMapStore() override {
    map_.reset();
    if (creator_) Memory::unlink(segment_of(spec_));
  }

  bool find(std::uint64_t key, std::byte* value) override {
    const std::optional<Bytes<S>> v = map_->find(key);
    if (!v) return false;
    std::memcpy(value, v->b, S);
    return true;
  }
  void assign(std::uint64_t key, const std::byte* value) override {
    Bytes<S> v;
    std::memcpy(v.b, value, S);
    map_->insert_or_assign(key, v);
  }
  bool erase(std::uint64_t key) override { return map_->erase(key); }
  std::uint64_t size() override { return map_->size(); }
  nlohmann::json settings() const override {
    return {{"container", "zeroipc::Map<uint64_t, V, locked_probe>"},
            {"segment", segment_of(spec_)},
            {"capacity", map_->capacity()}};
  }

 private:
  StoreSpec spec_;
  bool creator_;
  std::optional<Memory> mem_;
  std::optional<M> map_;
};

}  // namespace

std::unique_ptr<KeyValueStore> make_zeroipc_map(const StoreSpec& spec, StoreRole role) {
  return with_value_size(spec.value_size, [&](auto size) -> std::unique_ptr<KeyValueStore> {
    return std::make_unique<ZeroipcMapStore<decltype(size)::value>>(spec, role);
  });
}

void remove_zeroipc_map_leftovers(const StoreSpec& spec) noexcept {
  try {
    Memory::unlink(segment_of(spec));
  } catch (...) {  // never throws
  }
}

}  // namespace zeroipc::baselines::store_adapters
