// The one interface every key-value store of the map comparison sits behind:
// a map from 64-bit keys to values of N bytes, shared by several processes.
//
//   StoreSpec spec{...};                                    // made once, sent to every worker
//   auto store = make_store(spec, StoreRole::create);       // one process creates it ...
//   auto same = make_store(spec, StoreRole::open);          // ... the others open it
//   store->assign(42, value);                               // insert or replace
//   bool hit = same->find(42, out);                         // copies value_size bytes into out
//   store->erase(42); store->size();
//
// Every value has the same size within a run (spec.value_size). Each adapter
// does what a user of that store would write: zeroipc's Map in a segment;
// Boost.Interprocess containers in a managed_shared_memory segment behind an
// interprocess_mutex; Redis GET / SET / DEL through hiredis on a server of the
// harness's own. The creator removes what it created when it is destroyed;
// remove_store_leftovers() cleans up after one that died.
//
// Errors are StoreError naming the store and the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace zeroipc::baselines {

/// What every process of a run knows before it starts; travels as JSON.
struct StoreSpec {
  std::string store;              // a name from stores(): "zeroipc_locked_probe"
  std::string name;               // unique to this run, [A-Za-z0-9_-], at most 64 characters
  std::size_t value_size = 0;     // bytes of every value (store_value_sizes())
  std::size_t capacity = 0;       // keys present at most
  std::string redis_unix_socket;  // Redis stores: the harness's server (RedisServer)
  int redis_port = 0;

  nlohmann::json to_json() const;
  static StoreSpec from_json(const nlohmann::json& j);
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StoreRole { create, open };

class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;
  KeyValueStore() = default;
  KeyValueStore(const KeyValueStore&) = delete;
  KeyValueStore& operator=(const KeyValueStore&) = delete;

  /// Copies the value of `key` (value_size bytes) into `value`; false if absent.
  virtual bool find(std::uint64_t key, std::byte* value) = 0;
  /// Sets key -> value (value_size bytes), inserting or replacing.
  virtual void assign(std::uint64_t key, const std::byte* value) = 0;
  /// Removes `key`; false if it was absent.
  virtual bool erase(std::uint64_t key) = 0;
  /// Keys present.
  virtual std::uint64_t size() = 0;
  /// What the adapter set up (container, lock, connection), for the results.
  virtual nlohmann::json settings() const = 0;
};

struct StoreInfo {
  std::string_view name;         // "boost_unordered_map"
  std::string_view description;  // one line, for the plan and the README
  bool built;                    // false: its dependency was missing when zeroipc was configured
  std::string_view missing;      // then: what was missing, with the Debian package that provides it
  bool needs_redis;              // needs the RedisServer's address in the StoreSpec
  bool zeroipc;                  // zeroipc's own Map
};

/// Every store this build knows, built or not, in a fixed order.
const std::vector<StoreInfo>& stores();
/// The store called `name`; throws std::invalid_argument listing the valid names.
const StoreInfo& store_info(std::string_view name);
/// The value sizes every store is compiled for (bytes).
const std::vector<std::size_t>& store_value_sizes();

/// Creates or opens the store `spec` names. Throws StoreError when the store
/// was not built, or spec is invalid, or the store refuses.
std::unique_ptr<KeyValueStore> make_store(const StoreSpec& spec, StoreRole role);

/// Removes what a store named spec.name may have left behind when its creator
/// died before its destructor ran (segments, Redis keys). Never throws.
void remove_store_leftovers(const StoreSpec& spec) noexcept;

}  // namespace zeroipc::baselines
