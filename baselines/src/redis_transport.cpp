// zeroipc/baselines/redis_transport.cpp — Redis lists through hiredis.
//
//   client -> server:  RPUSH zeroipc:<name>:c2s <message>    BLPOP zeroipc:<name>:c2s 0
//   server -> client:  RPUSH zeroipc:<name>:s2c <message>    BLPOP zeroipc:<name>:s2c 0
//   credits (one_way): RPUSH zeroipc:<name>:credit 1         BLPOP zeroipc:<name>:credit 0
//
// Both sides talk to a redis-server (RedisServer) over its Unix socket or over
// TCP on 127.0.0.1, one blocking hiredis connection each; every command waits
// for its reply, so a message costs a round trip to the server on each side
// (no pipelining: the interface hands over one message at a time).
//
// Flow control (one_way). A Redis list is unbounded: a producer faster than
// its consumer would grow the list until the server runs out of memory, and a
// throughput figure would measure filling memory, not delivering messages. So
// the link has a window of spec.capacity messages, as the other transports'
// queues do:
//   - the receiver RPUSHes one token to zeroipc:<name>:credit after every
//     `batch` = max(1, capacity / 2) messages it has taken;
//   - the sender counts what it sent and the tokens it took (each worth
//     `batch` messages); when it is spec.capacity messages ahead of them it
//     takes a token with a blocking BLPOP (no polling).
// It cannot deadlock: a sender that waits has sent at least
// taken * batch + capacity >= (taken + 1) * batch messages, so once those are
// received the token it waits for has been pushed. request_reply needs no
// window: one message is in flight each way.
//
// Cleanup: each list is deleted by the side that reads it, when it closes (it
// has then read what it needs): the server deletes c2s and the credits, the
// client s2c. The server's listen() deletes stale keys of a dead run first,
// and remove_redis_leftovers deletes all three.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "adapters.h"
#include "hiredis_kit.h"

namespace zeroipc::baselines::adapters {

namespace {

struct Keys {
  std::string c2s, s2c, credit;
  explicit Keys(const std::string& name)
      : c2s("zeroipc:" + name + ":c2s"), s2c("zeroipc:" + name + ":s2c"), credit("zeroipc:" + name + ":credit") {}
};

using hiredis::Context;
using hiredis::Reply;

/// Connects, or returns why not. `timeout`: for the connect only.
Context connect_to(const LinkSpec& spec, bool tcp, timeval timeout, std::string& error) {
  Context c(tcp ? redisConnectWithTimeout("127.0.0.1", spec.redis_port, timeout)
                : redisConnectUnixWithTimeout(spec.redis_unix_socket.c_str(), timeout));
  if (!c) {
    error = "cannot allocate a hiredis context";
  } else if (c->err != 0) {
    error = c->errstr;
    c.reset();
  }
  return c;
}

class RedisTransport final : public Transport {
 public:
  RedisTransport(const LinkSpec& spec, Side side, bool tcp)
      : spec_(spec), side_(side), tcp_(tcp), keys_(spec.name), batch_(std::max<std::size_t>(1, spec.capacity / 2)) {
    if (tcp ? spec.redis_port <= 0 : spec.redis_unix_socket.empty()) {
      throw TransportError(spec.transport + ": the link spec names no Redis server (" +
                           (tcp ? "redis_port" : "redis_unix_socket") + " is not set)");
    }
  }

  ~RedisTransport() override {
    if (!ctx_) return;
    // Each side deletes the lists it reads (see the top of the file); errors are ignored.
    void* reply = side_ == Side::server
                      ? redisCommand(ctx_.get(), "DEL %s %s", keys_.c2s.c_str(), keys_.credit.c_str())
                      : redisCommand(ctx_.get(), "DEL %s", keys_.s2c.c_str());
    Reply r(static_cast<redisReply*>(reply));
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    connect_now();
    // Stale lists of a dead run with the same name would hand us old messages.
    command("DEL", redisCommand(ctx_.get(), "DEL %s %s %s", keys_.c2s.c_str(), keys_.s2c.c_str(),
                                keys_.credit.c_str()));
    return address();
  }

  void connect(const std::string& /*address: both sides take the server from the spec*/) override {
    if (!ctx_) connect_now();
  }

  void send(const std::byte* message) override {
    require_connected("send");
    const bool to_server = side_ == Side::client;
    if (spec_.pattern == Pattern::one_way && to_server) {
      // The window: at most spec.capacity messages ahead of the credits taken.
      while (sent_ - credited_ >= spec_.capacity) {
        Reply r = command("BLPOP credit", redisCommand(ctx_.get(), "BLPOP %s 0", keys_.credit.c_str()));
        expect_pop(r.get(), "BLPOP credit");
        credited_ += batch_;
      }
    }
    const std::string& key = to_server ? keys_.c2s : keys_.s2c;
    Reply r = command("RPUSH", redisCommand(ctx_.get(), "RPUSH %s %b", key.c_str(), message, spec_.message_size));
    if (r->type != REDIS_REPLY_INTEGER) throw TransportError(spec_.transport + ": RPUSH: unexpected reply type " +
                                                             std::to_string(r->type));
    ++sent_;
  }

