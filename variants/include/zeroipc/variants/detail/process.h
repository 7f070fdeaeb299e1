// zeroipc/variants/detail/process.h — this process's pid (cached) and start
// time, for the informational fields of owner records (messages, tools).
//
// Neither judges whether an owner lives: pids are reused and mean nothing in
// another pid namespace, and /proc shows a live process whose main thread
// called pthread_exit as a zombie. Liveness is the kernel's answer to a file
// lock: see liveness.h.
#pragma once

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <pthread.h>
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

/// This process's pid, without a system call. getpid() is a real system call
/// in glibc (about 1 us on this VM's kernel, measured in the locked_ring
/// benchmark), and the owner lock records it on every acquisition. The cache is
/// reset in the child of every fork() (pthread_atfork); a process made by a
/// raw clone() without fork() would keep its parent's pid here.
inline pid_t current_pid() noexcept {
  static std::atomic<pid_t> cached{0};
  static const bool registered = [] {
    ::pthread_atfork(nullptr, nullptr, [] { cached.store(0, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  pid_t pid = cached.load(std::memory_order_relaxed);
  if (pid == 0) {
    pid = ::getpid();
    cached.store(pid, std::memory_order_relaxed);
  }
  return pid;
}

/// This process's start time (cached; a forked child computes its own).
inline std::uint64_t self_start_time() noexcept {
  static std::atomic<pid_t> cached_pid{0};
  static std::atomic<std::uint64_t> cached{0};
  const pid_t me = current_pid();
  if (cached_pid.load(std::memory_order_acquire) != me) {
    cached.store(process_start_time(me), std::memory_order_relaxed);
    cached_pid.store(me, std::memory_order_release);
  }
  return cached.load(std::memory_order_relaxed);
}

}  // namespace zeroipc::detail
