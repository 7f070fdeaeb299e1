// The element the zeroipc adapters move: a Frame<S> of S bytes, S the
// smallest power of two >= the link's message size (8 .. 65536), and the
// dispatch from a run-time message size to the compiled S. Internal.
#pragma once

#include <bit>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "zeroipc/baselines/transport.h"

namespace zeroipc::baselines::adapters {

template <std::size_t S>
struct alignas(8) Frame {
  std::byte bytes[S];
};
static_assert(sizeof(Frame<8>) == 8 && sizeof(Frame<65536>) == 65536 && std::is_trivially_copyable_v<Frame<64>>,
              "a frame is exactly its size, copied byte for byte");

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
