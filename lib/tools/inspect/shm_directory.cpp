// Listing /dev/shm without opening anything for writing.
#include "shm_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/segment_files.h"

namespace zeroipc::inspect {

std::vector<ShmFile> scan_shm() {
  std::vector<ShmFile> out;
  DIR* dir = ::opendir(detail::kShmDir);
  if (dir == nullptr) return out;
  while (dirent* e = ::readdir(dir)) {
    const std::string_view n(e->d_name);
    if (n == "." || n == "..") continue;
    ShmFile f;
    f.name = "/" + std::string(n);
    struct stat st{};
    if (::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
      f.why = "not a regular file";
    } else if (n.substr(0, detail::kTempSegmentPrefix.size()) == detail::kTempSegmentPrefix) {
      f.type = ShmFile::Type::kTemporary;
    } else {
      const int fd = ::openat(::dirfd(dir), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
      char magic[4] = {};
      if (fd < 0) {
        f.why = std::string("cannot be read: ") + std::strerror(errno);
      } else {
        if (::pread(fd, magic, 4, 0) == 4 && std::memcmp(magic, detail::kSegmentMagic, 4) == 0) {
          f.type = ShmFile::Type::kSegment;
        } else {
          f.why = "no 'ZIPM' magic";
        }
        ::close(fd);
      }
    }
    out.push_back(std::move(f));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const ShmFile& a, const ShmFile& b) { return a.name < b.name; });
  return out;
}

std::string segment_name(const std::string& arg) {
  if (!arg.empty() && arg[0] != '/') return "/" + arg;
  return arg;
}

}  // namespace zeroipc::inspect
