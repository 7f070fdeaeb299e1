// zeroipc/baselines/socket_transport.cpp — sockets between two processes on
// this machine, three kinds:
//
//   unix_stream     AF_UNIX, SOCK_STREAM at "<dir>/<name>.sock". A byte stream,
//                   so each message is framed: [4-byte length][payload], both
//                   handed to the kernel in one sendmsg(). The receiver reads
//                   through a buffer (posix_io::FrameReader), so small messages
//                   that arrived together cost one recv() between them.
//   unix_seqpacket  AF_UNIX, SOCK_SEQPACKET at "<dir>/<name>.sock". The kernel
//                   keeps message boundaries: one message is one send() and
//                   one recv(), no framing; recv() with MSG_TRUNC returns the
//                   packet's real length, which must be the link's size.
//   tcp             AF_INET, SOCK_STREAM on 127.0.0.1, an ephemeral port (the
//                   server binds port 0; listen() returns "127.0.0.1:<port>").
//                   Framed as unix_stream. TCP_NODELAY on both sides.
//
// Set up: the server's listen() is socket(), bind(), listen(); its connect()
// accepts the one client, then closes the listening socket and unlinks the
// socket's path (nothing is left in spec.dir once the link is up). The client
// connects to what listen() returned. One socket carries both directions;
// one_way uses the client-to-server half only.
//
// Options, each where an expert would set it:
//   TCP_NODELAY  (tcp, both sides, both patterns): no Nagle, so a message
//                goes out when sent instead of waiting for the ACK of the
//                last one (Nagle plus delayed ACK costs up to 40 ms a reply).
//   SO_SNDBUF    (unix kinds, one_way, the sending client): raised to
//                /proc/sys/net/core/wmem_max, the most an unprivileged process
//                may set, as the pipe adapter raises its pipe: an AF_UNIX
//                sender may have at most its send buffer in flight (the
//                receiver's SO_RCVBUF is not used by AF_UNIX), so the bigger
//                it is, the less often the writer blocks. Linux doubles the
//                value it is given; settings() shows what is in force.
//   TCP buffers are left to the kernel's autotuning (tcp_wmem / tcp_rmem):
//   setting SO_SNDBUF or SO_RCVBUF on a TCP socket turns autotuning off, which
//   on loopback only makes throughput worse.
// SO_SNDBUF and SO_RCVBUF in force, and TCP_NODELAY, are in settings().
//
// A peer that closed (EOF, EPIPE, ECONNRESET) is a TransportError "peer
// closed", saying how far into a message it happened; sends use MSG_NOSIGNAL
// so a closed peer is never a SIGPIPE.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "adapters.h"
#include "posix_io.h"

namespace zeroipc::baselines::adapters {

namespace {

using posix_io::Fd;

std::string socket_path(const LinkSpec& spec) { return spec.dir + "/" + spec.name + ".sock"; }

std::string_view kind_name(SocketKind k) {
  switch (k) {
    case SocketKind::unix_stream: return "unix_stream";
    case SocketKind::unix_seqpacket: return "unix_seqpacket";
    case SocketKind::tcp: return "tcp";
  }
  return "?";
}

// The Unix socket address of `path`, or a TransportError when it does not fit sun_path.
sockaddr_un unix_address(const LinkSpec& spec, const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof(a.sun_path)) {
    throw TransportError(spec.transport + ": socket path '" + path + "' is " + std::to_string(path.size()) +
                         " bytes; a Unix socket path holds at most " + std::to_string(sizeof(a.sun_path) - 1) +
                         " (sun_path, with its terminating NUL): use a shorter directory or link name");
  }
  std::memcpy(a.sun_path, path.c_str(), path.size() + 1);
  return a;
}

int get_int_option(int fd, int level, int option) {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, level, option, &v, &len) != 0) return -1;
  return v;
}

class SocketLink final : public Transport {
 public:
  SocketLink(const LinkSpec& spec, Side side, SocketKind kind)
      : spec_(spec), side_(side), kind_(kind), reader_(spec.message_size) {}

