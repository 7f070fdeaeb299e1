// Segment creation, opening and validation (SPECIFICATION.md §1, §2, §4, §5).
#include "zeroipc/memory.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <ctime>
#include <limits>
#include <dirent.h>
#include <fcntl.h>
#include <random>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "zeroipc/detail/layout.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/segment_files.h"
#include "zeroipc/variants/detail/liveness.h"
#include "zeroipc/variants/detail/process.h"

namespace zeroipc {
namespace detail {
namespace {

std::string quoted(std::string_view name) {
  // Built by append: g++ 12 at -O3 reports a false -Wrestrict for "'" + std::string (GCC PR 105329).
  std::string out(1, '\'');
  out.append(printable(name)).push_back('\'');
  return out;
}

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const noexcept { return fd_; }
  /// Gives the descriptor to a new owner (the Mapping).
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::uint64_t required_bytes(std::uint32_t table_capacity) noexcept {
  return align64(kDefaultTableOffset + std::uint64_t{table_capacity} * sizeof(TableEntry));
}

struct FileInfo {
  std::uint64_t size;
  uid_t owner;
};

FileInfo file_info(int fd, const std::string& name) {
  struct stat st{};
  if (::fstat(fd, &st) != 0) throw SystemError("zeroipc: fstat of segment " + quoted(name), errno);
  if (!S_ISREG(st.st_mode)) {
    throw CorruptSegment("zeroipc: segment " + quoted(name) + ": not a regular file in " + kShmDir);
  }
  return {static_cast<std::uint64_t>(st.st_size), st.st_uid};
}

std::byte* map_fd(int fd, std::uint64_t size, const std::string& name) {
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw SystemError("zeroipc: mmap of segment " + quoted(name), errno);
  return static_cast<std::byte*>(p);
}

}  // namespace

// §5 items 1-5, on a private copy of the header read from the file (pread,
// not the mapping): what is checked is what is used, whatever a hostile peer
// writes meanwhile, and a file truncated under us is an error here, not a
// SIGBUS.
Geometry validate_header(const SegmentHeader& h, std::uint64_t size, const std::string& name) {
  const std::string who = "zeroipc: segment " + quoted(name);
  auto corrupt = [&](const std::string& what) { throw CorruptSegment(who + ": " + what); };
  if (std::memcmp(h.magic, kSegmentMagic, 4) != 0) {
    corrupt("not a zeroipc segment (expected magic 'ZIPM', found '" +
            printable(std::string_view(h.magic, 4)) + "')");
  }
  if (h.format_version != kFormatVersion) {
    throw VersionMismatch(who + ": unsupported format version " +
                          std::to_string(h.format_version) + " (this build reads version " +
                          std::to_string(kFormatVersion) + ")");
  }
  if (h.header_size != sizeof(SegmentHeader)) {
    corrupt("header_size is " + std::to_string(h.header_size) + ", expected " +
            std::to_string(sizeof(SegmentHeader)));
  }
  if (h.segment_size != size) {
    corrupt("header says " + std::to_string(h.segment_size) + " bytes but the file has " +
            std::to_string(size));
  }
  if (h.table_capacity < 1 || h.table_capacity > kMaxTableCapacity) {
    corrupt("table_capacity " + std::to_string(h.table_capacity) + " is outside 1.." +
            std::to_string(kMaxTableCapacity));
  }
  if (h.attach_capacity > kMaxAttachCapacity) {
    corrupt("attach_capacity " + std::to_string(h.attach_capacity) + " exceeds " +
            std::to_string(kMaxAttachCapacity));
  }
  const std::uint64_t attach_end = kAttachOffset + std::uint64_t{h.attach_capacity} * sizeof(AttachSlot);
  if (h.table_offset < attach_end || h.table_offset % kCacheLine != 0 || h.table_offset > size) {
    corrupt("table_offset " + std::to_string(h.table_offset) +
            " is not a multiple of 64 between the attach slots (end " +
            std::to_string(attach_end) + ") and the segment end (" + std::to_string(size) + ")");
  }
  const std::uint64_t table_end = h.table_offset + std::uint64_t{h.table_capacity} * sizeof(TableEntry);
  if (h.data_offset < table_end || h.data_offset > size || h.data_offset % kCacheLine != 0) {
    corrupt("data_offset " + std::to_string(h.data_offset) +
            " is not a multiple of 64 between the table end (" + std::to_string(table_end) +
            ") and the segment end (" + std::to_string(size) + ")");
  }
  if (h.table_count > h.table_capacity) {
    corrupt("table_count " + std::to_string(h.table_count) + " exceeds table_capacity " +
            std::to_string(h.table_capacity));
  }
  if (h.alloc_cursor < h.data_offset || h.alloc_cursor > size) {
    corrupt("alloc_cursor " + std::to_string(h.alloc_cursor) + " is outside the heap [" +
            std::to_string(h.data_offset) + ", " + std::to_string(size) + "]");
  }
  return Geometry{h.table_offset, h.table_capacity, h.attach_capacity, h.data_offset};
}

bool is_orphaned_temporary(int fd, const timespec& now) noexcept {
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const std::int64_t age_ns = (std::int64_t{now.tv_sec} - st.st_ctim.tv_sec) * 1'000'000'000 +
                              (now.tv_nsec - st.st_ctim.tv_nsec);
  flock fl{};
  return age_ns > kTempGraceNs &&
         liveness_detail::lock_byte_at(fd, kCreationLockByte, F_WRLCK, F_OFD_GETLK, &fl) == 0 &&
         fl.l_type == F_UNLCK;
}

namespace {

std::string temp_name() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  return std::string("/") + std::string(kTempSegmentPrefix) + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + std::to_string(rd());
}

int lock_creation(int fd, short type, int cmd, flock* out = nullptr) noexcept {
  return liveness_detail::lock_byte_at(fd, kCreationLockByte, type, cmd, out);
}

// Temporary files of creators that died before publishing are garbage under
// a name nobody opens. One is removed when its creator no longer holds its
// creation lock (the kernel dropped it with the creator's descriptors; this
// works across pid namespaces, where the pid in the name means nothing) and
// it is older than kTempGraceNs. Best effort.
void sweep_dead_temporaries() noexcept {
  DIR* dir = ::opendir(kShmDir);
  if (dir == nullptr) return;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  while (dirent* e = ::readdir(dir)) {
    if (std::string_view(e->d_name).substr(0, kTempSegmentPrefix.size()) != kTempSegmentPrefix) continue;
    const int fd = ::openat(::dirfd(dir), e->d_name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;
    const bool orphan = is_orphaned_temporary(fd, now);
    ::close(fd);
    if (orphan) ::unlinkat(::dirfd(dir), e->d_name, 0);
  }
  ::closedir(dir);
}

// Opens an existing segment; an empty pointer when it does not exist.
std::shared_ptr<Mapping> try_open(const std::string& name, bool allow_foreign_owner) {
  int raw = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (raw < 0) {
    if (errno == ENOENT) return nullptr;
    throw SystemError("zeroipc: cannot open segment " + quoted(name), errno);
  }
  Fd fd(raw);
  const FileInfo info = file_info(fd.get(), name);
  if (info.owner != ::geteuid() && !allow_foreign_owner) {
    throw ForeignSegment("zeroipc: segment " + quoted(name) + " is owned by uid " +
                         std::to_string(info.owner) + ", not by this process's uid " +
                         std::to_string(::geteuid()) +
                         "; its owner could rewrite or truncate it under this process "
                         "(set allow_foreign_owner in MemoryOptions or OpenOptions to trust it)");
  }
  if (info.size < sizeof(SegmentHeader)) {
    throw CorruptSegment("zeroipc: segment " + quoted(name) + ": not a zeroipc segment (" +
                         std::to_string(info.size) + " bytes, smaller than the " +
                         std::to_string(sizeof(SegmentHeader)) + "-byte header)");
  }
  SegmentHeader h{};
  const ssize_t n = ::pread(fd.get(), &h, sizeof h, 0);
  if (n != static_cast<ssize_t>(sizeof h)) {
    throw CorruptSegment("zeroipc: segment " + quoted(name) + ": could not read its " +
                         std::to_string(sizeof h) + "-byte header (the file shrank while it was opened)");
  }
  const Geometry geometry = validate_header(h, info.size, name);
  std::byte* base = map_fd(fd.get(), info.size, name);
  auto mapping = std::make_shared<Mapping>(name, base, info.size, fd.release());  // unmaps on any throw below
  mapping->set_geometry(geometry);
  mapping->attach();
  return mapping;
}

// Builds a complete segment under a temporary name and links it to `name`.
// Returns nullptr if `name` appeared meanwhile (then the caller opens it).
std::shared_ptr<Mapping> try_create(const std::string& name, std::uint64_t size,
                                    const MemoryOptions& options) {
  sweep_dead_temporaries();
  const std::string tmp = temp_name();
  int raw = ::shm_open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, options.mode);
  if (raw < 0) throw SystemError("zeroipc: cannot create segment " + quoted(name), errno);
  Fd fd(raw);
  struct Unlinker {
    const std::string& n;
    ~Unlinker() { ::shm_unlink(n.c_str()); }
  } unlink_tmp{tmp};  // the temporary name goes away on every path
  // Marks the temporary as being built: the sweep of other creators leaves it alone.
  lock_creation(fd.get(), F_WRLCK, F_OFD_SETLK);

  if (::fchmod(fd.get(), options.mode) != 0) {  // exactly the mode asked for, whatever the umask
    throw SystemError("zeroipc: cannot set mode of segment " + quoted(name), errno);
  }
  // Reserve every page now: running out of /dev/shm is an error here, not a
  // SIGBUS on some later write.
  if (int err = ::posix_fallocate(fd.get(), 0, static_cast<off_t>(size)); err != 0) {
    throw SystemError("zeroipc: cannot reserve " + std::to_string(size) +
                          " bytes in /dev/shm for segment " + quoted(name),
                      err);
  }
  std::byte* base = map_fd(fd.get(), size, name);
  const int file = fd.release();
  auto mapping = std::make_shared<Mapping>(name, base, size, file);

  SegmentHeader& h = mapping->header();
  std::memcpy(h.magic, kSegmentMagic, 4);
  h.format_version = kFormatVersion;
  h.header_size = sizeof(SegmentHeader);
  h.segment_size = size;
  h.table_offset = kDefaultTableOffset;
  h.table_capacity = options.table_capacity;
  h.attach_capacity = kAttachCapacity;
  h.data_offset = required_bytes(options.table_capacity);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  h.created_ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
                 static_cast<std::uint64_t>(now.tv_nsec);
  h.creator_pid = static_cast<std::uint32_t>(::getpid());
  h.alloc_cursor = h.data_offset;
  // Everything else is zero from posix_fallocate.
  mapping->set_geometry(Geometry{h.table_offset, h.table_capacity, h.attach_capacity, h.data_offset});

  const std::string from = std::string(kShmDir) + tmp;
  const std::string to = std::string(kShmDir) + name;
  if (::link(from.c_str(), to.c_str()) != 0) {
    if (errno == EEXIST) return nullptr;  // lost the race: open the winner's segment
    throw SystemError("zeroipc: cannot publish segment " + quoted(name) + " (link " + from +
                          " -> " + to + ")",
                      errno);
  }
  lock_creation(file, F_UNLCK, F_OFD_SETLK);
  mapping->attach();
  return mapping;
}

}  // namespace

// ------------------------------------------------------------------ Mapping
Mapping::~Mapping() {
  detach();
  if (registered_) unregister_segment(base_);
  ::munmap(base_, size_);
  if (fd_ >= 0) ::close(fd_);
}

void Mapping::attach() {
  if (!registered_) {
    // The liveness lock (§4.1): without it this process would look dead to
    // every other, which could take its locks and claims from it.
    registered_ = true;  // registered even on failure: the destructor unregisters
    if (!register_segment(base_, size_, fd_)) {
      throw SystemError("zeroipc: cannot take this process's liveness lock (F_OFD_SETLK) on segment " +
                            quoted(name_),
                        errno);
    }
  }
  if (attach_slot_ >= 0) return;
  SegmentHeader& h = header();
  AttachSlot* slots = attach_slots();
  const std::uint32_t key = self_key();
  const std::uint64_t me = std::uint64_t{static_cast<std::uint32_t>(current_pid())} | std::uint64_t{key} << 32;
  // Pass 1 claims a free slot; pass 2 reclaims the slot of a dead process.
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint32_t i = 0; i < geometry_.attach_capacity; ++i) {
      auto owner = atomic_of(slots[i].owner);
      std::uint64_t seen = owner.load(std::memory_order_relaxed);
      if (pass == 0 && seen != 0) continue;
      if (pass == 1 && (seen == 0 || owner_alive(&slots[i], attach_key(seen)))) continue;
      if (owner.compare_exchange_strong(seen, me, std::memory_order_acq_rel)) {
        atomic_of(slots[i].start_time).store(self_start_time(), std::memory_order_release);
        attach_slot_ = static_cast<int>(i);
        attach_owner_ = me;
        return;
      }
    }
  }
  atomic_of(h.attach_overflow).fetch_add(1, std::memory_order_relaxed);
}

