// The layout of one repetition's segment, shared by the harness (RunSegment,
// which creates it) and the workers (which open it), and the dispatch from a
// run's (structure, variant, message size) to a compiled handle type.
// Internal to the harness: not installed, not part of the results format.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "zeroipc/array.h"
#include "zeroipc/harness/message.h"
#include "zeroipc/harness/reference_spsc.h"
#include "zeroipc/harness/worker.h"
#include "zeroipc/registry.h"

namespace zeroipc::harness::run {

/// One counter alone on its cache line (no false sharing between them).
struct alignas(64) Line {
  std::atomic<std::uint64_t> v;
};
static_assert(sizeof(Line) == 64 && std::atomic<std::uint64_t>::is_always_lock_free,
              "each control counter owns one cache line and is a lock-free 64-bit atomic");

/// The control block, at the start of the "control" array (64-byte aligned).
/// Phase 0 is the warm-up, phase 1 the timed phase. What one workload alone
/// needs in the segment is its own (WorkloadDef::arrays), not here.
struct Control {
  Line barrier_count;       // workers arrived at the current barrier
  Line barrier_generation;  // bumped by the last to arrive; the others wait for it to change
  Line produced[2];         // messages sent in the phase, added by each producer when done
  Line producers_done[2];   // producers finished with the phase
  Line consumed[2];         // messages received in the phase, added by consumers in batches
  // Transport cases: the server's listen() address, written before the first
  // barrier, read by the client after it ((3)/(4) order it).
  std::uint64_t address_length;
  char address[248];
};
static_assert(sizeof(Control::address) + sizeof(Control::address_length) == 256, "the address block is 256 bytes");

inline constexpr std::size_t kControlWords = sizeof(Control) / 8 + 8;  // + room to align to 64
/// Words of an array that holds one 64-byte aligned line (a workload's own, see worker_kit.h).
inline constexpr std::uint64_t kLineWords = 64 / 8 + 8;  // + room to align to 64

/// The control block inside the "control" array (which the harness zeroes).
inline Control* control_of(Array<std::uint64_t>& words) {
  auto p = reinterpret_cast<std::uintptr_t>(words.data());
  p = (p + 63) & ~std::uintptr_t{63};
  return reinterpret_cast<Control*>(p);
}

// Names of the pieces in the segment.
inline constexpr const char* kControlName = "control";
inline constexpr const char* kForwardName = "a";     // the structure; pingpong's ping
inline constexpr const char* kBackName = "b";        // pingpong's pong
inline constexpr const char* kSendStamps = "send_stamps";
inline constexpr const char* kRecvStamps = "recv_stamps";

/// The harness's ceiling, structure "reference": the minimal SPSC ring
/// (zeroipc/harness/reference_spsc.h) of messages M in an array of the run
/// segment, seen through the push/pop shape the workloads use (the one-way
/// loop's producer writes its messages in place: push_in_place). The array is
/// made with room to align the ring to 64 bytes; the capacity is rounded up
/// to a power of two.
template <class M>
class ReferenceHandle {
 public:
  using value_type = M;
  static constexpr bool kFifoOrder = true;

  static std::uint64_t total_size(std::uint64_t capacity, std::uint32_t) {
    return words(capacity) * 8 + 128;
  }
  /// Makes the ring `name` in `mem`.
  ReferenceHandle(Memory& mem, const char* name, std::uint64_t capacity)
      : words_(mem, name, words(capacity)), ring_(aligned(words_), std::bit_ceil(capacity)) {}
  /// The ring `name` another process made in `mem`.
  ReferenceHandle(Memory& mem, const char* name)
      : words_(mem, name), ring_(aligned(words_), available(words_), kOpenReference) {}

  bool push(const M& m) noexcept { return ring_.push(m); }
  /// The one-way loop's form (worker_kit.h): message `seq` written in its slot.
  bool push_in_place(std::uint64_t seq) noexcept {
    return ring_.push_with([seq](M& slot) noexcept { slot.write(seq); });
  }
  std::optional<M> pop() noexcept {
    M m;  // not zeroed: pop overwrites every word
    if (!ring_.pop(m)) return std::nullopt;
    return m;
  }

 private:
  static std::uint64_t words(std::uint64_t capacity) {
    return ReferenceSpsc<M>::bytes(std::bit_ceil(capacity)) / 8 + 8;  // + room to align to 64
  }
  static void* aligned(Array<std::uint64_t>& a) {
    return reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(a.data()) + 63) & ~std::uintptr_t{63});
  }
  static std::uint64_t available(Array<std::uint64_t>& a) {
    const auto skipped = reinterpret_cast<std::uintptr_t>(aligned(a)) - reinterpret_cast<std::uintptr_t>(a.data());
    return a.size() * 8 > skipped ? a.size() * 8 - skipped : 0;
  }

  Array<std::uint64_t> words_;
  ReferenceSpsc<M> ring_;
};

template <class H>
struct is_queue : std::false_type {};
template <class T, class V>
struct is_queue<Queue<T, V>> : std::true_type {};

/// Calls f(std::integral_constant<std::size_t, S>{}) for a supported size
/// (config.h supported_message_sizes(); a test checks they agree).
template <class F>
void with_message_size(std::uint64_t size, F&& f) {
  switch (size) {
    case 8: return f(std::integral_constant<std::size_t, 8>{});
    case 16: return f(std::integral_constant<std::size_t, 16>{});
    case 32: return f(std::integral_constant<std::size_t, 32>{});
    case 64: return f(std::integral_constant<std::size_t, 64>{});
    case 128: return f(std::integral_constant<std::size_t, 128>{});
    case 256: return f(std::integral_constant<std::size_t, 256>{});
    case 1024: return f(std::integral_constant<std::size_t, 1024>{});
    case 4096: return f(std::integral_constant<std::size_t, 4096>{});
    case 16384: return f(std::integral_constant<std::size_t, 16384>{});
    case 65536: return f(std::integral_constant<std::size_t, 65536>{});
    default: throw std::invalid_argument("message size " + std::to_string(size) + " is not compiled in");
  }
}

/// Calls f(std::type_identity<H>{}) with H = Queue<Message<S>, V>, Stack<Message<S>, V> or ReferenceHandle<Message<S>>.
template <class F>
void with_handle_type(const RunParams& p, F&& f) {
  with_message_size(p.message_size, [&](auto size) {
    using M = Message<decltype(size)::value>;
    if (p.structure == "queue") {
      with_queue_variant(p.variant, [&]<class V>(std::type_identity<V>) { f(std::type_identity<Queue<M, V>>{}); });
    } else if (p.structure == "stack") {
      with_stack_variant(p.variant, [&]<class V>(std::type_identity<V>) { f(std::type_identity<Stack<M, V>>{}); });
    } else if (p.structure == "reference") {
      f(std::type_identity<ReferenceHandle<M>>{});
    } else {
      throw std::invalid_argument("unknown structure '" + p.structure + "'");
    }
  });
}

}  // namespace zeroipc::harness::run
