// zeroipc/baselines/redis_server.cpp — a redis-server of our own (see redis_server.h).
//
// Start:  mkdtemp /tmp/zeroipc-redis-<pid>-XXXXXX; pick a free loopback port; fork;
//         child: PR_SET_PDEATHSIG(SIGKILL), pin, stdout+stderr -> pipe, exec
//         redis-server; parent: read the pipe (poll with the deadline) up to
//         "Ready to accept connections", then close its end. A port taken
//         between our probe and the server's bind: retried with another port.
// Stop:   only in the process that started it (the server's parent): SIGTERM,
//         wait up to 5 s on a pidfd, SIGKILL if need be, reap, remove the dir.
//
// PR_SET_PDEATHSIG fires when the *thread* that forked the server exits (not
// the process): construct the server on a thread that lives as long as it.
#include "zeroipc/baselines/redis_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace zeroipc::baselines {

namespace {

constexpr std::string_view kReady = "Ready to accept connections";
constexpr int kStartAttempts = 4;  // the first port, then up to 3 others if one was taken meanwhile
constexpr int kStopTimeoutMs = 5000;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

/// A loopback TCP port nobody listens on now (the kernel's choice for port 0).
/// Another process may take it before the server binds it; start() retries then.
int free_port() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.get() < 0) throw std::runtime_error(errno_text("redis-server: socket for a free port"));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    throw std::runtime_error(errno_text("redis-server: finding a free loopback port"));
  }
  return ntohs(a.sin_port);
}

// Async-signal-safe: the child between fork and exec may only use these.
void child_write(const char* s) noexcept {
  const ssize_t n = ::write(STDOUT_FILENO, s, std::strlen(s));
  (void)n;
}
[[noreturn]] void child_fail(const char* what, const char* detail, int err) noexcept {
  child_write("zeroipc: ");
  child_write(what);
  child_write(detail);
  child_write(": ");
  const char* text = ::strerrordesc_np(err);  // a static string: no locale, no allocation
  child_write(text != nullptr ? text : "unknown error");
  child_write("\n");
  ::_exit(127);
}

int pidfd_open(pid_t pid) noexcept { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

/// Reaps `pid` (our child), retrying on EINTR.
void reap(pid_t pid) noexcept {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

/// Whether `pid` is a child of this process (started by it, not yet reaped);
/// a process that merely inherited the RedisServer through fork() gets ECHILD.
bool is_our_child(pid_t pid) noexcept {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + ::strsignal(WTERMSIG(status));
  return "stopped";
}

struct Attempt {
  pid_t pid = -1;
  bool ready = false;
  bool port_taken = false;
  std::string output;  // what the server wrote, or why it did not start
};

/// One try: fork + exec the server on `port`, read its log up to the ready
/// line or the deadline. On failure the child is killed and reaped.
Attempt start_once(const std::string& executable, const std::string& dir, const std::string& socket, int port,
                   int pu, std::chrono::steady_clock::time_point deadline) {
  const std::string port_text = std::to_string(port);
  std::vector<std::string> args = {
      executable,
      "--port", port_text,                  // a port we found free: never a system server's 6379
      "--bind", "127.0.0.1",                // loopback only: nothing outside this machine can reach it
      "--unixsocket", socket,               // for redis_unix: no TCP stack; in our private directory
      "--unixsocketperm", "700",            // only our user may use the socket
      "--save", "",                         // no RDB snapshots: persistence would add disk writes to the timings
      "--appendonly", "no",                 // no AOF, for the same reason
      "--daemonize", "no",                  // stay our child, so PDEATHSIG, SIGTERM and waitpid reach it
      "--protected-mode", "yes",            // refuse non-loopback clients even if the bind were changed
      "--databases", "1",                   // the links use one database; no memory for 15 unused ones
      "--dir", dir,                         // any file it might write goes to our private directory
      "--loglevel", "notice",               // the level that prints the version and the ready line
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (pu >= 0) {
    if (pu >= CPU_SETSIZE) throw std::runtime_error("redis-server: PU " + std::to_string(pu) + " is out of range");
    CPU_SET(static_cast<std::size_t>(pu), &cpus);
  }

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("redis-server: pipe"));
  Fd read_end(out[0]), write_end(out[1]);
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (null_in.get() < 0) throw std::runtime_error(errno_text("redis-server: open /dev/null"));

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("redis-server: fork"));
  if (pid == 0) {
    // The kernel kills the server when the thread that started it dies, so a
    // crashed benchmark never leaves a server behind.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail("prctl(PR_SET_PDEATHSIG)", "", errno);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl: nobody to serve
    if (::dup2(write_end.get(), STDOUT_FILENO) < 0 || ::dup2(write_end.get(), STDERR_FILENO) < 0 ||
        ::dup2(null_in.get(), STDIN_FILENO) < 0) {
      child_fail("dup2", "", errno);
    }
    // No descriptor of ours (sockets, other pipes) may stay open in the server.
    ::close_range(3, ~0U, 0);
    if (pu >= 0 && ::sched_setaffinity(0, sizeof cpus, &cpus) != 0) child_fail("sched_setaffinity", "", errno);
    ::execv(argv[0], argv.data());
    child_fail("exec ", argv[0], errno);
  }
  write_end.reset();  // our copy: the pipe reports EOF when the server exits

  Attempt r;
  r.pid = pid;
  char buf[4096];
  while (!r.ready) {
    using std::chrono::milliseconds;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.output += "\n(no '" + std::string(kReady) + "' before the start timeout)";
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      r.output += "\n(" + errno_text("poll") + ")";
      break;
    }
    if (n == 0) continue;  // the deadline check above ends the loop
    const ssize_t got = ::read(read_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {  // EOF: the server exited
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.pid = -1;
      if (got < 0) r.output += "\n(" + errno_text("read") + ")";
      r.output += "\n(redis-server " + exit_text(status) + " before it was ready)";
      r.port_taken = r.output.find("Address already in use") != std::string::npos;
      return r;
    }
    r.output.append(buf, static_cast<std::size_t>(got));
    r.ready = r.output.find(kReady) != std::string::npos;
  }
  if (!r.ready) {
    ::kill(pid, SIGKILL);
    reap(pid);
    r.pid = -1;
  }
  // Ready: our read end closes here. The server ignores SIGPIPE, so its later
  // log lines fail quietly instead of filling a pipe nobody reads.
  return r;
}

}  // namespace

