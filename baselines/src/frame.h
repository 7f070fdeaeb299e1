// The element the zeroipc adapters move: a Frame<S> of S bytes, S the
// smallest power of two >= the link's message size (8 .. 65536), and the
// dispatch from a run-time message size to the compiled S. Internal.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "zeroipc/baselines/transport.h"
#include "zeroipc/memory.h"

namespace zeroipc::baselines::adapters {

template <std::size_t S>
struct alignas(8) Frame {
  std::byte bytes[S];
};
static_assert(sizeof(Frame<8>) == 8 && sizeof(Frame<65536>) == 65536 && std::is_trivially_copyable_v<Frame<64>>,
              "a frame is exactly its size, copied byte for byte");

/// A message as a Frame<S>: the caller's buffer itself when the message is exactly
/// one frame (S bytes, at a frame's alignment: one copy each way, by the structure),
/// else staged through a local frame (one more copy).
template <std::size_t S>
class FrameStage {
 public:
  explicit FrameStage(std::size_t message_size) : size_(message_size) {}

  /// True when `p` can be pushed from or popped into as a frame.
  bool exact(const std::byte* p) const {
    return size_ == S && reinterpret_cast<std::uintptr_t>(p) % alignof(Frame<S>) == 0;
  }
  /// The frame to push for `message`.
  const Frame<S>* outgoing(const std::byte* message) {
    if (exact(message)) return reinterpret_cast<const Frame<S>*>(message);
    std::memcpy(scratch_.bytes, message, size_);
    return &scratch_;
  }
  /// The local frame a non-exact receive pops into, then deliver() copies out.
  Frame<S>& scratch() { return scratch_; }
  void deliver(std::byte* message) const { std::memcpy(message, scratch_.bytes, size_); }

 private:
  std::size_t size_;
  Frame<S> scratch_{};
};

/// One side of a link made of two zeroipc structures H (a Queue or a Channel of
/// frames) in a segment of their own: "c2s" (client to server) and, for
/// request_reply, "s2c". The server's listen() creates the segment and both
/// structures (capacity `capacity`, `structure_bytes` each) and returns the
/// segment's name; the client opens them in connect(); the server's
/// destructor unlinks the segment. Subclasses move the frames.
template <class H>
class SegmentLink : public Transport {
 public:
  ~SegmentLink() override {
    out_.reset();
    in_.reset();
    mem_.reset();
    if (side_ == Side::server && created_) Memory::unlink(segment_);
  }

  std::string listen() override {
    if (side_ == Side::client) return "";
    const bool duplex = spec_.pattern == Pattern::request_reply;
    Memory::unlink(segment_);  // a stale one from a crashed run of the same name
    mem_.emplace(segment_, static_cast<std::size_t>((duplex ? 2 : 1) * (structure_bytes_ + 4096) + (1 << 16)));
    created_ = true;
    in_.emplace(*mem_, "c2s", capacity_);
    if (duplex) out_.emplace(*mem_, "s2c", capacity_);
    return segment_;
  }

  void connect(const std::string& address) override {
    if (side_ == Side::server) return;  // the structures are ready since listen()
    mem_.emplace(address);
    out_.emplace(*mem_, "c2s");
    if (spec_.pattern == Pattern::request_reply) in_.emplace(*mem_, "s2c");
  }

 protected:
  SegmentLink(const LinkSpec& spec, Side side, std::string segment, std::size_t capacity,
              std::uint64_t structure_bytes)
      : spec_(spec), side_(side), segment_(std::move(segment)), capacity_(capacity),
        structure_bytes_(structure_bytes) {}

  H& out() {
    if (!out_) throw TransportError(spec_.transport + ": send on a side that does not send");
    return *out_;
  }
  H& in() {
    if (!in_) throw TransportError(spec_.transport + ": receive on a side that does not receive");
    return *in_;
  }

  LinkSpec spec_;
  Side side_;
  std::string segment_;
  std::size_t capacity_;
  std::uint64_t structure_bytes_;

 private:
  bool created_ = false;
  std::optional<Memory> mem_;
  std::optional<H> in_, out_;
};

/// f.template operator()<S>() for S = bit_ceil(spec.message_size), one of 8, 16, ..., 65536;
/// returns what f returns (a transport).
template <class F>
std::unique_ptr<Transport> with_frame_size(const LinkSpec& spec, F&& f) {
  std::unique_ptr<Transport> out;
  const std::size_t frame = std::bit_ceil(spec.message_size);
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    ((frame == (std::size_t{8} << K) ? (out = f.template operator()<(std::size_t{8} << K)>(), true) : false) || ...);
  }(std::make_index_sequence<14>{});
  if (!out) {
    throw TransportError(spec.transport + ": message size " + std::to_string(spec.message_size) +
                         " (expected 8 .. 65536 bytes)");
  }
  return out;
}

}  // namespace zeroipc::baselines::adapters
