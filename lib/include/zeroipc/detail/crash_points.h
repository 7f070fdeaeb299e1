// zeroipc/detail/crash_points.h — named points where tests kill a process.
//
// The crash tests must show that a process killed at *any* step of a protocol
// leaves the segment usable. Random SIGKILLs find most windows; these hooks
// make every window of the table protocol reachable deterministically: a test
// installs a hook that raises SIGKILL at the point it wants to test. With no
// hook installed (always, outside tests) a crash point is one relaxed load.
#pragma once

#include <atomic>

namespace zeroipc::detail {

enum class CrashPoint : int {
  kTableLocked = 1,       // lock held, nothing written yet
  kEntryReserved = 2,     // entry RESERVED, cursor and count not yet moved
  kCursorMoved = 3,       // alloc_cursor moved, table_count not yet
  kCountMoved = 4,        // table_count moved, structure not initialised
  kStructureHalfMade = 5, // structure header written, body not yet
  kEntryReady = 6,        // entry READY, lock still held
};

/// The hook mechanism, one per enum of points (the table's CrashPoint here,
/// the channel's ChannelCrashPoint in channel_layout.h).
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

using CrashHook = CrashHookOf<CrashPoint>;

inline std::atomic<CrashHook>& crash_hook() noexcept { return crash_hook_of<CrashPoint>(); }

inline void crash_point(CrashPoint point) noexcept { crash_point_of(point); }

}  // namespace zeroipc::detail
