// zeroipc/baselines/zmq_transport.cpp — ZeroMQ through cppzmq (zmq.hpp).
//
//   pattern        client (connects)   server (binds)   endpoint
//   request_reply  PAIR  (or REQ)      PAIR  (or REP)   ipc://<dir>/<name>.zmq  or  tcp://127.0.0.1:<port>
//   one_way        PUSH                PULL             (the same)
//
// One context with one I/O thread per side: that thread moves the bytes
// between the socket's in-memory pipe and the kernel, so every message crosses
// two threads on each side (application -> I/O thread -> kernel -> I/O thread
// -> application). That is what a ZeroMQ user pays; zero-copy (zmq_msg_init_data)
// is not used: messages are copied into and out of zmq's buffers, as with the
// other baselines.
//
// There is no accept in ZeroMQ: the server's connect("") returns at once. No
// message is lost while the connection comes up: the server's socket exists
// from listen() on, before the client knows the address; a PAIR or REQ client
// queues its first message until the connection is up, and the PUSH client
// (ZMQ_IMMEDIATE) blocks in its first send until then. A peer that dies is not reported by ZeroMQ (it reconnects), so
// a receive from a dead peer blocks; the harness's timeouts cover that.
#include <zmq.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <sys/un.h>
#include <unistd.h>

#include "adapters.h"

namespace zeroipc::baselines::adapters {

namespace {

// How long close() keeps trying to deliver messages still queued on a socket.
constexpr int kLingerMs = 5000;

std::string ipc_path(const LinkSpec& spec) { return spec.dir + "/" + spec.name + ".zmq"; }

const char* type_name(zmq::socket_type t) {
  switch (t) {
    case zmq::socket_type::pair: return "PAIR";
    case zmq::socket_type::req: return "REQ";
    case zmq::socket_type::rep: return "REP";
    case zmq::socket_type::push: return "PUSH";
    case zmq::socket_type::pull: return "PULL";
    default: return "?";
  }
}

class ZmqTransport final : public Transport {
 public:
  ZmqTransport(const LinkSpec& spec, Side side, ZmqEndpoint endpoint, bool reqrep)
      // One I/O thread: one connection per socket needs no more, and a second
      // would only be one more thread to schedule on the benchmark's cores.
      : spec_(spec), side_(side), endpoint_(endpoint), reqrep_(reqrep), context_(1) {
    if (spec.pattern == Pattern::one_way) {
      if (reqrep) throw TransportError(spec.transport + ": REQ/REP supports only the request_reply pattern");
      type_ = side == Side::client ? zmq::socket_type::push : zmq::socket_type::pull;
      peer_type_ = side == Side::client ? zmq::socket_type::pull : zmq::socket_type::push;
    } else if (reqrep) {
      type_ = side == Side::client ? zmq::socket_type::req : zmq::socket_type::rep;
      peer_type_ = side == Side::client ? zmq::socket_type::rep : zmq::socket_type::req;
    } else {
      type_ = peer_type_ = zmq::socket_type::pair;
    }
    if (endpoint == ZmqEndpoint::ipc && ipc_path(spec).size() >= sizeof(sockaddr_un::sun_path)) {
      throw TransportError(spec.transport + ": socket path '" + ipc_path(spec) + "' is longer than " +
                           std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
    }
    try {
      socket_ = zmq::socket_t(context_, type_);
      // Bounded close: deliver what is still in flight, but never hang forever
      // (the default, -1, waits for a peer that may be gone; 0 drops the messages).
      socket_.set(zmq::sockopt::linger, kLingerMs);
      if (spec.pattern == Pattern::one_way) {
        // A queue of spec.capacity messages on each end (the ZeroMQ default is
        // 1000), so the producer blocks when the consumer lags, as the other
        // transports' producers do. In flight at most: the PUSH's queue, the
        // PULL's queue and what the kernel's socket buffers hold between them.
        const int hwm = static_cast<int>(spec.capacity);
        if (side == Side::client) socket_.set(zmq::sockopt::sndhwm, hwm);
        else socket_.set(zmq::sockopt::rcvhwm, hwm);
      }
      // ZMQ_IMMEDIATE stays off (the default): with it, libzmq drops a pipe's
      // queued messages when the connection goes, which lost a last reply not
      // yet read on PAIR. The server binds before the client connects, so the
      // first messages wait in the client's queue for at most the connection's
      // setup, during the untimed warm-up.
      //
      // Closing: a PUSH socket closed right after its last send lost the last
      // messages in about 1 run in 10 here (libzmq 4.3.4, ipc://, ZMQ_LINGER
      // 5 s, with or without ZMQ_IMMEDIATE): the PULL side waited for ever.
      // Callers must keep the sending side open until the receiver has
      // everything (the harness meets on a barrier before either side closes).
      // TCP_NODELAY: libzmq sets it on every TCP socket it opens (no option to set).
      // SNDBUF / RCVBUF: left at the kernel's defaults (and autotuning), as a ZeroMQ user would.
    } catch (const zmq::error_t& e) {
      throw TransportError(spec.transport + ": creating the " + type_name(type_) + " socket: " + e.what());
    }
  }

  ~ZmqTransport() override {
    socket_.close();   // libzmq unlinks the ipc socket file it bound
    context_.close();  // waits at most kLingerMs for queued messages
    try {
      if (bound_ && endpoint_ == ZmqEndpoint::ipc) ::unlink(ipc_path(spec_).c_str());  // in case it did not
    } catch (...) {  // std::bad_alloc from the path
    }
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const std::string endpoint =
        endpoint_ == ZmqEndpoint::ipc ? "ipc://" + ipc_path(spec_) : std::string("tcp://127.0.0.1:*");
    if (endpoint_ == ZmqEndpoint::ipc) ::unlink(ipc_path(spec_).c_str());  // a stale file of a dead run
    try {
      socket_.bind(endpoint);
      bound_ = true;
      address_ = socket_.get(zmq::sockopt::last_endpoint);  // the port the kernel chose, for tcp
    } catch (const zmq::error_t& e) {
      throw TransportError(spec_.transport + ": bind " + endpoint + ": " + e.what());
    }
    return address_;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) return;  // nothing to accept: the client's connection attaches by itself
    try {
      socket_.connect(address);
      address_ = address;
    } catch (const zmq::error_t& e) {
      throw TransportError(spec_.transport + ": connect " + address + ": " + e.what());
    }
  }

