// zeroipc/baselines/redis_map_store.cpp — what a Redis user writes for a map
// shared between processes: one string key per entry, GET / SET / DEL through
// hiredis, one blocking connection per process over the server's Unix socket
// (the harness's own redis-server, baselines::RedisServer).
//
//   key "<name>:<decimal key>"  ->  the value's bytes (a binary-safe string)
//
// Every call is one command and waits for its reply: a round trip to the
// server (no pipelining: the interface hands over one operation at a time,
// and the operations of a mix depend on nothing but themselves, as a
// program's lookups would). size() counts the keys of this store with SCAN
// MATCH "<name>:*" (O(keys): it is called once, to verify a run). The creator
// deletes the store's keys when it is destroyed, and remove_store_leftovers
// does the same for a creator that died.
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <functional>
#include <vector>

#include "hiredis_kit.h"
#include "store_kit.h"

namespace zeroipc::baselines::store_adapters {

namespace {

using hiredis::Context;
using hiredis::Reply;

Context connect_to(const StoreSpec& spec, timeval timeout, std::string& error) {
  Context c(redisConnectUnixWithTimeout(spec.redis_unix_socket.c_str(), timeout));
  if (!c) {
    error = "cannot allocate a hiredis context";
  } else if (c->err != 0) {
    error = c->errstr;
    c.reset();
  }
  return c;
}

/// Calls each(batch reply) for every SCAN batch of the keys "<name>:*"; false on an error.
bool scan_keys(redisContext* c, const std::string& name, const std::function<void(const redisReply&)>& each) {
  const std::string pattern = name + ":*";
  std::string cursor = "0";
  do {
    Reply r(static_cast<redisReply*>(
        redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern.c_str())));
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_ARRAY) {
      return false;
    }
    cursor.assign(r->element[0]->str, r->element[0]->len);
    each(*r->element[1]);
  } while (cursor != "0");
  return true;
}

/// Deletes the keys "<name>:*", batch by batch.
void delete_keys(redisContext* c, const std::string& name) {
  scan_keys(c, name, [&](const redisReply& keys) {
    if (keys.elements == 0) return;
    std::vector<const char*> argv{"UNLINK"};
    std::vector<std::size_t> lens{6};
    for (std::size_t i = 0; i < keys.elements; ++i) {
      argv.push_back(keys.element[i]->str);
      lens.push_back(keys.element[i]->len);
    }
    Reply r(static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  });
}

class RedisMapStore final : public KeyValueStore {
 public:
  RedisMapStore(const StoreSpec& spec, StoreRole role) : spec_(spec), creator_(role == StoreRole::create) {
    if (spec.redis_unix_socket.empty()) {
      throw StoreError(spec.store + ": the store spec names no Redis server (redis_unix_socket is not set)");
    }
    std::string error;
    ctx_ = connect_to(spec, timeval{10, 0}, error);
    if (!ctx_) throw StoreError(spec.store + ": connect to redis unix:" + spec.redis_unix_socket + ": " + error);
    if (redisSetTimeout(ctx_.get(), timeval{0, 0}) != REDIS_OK) {
      throw StoreError(spec.store + ": clearing the socket timeout: " + ctx_->errstr);
    }
    if (creator_) delete_keys(ctx_.get(), spec.name);  // stale keys of a dead run with the same name
  }
  ~RedisMapStore() override {
    if (creator_ && ctx_) delete_keys(ctx_.get(), spec_.name);
  }

  bool find(std::uint64_t key, std::byte* value) override {
    const Key k(spec_.name, key);
    Reply r = command("GET", redisCommand(ctx_.get(), "GET %b", k.text, k.length));
    if (r->type == REDIS_REPLY_NIL) return false;
    if (r->type != REDIS_REPLY_STRING || r->len != spec_.value_size) {
      throw StoreError(spec_.store + ": GET: a reply of type " + std::to_string(r->type) + " and " +
                       std::to_string(r->len) + " bytes, expected a string of " + std::to_string(spec_.value_size));
    }
    std::memcpy(value, r->str, spec_.value_size);
    return true;
  }
  void assign(std::uint64_t key, const std::byte* value) override {
    const Key k(spec_.name, key);
    Reply r = command("SET", redisCommand(ctx_.get(), "SET %b %b", k.text, k.length, value, spec_.value_size));
    if (r->type != REDIS_REPLY_STATUS) throw StoreError(spec_.store + ": SET: unexpected reply type " +
                                                        std::to_string(r->type));
  }
  bool erase(std::uint64_t key) override {
    const Key k(spec_.name, key);
    Reply r = command("DEL", redisCommand(ctx_.get(), "DEL %b", k.text, k.length));
    return r->type == REDIS_REPLY_INTEGER && r->integer == 1;
  }
  std::uint64_t size() override {
    std::uint64_t n = 0;
    if (!scan_keys(ctx_.get(), spec_.name, [&](const redisReply& keys) { n += keys.elements; })) {
      throw StoreError(spec_.store + ": SCAN failed: " + std::string(ctx_->errstr));
    }
    return n;
  }
  nlohmann::json settings() const override {
    return {{"commands", "GET / SET / DEL, one blocking hiredis connection per process, no pipelining"},
            {"server", "redis unix:" + spec_.redis_unix_socket},
            {"keys", spec_.name + ":<key>"}};
  }

 private:
  struct Key {
    char text[96];
    std::size_t length;
    Key(const std::string& name, std::uint64_t key) {
      const int n = std::snprintf(text, sizeof text, "%s:%llu", name.c_str(), static_cast<unsigned long long>(key));
      length = n < 0 ? 0 : std::min<std::size_t>(static_cast<std::size_t>(n), sizeof text - 1);
    }
  };

  /// The reply of a command just sent; a connection error or an error reply is a StoreError.
  Reply command(const char* what, void* raw) const {
    Reply r(static_cast<redisReply*>(raw));
    if (!r) throw StoreError(spec_.store + ": " + what + ": " + ctx_->errstr);
    if (r->type == REDIS_REPLY_ERROR) throw StoreError(spec_.store + ": " + what + ": " + r->str);
    return r;
  }

  StoreSpec spec_;
  bool creator_;
  Context ctx_;
};

}  // namespace

std::unique_ptr<KeyValueStore> make_redis_map(const StoreSpec& spec, StoreRole role) {
  return std::make_unique<RedisMapStore>(spec, role);
}

void remove_redis_map_leftovers(const StoreSpec& spec) noexcept {
  try {
    struct stat st;
    if (spec.redis_unix_socket.empty() || ::stat(spec.redis_unix_socket.c_str(), &st) != 0) return;  // no server
    std::string error;
    Context c = connect_to(spec, timeval{0, 200000}, error);  // a dead server must not hold us
    if (!c) return;
    redisSetTimeout(c.get(), timeval{1, 0});  // nor a hung one
    delete_keys(c.get(), spec.name);
  } catch (...) {
  }
}

}  // namespace zeroipc::baselines::store_adapters
