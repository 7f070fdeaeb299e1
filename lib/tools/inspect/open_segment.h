// open_segment.h — opening the segment a command names, with the errors a user sees.
#pragma once

#include <memory>
#include <string>

#include "read_only_segment.h"

namespace zeroipc::inspect {

/// The segment `arg` ("/name" or "name") opened read-only, or nullptr after
/// printing why not to stderr and setting `exit_code`: kExitUsage for a name
/// that no segment can have, kExitProblem for a missing or unreadable one.
std::unique_ptr<ReadOnlySegment> open_segment(const std::string& arg, int& exit_code);

}  // namespace zeroipc::inspect