RedisServer::RedisServer(const Options& options) : pu_(options.pu) {
  const std::string executable = options.executable.empty() ? redis_server_path() : options.executable;
  if (executable.empty()) {
    throw std::runtime_error("redis-server: none was found when zeroipc was configured (redis-server)");
  }
  // Named after this process, so that if it is SIGKILLed (the server then dies
  // by PR_SET_PDEATHSIG, but nobody removes the directory) a later harness can
  // tell the directory is stale (zeroipc::harness::remove_stale_segments).
  std::string tmpl = "/tmp/zeroipc-redis-" + std::to_string(::getpid()) + "-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    throw std::runtime_error(errno_text("redis-server: mkdtemp " + tmpl));
  }
  dir_ = tmpl;
  socket_ = dir_ + "/redis.sock";
  const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
  std::string log;
  try {
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
      const int port = free_port();
      Attempt a = start_once(executable, dir_, socket_, port, options.pu, deadline);
      log += a.output;
      if (a.ready) {
        pid_ = a.pid;
        port_ = port;
        break;
      }
      if (!a.port_taken) break;
      log += "\n(port " + std::to_string(port) + " was taken: trying another)\n";
    }
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
  if (pid_ < 0) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error("redis-server " + executable + " did not start:\n" + log);
  }
  // "Redis version=7.0.15, bits=64, ..." in the startup log.
  if (const auto at = log.find("Redis version="); at != std::string::npos) {
    const auto from = at + std::string_view("Redis version=").size();
    version_ = log.substr(from, log.find_first_of(", \n", from) - from);
  }
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::stop() noexcept {
  if (pid_ <= 0) return;
  // A process that inherited this object through fork() is not the server's
  // parent: the server and its directory belong to the one that started it.
  if (!is_our_child(pid_)) return;
  const int pidfd = pidfd_open(pid_);  // before the signal: the pid cannot be reused while unreaped anyway
  ::kill(pid_, SIGTERM);               // a clean shutdown: it removes its socket (and saves nothing: no persistence)
  bool exited = false;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int n;
    while ((n = ::poll(&p, 1, kStopTimeoutMs)) < 0 && errno == EINTR) {
    }
    exited = n > 0;
    ::close(pidfd);
  }
  if (!exited) ::kill(pid_, SIGKILL);  // hung, or no pidfd_open (kernel < 5.3): do not wait on it
  reap(pid_);
  pid_ = -1;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace zeroipc::baselines
