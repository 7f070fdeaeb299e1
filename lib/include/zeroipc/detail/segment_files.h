// zeroipc/detail/segment_files.h — the files behind segments, for the
// library and for tools that look at them without opening them as a user
// would (zeroipc-inspect reads segments read-only, takes no lock and never
// attaches).
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <sys/types.h>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/variants/detail/liveness.h"

namespace zeroipc::detail {

/// glibc's shm_open() creates "/dev/shm/<name>"; creation links within it.
inline constexpr const char* kShmDir = "/dev/shm";
/// A creator holds an OFD write lock on this byte of its temporary file
/// until it is published or given up (SPECIFICATION.md §1).
inline constexpr off_t kCreationLockByte = kLivenessBase - 1;
/// A temporary younger than this is never swept, locked or not: it covers
/// the microseconds between its creation and its creator's lock.
inline constexpr std::int64_t kTempGraceNs = 1'000'000'000;

/// SPECIFICATION.md §5 items 1-5 on a private copy `h` of the header of a
/// file of `file_size` bytes: the geometry, or CorruptSegment /
/// VersionMismatch naming the segment `name` and the field that is wrong.
Geometry validate_header(const SegmentHeader& h, std::uint64_t file_size, const std::string& name);

/// True when the temporary segment file open as `fd` was left by a creator
/// that died before publishing: it is older than kTempGraceNs (its ctime
/// against `now`, CLOCK_REALTIME) and nobody holds its creation lock. Never
/// judged by the pid in its name (another pid namespace reuses pids).
bool is_orphaned_temporary(int fd, const timespec& now) noexcept;

}  // namespace zeroipc::detail
