// describe.h — what a segment holds, as the JSON document `show`, `list` and
// `monitor` print (schema: SCHEMA.md beside this file). Text output is
// rendered from the same document (render.h), so the two never disagree.
//
// Nothing here trusts the segment: every field is read once through
// ReadOnlySegment (bounds-checked, SIGBUS-guarded), and a field that breaks a
// rule of SPECIFICATION.md is reported in a "problems" list with the segment
// still described as far as it can be trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "read_only_segment.h"
#include "zeroipc/detail/layout.h"

namespace zeroipc::inspect {

using json = nlohmann::ordered_json;

inline constexpr const char* kSchema = "zeroipc-inspect/1";

struct DescribeOptions {
  /// Describe each structure (kind, fill, state, owners); false: header,
  /// attach slots and table only (what `list` needs).
  bool structures = true;
  /// Only this structure (by name), with its elements (Arrays) decoded.
  std::optional<std::string> only;
  /// Elements of an Array (and values) shown by `show NAME`.
  std::uint64_t max_elements = 16;
};

/// True when the file starts with the segment magic "ZIPM" (other files in /dev/shm are not ours).
bool has_segment_magic(const ReadOnlySegment& seg);

/// The segment document: "status" is "ok" or "corrupt"; "problems" lists what is wrong.
json describe_segment(const ReadOnlySegment& seg, const DescribeOptions& options);

/// `doc` as JSON text; bytes that are not UTF-8 (a file name in /dev/shm may
/// hold any byte) become U+FFFD instead of failing the whole document.
inline std::string to_json_text(const json& doc, int indent = -1) {
  return doc.dump(indent, ' ', false, json::error_handler_t::replace);
}

/// The first of a document's "problems", or "" when it has none.
std::string first_problem(const json& doc);

/// What is wrong with the common header `h` of the structure at `offset`, in
/// a table entry of `entry_size` bytes (§6, §5 item 8), or nullopt: then
/// structure_layout(h) describes bytes that lie inside the entry.
std::optional<std::string> structure_header_problem(const detail::StructHeader& h, std::uint64_t offset,
                                                    std::uint64_t entry_size);

/// "1.5 KiB", "12 MiB".
std::string human_bytes(std::uint64_t bytes);

}  // namespace zeroipc::inspect
