// zeroipc/baselines/zeroipc_c_transport.cpp — the C implementation of the
// format (lib/c, libzeroipc-c, zeroipc.h) behind the transport interface, on
// exactly the work of zeroipc_transport.cpp's ZeroipcLink, so that the two
// implementations of one queue variant are measured side by side in one run
// ("zeroipc_c_<variant>" next to "zeroipc_<variant>").
//
// The same link as ZeroipcLink (frame.h's SegmentLink), through zeroipc.h's
// functions instead of the C++ classes: the server's listen() removes a stale
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
#include <algorithm>
#include <cstring>
#include <memory>

#include "adapters.h"
#include "frame.h"
#include "zeroipc.h"
#include "zeroipc/layout/queue_locked_ring.h"
#include "zeroipc/layout/queue_spsc_ring.h"
#include "zeroipc/layout/queue_vyukov_bounded.h"
#include "zeroipc/variants/detail/cpu_relax.h"

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-zeroipc-c"; }

// The link's window, as ZeroipcLink's: spec.capacity messages, at least 1.
std::size_t queue_capacity(const LinkSpec& spec) { return std::max<std::size_t>(spec.capacity, 1); }

struct CVariant {
  std::string_view name;
  zeroipc_queue_variant id;
  std::uint64_t (*total_size)(std::uint64_t capacity, std::uint32_t element_size);  // §7.2, the structure's bytes
};

// One per kZeroipcCVariants entry (adapters.h), same order.
constexpr CVariant kCVariants[] = {
    {"vyukov_bounded", ZEROIPC_QUEUE_VYUKOV_BOUNDED, zeroipc_vyukov_total_size},
    {"spsc_ring", ZEROIPC_QUEUE_SPSC_RING, zeroipc_spsc_total_size},
    {"locked_ring", ZEROIPC_QUEUE_LOCKED_RING, zeroipc_locked_ring_total_size},
};
static_assert(std::size(kCVariants) == std::size(kZeroipcCVariants));

const CVariant& c_variant(const LinkSpec& spec, std::string_view name) {
  for (const auto& v : kCVariants) {
    if (v.name == name) return v;
  }
  throw TransportError(spec.transport + ": the C implementation has no queue variant '" + std::string(name) + "'");
}

struct MemoryClose {
  void operator()(zeroipc_memory* m) const noexcept { zeroipc_memory_close(m); }
};
struct QueueClose {
  void operator()(zeroipc_queue* q) const noexcept { zeroipc_queue_close(q); }
};
using MemoryHandle = std::unique_ptr<zeroipc_memory, MemoryClose>;
using QueueHandle = std::unique_ptr<zeroipc_queue, QueueClose>;

template <std::size_t S>
class ZeroipcCLink final : public Transport {
 public:
  ZeroipcCLink(const LinkSpec& spec, Side side, const CVariant& variant)
      : spec_(spec), side_(side), variant_(variant), segment_(segment_of(spec)), capacity_(queue_capacity(spec)),
        structure_bytes_(variant.total_size(capacity_, static_cast<std::uint32_t>(S))) {}

