// zeroipc/baselines/zeroipc_channel_transport.cpp — zeroipc's Channel<T>
// (issue 6) behind the transport interface, two ways:
//
//   zeroipc_channel       send() and receive() block as a Channel user's do:
//                         a short spin, then a process-shared futex sleep
//                         (detail/wait.h) until the other side's wake;
//   zeroipc_channel_spin  try_send() / try_receive() in a loop with the pause
//                         hint: no system call, a core busy while waiting.
//
// Their ping-pong round trips against the floor-futex probe (a bare
// FUTEX_WAIT/FUTEX_WAKE round trip) and the cache-line floor show what the
// blocking path costs. A SegmentLink (frame.h): the server's listen() creates
// a segment of its own, "/<name>-channel", with the buffered channels "c2s"
// and (request_reply) "s2c" of spec.capacity Frame<S> elements (capacity 0,
// rendezvous, is not offered here); the client opens it in connect().
#include <cstring>

#include "adapters.h"
#include "frame.h"
#include "zeroipc/channel.h"
#include "zeroipc/memory.h"
#include "zeroipc/variants/detail/cpu_relax.h"

namespace zeroipc::baselines::adapters {

namespace {

std::string segment_of(const LinkSpec& spec) { return "/" + spec.name + "-channel"; }

template <std::size_t S>
class ChannelLink final : public SegmentLink<Channel<Frame<S>>> {
  using C = Channel<Frame<S>>;
  using Base = SegmentLink<C>;

 public:
  ChannelLink(const LinkSpec& spec, Side side, bool spin)
      : Base(spec, side, segment_of(spec), spec.capacity, detail::channel::total_size(spec.capacity, S)),
        spin_(spin) {}

  void send(const std::byte* message) override {
    C& out = this->out();
    std::memcpy(frame_.bytes, message, spec_.message_size);
    if (spin_) {
      while (!out.try_send(frame_)) variants::detail::cpu_relax();
    } else {
      out.send(frame_);
    }
  }

  void receive(std::byte* message) override {
    C& in = this->in();
    std::optional<Frame<S>> got;
    if (spin_) {
      while (!(got = in.try_receive())) variants::detail::cpu_relax();
    } else if (!(got = in.receive())) {
      throw TransportError(spec_.transport + ": the channel was closed");
    }
    std::memcpy(message, got->bytes, spec_.message_size);
  }

  nlohmann::json settings() const override {
    return {{"frame_bytes", S},
            {"capacity", spec_.capacity},
            {"wait", spin_ ? "try_send / try_receive in a loop (pause instruction), no system call"
                           : "send / receive: a short spin, then a process-shared futex sleep"},
            {"segment", segment_of(spec_)}};
  }

 private:
  using Base::spec_;
  bool spin_;
  Frame<S> frame_{};
};

}  // namespace

std::unique_ptr<Transport> make_zeroipc_channel(const LinkSpec& spec, Side side, bool spin) {
  return with_frame_size(spec, [&]<std::size_t S>() -> std::unique_ptr<Transport> {
    return std::make_unique<ChannelLink<S>>(spec, side, spin);
  });
}

void remove_zeroipc_channel_leftovers(const LinkSpec& spec) noexcept {
  try {
    Memory::unlink(segment_of(spec));
  } catch (...) {
  }
}

}  // namespace zeroipc::baselines::adapters
