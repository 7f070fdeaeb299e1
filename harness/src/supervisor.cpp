// zeroipc/harness/supervisor.cpp — fork/exec, poll, reap.
#include "zeroipc/harness/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

namespace zeroipc::harness {

namespace {

constexpr const char* kSegmentPrefix = "zeroipc-harness-";
constexpr const char* kRedisDirPrefix = "zeroipc-redis-";

struct Child {
  int worker = 0;
  pid_t pid = -1;
  int fd = -1;
  std::string out;
  bool eof = false;
  bool reaped = false;
  int status = 0;
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "was killed by signal " + std::to_string(sig) + " (" + (name ? std::string("SIG") + name : "?") + ", " +
           strsignal(sig) + ")";
  }
  return "stopped with wait status " + std::to_string(status);
}

std::string who(const RunParams& p, const Child& c) {
  return "worker " + p.role(c.worker) + "#" + std::to_string(p.role_index(c.worker)) + " (pid " +
         std::to_string(c.pid) + ", PU " + std::to_string(p.pus.at(static_cast<std::size_t>(c.worker))) + ")";
}

void kill_all(std::vector<Child>& children) {
  for (auto& c : children) {
    if (c.pid > 0 && !c.reaped) ::kill(c.pid, SIGKILL);
  }
}

void reap_all(std::vector<Child>& children) {
  for (auto& c : children) {
    if (c.pid > 0 && !c.reaped) {
      while (::waitpid(c.pid, &c.status, 0) < 0 && errno == EINTR) {
      }
      c.reaped = true;
    }
    if (c.fd >= 0) {
      ::close(c.fd);
      c.fd = -1;
    }
  }
}

Child spawn(const std::string& exe, int worker, const std::string& params) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  const std::string index = std::to_string(worker);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(err));
  }
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    ::dup2(fds[1], STDOUT_FILENO);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the harness died before prctl
    const char* argv[] = {exe.c_str(), "--worker", index.c_str(), params.c_str(), nullptr};
    ::execv(exe.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(fds[1]);
  Child c;
  c.worker = worker;
  c.pid = pid;
  c.fd = fds[0];
  return c;
}

}  // namespace

std::string self_executable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot read /proc/self/exe: " + ec.message());
  return p.string();
}

std::string run_segment_name(std::size_t n) {
  return "/" + std::string(kSegmentPrefix) + std::to_string(::getpid()) + "-" + std::to_string(n);
}

std::vector<std::string> remove_stale_segments() {
  // Segments and Boost queues live in /dev/shm, POSIX queues in /dev/mqueue,
  // transport links' directories (sockets, FIFOs) in /tmp: all are named
  // zeroipc-harness-<pid>-..., <pid> being the harness that made them.
  // The redis-server's directory (baselines::RedisServer) is
  // /tmp/zeroipc-redis-<pid>-*, <pid> being the process that started it.
  std::vector<std::string> removed;
  for (const char* dir : {"/dev/shm", "/dev/mqueue", "/tmp"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      std::string rest;
      if (name.rfind(kSegmentPrefix, 0) == 0) {
        rest = name.substr(std::strlen(kSegmentPrefix));
      } else if (std::string_view(dir) == "/tmp" && name.rfind(kRedisDirPrefix, 0) == 0) {
        rest = name.substr(std::strlen(kRedisDirPrefix));
      } else {
        continue;
      }
      const pid_t pid = static_cast<pid_t>(std::atol(rest.c_str()));
      if (pid <= 0 || pid == ::getpid()) continue;
      if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // its harness still runs
      std::error_code rm;
      if (std::filesystem::remove_all(entry.path(), rm) > 0) {
        removed.push_back(std::string(dir) == "/dev/shm" ? "/" + name : entry.path().string());
      }
    }
  }
  return removed;
}

WorkersOutcome run_workers(const std::string& exe, const RunParams& params, double timeout_s,
                           const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  const std::string params_json = params.to_json().dump();
  std::vector<Child> children;
  WorkersOutcome out;
  try {
    for (int w = 0; w < static_cast<int>(params.pus.size()); ++w) children.push_back(spawn(exe, w, params_json));
  } catch (...) {
    kill_all(children);
    reap_all(children);
    throw;
  }
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));

  auto fail = [&](std::string why) {
    out.status = WorkersOutcome::Status::failed;
    out.error = std::move(why);
    kill_all(children);
    reap_all(children);
    return out;
  };

  while (true) {
    if (stop.load()) {
      kill_all(children);
      reap_all(children);
      out.status = WorkersOutcome::Status::interrupted;
      out.error = "interrupted";
      return out;
    }
    // Reap whoever has exited; a failure ends the repetition at once.
    bool all_done = true;
    for (auto& c : children) {
      if (!c.reaped) {
        const pid_t r = ::waitpid(c.pid, &c.status, WNOHANG);
        if (r == c.pid) c.reaped = true;
      }
      if (c.reaped && c.eof && !(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0)) {
        std::string why = who(params, c) + " " + describe_status(c.status);
        try {
          const auto j = nlohmann::json::parse(c.out);
          if (j.contains("error")) why += ": " + j["error"].get<std::string>();
        } catch (const std::exception&) {
        }
        return fail(why);
      }
      if (!(c.reaped && c.eof)) all_done = false;
    }
    if (all_done) break;
    if (Clock::now() > deadline) {
      std::string running;
      for (const auto& c : children) {
        if (!c.reaped) running += (running.empty() ? "" : ", ") + who(params, c);
      }
      return fail("timed out after " + std::to_string(static_cast<long>(timeout_s)) + " s (experiment.timeout_s)" +
                  (running.empty() ? "" : "; still running: " + running));
    }
    std::vector<pollfd> fds;
    std::vector<Child*> owners;
    for (auto& c : children) {
      if (!c.eof) {
        fds.push_back({c.fd, POLLIN, 0});
        owners.push_back(&c);
      }
    }
    const int n = fds.empty() ? (::usleep(2000), 0) : ::poll(fds.data(), fds.size(), 50);
    if (n < 0 && errno != EINTR) return fail(std::string("poll: ") + std::strerror(errno));
    for (std::size_t i = 0; n > 0 && i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        owners[i]->out.append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        owners[i]->eof = true;
      }
    }
  }

  for (auto& c : children) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(c.out);
    } catch (const std::exception& e) {
      return fail(who(params, c) + " exited normally but its report is not JSON (" + e.what() + "): '" +
                  c.out.substr(0, 200) + "'");
    }
    if (j.contains("error")) return fail(who(params, c) + ": " + j["error"].get<std::string>());
    out.reports.push_back(std::move(j));
  }
  reap_all(children);
  return out;
}

}  // namespace zeroipc::harness
