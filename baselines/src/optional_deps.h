// Which optional dependencies this build of the baselines has, and what to
// say when one is missing (with the Debian package that provides it): shared
// by the transports' registry (registry.cpp) and the stores' (kv_registry.cpp).
// Internal to the baselines library.
#pragma once

#include <string_view>

namespace zeroipc::baselines::deps {

#if ZEROIPC_BASELINES_BOOST
inline constexpr bool kBoost = true;
#else
inline constexpr bool kBoost = false;
#endif
#if ZEROIPC_BASELINES_ZMQ
inline constexpr bool kZmq = true;
#else
inline constexpr bool kZmq = false;
#endif
#if ZEROIPC_BASELINES_REDIS
inline constexpr bool kRedis = true;
#else
inline constexpr bool kRedis = false;
#endif

inline constexpr std::string_view kNoBoost =
    "Boost.Interprocess was not found when zeroipc was configured (libboost-dev)";
inline constexpr std::string_view kNoZmq =
    "ZeroMQ was not found when zeroipc was configured (libzmq3-dev and cppzmq-dev)";
inline constexpr std::string_view kNoRedis =
    "Redis was not found when zeroipc was configured (libhiredis-dev and redis-server)";

}  // namespace zeroipc::baselines::deps
