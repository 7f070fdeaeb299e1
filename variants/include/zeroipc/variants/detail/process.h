// zeroipc/variants/detail/process.h — is a process alive, and which process is it.
//
// A pid alone is not an identity: pids are reused, and a killed child stays a
// zombie (kill(pid, 0) succeeds) until its parent reaps it. We identify a
// process by (pid, start time), the start time being field 22 of
// /proc/<pid>/stat (clock ticks since boot), and treat zombies as dead.
#pragma once

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

namespace zeroipc::detail {

namespace process_detail {

struct ProcStat {
  char state = 0;
  std::uint64_t start_time = 0;
};

// Reads the state (field 3) and start time (field 22) of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may contain spaces or
// parentheses itself, so parsing starts after the *last* ')'.
inline bool read_proc_stat(pid_t pid, ProcStat& out) noexcept {
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[1024];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return false;
  buf[n] = '\0';
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr || p[1] != ' ') return false;
  p += 2;
  out.state = *p;
  // Fields after ')' start at field 3 (state); field 22 is 19 spaces further.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return false;
    ++p;
  }
  char* end = nullptr;
  out.start_time = std::strtoull(p, &end, 10);
  return end != p;
}

}  // namespace process_detail

inline std::uint64_t process_start_time(pid_t pid) noexcept {
  process_detail::ProcStat st;
  return process_detail::read_proc_stat(pid, st) ? st.start_time : 0;
}

inline std::uint64_t self_start_time() noexcept {
  // Not cached across fork(): a child must report its own start time.
  static thread_local pid_t cached_pid = 0;
  static thread_local std::uint64_t cached = 0;
  pid_t me = ::getpid();
  if (cached_pid != me) {
    cached = process_start_time(me);
    cached_pid = me;
  }
  return cached;
}

inline bool process_alive(pid_t pid, std::uint64_t start_time = 0) noexcept {
  if (pid <= 0) return false;
  process_detail::ProcStat st;
  if (!process_detail::read_proc_stat(pid, st)) {
    // No /proc entry: gone (ESRCH). If /proc is unreadable for another reason,
    // fall back to kill(pid, 0), which cannot see zombies but is never wrong
    // about a process that exists.
    if (::kill(pid, 0) == 0) return true;
    return errno == EPERM;
  }
  if (st.state == 'Z' || st.state == 'X') return false;
  return start_time == 0 || st.start_time == start_time;
}

}  // namespace zeroipc::detail