void Mapping::detach() noexcept {
  if (attach_slot_ < 0) return;
  AttachSlot& slot = attach_slots()[attach_slot_];
  // A forked child inherits this object but not the slot (its key differs):
  // only the process that claimed the slot clears it.
  std::uint64_t mine = attach_owner_;
  if (attach_key(mine) == self_key() && atomic_of(slot.owner).load(std::memory_order_relaxed) == mine) {
    atomic_of(slot.start_time).store(0, std::memory_order_relaxed);
    atomic_of(slot.owner).compare_exchange_strong(mine, 0, std::memory_order_acq_rel);
  }
  attach_slot_ = -1;
}

}  // namespace detail

// ------------------------------------------------------------------- Memory
Memory::Memory(std::string_view name, std::size_t size, std::size_t table_capacity)
    : Memory(name, size, [&] {
        if (table_capacity < 1 || table_capacity > detail::kMaxTableCapacity) {
          throw InvalidArgument("zeroipc: table capacity " + std::to_string(table_capacity) +
                                " is outside 1.." + std::to_string(detail::kMaxTableCapacity));
        }
        MemoryOptions o;
        o.table_capacity = static_cast<std::uint32_t>(table_capacity);
        return o;
      }()) {}

Memory::Memory(std::string_view name_view, std::size_t size, const MemoryOptions& options) {
  detail::check_segment_name(name_view);
  const std::string name(name_view);
  if (options.table_capacity < 1 || options.table_capacity > detail::kMaxTableCapacity) {
    throw InvalidArgument("zeroipc: table capacity " + std::to_string(options.table_capacity) +
                          " is outside 1.." + std::to_string(detail::kMaxTableCapacity));
  }
  if (size > static_cast<std::size_t>(std::numeric_limits<off_t>::max())) {
    throw InvalidArgument("zeroipc: segment " + detail::quoted(name) + ": size " +
                          std::to_string(size) + " is too large");
  }
  // Open if it exists; else create; if someone else created it meanwhile, open theirs.
  for (int attempt = 0; attempt < 3 && !mapping_; ++attempt) {
    mapping_ = detail::try_open(name, options.allow_foreign_owner);
    if (!mapping_) {
      const std::uint64_t minimum = detail::required_bytes(options.table_capacity);
      if (size < minimum) {
        throw InvalidArgument("zeroipc: segment " + detail::quoted(name) + ": size " +
                              std::to_string(size) + " is too small for a table of " +
                              std::to_string(options.table_capacity) +
                              " entries (needs at least " + std::to_string(minimum) + " bytes)");
      }
      mapping_ = detail::try_create(name, size, options);
      created_ = static_cast<bool>(mapping_);
    }
  }
  if (!mapping_) {
    throw Error("zeroipc: segment " + detail::quoted(name) +
                " keeps appearing and disappearing while being created; another process is "
                "unlinking it concurrently");
  }
  if (!created_ && mapping_->size() < size) {
    throw Mismatch("zeroipc: segment " + detail::quoted(name) + " exists with " +
                   std::to_string(mapping_->size()) + " bytes, fewer than the " +
                   std::to_string(size) + " requested");
  }
}

