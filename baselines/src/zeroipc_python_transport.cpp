// zeroipc/baselines/zeroipc_python_transport.cpp — the Python package
// (lib/python/zeroipc, ctypes over libzeroipc-c.so) as the server of a link, so
// the cost of Python is measured in the same run as the C++ and C
// implementations ("zeroipc_python_<variant>" beside "zeroipc_<variant>" and
// "zeroipc_c_<variant>", for the variants the C library runs).
//
// The link is zeroipc_c_<variant>'s (zeroipc_c_link.h: same segment scheme,
// queues "c2s"/"s2c" of Frame<S>, same capacity), in a segment
// "/<name>-zeroipc-py"; the client is zeroipc_c's ZeroipcCLink<S> unchanged, so
// the one difference from zeroipc_c_<variant> is the language of the server:
// zeroipc_python_peer.py (beside this file), run by the server side's listen()
// as `$ZEROIPC_PYTHON zeroipc_python_peer.py ...` (default /usr/bin/python3),
// a child of the harness's server worker that inherits its PU, pops every
// message from "c2s" with Queue.pop and, for request_reply, pushes it back to
// "s2c" with Queue.push (the echo of ping-pong; the sink of streaming
// otherwise), busy-polling (no sleep, no system call) like the C++ and C
// servers. The package and the library come from the build (CMake passes
// lib/python and $<TARGET_FILE:zeroipc_c_shared>; $ZEROIPC_C_LIBRARY, when
// set, wins).
//
// The harness's server worker still runs its loop (the checks of every
// message, the tallies, the barriers), on what Python received: Python writes
// each message it popped into the array "py_log" (a ring of `slots` frames)
// after its echo, and publishes how many it wrote in "py_ctl" every `batch`
// messages and whenever it has been idle for a while (the client waiting at a
// barrier), with one byte on a pipe to wake the worker; the worker sleeps in
// poll() on that pipe (it shares the PU with Python and must not spin), then
// hands the logged messages to the harness one receive() at a time. So the
// server worker's receive() returns late (in batches): the one-way latency of
// these cases is not measured (TransportInfo::server_in_worker is false), and
// its send() only confirms that Python echoed the message just received.
//
// Memory-ordering pairs ("py_ctl" words, zeroipc_atomic_*_u64 on both sides):
//   (1) Python's store of kPublished after writing log slots pairs with (2)
//       the worker's acquire load of it before reading slots below it;
//   (3) the worker's release store of kConsumed after copying slots out pairs
//       with (4) Python's load of it before overwriting those slots;
//   (5) Python's store of kReady after opening everything pairs with the
//       worker's acquire load; (6) the worker's release store of kStop pairs
//       with Python's load, after which it exits.
//
// Errors are TransportError: the interpreter cannot be run, the peer cannot
// import numpy or zeroipc (its own message says which interpreter and what
// was missing), or it exits at any point: every wait on it is bounded (polls
// of at most kPollMs, its exit checked after each), never a hang. A SIGKILLed
// server worker takes Python with it (PR_SET_PDEATHSIG).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "zeroipc/layout/array.h"
#include "zeroipc_c_link.h"

#ifndef ZEROIPC_PYTHON_DEFAULT
#define ZEROIPC_PYTHON_DEFAULT "/usr/bin/python3"
#endif

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-zeroipc-py"; }
// The peer's stdout and stderr (read back for an error), in the link's directory.
std::string output_of(const LinkSpec& spec) {
  return (spec.dir.empty() ? std::string("/tmp") : spec.dir) + "/" + spec.name + "-python-peer.log";
}

// "py_ctl": 32 words, the four used ones each on its own cache line.
constexpr std::uint64_t kCtlWords = 32;
constexpr std::uint64_t kPublished = 0, kConsumed = 8, kReady = 16, kStop = 24;
constexpr std::uint64_t kCpus = 17;  // the CPUs the peer may run on (a mask of the first 64), stored before kReady
constexpr int kPollMs = 20;              // longest sleep between two checks of the peer
constexpr double kReadySeconds = 60;     // interpreter start and imports, on a busy machine
constexpr double kExitSeconds = 5;       // after kStop, before SIGKILL

// The log: 4 MiB of frames, 64 to 16384 of them; published every quarter.
std::uint64_t log_slots(std::size_t frame) {
  return std::clamp<std::uint64_t>((std::uint64_t{4} << 20) / frame, 64, 16384);
}

struct ArrayClose {
  void operator()(zeroipc_array* a) const noexcept { zeroipc_array_close(a); }
};
using ArrayHandle = std::unique_ptr<zeroipc_array, ArrayClose>;

std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The last lines of the peer's output (its error), at most ~2 KiB.
std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 2048) text = "..." + text.substr(text.size() - 2048);
  return text.empty() ? "(no output)" : text;
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

