// zeroipc/detail/process.h — is a process alive, and which process is it.
//
// A pid alone is not an identity: pids are reused, and a killed child stays a
// zombie (kill(pid, 0) succeeds) until its parent reaps it. We identify a
// process by (pid, start time), the start time being field 22 of
// /proc/<pid>/stat (clock ticks since boot), and treat zombies as dead.
#pragma once

#include <cstdint>
#include <sys/types.h>

namespace zeroipc::detail {

/// Start time of `pid` (field 22 of /proc/<pid>/stat), or 0 if it is gone.
std::uint64_t process_start_time(pid_t pid) noexcept;

/// This process's start time, read once and cached.
std::uint64_t self_start_time() noexcept;

/// True when `pid` exists, is not a zombie, and (if `start_time` is not 0)
/// started at `start_time`.
bool process_alive(pid_t pid, std::uint64_t start_time = 0) noexcept;

}  // namespace zeroipc::detail
