// zeroipc/detail/names.h — validation of segment and structure names.
#pragma once

#include <string>
#include <string_view>

namespace zeroipc::detail {

/// Throws InvalidName unless `name` is "/" followed by 1..254 bytes, none of
/// them '/' or NUL (SPECIFICATION.md §1).
void check_segment_name(std::string_view name);

/// Throws InvalidName unless `name` has 1..31 bytes, each 0x20..0x7E (§3).
void check_structure_name(std::string_view name);

/// `bytes` (up to `max`) shown safely in a message: printable ASCII as is,
/// everything else as \xNN.
std::string printable(std::string_view bytes);

}  // namespace zeroipc::detail
