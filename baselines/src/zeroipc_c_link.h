// The link the C implementation's transports share (zeroipc_c_transport.cpp,
// zeroipc_python_transport.cpp): a segment of its own with the queue "c2s"
// (client to server) and, for request_reply, "s2c", of one queue variant the
// C library runs, made and used through zeroipc.h. Internal.
//
// CSegmentLink is the segment and its queues: the server's listen() removes a
// stale segment of the link's name, creates it ((duplex ? 2 : 1) queues of
// structure_bytes each, plus 4096 per queue and 64 KiB of slack, plus what a
// subclass asks for) and the queues, capacity max(spec.capacity, 1), elements
// of element_size bytes, dtype opaque; the client opens the segment and the
// queues (their variant read from the header) in connect(); the server's
// destructor unlinks the segment. ZeroipcCLink<S> moves Frame<S> messages over
// it (zeroipc_c_<variant> on both sides; zeroipc_python_<variant>'s client).
//
// Errors (a negative status) become TransportError with the transport's name,
// the call, the status name and zeroipc_last_error(): the message the C++
// library would have thrown for the same failure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "adapters.h"
#include "frame.h"
#include "zeroipc.h"
#include "zeroipc/variants/detail/cpu_relax.h"

namespace zeroipc::baselines::adapters {

/// A queue variant of the C library: its name, its zeroipc.h id, and the
/// bytes of one queue of it (§7.2).
struct CVariant {
  std::string_view name;
  zeroipc_queue_variant id;
  std::uint64_t (*total_size)(std::uint64_t capacity, std::uint32_t element_size);
};

/// The CVariant called `name` (one of kZeroipcCVariants); TransportError naming spec.transport otherwise.
const CVariant& c_variant(const LinkSpec& spec, std::string_view name);

/// The link's window, as ZeroipcLink's: spec.capacity messages, at least 1.
inline std::size_t c_queue_capacity(const LinkSpec& spec) { return std::max<std::size_t>(spec.capacity, 1); }

struct CMemoryClose {
  void operator()(zeroipc_memory* m) const noexcept { zeroipc_memory_close(m); }
};
struct CQueueClose {
  void operator()(zeroipc_queue* q) const noexcept { zeroipc_queue_close(q); }
};
using CMemoryHandle = std::unique_ptr<zeroipc_memory, CMemoryClose>;
using CQueueHandle = std::unique_ptr<zeroipc_queue, CQueueClose>;

/// One side of the segment and its queues (see the file comment).
class CSegmentLink : public Transport {
 public:
  ~CSegmentLink() override;
  std::string listen() override;
  void connect(const std::string& address) override;

 protected:
  /// `extra_bytes`: room a subclass's server adds to the segment for structures of its own.
  CSegmentLink(const LinkSpec& spec, Side side, const CVariant& variant, std::string segment,
               std::uint32_t element_size, std::uint64_t extra_bytes = 0);

  /// A negative status as a TransportError; ZEROIPC_OK (and the not-now
  /// answers the callers loop on) pass.
  void check(int rc, const char* call) const;
  zeroipc_queue* out();
  zeroipc_queue* in();
  zeroipc_memory* memory() const { return mem_.get(); }

  LinkSpec spec_;
  Side side_;
  const CVariant& variant_;
  std::string segment_;
  std::size_t capacity_;
  std::uint32_t element_size_;

 private:
  CQueueHandle create_queue(const char* name);
  CQueueHandle open_queue(const char* name);

  std::uint64_t segment_bytes_;
  bool created_ = false;
  // Declared in this order so the queues close before the memory handle (the
  // destructor resets them explicitly in that order anyway).
  CMemoryHandle mem_;
  CQueueHandle in_, out_;
};

/// Frame<S> messages over a CSegmentLink: a message of exactly S bytes (at the
/// frame's alignment) is pushed from and popped into the caller's buffer, one
/// copy each way; other sizes go through a local frame (one more copy). A
/// full queue on send, an empty one on receive, is waited on by spinning on
/// the queue with the CPU's pause hint, no system call.
template <std::size_t S>
class ZeroipcCLink final : public CSegmentLink {
 public:
  ZeroipcCLink(const LinkSpec& spec, Side side, const CVariant& variant, std::string segment)
      : CSegmentLink(spec, side, variant, std::move(segment), static_cast<std::uint32_t>(S)),
        stage_(spec.message_size) {}

  void send(const std::byte* message) override {
    zeroipc_queue* out = this->out();
    const Frame<S>* frame = stage_.outgoing(message);
    int rc;
    while ((rc = zeroipc_queue_push(out, frame)) == ZEROIPC_FULL) variants::detail::cpu_relax();
    check(rc, "zeroipc_queue_push");
  }

  void receive(std::byte* message) override {
    zeroipc_queue* in = this->in();
    int rc;
    if (stage_.exact(message)) {
      while ((rc = zeroipc_queue_pop(in, message)) == ZEROIPC_EMPTY) variants::detail::cpu_relax();
      check(rc, "zeroipc_queue_pop");
    } else {
      while ((rc = zeroipc_queue_pop(in, &stage_.scratch())) == ZEROIPC_EMPTY) variants::detail::cpu_relax();
      check(rc, "zeroipc_queue_pop");
      stage_.deliver(message);
    }
  }

  nlohmann::json settings() const override {
    return {{"implementation", "C (libzeroipc-c, zeroipc.h)"},
            {"variant", std::string(variant_.name)},
            {"frame_bytes", S},
            {"queue_capacity", capacity_},
            {"wait", "spin (pause instruction), no system call"},
            {"segment", segment_}};
  }

 private:
  FrameStage<S> stage_;  // frame.h: the caller's buffer when it is exactly a frame
};

}  // namespace zeroipc::baselines::adapters
