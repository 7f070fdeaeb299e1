// shm_directory.h — the files of /dev/shm, sorted into zeroipc segments,
// zeroipc temporaries (segments being built, or left by a creator that died
// before publishing, SPECIFICATION.md §1) and everything else.
#pragma once

#include <string>
#include <vector>

namespace zeroipc::inspect {

struct ShmFile {
  enum class Type { kSegment, kTemporary, kOther };
  std::string name;  // "/sensor_data": the name shm_open() takes
  Type type = Type::kOther;
  std::string why;   // for kOther: why it is not a segment
};

/// Every regular file in /dev/shm, by name, classified by its first bytes
/// (the "ZIPM" magic) and its name (the temporary prefix).
std::vector<ShmFile> scan_shm();

/// "/x" for "x" and "/x"; the name as given otherwise.
std::string segment_name(const std::string& arg);

}  // namespace zeroipc::inspect
