// zeroipc/variants/detail/crash_hook.h — named points where tests kill a
// process, so that every window of a protocol is reachable on purpose, not
// only by a random SIGKILL that happens to land in it.
//
// A test installs a hook for an enum of points (the table's CrashPoint, the
// channel's ChannelCrashPoint, the variants' VariantCrashPoint below) that
// raises SIGKILL at the point it wants. With no hook installed (always,
// outside tests) a crash point is one relaxed load.
#pragma once

#include <atomic>

namespace zeroipc::detail {

template <class Point>
using CrashHookOf = void (*)(Point);

template <class Point>
inline std::atomic<CrashHookOf<Point>>& crash_hook_of() noexcept {
  static std::atomic<CrashHookOf<Point>> hook{nullptr};
  return hook;
}

template <class Point>
inline void crash_point_of(Point point) noexcept {
  if (CrashHookOf<Point> hook = crash_hook_of<Point>().load(std::memory_order_relaxed)) hook(point);
}

}  // namespace zeroipc::detail

namespace zeroipc::variants::detail {

/// The windows in which a variant's operation holds a node or an index that
/// no list holds (what a recovery gives back: op_slots.h), and one window a
/// test pauses a thread in, to stand for a preemption at the worst moment.
enum class VariantCrashPoint : int {
  kPushHolding = 1,  // a push took a free node / index, and has not linked it yet
  kPopHolding = 2,   // a pop took a node / index off the data side, and has not freed it yet
  kDequeuePassed = 3,  // a ring dequeue (scq, lcrq) passed its position and has not read tail yet
};

inline void crash_point(VariantCrashPoint point) noexcept { zeroipc::detail::crash_point_of(point); }

}  // namespace zeroipc::variants::detail
