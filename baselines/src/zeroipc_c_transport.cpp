// zeroipc/baselines/zeroipc_c_transport.cpp — the C implementation of the
// format (lib/c, libzeroipc-c, zeroipc.h) behind the transport interface, on
// exactly the work of zeroipc_transport.cpp's ZeroipcLink, so that the two
// implementations of one queue variant are measured side by side in one run
// ("zeroipc_c_<variant>" next to "zeroipc_<variant>").
//
// The same link as ZeroipcLink (frame.h's SegmentLink), through zeroipc.h's
// functions instead of the C++ classes (zeroipc_c_link.h's CSegmentLink and
// ZeroipcCLink, shared with zeroipc_python_transport.cpp, whose client is this
// one's and whose server is a Python process): the server's listen() removes a stale
// segment of the link's name, creates "/<name>-zeroipc-c" of the same size, and
// in it the queue "c2s" (client to server) and, for request_reply, "s2c", of
// the chosen variant, capacity max(spec.capacity, 1), elements of
// Frame<S> (S the smallest power of two >= message_size, dtype opaque); the
// client opens the segment and the queues (their variant read from the header)
// in connect(); the server's destructor unlinks the segment. A message of
// exactly S bytes (at the frame's alignment) is pushed from and popped into
// the caller's buffer, one copy each way; other sizes go through a local frame
// (one more copy). A full queue on send, an empty one on receive, is waited on
// by spinning on the queue with the CPU's pause hint, no system call.
//
// Errors (a negative status) become TransportError with the transport's name,
// the call, the status name and zeroipc_last_error(): the message the C++
// library would have thrown for the same failure.
#include "zeroipc_c_link.h"
#include "zeroipc/layout/queue_locked_ring.h"
#include "zeroipc/layout/queue_spsc_ring.h"
#include "zeroipc/layout/queue_vyukov_bounded.h"

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-zeroipc-c"; }

// One per kZeroipcCVariants entry (adapters.h), same order.
constexpr CVariant kCVariants[] = {
    {"vyukov_bounded", ZEROIPC_QUEUE_VYUKOV_BOUNDED, zeroipc_vyukov_total_size},
    {"spsc_ring", ZEROIPC_QUEUE_SPSC_RING, zeroipc_spsc_total_size},
    {"locked_ring", ZEROIPC_QUEUE_LOCKED_RING, zeroipc_locked_ring_total_size},
};
static_assert(std::size(kCVariants) == std::size(kZeroipcCVariants));

}  // namespace

const CVariant& c_variant(const LinkSpec& spec, std::string_view name) {
  for (const auto& v : kCVariants) {
    if (v.name == name) return v;
  }
  throw TransportError(spec.transport + ": the C implementation has no queue variant '" + std::string(name) + "'");
}

// ---- CSegmentLink (zeroipc_c_link.h) ------------------------------------------------------

CSegmentLink::CSegmentLink(const LinkSpec& spec, Side side, const CVariant& variant, std::string segment,
                           std::uint32_t element_size, std::uint64_t extra_bytes)
    : spec_(spec), side_(side), variant_(variant), segment_(std::move(segment)), capacity_(c_queue_capacity(spec)),
      element_size_(element_size),
      segment_bytes_((spec.pattern == Pattern::request_reply ? 2 : 1) *
                         (variant.total_size(capacity_, element_size) + 4096) +
                     (1 << 16) + extra_bytes) {}

CSegmentLink::~CSegmentLink() {
  out_.reset();
  in_.reset();
  mem_.reset();
  if (side_ == Side::server && created_) zeroipc_memory_unlink(segment_.c_str());
}

std::string CSegmentLink::listen() {
  if (side_ == Side::client) return "";
  zeroipc_memory_unlink(segment_.c_str());  // a stale one from a crashed run of the same name
  zeroipc_memory* mem = nullptr;
  check(zeroipc_memory_create(segment_.c_str(), segment_bytes_, nullptr, &mem), "zeroipc_memory_create");
  mem_.reset(mem);
  created_ = true;
  in_ = create_queue("c2s");
  if (spec_.pattern == Pattern::request_reply) out_ = create_queue("s2c");
  return segment_;
}

void CSegmentLink::connect(const std::string& address) {
  if (side_ == Side::server) return;  // the queues are ready since listen()
  zeroipc_memory* mem = nullptr;
  check(zeroipc_memory_open(address.c_str(), 0, &mem), "zeroipc_memory_open");
  mem_.reset(mem);
  out_ = open_queue("c2s");
  if (spec_.pattern == Pattern::request_reply) in_ = open_queue("s2c");
}

void CSegmentLink::check(int rc, const char* call) const {
  if (rc >= 0) return;
  throw TransportError(spec_.transport + ": " + call + ": " + zeroipc_status_name(rc) + ": " + zeroipc_last_error());
}

CQueueHandle CSegmentLink::create_queue(const char* name) {
  zeroipc_queue* q = nullptr;
  check(zeroipc_queue_create(mem_.get(), name, variant_.id, capacity_, element_size_, ZEROIPC_DTYPE_OPAQUE, &q),
        "zeroipc_queue_create");
  return CQueueHandle(q);
}

CQueueHandle CSegmentLink::open_queue(const char* name) {
  zeroipc_queue* q = nullptr;
  check(zeroipc_queue_open(mem_.get(), name, element_size_, ZEROIPC_DTYPE_OPAQUE, &q), "zeroipc_queue_open");
  return CQueueHandle(q);
}

zeroipc_queue* CSegmentLink::out() {
  if (!out_) throw TransportError(spec_.transport + ": send on a side that does not send");
  return out_.get();
}

zeroipc_queue* CSegmentLink::in() {
  if (!in_) throw TransportError(spec_.transport + ": receive on a side that does not receive");
  return in_.get();
}

// ---- the transport --------------------------------------------------------------------------

std::unique_ptr<Transport> make_zeroipc_c(const LinkSpec& spec, Side side, const std::string& variant) {
  const CVariant& v = c_variant(spec, variant);
  return with_frame_size(spec, [&]<std::size_t S>() -> std::unique_ptr<Transport> {
    return std::make_unique<ZeroipcCLink<S>>(spec, side, v, segment_of(spec));
  });
}

void remove_zeroipc_c_leftovers(const LinkSpec& spec) noexcept {
  zeroipc_memory_unlink(segment_of(spec).c_str());
}

}  // namespace zeroipc::baselines::adapters