  void receive(std::byte* message) override {
    require_connected("receive");
    const bool from_client = side_ == Side::server;
    const std::string& key = from_client ? keys_.c2s : keys_.s2c;
    Reply r = command("BLPOP", redisCommand(ctx_.get(), "BLPOP %s 0", key.c_str()));
    const redisReply* value = expect_pop(r.get(), "BLPOP");
    if (value->len != spec_.message_size) {
      throw TransportError(spec_.transport + ": receive: a message of " + std::to_string(value->len) +
                           " bytes, expected " + std::to_string(spec_.message_size));
    }
    std::memcpy(message, value->str, spec_.message_size);
    ++received_;
    if (spec_.pattern == Pattern::one_way && from_client && received_ % batch_ == 0) {
      command("RPUSH credit", redisCommand(ctx_.get(), "RPUSH %s 1", keys_.credit.c_str()));
    }
  }

  nlohmann::json settings() const override {
    nlohmann::json s = {
        {"socket", tcp_ ? "tcp" : "unix"},
        {"server", address()},
        {"commands", "RPUSH / BLPOP, one blocking hiredis connection per side, no pipelining"},
        {"hiredis_version", std::to_string(HIREDIS_MAJOR) + "." + std::to_string(HIREDIS_MINOR) + "." +
                                std::to_string(HIREDIS_PATCH)},
    };
    if (spec_.pattern == Pattern::one_way) {
      s["window_messages"] = spec_.capacity;
      s["credit_every_messages"] = batch_;
    } else {
      s["window_messages"] = nullptr;  // one message in flight each way
    }
    if (tcp_ && ctx_) {
      // hiredis sets TCP_NODELAY on every TCP connection it makes (net.c); read back, not assumed.
      int on = 0;
      socklen_t len = sizeof on;
      if (::getsockopt(ctx_->fd, IPPROTO_TCP, TCP_NODELAY, &on, &len) == 0) s["tcp_nodelay"] = on != 0;
    }
    return s;
  }

 private:
  std::string address() const {
    return tcp_ ? "redis tcp://127.0.0.1:" + std::to_string(spec_.redis_port) : "redis unix:" + spec_.redis_unix_socket;
  }

  void connect_now() {
    std::string error;
    ctx_ = connect_to(spec_, tcp_, timeval{10, 0}, error);
    if (!ctx_) throw TransportError(spec_.transport + ": connect to " + address() + ": " + error);
    // No read timeout: BLPOP ... 0 blocks until a message comes, as the other
    // transports' receives do (the connect timeout must not carry over).
    if (redisSetTimeout(ctx_.get(), timeval{0, 0}) != REDIS_OK) {
      throw TransportError(spec_.transport + ": clearing the socket timeout: " + ctx_->errstr);
    }
  }

  void require_connected(const char* what) const {
    if (!ctx_) throw TransportError(spec_.transport + ": " + what + " before connect()");
  }

  /// The reply of a command just sent; a connection error or an error reply is a TransportError.
  Reply command(const char* what, void* raw) const {
    Reply r(static_cast<redisReply*>(raw));
    if (!r) throw TransportError(spec_.transport + ": " + what + ": " + ctx_->errstr);
    if (r->type == REDIS_REPLY_ERROR) throw TransportError(spec_.transport + ": " + what + ": " + r->str);
    return r;
  }

  /// The value of a BLPOP's [key, value] reply.
  const redisReply* expect_pop(const redisReply* r, const char* what) const {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_STRING) {
      throw TransportError(spec_.transport + ": " + what + ": unexpected reply (type " + std::to_string(r->type) +
                           ")");
    }
    return r->element[1];
  }

  LinkSpec spec_;
  Side side_;
  bool tcp_;
  Keys keys_;
  std::size_t batch_;  // one credit token per this many messages received
  std::size_t sent_ = 0, credited_ = 0, received_ = 0;
  Context ctx_;
};

}  // namespace

std::unique_ptr<Transport> make_redis(const LinkSpec& spec, Side side, bool tcp) {
  return std::make_unique<RedisTransport>(spec, side, tcp);
}

void remove_redis_leftovers(const LinkSpec& spec) noexcept {
  try {
    struct stat st;
    if (spec.redis_unix_socket.empty() || ::stat(spec.redis_unix_socket.c_str(), &st) != 0) return;  // no server
    std::string error;
    Context c = connect_to(spec, false, timeval{0, 200000}, error);  // a short connect: a dead server must not hold us
    if (!c) return;
    redisSetTimeout(c.get(), timeval{1, 0});  // nor a hung one
    const Keys k(spec.name);
    Reply r(static_cast<redisReply*>(
        redisCommand(c.get(), "DEL %s %s %s", k.c2s.c_str(), k.s2c.c_str(), k.credit.c_str())));
  } catch (...) {
  }
}

}  // namespace zeroipc::baselines::adapters