  void send(const std::byte* message) override {
    for (;;) {
      try {
        socket_.send(zmq::const_buffer(message, spec_.message_size), zmq::send_flags::none);
        return;
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;  // a signal, not an error of the link
        throw TransportError(spec_.transport + ": send: " + e.what());
      }
    }
  }

  void receive(std::byte* message) override {
    for (;;) {
      try {
        const auto got = socket_.recv(zmq::mutable_buffer(message, spec_.message_size), zmq::recv_flags::none);
        if (!got) continue;  // EAGAIN: cannot happen on a blocking socket
        if (got->untruncated_size != spec_.message_size) {
          throw TransportError(spec_.transport + ": receive: a message of " + std::to_string(got->untruncated_size) +
                               " bytes, expected " + std::to_string(spec_.message_size));
        }
        return;
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        throw TransportError(spec_.transport + ": receive: " + e.what());
      }
    }
  }

  nlohmann::json settings() const override {
    int major = 0, minor = 0, patch = 0;
    zmq_version(&major, &minor, &patch);
    nlohmann::json s = {
        {"socket", type_name(type_)},
        {"peer_socket", type_name(peer_type_)},
        {"endpoint", address_},
        {"io_threads", 1},
        {"reqrep", reqrep_},
        {"zmq_version", std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch)},
        {"cppzmq_version", std::to_string(CPPZMQ_VERSION_MAJOR) + "." + std::to_string(CPPZMQ_VERSION_MINOR) + "." +
                               std::to_string(CPPZMQ_VERSION_PATCH)},
        {"zero_copy", false},
    };
    try {
      s["sndhwm"] = socket_.get(zmq::sockopt::sndhwm);
      s["rcvhwm"] = socket_.get(zmq::sockopt::rcvhwm);
      s["linger_ms"] = socket_.get(zmq::sockopt::linger);
      s["immediate"] = socket_.get(zmq::sockopt::immediate);
      s["sndbuf"] = socket_.get(zmq::sockopt::sndbuf);  // -1: the kernel's default
      s["rcvbuf"] = socket_.get(zmq::sockopt::rcvbuf);
    } catch (const zmq::error_t& e) {
      s["error"] = e.what();
    }
    if (endpoint_ == ZmqEndpoint::tcp) s["tcp_nodelay"] = "always on (libzmq sets it on every TCP socket)";
    return s;
  }

 private:
  LinkSpec spec_;
  Side side_;
  ZmqEndpoint endpoint_;
  bool reqrep_;
  zmq::socket_type type_ = zmq::socket_type::pair, peer_type_ = zmq::socket_type::pair;
  zmq::context_t context_;  // declared before socket_: destroyed after it
  zmq::socket_t socket_;
  bool bound_ = false;
  std::string address_;
};

}  // namespace

std::unique_ptr<Transport> make_zmq(const LinkSpec& spec, Side side, ZmqEndpoint endpoint, bool reqrep) {
  return std::make_unique<ZmqTransport>(spec, side, endpoint, reqrep);
}

void remove_zmq_leftovers(const LinkSpec& spec) noexcept {
  if (spec.dir.empty() || spec.name.empty()) return;
  try {
    ::unlink(ipc_path(spec).c_str());
  } catch (...) {  // std::bad_alloc from the path
  }
}

}  // namespace zeroipc::baselines::adapters