Memory::Memory(std::string_view name_view) : Memory(name_view, OpenOptions{}) {}

Memory::Memory(std::string_view name_view, const OpenOptions& options) {
  detail::check_segment_name(name_view);
  const std::string name(name_view);
  mapping_ = detail::try_open(name, options.allow_foreign_owner);
  if (!mapping_) {
    throw NotFound("zeroipc: segment " + detail::quoted(name) +
                   " does not exist (expected a shared-memory object /dev/shm" + name + ")");
  }
}

bool Memory::unlink(std::string_view name_view) {
  detail::check_segment_name(name_view);
  const std::string name(name_view);
  if (::shm_unlink(name.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw SystemError("zeroipc: cannot unlink segment " + detail::quoted(name), errno);
}

bool Memory::exists(std::string_view name_view) {
  detail::check_segment_name(name_view);
  const std::string path = std::string(detail::kShmDir) + std::string(name_view);
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0;
}

const std::string& Memory::name() const noexcept { return mapping_->name(); }
std::size_t Memory::size() const noexcept { return static_cast<std::size_t>(mapping_->size()); }
std::byte* Memory::base() const noexcept { return mapping_->base(); }

std::size_t Memory::free_bytes() const {
  auto& h = mapping_->header();
  const std::uint64_t cursor = detail::atomic_of(h.alloc_cursor).load(std::memory_order_relaxed);
  return cursor >= mapping_->size() ? 0 : static_cast<std::size_t>(mapping_->size() - cursor);
}

std::vector<AttachedProcess> Memory::attached() const {
  std::vector<AttachedProcess> out;
  detail::AttachSlot* slots = mapping_->attach_slots();
  for (std::uint32_t i = 0; i < mapping_->geometry().attach_capacity; ++i) {
    const std::uint64_t owner = detail::atomic_of(slots[i].owner).load(std::memory_order_acquire);
    if (owner == 0) continue;
    const std::uint64_t start = detail::atomic_of(slots[i].start_time).load(std::memory_order_acquire);
    const std::uint32_t key = detail::attach_key(owner);
    out.push_back({static_cast<pid_t>(detail::attach_pid(owner)), start,
                   detail::owner_alive(&slots[i], key), key});
  }
  return out;
}

}  // namespace zeroipc
