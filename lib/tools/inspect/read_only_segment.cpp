// Read-only, bounds-checked, SIGBUS-guarded access to one segment file.
#include "read_only_segment.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <mutex>

#include "zeroipc/detail/names.h"
#include "zeroipc/detail/segment_files.h"
#include "zeroipc/error.h"
#include "zeroipc/variants/detail/liveness.h"

namespace zeroipc::inspect {
namespace {

// The jump target of the read in progress on this thread, if any. A SIGBUS
// outside a guarded read is not ours: the default action runs. volatile, and
// fenced against the read (guard()/unguard()): to the compiler, storing it
// and clearing it again around a memcpy that never reads it is a dead store.
thread_local sigjmp_buf* volatile t_guard = nullptr;

void guard(sigjmp_buf* env) noexcept {
  t_guard = env;
  std::atomic_signal_fence(std::memory_order_seq_cst);
}
void unguard() noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_guard = nullptr;
}

// After a fault: the handler was left by siglongjmp, and whoever ran it (the kernel honours
// SA_NODEFER, a sanitizer's signal wrapper may not) may have left SIGBUS blocked, which would
// make the next fault fatal. Only this path pays for the system call.
void after_fault() noexcept {
  unguard();
  sigset_t bus;
  sigemptyset(&bus);
  sigaddset(&bus, SIGBUS);
  ::pthread_sigmask(SIG_UNBLOCK, &bus, nullptr);
}

void on_sigbus(int sig, siginfo_t*, void*) {
  if (t_guard != nullptr) siglongjmp(*t_guard, 1);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_sigbus_guard() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa{};
    sa.sa_sigaction = on_sigbus;
    // SA_NODEFER: the handler leaves by siglongjmp without restoring the mask
    // (sigsetjmp(env, 0) saves none), so SIGBUS must not stay blocked.
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, nullptr);
  });
}

}  // namespace

const char* alive_text(Alive a) noexcept {
  switch (a) {
    case Alive::kYes: return "alive";
    case Alive::kNo: return "dead";
    case Alive::kUnknown: break;
  }
  return "unknown";
}

ReadOnlySegment::ReadOnlySegment(const std::string& name) : name_(name) {
  install_sigbus_guard();
  path_ = std::string(detail::kShmDir) + name;
  // O_NONBLOCK: a FIFO planted in /dev/shm must not hang the tool.
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd_ < 0) {
    if (errno == ENOENT) {
      throw NotFound("zeroipc-inspect: segment '" + detail::printable(name) + "' does not exist (no file " +
                     detail::printable(path_) + ")");
    }
    throw SystemError("zeroipc-inspect: cannot open segment '" + detail::printable(name) + "'", errno);
  }
  struct stat st{};
  if (::fstat(fd_, &st) != 0) {
    const int err = errno;
    ::close(fd_);
    throw SystemError("zeroipc-inspect: fstat of segment '" + detail::printable(name) + "'", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    throw CorruptSegment("zeroipc-inspect: segment '" + detail::printable(name) + "': not a regular file");
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  mode_ = st.st_mode & 07777;
  uid_ = st.st_uid;
  mtime_ns_ = std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd_);
      throw SystemError("zeroipc-inspect: mmap of segment '" + detail::printable(name) + "'", err);
    }
    base_ = static_cast<const std::byte*>(p);
  }
}

ReadOnlySegment::~ReadOnlySegment() {
  if (base_ != nullptr) ::munmap(const_cast<std::byte*>(base_), size_);
  if (fd_ >= 0) ::close(fd_);
}

bool ReadOnlySegment::copy(std::uint64_t offset, void* out, std::size_t length) const noexcept {
  if (!contains(offset, length)) return false;
  if (length == 0) return true;
  sigjmp_buf env;
  if (sigsetjmp(env, 0) != 0) {
    after_fault();
    return false;  // SIGBUS: the file shrank under the mapping
  }
  guard(&env);
  // Volatile loads in this function, not a memcpy call: the fault must happen in code whose
  // handler we installed (a sanitizer's intercepted memcpy faults inside its runtime, where its
  // own SIGBUS handling kills the process), and the compiler must not turn the loop back into
  // a memcpy call.
  const auto* from = reinterpret_cast<const volatile unsigned char*>(base_ + offset);
  auto* to = static_cast<unsigned char*>(out);
  std::size_t i = 0;
  if (reinterpret_cast<std::uintptr_t>(from) % 8 == 0) {
    for (; i + 8 <= length; i += 8) {
      const std::uint64_t word = *reinterpret_cast<const volatile std::uint64_t*>(from + i);
      std::memcpy(to + i, &word, 8);
    }
  }
  for (; i < length; ++i) to[i] = from[i];
  unguard();
  return true;
}

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "ReadOnlySegment::atomic_load relies on aligned loads being single-copy atomic: check this target"
#endif

template <class T>
std::optional<T> ReadOnlySegment::atomic_load(std::uint64_t offset) const noexcept {
  if (offset % sizeof(T) != 0 || !contains(offset, sizeof(T))) return std::nullopt;
  sigjmp_buf env;
  if (sigsetjmp(env, 0) != 0) {
    after_fault();
    return std::nullopt;
  }
  guard(&env);
  // One aligned volatile load: a single mov, single-copy atomic for an aligned 4- or 8-byte
  // field on the targets we build for (x86-64, AArch64), as the format requires of a reader.
  // Not __atomic_load_n: under ThreadSanitizer that is a call into its runtime, and a fault
  // there is fatal instead of reaching our handler. The inspector is one thread, and what it
  // reads is written by other processes, which no sanitizer sees anyway.
  const T v = *reinterpret_cast<const volatile T*>(base_ + offset);
  unguard();
  return v;
}

std::optional<std::uint32_t> ReadOnlySegment::u32(std::uint64_t offset) const noexcept {
  return atomic_load<std::uint32_t>(offset);
}
std::optional<std::uint64_t> ReadOnlySegment::u64(std::uint64_t offset) const noexcept {
  return atomic_load<std::uint64_t>(offset);
}

Alive ReadOnlySegment::owner(std::uint32_t key) const noexcept {
  key &= detail::kOwnerKeyMask;
  if (key == 0) return Alive::kNo;
  flock fl{};
  if (detail::liveness_detail::lock_byte(fd_, key, F_WRLCK, F_OFD_GETLK, &fl) != 0) return Alive::kUnknown;
  return fl.l_type == F_UNLCK ? Alive::kNo : Alive::kYes;
}

std::vector<std::uint32_t> ReadOnlySegment::live_keys() const {
  std::vector<std::uint32_t> keys;
  const off_t end = detail::kLivenessBase + off_t{detail::kOwnerKeyMask} + 1;
  off_t from = detail::kLivenessBase + 1;
  // Each query returns the first lock that conflicts in [from, end): walk them.
  for (int guard = 0; from < end && guard < 1 << 20; ++guard) {
    flock fl{};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = from;
    fl.l_len = end - from;
    if (::fcntl(fd_, F_OFD_GETLK, &fl) != 0 || fl.l_type == F_UNLCK) break;
    if (fl.l_start >= detail::kLivenessBase + 1 && fl.l_start < end) {
      keys.push_back(static_cast<std::uint32_t>(fl.l_start - detail::kLivenessBase));
    }
    const off_t next = fl.l_len <= 0 ? end : fl.l_start + fl.l_len;
    if (next <= from) break;
    from = next;
  }
  return keys;
}

}  // namespace zeroipc::inspect
