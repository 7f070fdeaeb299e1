// zeroipc/detail/names.h — validation of segment and structure names.
#pragma once

#include <string>
#include <string_view>
#include <sys/types.h>

namespace zeroipc::detail {

/// Segments are built under "/" + this + "<pid>-<n>-<random>" and then
/// linked to their name (SPECIFICATION.md §1); a user's name may not start
/// with it, or the next creator's sweep of orphaned temporaries could take it.
inline constexpr std::string_view kTempSegmentPrefix = ".zeroipc-tmp-";

/// Throws InvalidName unless `name` is "/" followed by 1..254 bytes, none of
/// them '/' or NUL, not starting with kTempSegmentPrefix (SPECIFICATION.md §1).
void check_segment_name(std::string_view name);

/// The same rules except the temporary prefix: for tools that look at the
/// temporaries of segments being created (zeroipc-inspect).
void check_segment_name_syntax(std::string_view name);

/// Throws InvalidName unless `name` has 1..31 bytes, each 0x20..0x7E (§3).
void check_structure_name(std::string_view name);

/// `bytes` (up to `max`) shown safely in a message: printable ASCII as is,
/// everything else as \xNN.
std::string printable(std::string_view bytes);

/// "process 1234" for messages, or "a process (pid not recorded)" when the
/// pid is 0 (owner records identify processes by key; the pid is a courtesy).
inline std::string process_text(pid_t pid) {
  return pid > 0 ? "process " + std::to_string(pid) : std::string("a process (pid not recorded)");
}

}  // namespace zeroipc::detail