  ~SocketLink() override {
    conn_.reset();
    listener_.reset();
    if (bound_) ::unlink(path_.c_str());  // listen() without connect(): the path is still there
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    if (kind_ == SocketKind::tcp) {
      listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (!listener_) throw_errno(spec_, "socket(AF_INET, SOCK_STREAM)");
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = 0;  // an ephemeral port: runs side by side never collide
      if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        throw_errno(spec_, "bind 127.0.0.1:0");
      }
      if (::listen(listener_.get(), 1) != 0) throw_errno(spec_, "listen");
      socklen_t len = sizeof a;
      if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        throw_errno(spec_, "getsockname");
      }
      address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
      return address_;
    }
    path_ = socket_path(spec_);
    const sockaddr_un a = unix_address(spec_, path_);
    listener_.reset(::socket(AF_UNIX, unix_type() | SOCK_CLOEXEC, 0));
    if (!listener_) throw_errno(spec_, "socket(AF_UNIX)");
    ::unlink(path_.c_str());  // a stale socket of a run that died
    if (::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
      throw_errno(spec_, "bind " + path_);
    }
    bound_ = true;
    if (::listen(listener_.get(), 1) != 0) throw_errno(spec_, "listen " + path_);
    address_ = path_;
    return address_;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) {
      if (!listener_) throw TransportError(spec_.transport + ": connect: listen() has not run");
      for (;;) {
        const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) {
          conn_.reset(fd);
          break;
        }
        if (errno != EINTR) throw_errno(spec_, "accept");
      }
      listener_.reset();  // one client per link
      if (bound_) {
        ::unlink(path_.c_str());
        bound_ = false;
      }
    } else {
      if (address.empty()) {
        throw TransportError(spec_.transport + ": connect: no address (expected what the server's listen() returned)");
      }
      address_ = address;
      if (kind_ == SocketKind::tcp) {
        sockaddr_in a = tcp_address(address);
        conn_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!conn_) throw_errno(spec_, "socket(AF_INET, SOCK_STREAM)");
        connect_to(reinterpret_cast<const sockaddr*>(&a), sizeof a, address);
      } else {
        const sockaddr_un a = unix_address(spec_, address);
        conn_.reset(::socket(AF_UNIX, unix_type() | SOCK_CLOEXEC, 0));
        if (!conn_) throw_errno(spec_, "socket(AF_UNIX)");
        connect_to(reinterpret_cast<const sockaddr*>(&a), sizeof a, address);
      }
    }
    configure();
  }

  void send(const std::byte* message) override {
    if (!conn_) throw TransportError(spec_.transport + ": send: not connected");
    if (kind_ != SocketKind::unix_seqpacket) {
      posix_io::send_frame(spec_, conn_.get(), message, spec_.message_size);
      return;
    }
    for (;;) {  // a packet is sent whole or not at all
      const ssize_t n = ::send(conn_.get(), message, spec_.message_size, MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(spec_.message_size)) return;
      if (n >= 0) {
        throw TransportError(spec_.transport + ": send: " + std::to_string(n) + " of a " +
                             std::to_string(spec_.message_size) + "-byte packet sent");
      }
      if (errno == EINTR) continue;
      if (posix_io::is_peer_gone(errno)) posix_io::throw_peer_closed(spec_, "send", 0, spec_.message_size);
      throw_errno(spec_, "send");
    }
  }

  void receive(std::byte* message) override {
    if (!conn_) throw TransportError(spec_.transport + ": receive: not connected");
    if (kind_ != SocketKind::unix_seqpacket) {
      reader_.read_frame(spec_, conn_.get(), message);
      return;
    }
    for (;;) {
      // MSG_TRUNC: the packet's real length even when it is longer than the buffer.
      const ssize_t n = ::recv(conn_.get(), message, spec_.message_size, MSG_TRUNC);
      if (n == static_cast<ssize_t>(spec_.message_size)) return;
      if (n == 0) posix_io::throw_peer_closed(spec_, "recv", 0, spec_.message_size);
      if (n > 0) {
        throw TransportError(spec_.transport + ": a packet of " + std::to_string(n) + " bytes (expected " +
                             std::to_string(spec_.message_size) + ", the link's message size)");
      }
      if (errno == EINTR) continue;
      if (posix_io::is_peer_gone(errno)) posix_io::throw_peer_closed(spec_, "recv", 0, spec_.message_size);
      throw_errno(spec_, "recv");
    }
  }

  nlohmann::json settings() const override {
    nlohmann::json s = {{"socket", std::string(kind_name(kind_))}, {"address", address_}};
    s["framing"] = kind_ == SocketKind::unix_seqpacket ? "none (one message per packet)"
                                                       : "4-byte length prefix, one sendmsg per message";
    const int fd = conn_ ? conn_.get() : listener_.get();
    if (fd >= 0) {
      s["sndbuf"] = get_int_option(fd, SOL_SOCKET, SO_SNDBUF);
      s["rcvbuf"] = get_int_option(fd, SOL_SOCKET, SO_RCVBUF);
      if (kind_ == SocketKind::tcp) s["nodelay"] = get_int_option(fd, IPPROTO_TCP, TCP_NODELAY) != 0;
    }
    if (kind_ == SocketKind::tcp) {
      s["buffers"] = "kernel autotuning (tcp_wmem / tcp_rmem), not set";
    } else if (sndbuf_wanted_ > 0) {
      s["sndbuf_wanted"] = sndbuf_wanted_;
      s["sndbuf_source"] = "/proc/sys/net/core/wmem_max (Linux doubles the value set)";
      if (!sndbuf_refused_.empty()) s["sndbuf_refused"] = sndbuf_refused_;
    } else {
      s["buffers"] = "default (" + std::string(spec_.pattern == Pattern::request_reply
                                                   ? "request_reply: one message in flight"
                                                   : "one_way receiver: AF_UNIX uses the sender's buffer") +
                     ")";
    }
    return s;
  }

 private:
  int unix_type() const { return kind_ == SocketKind::unix_seqpacket ? SOCK_SEQPACKET : SOCK_STREAM; }

  sockaddr_in tcp_address(const std::string& address) const {
    const auto colon = address.rfind(':');
    sockaddr_in a{};
    a.sin_family = AF_INET;
    int port = 0;
    try {
      if (colon != std::string::npos) port = std::stoi(address.substr(colon + 1));
    } catch (const std::exception&) {
      port = 0;
    }
    if (colon == std::string::npos || port <= 0 || port > 65535 ||
        ::inet_pton(AF_INET, address.substr(0, colon).c_str(), &a.sin_addr) != 1) {
      throw TransportError(spec_.transport + ": connect: address '" + address +
                           "' (expected <IPv4 address>:<port>, as the server's listen() returns)");
    }
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    return a;
  }

  // connect(); a signal during it leaves the connection going on in the
  // background: wait for it with poll() and take its result.
  void connect_to(const sockaddr* a, socklen_t len, const std::string& address) {
    if (::connect(conn_.get(), a, len) == 0) return;
    if (errno != EINTR) throw_errno(spec_, "connect " + address);
    pollfd p{conn_.get(), POLLOUT, 0};
    while (::poll(&p, 1, -1) < 0) {
      if (errno != EINTR) throw_errno(spec_, "poll (connect " + address + ")");
    }
    const int err = get_int_option(conn_.get(), SOL_SOCKET, SO_ERROR);
    if (err != 0) {
      errno = err;
      throw_errno(spec_, "connect " + address);
    }
  }

  void configure() {
    const int fd = conn_.get();
    if (kind_ == SocketKind::tcp) {
      // No Nagle: each message leaves at once instead of waiting for the previous one's ACK.
      const int one = 1;
      if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) throw_errno(spec_, "TCP_NODELAY");
      return;
    }
    if (spec_.pattern == Pattern::one_way && side_ == Side::client) {
      // Throughput: the largest send buffer allowed, so the sender blocks as rarely as possible.
      sndbuf_wanted_ = posix_io::read_proc_number("/proc/sys/net/core/wmem_max").value_or(0);
      for (long long want = sndbuf_wanted_; want > 0; want /= 2) {
        // Only raise it: Linux doubles the value, and a smaller one than the default would hurt.
        if (2 * want <= get_int_option(fd, SOL_SOCKET, SO_SNDBUF)) break;
        const int v = static_cast<int>(want);
        if (::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == 0) break;
        sndbuf_refused_.push_back(std::to_string(want) + " (" + std::strerror(errno) + ")");
      }
    }
  }

  LinkSpec spec_;
  Side side_;
  SocketKind kind_;
  Fd listener_, conn_;
  std::string path_;     // the Unix socket's path (server)
  bool bound_ = false;   // path_ exists and is ours to unlink
  std::string address_;  // what the client connects to
  posix_io::FrameReader reader_;
  long long sndbuf_wanted_ = 0;
  std::vector<std::string> sndbuf_refused_;
};

}  // namespace

std::unique_ptr<Transport> make_socket(const LinkSpec& spec, Side side, SocketKind kind) {
  return std::make_unique<SocketLink>(spec, side, kind);
}

void remove_socket_leftovers(const LinkSpec& spec) noexcept {
  try {
    ::unlink(socket_path(spec).c_str());
  } catch (...) {  // std::string's allocation
  }
}

}  // namespace zeroipc::baselines::adapters
