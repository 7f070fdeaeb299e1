// The adapters' factories, one pair per source file: make_<x> builds one side
// of a link, remove_<x>_leftovers cleans up after a side that died. Internal
// to the baselines library; registry.cpp is the only caller.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "zeroipc/baselines/transport.h"

namespace zeroipc::baselines::adapters {

// pipe_transport.cpp: two FIFOs (mkfifo) in spec.dir, the kernel's pipe.
std::unique_ptr<Transport> make_pipe(const LinkSpec& spec, Side side);
void remove_pipe_leftovers(const LinkSpec& spec) noexcept;

// socket_transport.cpp: Unix domain SOCK_STREAM (length-prefixed frames),
// SOCK_SEQPACKET, and TCP over loopback (TCP_NODELAY, length-prefixed).
enum class SocketKind { unix_stream, unix_seqpacket, tcp };
std::unique_ptr<Transport> make_socket(const LinkSpec& spec, Side side, SocketKind kind);
void remove_socket_leftovers(const LinkSpec& spec) noexcept;

// posix_mq_transport.cpp: POSIX message queues (mq_open), one per direction.
std::unique_ptr<Transport> make_posix_mq(const LinkSpec& spec, Side side);
void remove_posix_mq_leftovers(const LinkSpec& spec) noexcept;

#if ZEROIPC_BASELINES_BOOST
// boost_mq_transport.cpp: boost::interprocess::message_queue, one per direction.
std::unique_ptr<Transport> make_boost_mq(const LinkSpec& spec, Side side);
void remove_boost_mq_leftovers(const LinkSpec& spec) noexcept;
#endif

#if ZEROIPC_BASELINES_ZMQ
// zmq_transport.cpp: ZeroMQ through cppzmq. request_reply: PAIR (or REQ/REP
// when reqrep); one_way: PUSH/PULL.
enum class ZmqEndpoint { ipc, tcp };
std::unique_ptr<Transport> make_zmq(const LinkSpec& spec, Side side, ZmqEndpoint endpoint, bool reqrep);
void remove_zmq_leftovers(const LinkSpec& spec) noexcept;
#endif

#if ZEROIPC_BASELINES_REDIS
// redis_transport.cpp: hiredis, RPUSH / BLPOP on lists, over the Unix socket or TCP.
std::unique_ptr<Transport> make_redis(const LinkSpec& spec, Side side, bool tcp);
void remove_redis_leftovers(const LinkSpec& spec) noexcept;
#endif

// zeroipc_transport.cpp: two zeroipc queues of the named variant in a segment of their own.
std::unique_ptr<Transport> make_zeroipc(const LinkSpec& spec, Side side, const std::string& variant);
void remove_zeroipc_leftovers(const LinkSpec& spec) noexcept;

// zeroipc_c_transport.cpp: the same link as make_zeroipc, through the C
// implementation (lib/c, zeroipc.h); the queue variants it runs, in the
// registry's order (transports "zeroipc_c_" + variant).
inline constexpr std::string_view kZeroipcCVariants[] = {"vyukov_bounded", "spsc_ring", "locked_ring"};
std::unique_ptr<Transport> make_zeroipc_c(const LinkSpec& spec, Side side, const std::string& variant);
void remove_zeroipc_c_leftovers(const LinkSpec& spec) noexcept;

// zeroipc_python_transport.cpp: zeroipc_c's link with a Python process
// (zeroipc_python_peer.py, the lib/python package) as its server, for the same
// variants (transports "zeroipc_python_" + variant).
std::unique_ptr<Transport> make_zeroipc_python(const LinkSpec& spec, Side side, const std::string& variant);
void remove_zeroipc_python_leftovers(const LinkSpec& spec) noexcept;

// zeroipc_channel_transport.cpp: two zeroipc Channels, blocking (or spinning on try_*).
std::unique_ptr<Transport> make_zeroipc_channel(const LinkSpec& spec, Side side, bool spin);
void remove_zeroipc_channel_leftovers(const LinkSpec& spec) noexcept;

/// "<transport>: <what>: <strerror(errno)>" as a TransportError.
[[noreturn]] void throw_errno(const LinkSpec& spec, const std::string& what);

}  // namespace zeroipc::baselines::adapters
