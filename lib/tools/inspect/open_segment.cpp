#include "open_segment.h"

#include <cstdio>
#include <exception>

#include "commands.h"
#include "shm_directory.h"
#include "zeroipc/detail/names.h"

namespace zeroipc::inspect {

std::unique_ptr<ReadOnlySegment> open_segment(const std::string& arg, int& exit_code) {
  const std::string name = segment_name(arg);
  try {
    detail::check_segment_name_syntax(name);  // §1's rules; a temporary may be looked at
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    exit_code = kExitUsage;
    return nullptr;
  }
  try {
    return std::make_unique<ReadOnlySegment>(name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    exit_code = kExitProblem;
    return nullptr;
  }
}

}  // namespace zeroipc::inspect
