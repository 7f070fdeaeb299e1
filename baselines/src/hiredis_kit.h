// hiredis's reply and context as owning pointers: shared by the Redis
// transport (redis_transport.cpp) and the Redis store (redis_map_store.cpp).
// Internal to the baselines library; included only where hiredis was found.
#pragma once

#include <hiredis/hiredis.h>

#include <memory>

namespace zeroipc::baselines::hiredis {

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;

}  // namespace zeroipc::baselines::hiredis