template <std::size_t S>
class PythonServerLink final : public CSegmentLink {
 public:
  PythonServerLink(const LinkSpec& spec, const CVariant& variant)
      : CSegmentLink(spec, Side::server, variant, segment_of(spec), static_cast<std::uint32_t>(S),
                     zeroipc_array_total_size(log_slots(S), S) + zeroipc_array_total_size(kCtlWords, 8) + 8192),
        slots_(log_slots(S)),
        python_(env_or("ZEROIPC_PYTHON", ZEROIPC_PYTHON_DEFAULT)),
        library_(env_or("ZEROIPC_C_LIBRARY", ZEROIPC_PYTHON_C_LIBRARY)),
        output_(output_of(spec)) {}

  ~PythonServerLink() override {
    if (pid_ > 0) {
      zeroipc_atomic_store_u64(ctl_ + kStop, 1);  // (6)
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kExitSeconds);
      int status = 0;
      while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, &status, 0);
          break;
        }
        sleep_ms(1);
      }
    }
    if (wake_ >= 0) ::close(wake_);
    ::unlink(output_.c_str());
  }

  std::string listen() override {
    const std::string address = CSegmentLink::listen();
    zeroipc_array* a = nullptr;
    check(zeroipc_array_create(memory(), "py_log", slots_, static_cast<std::uint32_t>(S), ZEROIPC_DTYPE_OPAQUE, &a),
          "zeroipc_array_create");
    log_array_.reset(a);
    log_ = static_cast<std::byte*>(zeroipc_array_data(a));
    check(zeroipc_array_create(memory(), "py_ctl", kCtlWords, 8, ZEROIPC_DTYPE_U64, &a), "zeroipc_array_create");
    ctl_array_.reset(a);
    ctl_ = static_cast<std::uint64_t*>(zeroipc_array_data(a));
    spawn(address);
    wait_ready();
    return address;
  }

  void send(const std::byte* message) override {
    out();  // a one-way link has no s2c: the base says so
    if (!owed_echo_ || std::memcmp(message, last_.bytes, spec_.message_size) != 0) {
      throw TransportError(spec_.transport + ": the server is a Python echo: its side can send only the message it "
                                             "has just received, once");
    }
    owed_echo_ = false;
  }

  void receive(std::byte* message) override {
    if (owed_echo_) throw TransportError(spec_.transport + ": receive before the echo of the previous message");
    while (taken_ == published_) {
      published_ = zeroipc_atomic_load_u64(ctl_ + kPublished);  // (2)
      if (taken_ == published_) wait_for_peer("while the harness waited for a message");
    }
    if (published_ - taken_ > slots_) {
      throw TransportError(spec_.transport + ": the Python peer published " + std::to_string(published_) +
                           " messages, but only " + std::to_string(taken_) + " of its " + std::to_string(slots_) +
                           " log slots were taken");
    }
    std::memcpy(last_.bytes, log_ + (taken_ % slots_) * S, S);
    ++taken_;
    zeroipc_atomic_store_u64(ctl_ + kConsumed, taken_);  // (3)
    std::memcpy(message, last_.bytes, spec_.message_size);
    owed_echo_ = spec_.pattern == Pattern::request_reply;
  }

  nlohmann::json settings() const override {
    return {{"implementation", "Python (lib/python zeroipc over libzeroipc-c, ctypes)"},
            {"language", "Python"},
            {"interpreter", python_},
            {"library", library_},
            {"peer_pid", pid_},
            {"peer_cpus", peer_cpus_},
            {"variant", std::string(variant_.name)},
            {"frame_bytes", S},
            {"queue_capacity", capacity_},
            {"wait", "Python busy-polls Queue.pop / Queue.push, no sleep"},
            {"harness_log",
             {{"slots", slots_},
              {"batch", slots_ / 4},
              {"note", "the harness's server worker checks what Python popped from a log, in batches, sleeping in "
                       "poll() between them on the same PU: no one-way latency is measured"}}},
            {"segment", segment_}};
  }

 private:
  static void sleep_ms(long ms) {
    timespec t{ms / 1000, (ms % 1000) * 1000000};
    ::nanosleep(&t, nullptr);
  }

  std::string who() const { return spec_.transport + ": the Python peer (" + python_ + " " + ZEROIPC_PYTHON_PEER + ")"; }

  void spawn(const std::string& address) {
    int wake[2], exec_error[2];
    if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) throw_errno(spec_, "pipe2");
    wake_ = wake[0];
    if (::pipe2(exec_error, O_CLOEXEC) != 0) {
      ::close(wake[1]);
      throw_errno(spec_, "pipe2");
    }
    const int out = ::open(output_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
      ::close(wake[1]);
      ::close(exec_error[0]);
      ::close(exec_error[1]);
      throw_errno(spec_, "open " + output_);
    }
    // Everything the child needs, made before fork (only async-signal-safe calls after it).
    const std::string wake_fd = std::to_string(wake[1]);
    std::vector<std::string> args = {python_,
                                     "-u",
                                     ZEROIPC_PYTHON_PEER,
                                     "--segment", address,
                                     "--variant", std::string(variant_.name),
                                     "--frame-bytes", std::to_string(S),
                                     "--echo", spec_.pattern == Pattern::request_reply ? "1" : "0",
                                     "--slots", std::to_string(slots_),
                                     "--batch", std::to_string(slots_ / 4),
                                     "--wake-fd", wake_fd};
    std::vector<std::string> env_text;
    const char* old_path = std::getenv("PYTHONPATH");
    env_text.push_back(std::string("PYTHONPATH=") + ZEROIPC_PYTHON_PACKAGE_DIR +
                       (old_path && *old_path ? std::string(":") + old_path : std::string()));
    env_text.push_back("ZEROIPC_C_LIBRARY=" + library_);
