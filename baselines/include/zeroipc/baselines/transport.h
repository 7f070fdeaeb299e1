// The one interface every transport of the comparison sits behind:
// "send a message of N bytes / receive one, blocking", between two processes.
//
//   LinkSpec spec{...};                                      // made once, sent to both sides
//   auto server = make_transport(spec, Side::server);        // in the responder / consumer
//   std::string address = server->listen();                  // bind, listen, create queues
//   ... hand `address` to the other process ...
//   auto client = make_transport(spec, Side::client);        // in the initiator / producer
//   client->connect(address);  server->connect("");          // both block until connected
//   client->send(buf);  server->receive(buf);                // exactly spec.message_size bytes
//
// Every message has the same size within a run (spec.message_size). A link is
// duplex when spec.pattern is request_reply (a latency run: one message each
// way at a time) and client-to-server only when it is one_way (a throughput
// run); adapters configure their transport for the pattern the way an expert
// would, and report what they set (and what the machine refused) in settings().
//
// Errors are TransportError with the transport's name, the call and errno's
// text: a peer that closed, a message of the wrong size, a limit refused.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace zeroipc::baselines {

/// How the link is used.
enum class Pattern {
  request_reply,  // latency: client sends, server answers, one message in flight each way
  one_way,        // throughput: client sends as fast as it can, server receives
};
std::string_view to_string(Pattern p);

/// Client: the initiator / producer; it connects. Server: the responder /
/// consumer; it binds, listens, creates.
enum class Side { client, server };

/// What both sides know before either starts. Made by the harness (or a test)
/// and sent to both processes as JSON.
struct LinkSpec {
  std::string transport;          // a name from transports(): "unix_stream"
  std::string name;               // unique to this run, [A-Za-z0-9_-], at most 64 characters;
                                  // names the queues, keys and segments of the link
  std::string dir;                // a private directory that exists, for socket and FIFO paths
  std::size_t message_size = 0;   // every message is exactly this many bytes, 8 .. 65536
  std::size_t capacity = 0;       // messages in flight, where the transport counts in messages
  Pattern pattern = Pattern::request_reply;
  std::string redis_unix_socket;  // redis transports: the server to use (RedisServer)
  int redis_port = 0;

  nlohmann::json to_json() const;
  static LinkSpec from_json(const nlohmann::json& j);
};

class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One side of a link.
class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Server side, before the client may connect: bind, listen, create the
  /// queues or FIFOs. Returns the address the client's connect() must get.
  /// The client side returns "" and does nothing.
  virtual std::string listen() = 0;
  /// Client: connects to `address` (what the server's listen() returned).
  /// Server: accepts that client (`address` is ignored). Blocks until done.
  virtual void connect(const std::string& address) = 0;
  /// Sends one message of message_size bytes; returns once the transport has
  /// taken it (it may still be in flight).
  virtual void send(const std::byte* message) = 0;
  /// Receives one whole message of message_size bytes into `message`.
  virtual void receive(std::byte* message) = 0;
  /// The settings in force, for the results: buffer sizes, options, limits
  /// that were applied or refused ({"sndbuf": 212992, "nodelay": true, ...}).
  virtual nlohmann::json settings() const = 0;
};

struct TransportInfo {
  std::string_view name;         // "unix_stream"
  std::string_view description;  // one line, for the plan and the README
  bool built;                    // false: its dependency was missing when zeroipc was configured
  std::string_view missing;      // then: what was missing, with the Debian package that provides it
  bool request_reply;            // supports Pattern::request_reply (latency runs)
  bool one_way;                  // supports Pattern::one_way (throughput runs)
  bool needs_redis;              // needs the RedisServer's address in the LinkSpec
  bool zeroipc;                  // one of zeroipc's own queues
  // The language each side's messages are moved in (the code calling the
  // transport or the zeroipc library): "C++", "C" (libzeroipc-c through
  // zeroipc.h), "Python" (lib/python's zeroipc package). For the results.
  std::string_view client_language = "C++";
  std::string_view server_language = "C++";
  // false: the server is a program of its own (zeroipc_python_<variant>: a
  // Python echo or sink), which hands the server worker what it received in
  // batches: that side's receive() returns late (no one-way latency can be
  // stamped) and its send() can only confirm the echo of the message just received.
  bool server_in_worker = true;
};

/// Every transport this build knows, built or not, in a fixed order.
const std::vector<TransportInfo>& transports();
/// The transport called `name`; throws std::invalid_argument listing the valid names.
const TransportInfo& transport_info(std::string_view name);
/// "pipe, unix_stream, ..."
std::string transport_names();

/// Why this machine will not carry messages of `message_size` bytes over the
/// transport `name`, found by a probe ("" when it will): POSIX message queues
/// refuse messages over /proc/sys/fs/mqueue/msgsize_max to a process without
/// CAP_SYS_RESOURCE. The harness's plan leaves such cases out and says why.
std::string size_refusal(std::string_view name, std::size_t message_size);

/// One side of a link as `spec` says. Throws TransportError when the
/// transport was not built, does not support spec.pattern, or spec is invalid.
std::unique_ptr<Transport> make_transport(const LinkSpec& spec, Side side);

/// Removes what a link named spec.name may have left behind when a process
/// died before its destructor ran: POSIX and Boost queues, zeroipc segments,
/// FIFOs and sockets in spec.dir, Redis keys. Never throws.
void remove_leftovers(const LinkSpec& spec) noexcept;

}  // namespace zeroipc::baselines
