// zeroipc/variants/detail/role.h — a role (producer, consumer) that one
// process at a time may hold, recorded in shared memory by its owner key
// (liveness.h).
//
//   +0 u32 key (atomic; 0 = nobody)   +4 u32 pid (for messages)   +8 u64 reserved (0)
//
// Claiming: CAS 0 -> key; a role whose holder is dead is taken over with
// CAS dead_key -> key. The role belongs to the process, not to a handle:
// every handle of that process shares it. A forked child has a new key, so
// it does not inherit its parent's role: it must claim it, and is refused
// while the parent lives.
#pragma once

#include <atomic>
#include <cstdint>
#include <unistd.h>

#include "zeroipc/layout/structure.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc::variants::detail {

enum class Role { kProducer, kConsumer };

struct RoleClaim {
  bool ok;
  pid_t holder;  // when !ok: the pid of the live process holding the role (0 if not recorded)
  std::uint32_t key;  // when ok: the key the role is held under (this process's)
};

inline RoleClaim claim_role(zeroipc_role& role) noexcept {
  std::atomic_ref<std::uint32_t> key(role.key);
  std::atomic_ref<std::uint32_t> pid(role.pid);
  const std::uint32_t me = zeroipc::detail::self_key();
  for (;;) {
    std::uint32_t seen = key.load(std::memory_order_acquire);
    if (seen == me) return {true, 0, me};
    if (seen != 0 && zeroipc::detail::owner_alive(&role, seen)) {
      return {false, static_cast<pid_t>(pid.load(std::memory_order_relaxed)), 0};
    }
    if (key.compare_exchange_strong(seen, me, std::memory_order_acq_rel)) {
      pid.store(static_cast<std::uint32_t>(zeroipc::detail::current_pid()), std::memory_order_relaxed);
      return {true, 0, me};
    }
  }
}

inline void release_role(zeroipc_role& role) noexcept {
  std::atomic_ref<std::uint32_t> key(role.key);
  std::uint32_t me = zeroipc::detail::self_key();
  if (key.load(std::memory_order_relaxed) == me) {
    std::atomic_ref<std::uint32_t>(role.pid).store(0, std::memory_order_relaxed);
    key.compare_exchange_strong(me, 0, std::memory_order_release);
  }
}

}  // namespace zeroipc::variants::detail
