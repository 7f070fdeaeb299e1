// A redis-server of our own for the Redis baselines: started on a Unix socket
// in a private temporary directory and on a free loopback port, persistence
// off, pinned to one PU; stopped by the destructor (SIGTERM, then SIGKILL),
// and — through PR_SET_PDEATHSIG — killed by the kernel if the process that
// started it dies first. No server is ever left behind.
//
//   RedisServer server({.pu = 1});
//   spec.redis_unix_socket = server.unix_socket();
//   spec.redis_port = server.port();
//
// Readiness is read from the server's own log line ("Ready to accept
// connections") on a pipe, with a timeout: no polling.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace zeroipc::baselines {

/// Whether this build has the Redis baselines (hiredis and redis-server found at configure time).
bool redis_built() noexcept;
/// The redis-server found at configure time ("" if none).
std::string redis_server_path();

class RedisServer {
 public:
  struct Options {
    int pu = -1;                               // OS index of the PU to pin it to; -1: not pinned
    std::string executable;                    // "" = redis_server_path()
    std::chrono::milliseconds start_timeout{10000};
  };
  /// Starts the server; throws std::runtime_error with the server's output if it does not come up.
  explicit RedisServer(const Options& options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  /// Stops the server and removes its directory (idempotent).
  void stop() noexcept;

  const std::string& unix_socket() const noexcept { return socket_; }
  int port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  int pu() const noexcept { return pu_; }
  const std::string& dir() const noexcept { return dir_; }
  const std::string& version() const noexcept { return version_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int pu_ = -1;
  std::string dir_, socket_, version_;
};

}  // namespace zeroipc::baselines
