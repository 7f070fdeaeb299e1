// zeroipc/baselines/registry.cpp — the list of transports, the factory, LinkSpec's JSON.
#include <fcntl.h>
#include <mqueue.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "adapters.h"
#include "optional_deps.h"
#include "zeroipc/baselines/redis_server.h"
#include "zeroipc/registry.h"

namespace zeroipc::baselines {

namespace {

using namespace deps;

// The zeroipc queue variants' transport names: "zeroipc_" + variant, and
// "zeroipc_c_" + variant for the C implementation's. The strings live as long
// as the program (the registry's names are static).
std::vector<TransportInfo> make_list() {
  std::vector<TransportInfo> out = {
      {"pipe", "two FIFOs (named pipes), one per direction; pipe buffer raised to the maximum allowed", true, "",
       true, true, false, false},
      {"unix_stream", "Unix domain socket, SOCK_STREAM, a 4-byte length before each message", true, "", true, true,
       false, false},
      {"unix_seqpacket", "Unix domain socket, SOCK_SEQPACKET: one message per packet", true, "", true, true, false,
       false},
      {"tcp", "TCP over 127.0.0.1, TCP_NODELAY, a 4-byte length before each message", true, "", true, true, false,
       false},
      {"posix_mq", "POSIX message queues (mq_open), one per direction", true, "", true, true, false, false},
      {"boost_mq", "Boost.Interprocess message_queue, one per direction", kBoost, kBoost ? "" : kNoBoost, true,
       true, false, false},
      {"zmq_ipc", "ZeroMQ over ipc://: PAIR for ping-pong, PUSH/PULL for streaming", kZmq, kZmq ? "" : kNoZmq, true,
       true, false, false},
      {"zmq_tcp", "ZeroMQ over tcp://127.0.0.1: PAIR for ping-pong, PUSH/PULL for streaming", kZmq,
       kZmq ? "" : kNoZmq, true, true, false, false},
      {"zmq_ipc_reqrep", "ZeroMQ over ipc://, REQ/REP (ping-pong only)", kZmq, kZmq ? "" : kNoZmq, true, false,
       false, false},
      {"redis_unix", "Redis lists (RPUSH / BLPOP) through hiredis, over a Unix socket", kRedis,
       kRedis ? "" : kNoRedis, true, true, true, false},
      {"redis_tcp", "Redis lists (RPUSH / BLPOP) through hiredis, over TCP on 127.0.0.1", kRedis,
       kRedis ? "" : kNoRedis, true, true, true, false},
  };
  static std::vector<std::string> names, descriptions;  // own the composed strings (reserved: never moved)
  std::size_t queues = 2 * std::size(adapters::kZeroipcCVariants);
  for (const auto& v : kVariants) queues += v.kind == detail::Kind::kQueue ? 1 : 0;
  names.reserve(queues);
  descriptions.reserve(queues);
  for (const auto& v : kVariants) {
    if (v.kind != detail::Kind::kQueue) continue;
    names.push_back("zeroipc_" + std::string(v.name));
    descriptions.push_back("zeroipc Queue<" + std::string(v.name) +
                           ">, two in a segment; waits spin on the queue (no system call)");
    out.push_back({names.back(), descriptions.back(), true, "", true, true, false, true});
  }
  out.push_back({"zeroipc_channel", "zeroipc Channel<T>, two in a segment; send/receive block (spin, then futex)",
                 true, "", true, true, false, true});
  out.push_back({"zeroipc_channel_spin", "zeroipc Channel<T>, two in a segment; try_send/try_receive in a spin loop",
                 true, "", true, true, false, true});
  // The C implementation (lib/c) on the same link as "zeroipc_" + variant, for
  // the variants it runs: the two implementations side by side in one run.
  for (const std::string_view v : adapters::kZeroipcCVariants) {
    names.push_back("zeroipc_c_" + std::string(v));
    descriptions.push_back("zeroipc C implementation (libzeroipc-c), Queue " + std::string(v) +
                           ", two in a segment through zeroipc.h; waits spin on the queue (no system call)");
    out.push_back({names.back(), descriptions.back(), true, "", true, true, false, true, "C", "C"});
  }
  // The same link with a Python process as its server (the lib/python package
  // over libzeroipc-c): the cost of Python, beside the C and C++ ones.
  for (const std::string_view v : adapters::kZeroipcCVariants) {
    names.push_back("zeroipc_python_" + std::string(v));
    descriptions.push_back("zeroipc_c_" + std::string(v) +
                           "'s link, its server a Python process (lib/python zeroipc.Queue pop/push, busy-polling)");
    out.push_back({names.back(), descriptions.back(), true, "", true, true, false, true, "C", "Python", false});
  }
  return out;
}

}  // namespace

std::string_view to_string(Pattern p) { return p == Pattern::request_reply ? "request_reply" : "one_way"; }

nlohmann::json LinkSpec::to_json() const {
  return {{"transport", transport},       {"name", name},
          {"dir", dir},                   {"message_size", message_size},
          {"capacity", capacity},         {"pattern", std::string(baselines::to_string(pattern))},
          {"redis_unix_socket", redis_unix_socket}, {"redis_port", redis_port}};
}

LinkSpec LinkSpec::from_json(const nlohmann::json& j) {
  LinkSpec s;
  s.transport = j.at("transport").get<std::string>();
  s.name = j.at("name").get<std::string>();
  s.dir = j.at("dir").get<std::string>();
  s.message_size = j.at("message_size").get<std::size_t>();
  s.capacity = j.at("capacity").get<std::size_t>();
  const auto pattern = j.at("pattern").get<std::string>();
  if (pattern == "request_reply") s.pattern = Pattern::request_reply;
  else if (pattern == "one_way") s.pattern = Pattern::one_way;
  else throw std::invalid_argument("link pattern '" + pattern + "' (expected request_reply or one_way)");
  s.redis_unix_socket = j.value("redis_unix_socket", std::string());
  s.redis_port = j.value("redis_port", 0);
  return s;
}

const std::vector<TransportInfo>& transports() {
  static const std::vector<TransportInfo> list = make_list();
  return list;
}

std::string transport_names() {
  std::string out;
  for (const auto& t : transports()) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

const TransportInfo& transport_info(std::string_view name) {
  for (const auto& t : transports()) {
    if (t.name == name) return t;
  }
  throw std::invalid_argument("unknown transport '" + std::string(name) + "' (valid: " + transport_names() + ")");
}

std::string size_refusal(std::string_view name, std::size_t message_size) {
  if (name != "posix_mq") return "";
  // The probe: a queue of one message of that size, created and removed at once.
  const std::string probe = "/zeroipc-mq-probe-" + std::to_string(::getpid());
  mq_attr attr{};
  attr.mq_maxmsg = 1;
  attr.mq_msgsize = static_cast<long>(message_size);
  ::mq_unlink(probe.c_str());
  const mqd_t q = ::mq_open(probe.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
  if (q != static_cast<mqd_t>(-1)) {
    ::mq_close(q);
    ::mq_unlink(probe.c_str());
    return "";
  }
  const int e = errno;
  std::string limit = "?";
  if (std::ifstream in("/proc/sys/fs/mqueue/msgsize_max"); in) in >> limit;
  return "this machine refuses POSIX message queue messages of " + std::to_string(message_size) +
         " bytes (" + std::strerror(e) + "; /proc/sys/fs/mqueue/msgsize_max = " + limit +
         ", which only a process with CAP_SYS_RESOURCE may exceed)";
}

std::unique_ptr<Transport> make_transport(const LinkSpec& spec, Side side) {
  const TransportInfo* info = nullptr;
  try {
    info = &transport_info(spec.transport);
  } catch (const std::invalid_argument& e) {
    throw TransportError(e.what());
  }
  if (!info->built) throw TransportError(spec.transport + ": not built: " + std::string(info->missing));
  if ((spec.pattern == Pattern::request_reply && !info->request_reply) ||
      (spec.pattern == Pattern::one_way && !info->one_way)) {
    throw TransportError(spec.transport + ": does not support the " + std::string(to_string(spec.pattern)) +
                         " pattern");
  }
  if (spec.message_size < 8 || spec.message_size > 65536) {
    throw TransportError(spec.transport + ": message size " + std::to_string(spec.message_size) +
                         " (expected 8 .. 65536 bytes)");
  }
  if (spec.name.empty() || spec.name.size() > 64 ||
      spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
          std::string::npos) {
    throw TransportError(spec.transport + ": link name '" + spec.name +
                         "' (expected 1 to 64 letters, digits, '_' or '-')");
  }
  if (spec.capacity == 0) throw TransportError(spec.transport + ": capacity 0 (expected at least 1 message)");
  using namespace adapters;
  const std::string& t = spec.transport;
  if (t == "pipe") return make_pipe(spec, side);
  if (t == "unix_stream") return make_socket(spec, side, SocketKind::unix_stream);
  if (t == "unix_seqpacket") return make_socket(spec, side, SocketKind::unix_seqpacket);
  if (t == "tcp") return make_socket(spec, side, SocketKind::tcp);
  if (t == "posix_mq") return make_posix_mq(spec, side);
#if ZEROIPC_BASELINES_BOOST
  if (t == "boost_mq") return make_boost_mq(spec, side);
#endif
#if ZEROIPC_BASELINES_ZMQ
  if (t == "zmq_ipc") return make_zmq(spec, side, ZmqEndpoint::ipc, false);
  if (t == "zmq_tcp") return make_zmq(spec, side, ZmqEndpoint::tcp, false);
  if (t == "zmq_ipc_reqrep") return make_zmq(spec, side, ZmqEndpoint::ipc, true);
#endif
#if ZEROIPC_BASELINES_REDIS
  if (t == "redis_unix") return make_redis(spec, side, false);
  if (t == "redis_tcp") return make_redis(spec, side, true);
#endif
  if (t == "zeroipc_channel") return make_zeroipc_channel(spec, side, false);
  if (t == "zeroipc_channel_spin") return make_zeroipc_channel(spec, side, true);
  if (t.starts_with("zeroipc_python_")) {
    return make_zeroipc_python(spec, side, t.substr(std::string_view("zeroipc_python_").size()));
  }
  if (t.starts_with("zeroipc_c_")) return make_zeroipc_c(spec, side, t.substr(std::string_view("zeroipc_c_").size()));
  if (info->zeroipc) return make_zeroipc(spec, side, t.substr(std::string_view("zeroipc_").size()));
  throw TransportError(t + ": listed but has no adapter (a bug in baselines/src/registry.cpp)");
}

void remove_leftovers(const LinkSpec& spec) noexcept {
  using namespace adapters;
  remove_pipe_leftovers(spec);
  remove_socket_leftovers(spec);
  remove_posix_mq_leftovers(spec);
#if ZEROIPC_BASELINES_BOOST
  remove_boost_mq_leftovers(spec);
#endif
#if ZEROIPC_BASELINES_ZMQ
  remove_zmq_leftovers(spec);
#endif
#if ZEROIPC_BASELINES_REDIS
  remove_redis_leftovers(spec);
#endif
  remove_zeroipc_leftovers(spec);
  remove_zeroipc_channel_leftovers(spec);
  remove_zeroipc_c_leftovers(spec);
  remove_zeroipc_python_leftovers(spec);
}

bool redis_built() noexcept { return kRedis; }

std::string redis_server_path() {
#ifdef ZEROIPC_REDIS_SERVER_PATH
  return ZEROIPC_REDIS_SERVER_PATH;
#else
  return "";
#endif
}

#if !ZEROIPC_BASELINES_REDIS
// Without Redis at configure time there is no server to start: saying so is
// all RedisServer can do (redis_server.cpp is not compiled).
RedisServer::RedisServer(const Options&) { throw std::runtime_error(std::string(kNoRedis)); }
RedisServer::~RedisServer() = default;
void RedisServer::stop() noexcept {}
#endif

namespace adapters {
void throw_errno(const LinkSpec& spec, const std::string& what) {
  const int e = errno;
  throw TransportError(spec.transport + ": " + what + ": " + std::strerror(e));
}
}  // namespace adapters

}  // namespace zeroipc::baselines
