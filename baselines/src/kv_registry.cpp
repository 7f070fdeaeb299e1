// zeroipc/baselines/kv_registry.cpp — the list of key-value stores, the factory, StoreSpec's JSON.
#include <algorithm>

#include "optional_deps.h"
#include "store_kit.h"

namespace zeroipc::baselines {

nlohmann::json StoreSpec::to_json() const {
  return {{"store", store},           {"name", name},
          {"value_size", value_size}, {"capacity", capacity},
          {"redis_unix_socket", redis_unix_socket}, {"redis_port", redis_port}};
}

StoreSpec StoreSpec::from_json(const nlohmann::json& j) {
  StoreSpec s;
  s.store = j.at("store").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.value_size = j.at("value_size").get<std::size_t>();
  s.capacity = j.at("capacity").get<std::size_t>();
  s.redis_unix_socket = j.value("redis_unix_socket", std::string());
  s.redis_port = j.value("redis_port", 0);
  return s;
}

const std::vector<StoreInfo>& stores() {
  using namespace deps;
  static const std::vector<StoreInfo> list = {
      {"zeroipc_locked_probe", "zeroipc Map<uint64_t, V, locked_probe> in a segment of its own", true, "", false,
       true},
      {"boost_unordered_map",
       "boost::unordered_map in a Boost.Interprocess managed_shared_memory segment (its allocator), behind an "
       "interprocess_mutex",
       kBoost, kBoost ? "" : kNoBoost, false, false},
      {"boost_map",
       "boost::interprocess::map (a red-black tree) in a managed_shared_memory segment, behind an "
       "interprocess_mutex",
       kBoost, kBoost ? "" : kNoBoost, false, false},
      {"redis", "Redis strings, GET / SET / DEL through hiredis over a Unix socket, one connection per process",
       kRedis, kRedis ? "" : kNoRedis, true, false},
  };
  return list;
}

const StoreInfo& store_info(std::string_view name) {
  std::string valid;
  for (const auto& s : stores()) {
    if (s.name == name) return s;
    valid += (valid.empty() ? "" : ", ") + std::string(s.name);
  }
  throw std::invalid_argument("unknown store '" + std::string(name) + "' (valid: " + valid + ")");
}

const std::vector<std::size_t>& store_value_sizes() {
  static const std::vector<std::size_t> sizes{8, 16, 32, 64, 128, 256, 1024};
  return sizes;
}

std::unique_ptr<KeyValueStore> make_store(const StoreSpec& spec, StoreRole role) {
  const StoreInfo* info = nullptr;
  try {
    info = &store_info(spec.store);
  } catch (const std::invalid_argument& e) {
    throw StoreError(e.what());
  }
  if (!info->built) throw StoreError(spec.store + ": not built: " + std::string(info->missing));
  const auto& sizes = store_value_sizes();
  if (std::find(sizes.begin(), sizes.end(), spec.value_size) == sizes.end()) {
    throw StoreError(spec.store + ": value size " + std::to_string(spec.value_size) +
                     " (expected 8, 16, 32, 64, 128, 256 or 1024 bytes)");
  }
  if (spec.name.empty() || spec.name.size() > 64 ||
      spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos) {
    throw StoreError(spec.store + ": store name '" + spec.name + "' (expected 1 to 64 letters, digits, '_' or '-')");
  }
  if (spec.capacity == 0) throw StoreError(spec.store + ": capacity 0 (expected at least 1 key)");
  using namespace store_adapters;
  const std::string& s = spec.store;
  if (s == "zeroipc_locked_probe") return make_zeroipc_map(spec, role);
#if ZEROIPC_BASELINES_BOOST
  if (s == "boost_unordered_map") return make_boost_map(spec, role, BoostContainer::unordered_map);
  if (s == "boost_map") return make_boost_map(spec, role, BoostContainer::map);
#endif
#if ZEROIPC_BASELINES_REDIS
  if (s == "redis") return make_redis_map(spec, role);
#endif
  throw StoreError(s + ": listed but has no adapter (a bug in baselines/src/kv_registry.cpp)");
}

void remove_store_leftovers(const StoreSpec& spec) noexcept {
  using namespace store_adapters;
  remove_zeroipc_map_leftovers(spec);
#if ZEROIPC_BASELINES_BOOST
  remove_boost_map_leftovers(spec);
#endif
#if ZEROIPC_BASELINES_REDIS
  if (spec.store == "redis") remove_redis_map_leftovers(spec);
#endif
}

}  // namespace zeroipc::baselines
