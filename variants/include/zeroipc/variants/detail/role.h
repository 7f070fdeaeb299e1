// zeroipc/variants/detail/role.h — a role (producer, consumer) that one
// process at a time may hold, recorded as (pid, start time) in shared memory.
//
//   +0 u32 pid (0 = nobody)   +4 u32 reserved   +8 u64 start time of that pid
//
// Claiming: CAS 0 -> pid; a role held by a dead process (gone, zombie, or a
// reused pid) is taken over with CAS dead_pid -> pid. Several handles in one
// process share the role (the pid is the same).
#pragma once

#include <atomic>
#include <cstdint>
#include <unistd.h>

#include "zeroipc/variants/detail/process.h"

namespace zeroipc::variants::detail {

enum class Role { kProducer, kConsumer };

struct RoleClaim {
  bool ok;
  pid_t holder;  // when !ok: the live process holding the role
};

inline RoleClaim claim_role(std::byte* role) noexcept {
  std::atomic_ref<std::uint32_t> pid(*reinterpret_cast<std::uint32_t*>(role));
  std::atomic_ref<std::uint64_t> start(*reinterpret_cast<std::uint64_t*>(role + 8));
  const auto me = static_cast<std::uint32_t>(zeroipc::detail::current_pid());
  for (;;) {
    std::uint32_t seen = pid.load(std::memory_order_acquire);
    if (seen == me) return {true, 0};
    if (seen != 0 && zeroipc::detail::process_alive(static_cast<pid_t>(seen),
                                                    start.load(std::memory_order_relaxed))) {
      return {false, static_cast<pid_t>(seen)};
    }
    if (pid.compare_exchange_strong(seen, me, std::memory_order_acq_rel)) {
      start.store(zeroipc::detail::self_start_time(), std::memory_order_relaxed);
      return {true, 0};
    }
  }
}

inline void release_role(std::byte* role) noexcept {
  std::atomic_ref<std::uint32_t> pid(*reinterpret_cast<std::uint32_t*>(role));
  auto me = static_cast<std::uint32_t>(zeroipc::detail::current_pid());
  if (pid.load(std::memory_order_relaxed) == me) {
    std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(role + 8))
        .store(0, std::memory_order_relaxed);
    pid.compare_exchange_strong(me, 0, std::memory_order_release);
  }
}

}  // namespace zeroipc::variants::detail
