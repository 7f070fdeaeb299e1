// zeroipc/baselines/zeroipc_transport.cpp — zeroipc's own queues behind the
// transport interface, so they are measured on exactly the work the other
// transports do.
//
// A SegmentLink (frame.h): the server's listen() creates a segment of its own, "/<name>-zeroipc", with
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
#include <algorithm>
#include <cstring>

#include "adapters.h"
#include "frame.h"
#include "zeroipc/memory.h"
#include "zeroipc/registry.h"
#include "zeroipc/variants/detail/cpu_relax.h"

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-zeroipc"; }

// The link's window, spec.capacity messages, as the other transports' (a
// Queue takes any capacity from 1; a power of two runs its variant's
// published algorithm unchanged).
std::size_t queue_capacity(const LinkSpec& spec) { return std::max<std::size_t>(spec.capacity, 1); }

template <std::size_t S, class V>
class ZeroipcLink final : public SegmentLink<Queue<Frame<S>, V>> {
  using Q = Queue<Frame<S>, V>;
  using Base = SegmentLink<Q>;

 public:
  ZeroipcLink(const LinkSpec& spec, Side side)
      : Base(spec, side, segment_of(spec), queue_capacity(spec), Q::total_size(queue_capacity(spec), S)),
        stage_(spec.message_size) {}

  void send(const std::byte* message) override {
    Q& out = this->out();
    const Frame<S>* frame = stage_.outgoing(message);
    while (!out.push(*frame)) variants::detail::cpu_relax();
  }

  void receive(std::byte* message) override {
    Q& in = this->in();
    if (stage_.exact(message)) {
      auto* frame = reinterpret_cast<Frame<S>*>(message);
      while (!in.pop(*frame)) variants::detail::cpu_relax();
    } else {
      while (!in.pop(stage_.scratch())) variants::detail::cpu_relax();
      stage_.deliver(message);
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
  using Base::spec_;
  FrameStage<S> stage_;
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
