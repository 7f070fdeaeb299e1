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
// blocking path costs. The server's listen() creates a segment of its own,
// "/<name>-channel", with the buffered channels "c2s" and (request_reply)
// "s2c" of spec.capacity Frame<S> elements; the client opens it in connect().
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
class ChannelLink final : public Transport {
  using C = Channel<Frame<S>>;

 public:
  ChannelLink(const LinkSpec& spec, Side side, bool spin) : spec_(spec), side_(side), spin_(spin) {}
  ~ChannelLink() override {
    out_.reset();
    in_.reset();
    mem_.reset();
    if (side_ == Side::server && created_) Memory::unlink(segment_of(spec_));
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const std::string name = segment_of(spec_);
    const bool duplex = spec_.pattern == Pattern::request_reply;
    const std::uint64_t one = detail::channel::total_size(spec_.capacity, S);
    Memory::unlink(name);  // a stale one from a crashed run of the same name
    mem_.emplace(name, static_cast<std::size_t>((duplex ? 2 : 1) * (one + 4096) + (1 << 16)));
    created_ = true;
    in_.emplace(*mem_, "c2s", spec_.capacity);
    if (duplex) out_.emplace(*mem_, "s2c", spec_.capacity);
    return name;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) return;
    mem_.emplace(address);
    out_.emplace(*mem_, "c2s");
    if (spec_.pattern == Pattern::request_reply) in_.emplace(*mem_, "s2c");
  }

  void send(const std::byte* message) override {
    if (!out_) throw TransportError(spec_.transport + ": send on a side that does not send");
    std::memcpy(frame_.bytes, message, spec_.message_size);
    if (spin_) {
      while (!out_->try_send(frame_)) variants::detail::cpu_relax();
    } else {
      out_->send(frame_);
    }
  }

  void receive(std::byte* message) override {
    if (!in_) throw TransportError(spec_.transport + ": receive on a side that does not receive");
    std::optional<Frame<S>> got;
    if (spin_) {
      while (!(got = in_->try_receive())) variants::detail::cpu_relax();
    } else if (!(got = in_->receive())) {
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
  LinkSpec spec_;
  Side side_;
  bool spin_;
  bool created_ = false;
  std::optional<Memory> mem_;
  std::optional<C> in_, out_;
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
