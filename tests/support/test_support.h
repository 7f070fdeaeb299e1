// Helpers shared by the zeroipc tests: unique segment names that are removed
// at the end of a test, child processes that report back an exit code, and
// the message of the zeroipc::Error a call throws.
#pragma once

#include <fcntl.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdint>

#include <zeroipc/error.h>
#include <zeroipc/memory.h>
#include <zeroipc/variants/detail/liveness.h>

namespace zeroipc::test {

/// A segment name unique to this process and call, unlinked on destruction.
class ScopedName {
 public:
  explicit ScopedName(const std::string& tag = "t") {
    static std::atomic<int> counter{0};
    name_ = "/zeroipc_test_" + tag + "_" + std::to_string(::getpid()) + "_" +
            std::to_string(counter.fetch_add(1));
    zeroipc::Memory::unlink(name_);
  }
  ~ScopedName() {
    try {
      zeroipc::Memory::unlink(name_);
    } catch (...) {
    }
  }
  ScopedName(const ScopedName&) = delete;
  ScopedName& operator=(const ScopedName&) = delete;
  [[nodiscard]] const std::string& str() const noexcept { return name_; }
  [[nodiscard]] const char* c_str() const noexcept { return name_.c_str(); }
  operator std::string_view() const noexcept { return name_; }  // NOLINT: convenience

 private:
  std::string name_;
};

/// Runs `body` in a forked child and returns its pid. The child exits with
/// body's return value, or 99 after printing an escaped exception.
inline pid_t spawn(const std::function<int()>& body) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fork");
    std::abort();
  }
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child %d: uncaught exception: %s\n", static_cast<int>(::getpid()),
                   e.what());
    } catch (...) {
      std::fprintf(stderr, "child %d: uncaught non-std exception\n", static_cast<int>(::getpid()));
    }
    std::fflush(nullptr);
    ::_exit(code);  // no atexit handlers, no gtest teardown in the child
  }
  return pid;
}

/// One byte per event through a pipe: forked children tell the parent "I got
/// this far", or the parent lets children go. receive() gives up after
/// `timeout`, so a broken test fails instead of hanging.
class Signal {
 public:
  Signal() {
    if (::pipe(fds_) != 0) std::abort();
  }
  ~Signal() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  Signal(const Signal&) = delete;
  Signal& operator=(const Signal&) = delete;
  void send(int n = 1) const {
    for (int i = 0; i < n; ++i) {
      const char c = 1;
      if (::write(fds_[1], &c, 1) != 1) std::abort();
    }
  }
  [[nodiscard]] bool receive(std::chrono::milliseconds timeout = std::chrono::seconds(5)) const {
    pollfd p{fds_[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return false;
    char c = 0;
    return ::read(fds_[0], &c, 1) == 1;
  }

 private:
  int fds_[2] = {-1, -1};
};

/// Waits for `pid`: its exit code, or 128 + signal number if it was killed.
inline int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

/// A forked child that stays alive until killed: it has every segment this
/// process had mapped when it was made (fork gives it its own owner key and
/// liveness locks in them), so its key is a live owner there. For forging
/// owner records: "held by a live process" / "by a dead one" (kill()).
class LiveOwner {
 public:
  LiveOwner() {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) std::abort();
    if (pid_ == 0) {
      ::close(fds[0]);
      const std::uint32_t key = zeroipc::detail::self_key();
      if (::write(fds[1], &key, sizeof key) != static_cast<ssize_t>(sizeof key)) ::_exit(98);
      for (;;) ::pause();
    }
    ::close(fds[1]);
    if (::read(fds[0], &key_, sizeof key_) != static_cast<ssize_t>(sizeof key_)) std::abort();
    ::close(fds[0]);
  }
  ~LiveOwner() { kill(); }
  LiveOwner(const LiveOwner&) = delete;
  LiveOwner& operator=(const LiveOwner&) = delete;

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] std::uint32_t key() const noexcept { return key_; }
  /// SIGKILLs and reaps it: from now on its key is a dead owner's.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
    }
    pid_ = -pid_;
  }

 private:
  pid_t pid_ = 0;
  std::uint32_t key_ = 0;
};

/// The key of a process that has exited: a dead owner's key.
inline std::uint32_t dead_owner_key() {
  LiveOwner owner;
  owner.kill();
  return owner.key();
}

/// SPECIFICATION.md §4.1 from the document, not from the library: is some
/// open file description holding a lock on byte 2^62 + key of segment
/// `name`'s file? (Asked through a description of its own, which every such
/// lock conflicts with.) nullopt if the question could not be asked.
inline std::optional<bool> liveness_lock_held(const std::string& name, std::uint32_t key) {
  const int fd = ::open(("/dev/shm" + name).c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  flock probe{};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  probe.l_start = (off_t{1} << 62) + static_cast<off_t>(key & 0x7fffffffu);
  probe.l_len = 1;
  const int rc = ::fcntl(fd, F_OFD_GETLK, &probe);
  ::close(fd);
  if (rc != 0) return std::nullopt;
  return probe.l_type != F_UNLCK;
}

/// The message of the zeroipc::Error that fn throws, or "<no exception>".
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const zeroipc::Error& e) {
    return e.what();
  }
  return "<no exception>";
}

inline bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace zeroipc::test
