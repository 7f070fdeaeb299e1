// What the key-value store adapters share: the compiled value sizes, a value
// of S bytes as one trivially copyable type, and the factories of each
// adapter (registered in kv_registry.cpp). Internal to the baselines library.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "zeroipc/baselines/kv_store.h"

namespace zeroipc::baselines::store_adapters {

/// A value of S bytes, copied byte for byte.
template <std::size_t S>
struct Bytes {
  std::byte b[S];
};

/// Calls f(std::integral_constant<std::size_t, S>{}) for a compiled value
/// size (store_value_sizes(); kv_registry.cpp checks the spec against it first).
template <class F>
decltype(auto) with_value_size(std::size_t size, F&& f) {
  switch (size) {
    case 8: return f(std::integral_constant<std::size_t, 8>{});
    case 16: return f(std::integral_constant<std::size_t, 16>{});
    case 32: return f(std::integral_constant<std::size_t, 32>{});
    case 64: return f(std::integral_constant<std::size_t, 64>{});
    case 128: return f(std::integral_constant<std::size_t, 128>{});
    case 256: return f(std::integral_constant<std::size_t, 256>{});
    case 1024: return f(std::integral_constant<std::size_t, 1024>{});
    default: throw StoreError("value size " + std::to_string(size) + " is not compiled in");
  }
}

// zeroipc_map_store.cpp: zeroipc::Map<std::uint64_t, Bytes<S>, locked_probe> in a segment of its own.
std::unique_ptr<KeyValueStore> make_zeroipc_map(const StoreSpec& spec, StoreRole role);
void remove_zeroipc_map_leftovers(const StoreSpec& spec) noexcept;

#if ZEROIPC_BASELINES_BOOST
// boost_map_store.cpp: a Boost.Interprocess container in a managed_shared_memory segment.
enum class BoostContainer { unordered_map, map };
std::unique_ptr<KeyValueStore> make_boost_map(const StoreSpec& spec, StoreRole role, BoostContainer container);
void remove_boost_map_leftovers(const StoreSpec& spec) noexcept;
#endif

#if ZEROIPC_BASELINES_REDIS
// redis_map_store.cpp: Redis strings, GET / SET / DEL through hiredis over the Unix socket.
std::unique_ptr<KeyValueStore> make_redis_map(const StoreSpec& spec, StoreRole role);
void remove_redis_map_leftovers(const StoreSpec& spec) noexcept;
#endif

}  // namespace zeroipc::baselines::store_adapters