#ifdef ZEROIPC_PYTHON_LD_PRELOAD  // a sanitizer build (baselines/CMakeLists.txt)
    env_text.push_back("LD_PRELOAD=" ZEROIPC_PYTHON_LD_PRELOAD);
    const char* asan = std::getenv("ASAN_OPTIONS");
    env_text.push_back(std::string("ASAN_OPTIONS=") + (asan && *asan ? std::string(asan) + ":" : "") + "detect_leaks=0");
    constexpr bool kOwnSanitizerEnv = true;
#else
    constexpr bool kOwnSanitizerEnv = false;
#endif
    for (char** e = environ; *e; ++e) {
      const std::string_view kv(*e);
      if (kv.starts_with("PYTHONPATH=") || kv.starts_with("ZEROIPC_C_LIBRARY=")) continue;
      if (kOwnSanitizerEnv && (kv.starts_with("LD_PRELOAD=") || kv.starts_with("ASAN_OPTIONS="))) continue;
      env_text.emplace_back(kv);
    }
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);

    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(out);
      ::close(wake[1]);
      ::close(exec_error[0]);
      ::close(exec_error[1]);
      errno = e;
      throw_errno(spec_, "fork");
    }
    if (pid == 0) {
      // The child: the worker's PU (inherited affinity); stdout and stderr to
      // the output file (the worker's stdout is its report); the wake pipe's
      // write end kept open across exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);  // the worker died before prctl
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::fcntl(wake[1], F_SETFD, 0);
      ::fcntl(wake[1], F_SETFL, O_NONBLOCK);
      ::execve(argv[0], argv.data(), envp.data());
      const int e = errno;
      [[maybe_unused]] auto n = ::write(exec_error[1], &e, sizeof e);
      ::_exit(127);
    }
    pid_ = pid;
    ::close(out);
    ::close(wake[1]);
    ::close(exec_error[1]);
    int e = 0;
    ssize_t n;
    while ((n = ::read(exec_error[0], &e, sizeof e)) < 0 && errno == EINTR) {
    }
    ::close(exec_error[0]);
    if (n == static_cast<ssize_t>(sizeof e)) {
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
      throw TransportError(spec_.transport + ": cannot run the Python interpreter " + python_ + ": " +
                           std::strerror(e) + " (set ZEROIPC_PYTHON to another)");
    }
  }

  void wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(kReadySeconds);
    while (zeroipc_atomic_load_u64(ctl_ + kReady) == 0) {  // (5)
      check_alive("before it was ready");
      if (std::chrono::steady_clock::now() > deadline) {
        throw TransportError(who() + " was not ready after " + std::to_string(static_cast<int>(kReadySeconds)) +
                             " s; its output: " + tail_of(output_));
      }
      sleep_ms(1);
    }
    const std::uint64_t mask = zeroipc_atomic_load_u64(ctl_ + kCpus);
    for (int c = 0; c < 64; ++c) {
      if (mask >> c & 1) peer_cpus_.push_back(c);
    }
  }

  // Sleeps until the peer writes to the wake pipe (or kPollMs pass), then
  // checks that it still runs.
  void wait_for_peer(const char* when) {
    pollfd p{wake_, POLLIN, 0};
    if (::poll(&p, 1, kPollMs) > 0) {
      char drain[4096];
      while (::read(wake_, drain, sizeof drain) > 0) {
      }
    }
    check_alive(when);
  }

  void check_alive(const char* when) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return;
    pid_ = -1;
    throw TransportError(who() + " " + (r < 0 ? std::string("vanished") : exit_text(status)) + " " + when +
                         "; its output: " + tail_of(output_));
  }

  std::uint64_t slots_;
  std::string python_, library_, output_;
  pid_t pid_ = -1;
  int wake_ = -1;
  ArrayHandle log_array_, ctl_array_;
  std::byte* log_ = nullptr;
  std::uint64_t* ctl_ = nullptr;
  std::uint64_t taken_ = 0, published_ = 0;
  bool owed_echo_ = false;
  std::vector<int> peer_cpus_;
  Frame<S> last_{};
};

}  // namespace

std::unique_ptr<Transport> make_zeroipc_python(const LinkSpec& spec, Side side, const std::string& variant) {
  const CVariant& v = c_variant(spec, variant);
  return with_frame_size(spec, [&]<std::size_t S>() -> std::unique_ptr<Transport> {
    if (side == Side::client) return std::make_unique<ZeroipcCLink<S>>(spec, side, v, segment_of(spec));
    return std::make_unique<PythonServerLink<S>>(spec, v);
  });
}

void remove_zeroipc_python_leftovers(const LinkSpec& spec) noexcept {
  zeroipc_memory_unlink(segment_of(spec).c_str());
  ::unlink(output_of(spec).c_str());
}

}  // namespace zeroipc::baselines::adapters