  ~ZeroipcCLink() override {
    out_.reset();
    in_.reset();
    mem_.reset();
    if (side_ == Side::server && created_) zeroipc_memory_unlink(segment_.c_str());
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const bool duplex = spec_.pattern == Pattern::request_reply;
    zeroipc_memory_unlink(segment_.c_str());  // a stale one from a crashed run of the same name
    const std::uint64_t size = (duplex ? 2 : 1) * (structure_bytes_ + 4096) + (1 << 16);
    zeroipc_memory* mem = nullptr;
    check(zeroipc_memory_create(segment_.c_str(), size, nullptr, &mem), "zeroipc_memory_create");
    mem_.reset(mem);
    created_ = true;
    in_ = create_queue("c2s");
    if (duplex) out_ = create_queue("s2c");
    return segment_;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) return;  // the queues are ready since listen()
    zeroipc_memory* mem = nullptr;
    check(zeroipc_memory_open(address.c_str(), 0, &mem), "zeroipc_memory_open");
    mem_.reset(mem);
    out_ = open_queue("c2s");
    if (spec_.pattern == Pattern::request_reply) in_ = open_queue("s2c");
  }

  void send(const std::byte* message) override {
    zeroipc_queue* out = this->out();
    const Frame<S>* frame = exact(message) ? reinterpret_cast<const Frame<S>*>(message) : staged(message);
    int rc;
    while ((rc = zeroipc_queue_push(out, frame)) == ZEROIPC_FULL) variants::detail::cpu_relax();
    check(rc, "zeroipc_queue_push");
  }

  void receive(std::byte* message) override {
    zeroipc_queue* in = this->in();
    int rc;
    if (exact(message)) {
      while ((rc = zeroipc_queue_pop(in, message)) == ZEROIPC_EMPTY) variants::detail::cpu_relax();
      check(rc, "zeroipc_queue_pop");
    } else {
      while ((rc = zeroipc_queue_pop(in, &scratch_)) == ZEROIPC_EMPTY) variants::detail::cpu_relax();
      check(rc, "zeroipc_queue_pop");
      std::memcpy(message, scratch_.bytes, spec_.message_size);
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
  // A negative status as a TransportError; ZEROIPC_OK (and the not-now answers
  // the callers loop on) pass.
  void check(int rc, const char* call) const {
    if (rc >= 0) return;
    throw TransportError(spec_.transport + ": " + call + ": " + zeroipc_status_name(rc) + ": " +
                         zeroipc_last_error());
  }

  QueueHandle create_queue(const char* name) {
    zeroipc_queue* q = nullptr;
    check(zeroipc_queue_create(mem_.get(), name, variant_.id, capacity_, static_cast<std::uint32_t>(S),
                               ZEROIPC_DTYPE_OPAQUE, &q),
          "zeroipc_queue_create");
    return QueueHandle(q);
  }
  QueueHandle open_queue(const char* name) {
    zeroipc_queue* q = nullptr;
    check(zeroipc_queue_open(mem_.get(), name, static_cast<std::uint32_t>(S), ZEROIPC_DTYPE_OPAQUE, &q),
          "zeroipc_queue_open");
    return QueueHandle(q);
  }

  zeroipc_queue* out() {
    if (!out_) throw TransportError(spec_.transport + ": send on a side that does not send");
    return out_.get();
  }
  zeroipc_queue* in() {
    if (!in_) throw TransportError(spec_.transport + ": receive on a side that does not receive");
    return in_.get();
  }

  // As ZeroipcLink: the caller's buffer is the frame when it is exactly one,
  // at a frame's alignment.
  bool exact(const std::byte* p) const {
    return spec_.message_size == S && reinterpret_cast<std::uintptr_t>(p) % alignof(Frame<S>) == 0;
  }
  const Frame<S>* staged(const std::byte* message) {
    std::memcpy(scratch_.bytes, message, spec_.message_size);
    return &scratch_;
  }

  LinkSpec spec_;
  Side side_;
  const CVariant& variant_;
  std::string segment_;
  std::size_t capacity_;
  std::uint64_t structure_bytes_;
  bool created_ = false;
  // Declared in this order so the queues close before the memory handle (the
  // destructor resets them explicitly in that order anyway).
  MemoryHandle mem_;
  QueueHandle in_, out_;
  Frame<S> scratch_{};
};

}  // namespace

std::unique_ptr<Transport> make_zeroipc_c(const LinkSpec& spec, Side side, const std::string& variant) {
  const CVariant& v = c_variant(spec, variant);
  return with_frame_size(spec, [&]<std::size_t S>() -> std::unique_ptr<Transport> {
    return std::make_unique<ZeroipcCLink<S>>(spec, side, v);
  });
}

void remove_zeroipc_c_leftovers(const LinkSpec& spec) noexcept {
  zeroipc_memory_unlink(segment_of(spec).c_str());
}

}  // namespace zeroipc::baselines::adapters
