// zeroipc/baselines/boost_map_store.cpp — what a Boost user writes for a map
// shared between processes: a managed_shared_memory segment, a container
// whose allocator is the segment's, and an interprocess_mutex beside it that
// every access takes (scoped_lock). Two containers:
//   boost_unordered_map: boost::unordered_map (hash table; buckets reserved
//                        for spec.capacity keys up front)
//   boost_map:           boost::interprocess::map (red-black tree)
// Compiled only when Boost was found (baselines/CMakeLists.txt).
//
// The creator makes the segment "<name>.map" (Boost's names carry no '/',
// it lives in /dev/shm), sized for spec.capacity nodes with room to spare,
// and constructs the pair { mutex, container } in it by name; the others
// find it. The creator removes the segment when it is destroyed.
//
// Crashes: a process killed while it holds the mutex leaves it locked (Boost's
// interprocess_mutex records no owner), and every other process then waits
// forever — the harness's timeout ends such a run. zeroipc's Map recovers
// the lock from a dead owner instead (variants/locked_probe.h).
#include <boost/interprocess/allocators/allocator.hpp>
#include <boost/interprocess/containers/map.hpp>
#include <boost/interprocess/managed_shared_memory.hpp>
#include <boost/interprocess/sync/interprocess_mutex.hpp>
#include <boost/interprocess/sync/scoped_lock.hpp>
#include <boost/unordered_map.hpp>
#include <cstring>
#include <functional>

#include "store_kit.h"

namespace zeroipc::baselines::store_adapters {

namespace {

namespace bip = boost::interprocess;

std::string segment_of(const StoreSpec& spec) { return spec.name + ".map"; }

template <std::size_t S, BoostContainer C>
struct Shared {
  using value_type = std::pair<const std::uint64_t, Bytes<S>>;
  using Alloc = bip::allocator<value_type, bip::managed_shared_memory::segment_manager>;
  using Container =
      std::conditional_t<C == BoostContainer::unordered_map,
                         boost::unordered_map<std::uint64_t, Bytes<S>, boost::hash<std::uint64_t>,
                                              std::equal_to<std::uint64_t>, Alloc>,
                         bip::map<std::uint64_t, Bytes<S>, std::less<std::uint64_t>, Alloc>>;

  explicit Shared(const Alloc& a, std::size_t capacity) : container(make(a, capacity)) {}

  static Container make(const Alloc& a, std::size_t capacity) {
    if constexpr (C == BoostContainer::unordered_map) {
      return Container(capacity, boost::hash<std::uint64_t>(), std::equal_to<std::uint64_t>(), a);
    } else {
      (void)capacity;
      return Container(std::less<std::uint64_t>(), a);
    }
  }

  bip::interprocess_mutex mutex;
  Container container;
};

template <std::size_t S, BoostContainer C>
class BoostMapStore final : public KeyValueStore {
  using Sh = Shared<S, C>;
  using Lock = bip::scoped_lock<bip::interprocess_mutex>;

 public:
  BoostMapStore(const StoreSpec& spec, StoreRole role) : spec_(spec), creator_(role == StoreRole::create) {
    try {
      if (creator_) {
        bip::shared_memory_object::remove(segment_of(spec).c_str());  // a stale one of a crashed run
        // Nodes (key, value, links or hash and next), buckets, allocator
        // headers: generously twice that, plus room for the segment's own index.
        const std::size_t bytes = spec.capacity * (S + 96) * 2 + (1 << 20);
        segment_ = bip::managed_shared_memory(bip::create_only, segment_of(spec).c_str(), bytes);
        shared_ = segment_.construct<Sh>("map")(typename Sh::Alloc(segment_.get_segment_manager()), spec.capacity);
      } else {
        segment_ = bip::managed_shared_memory(bip::open_only, segment_of(spec).c_str());
        shared_ = segment_.find<Sh>("map").first;
        if (!shared_) throw StoreError(spec.store + ": open: no map in " + segment_of(spec));
      }
    } catch (const bip::interprocess_exception& e) {
      if (creator_) bip::shared_memory_object::remove(segment_of(spec).c_str());
      throw StoreError(spec.store + ": " + (creator_ ? "create " : "open ") + segment_of(spec) + ": " + e.what());
    }
  }
  ~BoostMapStore() override {
    if (creator_) bip::shared_memory_object::remove(segment_of(spec_).c_str());
  }

  bool find(std::uint64_t key, std::byte* value) override {
    Lock lock(shared_->mutex);
    const auto it = shared_->container.find(key);
    if (it == shared_->container.end()) return false;
    std::memcpy(value, it->second.b, S);
    return true;
  }
  void assign(std::uint64_t key, const std::byte* value) override {
    Bytes<S> v;
    std::memcpy(v.b, value, S);
    try {
      Lock lock(shared_->mutex);
      shared_->container.insert_or_assign(key, v);
    } catch (const bip::bad_alloc& e) {
      throw StoreError(spec_.store + ": assign: the segment is full: " + e.what());
    }
  }
  bool erase(std::uint64_t key) override {
    Lock lock(shared_->mutex);
    return shared_->container.erase(key) != 0;
  }
  std::uint64_t size() override {
    Lock lock(shared_->mutex);
    return shared_->container.size();
  }
  nlohmann::json settings() const override {
    return {{"container", C == BoostContainer::unordered_map ? "boost::unordered_map" : "boost::interprocess::map"},
            {"lock", "boost::interprocess::interprocess_mutex, every call"},
            {"segment", segment_of(spec_)},
            {"segment_bytes", segment_.get_size()}};
  }

 private:
  StoreSpec spec_;
  bool creator_;
  bip::managed_shared_memory segment_;
  Sh* shared_ = nullptr;
};

}  // namespace

std::unique_ptr<KeyValueStore> make_boost_map(const StoreSpec& spec, StoreRole role, BoostContainer container) {
  return with_value_size(spec.value_size, [&](auto size) -> std::unique_ptr<KeyValueStore> {
    constexpr std::size_t S = decltype(size)::value;
    if (container == BoostContainer::unordered_map) {
      return std::make_unique<BoostMapStore<S, BoostContainer::unordered_map>>(spec, role);
    }
    return std::make_unique<BoostMapStore<S, BoostContainer::map>>(spec, role);
  });
}

void remove_boost_map_leftovers(const StoreSpec& spec) noexcept {
  try {
    bip::shared_memory_object::remove(segment_of(spec).c_str());
  } catch (...) {  // never throws
  }
}

}  // namespace zeroipc::baselines::store_adapters
