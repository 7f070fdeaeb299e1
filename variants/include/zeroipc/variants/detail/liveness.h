// zeroipc/variants/detail/liveness.h — who owns something in a segment, and
// whether that process still lives: asked of the kernel, not of /proc.
//
// The owner key. Every process has a 31-bit random key, nonzero, drawn when
// it first needs one and drawn again in the child of every fork(). Owner
// records in the segment (the holder of a lock, the producer of a Future,
// the process computing a Lazy, a subscriber, a hazard slot, ...) store the
// key, published with the same atomic instruction that takes the ownership,
// so there is no moment when an owner is recorded without its identity.
// The pid is stored next to it for messages and tools only: pids mean
// nothing in another pid namespace and are reused.
//
// The liveness lock (SPECIFICATION.md §4.1). While a process has a segment
// mapped it holds an open-file-description (OFD) read lock on the one byte
// at offset kLivenessBase + key of the segment's file (far past its end: the
// lock covers no data). The kernel drops the lock when the last descriptor
// of that open file goes, which a dying process does whatever kills it. So
// an owner is alive exactly while some descriptor holds its key's byte:
//   - across pid namespaces (containers that share /dev/shm share the file
//     and its locks; a pid would name another process there);
//   - for a process whose main thread called pthread_exit (its other
//     threads keep the descriptors open; /proc shows the leader as a zombie);
//   - whatever pid reuse happens (the key is random per process, not a pid);
//   - with no /proc mounted.
// A checker asks with F_OFD_GETLK for a write lock on that byte: any read
// lock held through another open file description conflicts with it.
//
// Semantics a caller must know: an owner that has let go of every mapping of
// the segment (destroyed its last handle) counts as dead there, even if the
// process lives on: it can no longer act on what it owned. A process made by
// a raw clone() without fork() (so without pthread_atfork handlers) keeps
// its parent's key and descriptors: the two then count as one.
//
// fork(). The child shares its parent's open file descriptions, so it would
// keep the parent's liveness lock alive after the parent died. In the child,
// an atfork handler draws a new key and, for every registered mapping,
// reopens the file through /proc/self/fd (a new description, onto the same
// descriptor number) and takes the new key's lock there. If the reopen
// fails (no /proc), the child takes its lock on the shared description: the
// parent then looks alive while the child lives (never the reverse).
//
// Memory that is not a registered segment (the variants' in-process tests
// over a plain buffer) has no file: an owner there is alive if it is this
// process, and unknown (treated as alive: never stolen from) otherwise.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <pthread.h>
#include <sys/random.h>
#include <sys/types.h>
#include <unistd.h>
#include <vector>

namespace zeroipc::detail {

/// Owner keys are 31 bits: the top bit of a 32-bit lock word is the waiters bit.
inline constexpr std::uint32_t kOwnerKeyMask = 0x7FFFFFFFu;
/// The byte of key k is at kLivenessBase + k in the segment's file (past any real size).
inline constexpr off_t kLivenessBase = off_t{1} << 62;

enum class Liveness { kAlive, kDead, kUnknown };

namespace liveness_detail {

inline std::uint32_t draw_key() noexcept {
  for (;;) {
    std::uint32_t k = 0;
    if (::getrandom(&k, sizeof k, 0) != static_cast<ssize_t>(sizeof k)) {
      // No getrandom (very old kernel, seccomp): a weaker mix, still per process.
      static std::atomic<std::uint32_t> salt{0x9E3779B9u};
      timespec ts{};
      ::clock_gettime(CLOCK_MONOTONIC, &ts);
      k = static_cast<std::uint32_t>(ts.tv_nsec) * 2654435761u ^
          static_cast<std::uint32_t>(::getpid()) * 40503u ^ salt.fetch_add(0x61C88647u);
    }
    k &= kOwnerKeyMask;
    if (k != 0) return k;
  }
}

/// fcntl(cmd) (F_OFD_SETLK / F_OFD_GETLK) of a `type` lock on the one byte at `offset` of fd's file.
inline int lock_byte_at(int fd, off_t offset, short type, int cmd, flock* out = nullptr) noexcept {
  flock fl{};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  int rc;
  do {
    rc = ::fcntl(fd, cmd, &fl);
  } while (rc < 0 && errno == EINTR);
  if (out != nullptr) *out = fl;
  return rc;
}

/// The same on the liveness byte of `key`.
inline int lock_byte(int fd, std::uint32_t key, short type, int cmd, flock* out = nullptr) noexcept {
  return lock_byte_at(fd, kLivenessBase + static_cast<off_t>(key), type, cmd, out);
}

/// This process's owner key, 0 until the Registry first draws one (and
/// registers its fork handler, which draws a new one in a child). Outside the
/// Registry so that self_key() is one inlined load: it runs on every push and
/// pop of spsc_ring (the Queue's role check) and of the variants with op
/// slots, also in every failed poll of a caller's loop. With two out-of-line
/// calls there (the Registry's static guard, then its key), spsc_ring's 8 B
/// ping-pong in the harness took 1252 ns a round trip against the reference
/// ring's 961; with this load, 921 against 911 (issue 19; same machine, same
/// minutes, builds minutes apart).
inline std::atomic<std::uint32_t> process_key{0};

struct Region {
  const std::byte* begin;
  const std::byte* end;
  int fd;
  bool locked;  // this process holds its key's byte through fd
};

class Registry {
 public:
  static Registry& instance() noexcept {
    static Registry r;
    return r;
  }

