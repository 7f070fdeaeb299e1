// zeroipc/baselines/posix_io.h — the loops every file-descriptor adapter needs
// (pipe_transport.cpp, socket_transport.cpp), written once: whole writes and
// reads across EINTR and short transfers, one framed message per sendmsg, a
// buffered frame reader for stream sockets, and reading a number from /proc.
// Internal to the baselines library; header-only.
//
// Every failure is a TransportError naming the transport and the call. A peer
// that went away reads "peer closed" (EOF on a read, EPIPE / ECONNRESET on a
// write), with how far into the message it happened.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "adapters.h"

namespace zeroipc::baselines::adapters::posix_io {

/// The 4-byte length before each message on a stream (Unix stream, TCP). In
/// host byte order: both ends run on this machine.
using FrameHeader = std::uint32_t;
constexpr std::size_t kHeaderBytes = sizeof(FrameHeader);
static_assert(kHeaderBytes == 4, "the frame header is the 4-byte length the descriptions promise");

[[noreturn]] inline void throw_peer_closed(const LinkSpec& spec, const std::string& what, std::size_t done,
                                           std::size_t total) {
  std::string msg = spec.transport + ": " + what + ": peer closed";
  if (done != 0) msg += " mid-message (after " + std::to_string(done) + " of " + std::to_string(total) + " bytes)";
  throw TransportError(msg);
}

inline bool is_peer_gone(int e) { return e == EPIPE || e == ECONNRESET; }

/// write() until all `size` bytes are taken. SIGPIPE must not kill the
/// process (the pipe adapter ignores it), so a closed reader is EPIPE here.
inline void write_all(const LinkSpec& spec, int fd, const std::byte* data, std::size_t size, const std::string& what) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && is_peer_gone(errno)) {
      throw_peer_closed(spec, what, done, size);
    } else {
      throw_errno(spec, what);
    }
  }
}

/// read() until `size` bytes have arrived; EOF before that is "peer closed".
inline void read_all(const LinkSpec& spec, int fd, std::byte* data, std::size_t size, const std::string& what) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, data + done, size - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw_peer_closed(spec, what, done, size);
    } else if (errno == EINTR) {
      continue;
    } else if (is_peer_gone(errno)) {
      throw_peer_closed(spec, what, done, size);
    } else {
      throw_errno(spec, what);
    }
  }
}

/// recv() until `size` bytes have arrived (the rest of a frame whose start
/// the FrameReader had buffered).
inline void recv_all(const LinkSpec& spec, int fd, std::byte* data, std::size_t size, std::size_t already,
                     std::size_t total, const std::string& what) {
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::recv(fd, data + done, size - done, 0);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
    } else if (n == 0) {
      throw_peer_closed(spec, what, already + done, total);
    } else if (errno == EINTR) {
      continue;
    } else if (is_peer_gone(errno)) {
      throw_peer_closed(spec, what, already + done, total);
    } else {
      throw_errno(spec, what);
    }
  }
}

/// One message on a stream socket: [4-byte length][payload], handed to the
/// kernel in one sendmsg() (one system call, no copy into a staging buffer,
/// and never a header alone in a segment of its own). A short send (a full
/// buffer interrupted by a signal) goes on from where it stopped. MSG_NOSIGNAL:
/// a closed peer is EPIPE, not a SIGPIPE that kills the process.
inline void send_frame(const LinkSpec& spec, int fd, const std::byte* payload, std::size_t size) {
  const FrameHeader header = static_cast<FrameHeader>(size);
  iovec iov[2];
  iov[0].iov_base = const_cast<FrameHeader*>(&header);  // sendmsg only reads it
  iov[0].iov_len = kHeaderBytes;
  iov[1].iov_base = const_cast<std::byte*>(payload);
  iov[1].iov_len = size;
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = 2;
  const std::size_t total = kHeaderBytes + size;
  std::size_t done = 0;
  while (done < total) {
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (is_peer_gone(errno)) throw_peer_closed(spec, "sendmsg", done, total);
      throw_errno(spec, "sendmsg");
    }
    done += static_cast<std::size_t>(n);
    // Skip what was sent: drop whole iovecs, then trim the first one left.
    std::size_t skip = static_cast<std::size_t>(n);
    while (msg.msg_iovlen > 0 && skip >= msg.msg_iov[0].iov_len) {
      skip -= msg.msg_iov[0].iov_len;
      ++msg.msg_iov;
      --msg.msg_iovlen;
    }
    if (msg.msg_iovlen > 0) {
      msg.msg_iov[0].iov_base = static_cast<char*>(msg.msg_iov[0].iov_base) + skip;
      msg.msg_iov[0].iov_len -= skip;
    }
  }
}

/// Reads [4-byte length][payload] frames from a stream socket. Each recv()
/// asks for as much as the buffer holds, so small messages that arrived
/// together cost one system call between them; a large payload's rest goes
/// straight into the caller's buffer (no second copy).
class FrameReader {
 public:
  explicit FrameReader(std::size_t message_size)
      : message_size_(message_size), buf_(std::max<std::size_t>(64 * 1024, 4 * (kHeaderBytes + message_size))) {}

  /// The next frame's payload into `out`: exactly message_size bytes, or a
  /// TransportError naming the size expected and the size found.
  void read_frame(const LinkSpec& spec, int fd, std::byte* out) {
    fill_at_least(spec, fd, kHeaderBytes);
    FrameHeader length = 0;
    std::memcpy(&length, buf_.data() + begin_, kHeaderBytes);
    begin_ += kHeaderBytes;
    if (length != message_size_) {
      throw TransportError(spec.transport + ": a frame of " + std::to_string(length) + " bytes (expected " +
                           std::to_string(message_size_) + ", the link's message size)");
    }
    const std::size_t have = std::min(end_ - begin_, message_size_);
    std::memcpy(out, buf_.data() + begin_, have);
    begin_ += have;
    if (begin_ == end_) begin_ = end_ = 0;
    if (have < message_size_) {
      recv_all(spec, fd, out + have, message_size_ - have, kHeaderBytes + have, kHeaderBytes + message_size_, "recv");
    }
  }

 private:
  // Until at least `want` bytes are buffered (one recv() when they are there).
  void fill_at_least(const LinkSpec& spec, int fd, std::size_t want) {
    if (end_ - begin_ >= want) return;
    if (buf_.size() - begin_ < want) {  // too near the end: move what is left to the front
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    while (end_ - begin_ < want) {
      const ssize_t n = ::recv(fd, buf_.data() + end_, buf_.size() - end_, 0);
      if (n > 0) {
        end_ += static_cast<std::size_t>(n);
      } else if (n == 0) {
        throw_peer_closed(spec, "recv", end_ - begin_, kHeaderBytes + message_size_);
      } else if (errno == EINTR) {
        continue;
      } else if (is_peer_gone(errno)) {
        throw_peer_closed(spec, "recv", end_ - begin_, kHeaderBytes + message_size_);
      } else {
        throw_errno(spec, "recv");
      }
    }
  }

  std::size_t message_size_;
  std::vector<std::byte> buf_;
  std::size_t begin_ = 0;  // first unread byte
  std::size_t end_ = 0;    // one past the last byte received
};

/// The number in a /proc or /sys file ("/proc/sys/fs/pipe-max-size"), or
/// nullopt when it cannot be read.
inline std::optional<long long> read_proc_number(const char* path) {
  std::ifstream in(path);
  long long v = 0;
  if (in >> v) return v;
  return std::nullopt;
}

/// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);  // no retry on EINTR: on Linux the descriptor is gone either way
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace zeroipc::baselines::adapters::posix_io
