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

using CrashHook = void (*)(CrashPoint);

inline std::atomic<CrashHook>& crash_hook() noexcept {
  static std::atomic<CrashHook> hook{nullptr};
  return hook;
}

inline void crash_point(CrashPoint point) noexcept {
  if (CrashHook hook = crash_hook().load(std::memory_order_relaxed)) hook(point);
}

}  // namespace zeroipc::detail