  std::uint32_t key() noexcept {
    std::uint32_t k = process_key.load(std::memory_order_acquire);
    if (k != 0) return k;
    std::uint32_t fresh = draw_key();
    if (process_key.compare_exchange_strong(k, fresh, std::memory_order_acq_rel)) return fresh;
    return k;
  }

  bool add(const void* base, std::size_t size, int fd) noexcept {
    std::lock_guard lock(m_);
    const bool locked = lock_byte(fd, key(), F_RDLCK, F_OFD_SETLK) == 0;
    const int err = errno;
    const auto* b = static_cast<const std::byte*>(base);
    try {
      regions_.push_back({b, b + size, fd, locked});
    } catch (...) {
      errno = ENOMEM;
      return false;
    }
    errno = err;
    return locked;
  }

  void remove(const void* base) noexcept {
    std::lock_guard lock(m_);
    for (std::size_t i = 0; i < regions_.size(); ++i) {
      if (regions_[i].begin == base) {
        regions_[i] = regions_.back();
        regions_.pop_back();
        return;
      }
    }
  }

  Liveness check(const void* where, std::uint32_t owner) noexcept {
    owner &= kOwnerKeyMask;
    if (owner == 0) return Liveness::kDead;  // nobody: a corrupt or cleared record
    if (owner == key()) return Liveness::kAlive;
    std::lock_guard lock(m_);  // the descriptor stays open while we use it
    const Region* r = find(where);
    if (r == nullptr) return Liveness::kUnknown;
    flock fl{};
    if (lock_byte(r->fd, owner, F_WRLCK, F_OFD_GETLK, &fl) != 0) return Liveness::kUnknown;
    return fl.l_type == F_UNLCK ? Liveness::kDead : Liveness::kAlive;
  }

 private:
  Registry() noexcept {
    ::pthread_atfork([] { instance().m_.lock(); }, [] { instance().m_.unlock(); },
                     [] { instance().after_fork_in_child(); });
  }

  const Region* find(const void* where) const noexcept {
    const auto* p = static_cast<const std::byte*>(where);
    for (const Region& r : regions_) {
      if (p >= r.begin && p < r.end) return &r;
    }
    return nullptr;
  }

  // Runs in the child of fork(), with m_ held by the prepare handler. Only
  // async-signal-safe calls: the child may be a copy of a threaded process.
  void after_fork_in_child() noexcept {
    const std::uint32_t k = draw_key();
    process_key.store(k, std::memory_order_release);
    for (Region& r : regions_) {
      char path[40];
      std::snprintf(path, sizeof path, "/proc/self/fd/%d", r.fd);
      const int fresh = ::open(path, O_RDWR | O_CLOEXEC);
      if (fresh >= 0) {
        ::dup3(fresh, r.fd, O_CLOEXEC);  // the inherited description is let go here
        ::close(fresh);
      }
      r.locked = lock_byte(r.fd, k, F_RDLCK, F_OFD_SETLK) == 0;
    }
    m_.unlock();
  }

  std::mutex m_;
  std::vector<Region> regions_;
};

[[gnu::noinline, gnu::cold]] inline std::uint32_t first_key() noexcept { return Registry::instance().key(); }

}  // namespace liveness_detail

/// This process's owner key (31 bits, nonzero; a new one in every fork child).
/// Inlined: one load (process_key; nonzero only once the Registry exists,
/// and its fork handler keeps it right); the first call draws the key.
[[gnu::always_inline]] inline std::uint32_t self_key() noexcept {
  const std::uint32_t k = liveness_detail::process_key.load(std::memory_order_acquire);
  if (k != 0) [[likely]] return k;
  return liveness_detail::first_key();
}

/// Is the owner `key` of something at `where` (an address inside a segment
/// mapping) alive? kUnknown when it cannot be told (not a segment, no OFD
/// locks): callers treat that as alive, never taking over from it.
inline Liveness owner_liveness(const void* where, std::uint32_t key) noexcept {
  return liveness_detail::Registry::instance().check(where, key);
}

/// True unless the owner is known dead.
inline bool owner_alive(const void* where, std::uint32_t key) noexcept {
  return owner_liveness(where, key) != Liveness::kDead;
}

/// Registers a segment mapping [base, base + size) of the file `fd` (kept
/// open by the caller until unregister_segment) and takes this process's
/// liveness lock on it. False if the lock could not be taken.
inline bool register_segment(const void* base, std::size_t size, int fd) noexcept {
  return liveness_detail::Registry::instance().add(base, size, fd);
}
inline void unregister_segment(const void* base) noexcept {
  liveness_detail::Registry::instance().remove(base);
}

}  // namespace zeroipc::detail
