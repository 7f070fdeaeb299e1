// zeroipc/baselines/zeroipc_transport.cpp — zeroipc's own queues behind the
// transport interface, so they are measured on exactly the work the other
// transports do.
//
// The server's listen() creates a segment of its own, "/<name>-zeroipc", with
// two queues of the chosen variant: "c2s" (client to server) and, for
// request_reply, "s2c". The client opens it in connect(). A queue element is
// a Frame<S>: the smallest power of two S >= message_size; a message of
// exactly S bytes is pushed from (and popped into) the caller's buffer with
// one copy each way, as a write() and a read() copy once into and out of the
// kernel; other sizes go through a local frame (one more copy).
//
// Waiting: a full queue on send, an empty one on receive, is waited on by
// spinning on the queue (with the CPU's pause hint): no system call, and a
// core busy while waiting. That is how a latency-critical user runs zeroipc,
// and the cost the CPU-time columns of the results show; the other transports
// sleep in the kernel instead.
#include <bit>
#include <cstring>

#include "adapters.h"
#include "frame.h"
#include "zeroipc/memory.h"
#include "zeroipc/registry.h"
#include "zeroipc/variants/detail/cpu_relax.h"

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-zeroipc"; }

std::size_t queue_capacity(const LinkSpec& spec) {
  return std::bit_ceil(std::max<std::size_t>(spec.capacity, 2));  // a power of two, >= 2
}

template <std::size_t S, class V>
class ZeroipcLink final : public Transport {
  using Q = Queue<Frame<S>, V>;

 public:
  ZeroipcLink(const LinkSpec& spec, Side side) : spec_(spec), side_(side) {}
  ~ZeroipcLink() override {
    out_.reset();
    in_.reset();
    mem_.reset();
    if (side_ == Side::server && created_) Memory::unlink(segment_of(spec_));
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const std::string name = segment_of(spec_);
    const std::size_t capacity = queue_capacity(spec_);
    const bool duplex = spec_.pattern == Pattern::request_reply;
    const std::uint64_t one = Q::total_size(capacity, S);
    Memory::unlink(name);  // a stale one from a crashed run of the same name
    mem_.emplace(name, static_cast<std::size_t>((duplex ? 2 : 1) * (one + 4096) + (1 << 16)));
    created_ = true;
    in_.emplace(*mem_, "c2s", capacity);
    if (duplex) out_.emplace(*mem_, "s2c", capacity);
    return name;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) return;  // the queues are ready since listen()
    mem_.emplace(address);
    out_.emplace(*mem_, "c2s");
    if (spec_.pattern == Pattern::request_reply) in_.emplace(*mem_, "s2c");
  }

  void send(const std::byte* message) override {
    if (!out_) throw TransportError(spec_.transport + ": send on a side that does not send");
    const Frame<S>* frame = exact(message) ? reinterpret_cast<const Frame<S>*>(message) : staged(message);
    while (!out_->push(*frame)) variants::detail::cpu_relax();
  }

  void receive(std::byte* message) override {
    if (!in_) throw TransportError(spec_.transport + ": receive on a side that does not receive");
    if (exact(message)) {
      auto* frame = reinterpret_cast<Frame<S>*>(message);
      while (!in_->pop(*frame)) variants::detail::cpu_relax();
    } else {
      while (!in_->pop(scratch_)) variants::detail::cpu_relax();
      std::memcpy(message, scratch_.bytes, spec_.message_size);
    }
  }

  nlohmann::json settings() const override {
    return {{"variant", std::string(V::kName)},
            {"frame_bytes", S},
            {"queue_capacity", queue_capacity(spec_)},
            {"wait", "spin (pause instruction), no system call"},
            {"segment", segment_of(spec_)}};
  }

 private:
  bool exact(const std::byte* p) const {
    return spec_.message_size == S && reinterpret_cast<std::uintptr_t>(p) % alignof(Frame<S>) == 0;
  }
  const Frame<S>* staged(const std::byte* message) {
    std::memcpy(scratch_.bytes, message, spec_.message_size);
    return &scratch_;
  }

  LinkSpec spec_;
  Side side_;
  bool created_ = false;
  std::optional<Memory> mem_;
  std::optional<Q> in_, out_;
  Frame<S> scratch_{};
};

}  // namespace

std::unique_ptr<Transport> make_zeroipc(const LinkSpec& spec, Side side, const std::string& variant) {
  return with_frame_size(spec, [&]<std::size_t S>() {
    std::unique_ptr<Transport> out;
    with_queue_variant(variant, [&]<class V>(std::type_identity<V>) {
      out = std::make_unique<ZeroipcLink<S, V>>(spec, side);
    });
    return out;
  });
}

void remove_zeroipc_leftovers(const LinkSpec& spec) noexcept {
  try {
    Memory::unlink(segment_of(spec));
  } catch (...) {
  }
}

}  // namespace zeroipc::baselines::adapters
