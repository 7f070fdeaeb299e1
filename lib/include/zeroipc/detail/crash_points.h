// zeroipc/detail/crash_points.h — named points of the table protocol where
// tests kill a process (the mechanism: variants/detail/crash_hook.h).
//
// The crash tests must show that a process killed at *any* step of a protocol
// leaves the segment usable. Random SIGKILLs find most windows; these hooks
// make every window of the table protocol reachable deterministically.
#pragma once

#include <atomic>

#include "zeroipc/variants/detail/crash_hook.h"

namespace zeroipc::detail {

enum class CrashPoint : int {
  kTableLocked = 1,       // lock held, nothing written yet
  kEntryReserved = 2,     // entry RESERVED, cursor and count not yet moved
  kCursorMoved = 3,       // alloc_cursor moved, table_count not yet
  kCountMoved = 4,        // table_count moved, structure not initialised
  kStructureHalfMade = 5, // structure header written, body not yet
  kEntryReady = 6,        // entry READY, lock still held
};

using CrashHook = CrashHookOf<CrashPoint>;

inline std::atomic<CrashHook>& crash_hook() noexcept { return crash_hook_of<CrashPoint>(); }

inline void crash_point(CrashPoint point) noexcept { crash_point_of(point); }

}  // namespace zeroipc::detail
