// Who owns something in a segment, and is it alive (SPECIFICATION.md §4.1):
// the cases where judging by pid went wrong, each between real processes.
//
//   - an owner in another pid namespace (containers sharing /dev/shm): alive
//     while it lives, dead once killed, in both directions; and a segment
//     being created there is not swept as an orphan;
//   - an owner whose main thread called pthread_exit (/proc shows a zombie
//     leader) while another thread lives: alive;
//   - a waiter in a program with a 1 ms interval timer (every futex sleep
//     ends in EINTR): still takes a dead holder's lock over at once, for the
//     table lock, a locked_ring and a Channel;
//   - a segment file another user owns: refused unless trusted;
//   - an spsc_ring handle inherited across fork(): the child claims the role
//     anew (refused while the parent lives), and one process's producer and
//     consumer roles are counted apart.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include <zeroipc/channel.h>
#include <zeroipc/detail/layout.h>
#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/table.h>
#include <zeroipc/variants/detail/liveness.h>
#include <zeroipc/variants/detail/owner_lock.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using zeroipc::Future;
using zeroipc::FutureError;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;
using zeroipc::test::Signal;
using zeroipc::test::spawn;
using zeroipc::test::wait_for;

constexpr std::size_t kSize = 1 << 20;

/// A process that runs `body` as pid 1 of a new pid namespace. Its pid here
/// (the outer namespace) is what kill() takes; the intermediate child that
/// made the namespace is reaped by the destructor. `ok()` is false where
/// the kernel refuses a new pid namespace (not root, or a container that
/// forbids it): the tests then skip, saying so.
class InNewPidNamespace {
 public:
  explicit InNewPidNamespace(const std::function<int()>& body) {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    middle_ = spawn([&]() -> int {
      ::close(fds[0]);
      pid_t inner = -1;
      if (::unshare(CLONE_NEWPID) != 0) {
        (void)!::write(fds[1], &inner, sizeof inner);
        return 0;
      }
      inner = spawn(body);  // pid 1 of the new namespace
      (void)!::write(fds[1], &inner, sizeof inner);
      return wait_for(inner);
    });
    ::close(fds[1]);
    if (::read(fds[0], &inner_, sizeof inner_) != static_cast<ssize_t>(sizeof inner_)) inner_ = -1;
    ::close(fds[0]);
  }
  ~InNewPidNamespace() {
    kill();
    if (!middle_reaped_) wait_for(middle_);
  }
  InNewPidNamespace(const InNewPidNamespace&) = delete;
  InNewPidNamespace& operator=(const InNewPidNamespace&) = delete;
  [[nodiscard]] bool ok() const noexcept { return inner_ > 0; }
  void kill() const {
    if (inner_ > 0) ::kill(inner_, SIGKILL);
  }
  /// The exit code of the body (waits for it).
  int wait() {
    const int code = wait_for(middle_);
    middle_reaped_ = true;
    return code;
  }

 private:
  pid_t middle_ = -1;
  pid_t inner_ = -1;
  bool middle_reaped_ = false;
};

std::byte* structure_base(Memory& mem, std::string_view name) {
  const auto e = mem.table().find(name);
  if (!e) std::abort();
  return mem.base() + e->offset;
}

// ------------------------------------------------------------ pid namespaces

TEST(Liveness, AnOwnerInAnotherPidNamespaceIsAliveUntilKilled) {
  ScopedName name;
  Memory mem(name, kSize);
  Future<int> f(mem, "f");
  Signal claimed;
  InNewPidNamespace owner([&] {
    Memory peer(name);
    Future<int> p(peer, "f", zeroipc::open_only);
    p.claim_producer();  // its pid here is 1: meaningless outside
    // It also holds the table lock, as a creator would.
    auto& h = *reinterpret_cast<zeroipc::detail::SegmentHeader*>(peer.base());
    zeroipc::detail::owner_lock_acquire(h.table_lock, h.lock_holder_pid, 1s);
    claimed.send();
    for (;;) ::pause();
    return 0;
  });
  if (!owner.ok()) GTEST_SKIP() << "unshare(CLONE_NEWPID) is not permitted here";
  ASSERT_TRUE(claimed.receive());

  // Alive: the reader times out (no "producer died"), the lock is not taken from it.
  std::optional<int> v;
  EXPECT_EQ(error_of([&] { v = f.get_for(300ms); }), "<no exception>");
  EXPECT_FALSE(v.has_value());
  EXPECT_THROW(mem.table().find_or_create("x", 64, [](std::byte*, std::uint64_t) {}, 200ms), zeroipc::Timeout);

  owner.kill();
  const auto t0 = Clock::now();
  try {
    (void)f.get_for(10s);
    ADD_FAILURE() << "a killed producer in another pid namespace was not noticed";
  } catch (const FutureError& e) {
    EXPECT_EQ(e.reason(), FutureError::Reason::kProducerDied) << e.what();
  }
  EXPECT_LT(Clock::now() - t0, 2s);
  EXPECT_NO_THROW(mem.table().find_or_create("x", 64, [](std::byte*, std::uint64_t) {}, 2000ms))
      << "the dead holder's table lock is taken over";
}

TEST(Liveness, AnOwnerHereIsAliveForACheckerInAnotherPidNamespace) {
  ScopedName name;
  Memory mem(name, kSize);
  Future<int> f(mem, "f");  // this process produces it
  InNewPidNamespace checker([&] {
    Memory peer(name);
    Future<int> r(peer, "f", zeroipc::open_only);
    try {
      return r.get_for(300ms).has_value() ? 2 : 0;  // timed out: the producer is alive
    } catch (const FutureError&) {
      return 1;  // judged dead
    }
  });
  if (!checker.ok()) GTEST_SKIP() << "unshare(CLONE_NEWPID) is not permitted here";
  EXPECT_EQ(checker.wait(), 0) << "1: the producer here was judged dead from the other namespace";
}

TEST(Liveness, ASegmentBeingCreatedInAnotherPidNamespaceIsNotSwept) {
  // A creator there builds its segment under "/.zeroipc-tmp-<its pid>-...",
  // a pid that means another process (or none) here. It holds the creation
  // lock while it builds (§1); an orphan is one whose lock is gone.
  const std::string tmp = "/.zeroipc-tmp-1-liveness-" + std::to_string(::getpid());
  Signal built;
  InNewPidNamespace creator([&] {
    const int fd = ::shm_open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return 3;
    flock l{};
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    l.l_start = zeroipc::detail::kLivenessBase - 1;
    l.l_len = 1;
    if (::fcntl(fd, F_OFD_SETLK, &l) != 0) return 4;
    built.send();
    for (;;) ::pause();
    return 0;
  });
  if (!creator.ok()) GTEST_SKIP() << "unshare(CLONE_NEWPID) is not permitted here";
  ASSERT_TRUE(built.receive());
  const std::string path = "/dev/shm" + tmp;
  std::this_thread::sleep_for(1200ms);  // older than the sweep's grace period
  {
    ScopedName other;
    Memory m(other, kSize);  // creating sweeps orphaned temporaries
  }
  struct stat st{};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << "a live creator's temporary was swept";
  creator.kill();
  creator.wait();
  {
    ScopedName other;
    Memory m(other, kSize);
  }
  EXPECT_NE(::stat(path.c_str(), &st), 0) << "a dead creator's temporary was left behind";
  ::shm_unlink(tmp.c_str());
}

// ------------------------------------------------------------ pthread_exit

TEST(Liveness, AProcessWhoseMainThreadExitedIsAliveWhileAThreadRuns) {
  ScopedName name;
  Memory mem(name, kSize);
  Future<int> f(mem, "f");
  Signal claimed;
  // The main thread ends with the raw exit system call (one thread, not the
  // group): what pthread_exit does, minus the unwinding that gtest's and
  // spawn()'s catch (...) would swallow (glibc then aborts the process).
  std::fflush(nullptr);
  const pid_t owner = ::fork();
  ASSERT_GE(owner, 0);
  if (owner == 0) {
    static std::optional<Memory> peer;  // outlive the main thread
    static std::optional<Future<int>> p;
    peer.emplace(name);
    p.emplace(*peer, "f", true);
    p->claim_producer();
    static std::thread worker([] {
      for (;;) ::pause();
    });
    claimed.send();
    ::syscall(SYS_exit, 0);  // /proc/<pid>/stat now says 'Z' for the leader
  }
  ASSERT_TRUE(claimed.receive());
  std::this_thread::sleep_for(50ms);
  std::optional<int> v;
  EXPECT_EQ(error_of([&] { v = f.get_for(300ms); }), "<no exception>") << "judged dead while a thread lives";
  EXPECT_FALSE(v.has_value());
  ::kill(owner, SIGKILL);
  EXPECT_THROW((void)f.get_for(10s), FutureError);
  wait_for(owner);
}

// ------------------------------------------------------------ signals

// A handler that fires every millisecond, installed without SA_RESTART: every
// futex sleep ends in EINTR long before a 20 ms check interval.
void on_alarm(int) {}
void start_1ms_timer() {
  struct sigaction sa{};
  sa.sa_handler = on_alarm;
  ::sigaction(SIGALRM, &sa, nullptr);
  itimerval t{};
  t.it_interval.tv_usec = 1000;
  t.it_value.tv_usec = 1000;
  ::setitimer(ITIMER_REAL, &t, nullptr);
}

TEST(Liveness, ADeadHoldersLockIsTakenOverEvenWhenSignalsInterruptEverySleep) {
  ScopedName name;
  Memory mem(name, kSize);
  zeroipc::Queue<int, zeroipc::variants::locked_ring> q(mem, "q", 8);
  zeroipc::Channel<int> ch(mem, "ch", 4);
  const std::uint32_t dead = zeroipc::test::dead_owner_key();
  // As if a process died holding each lock.
  reinterpret_cast<zeroipc::detail::SegmentHeader*>(mem.base())->table_lock = dead | 0x80000000u;
  *reinterpret_cast<std::uint32_t*>(structure_base(mem, "q") + 64) = dead;
  *reinterpret_cast<std::uint32_t*>(structure_base(mem, "ch") + 64) = dead;

  const pid_t waiter = spawn([&] {
    start_1ms_timer();
    Memory peer(name);
    const auto t0 = Clock::now();
    peer.table().find_or_create("after", 64, [](std::byte*, std::uint64_t) {}, 10000ms);
    if (Clock::now() - t0 > 2s) return 1;
    zeroipc::Queue<int, zeroipc::variants::locked_ring> pq(peer, "q");
    const auto t1 = Clock::now();
    if (!pq.push(7) || Clock::now() - t1 > 2s) return 2;
    zeroipc::Channel<int> pch(peer, "ch");
    const auto t2 = Clock::now();
    if (!pch.send_for(8, 10s) || Clock::now() - t2 > 2s) return 3;
    return 0;
  });
  EXPECT_EQ(wait_for(waiter), 0) << "1: table lock, 2: locked_ring, 3: Channel not taken over within 2 s";
  EXPECT_EQ(q.pop(), 7);
  EXPECT_EQ(ch.try_receive(), 8);
}

// ------------------------------------------------------------ another user's file

TEST(Liveness, ASegmentFileOwnedByAnotherUserIsRefusedUnlessTrusted) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a file as another user";
  ScopedName name;
  const pid_t other = spawn([&] {
    if (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0) return 3;
    zeroipc::MemoryOptions o;
    o.mode = 0666;  // world-writable: anyone could open it
    Memory m(name, kSize, o);
    return m.created() ? 0 : 4;
  });
  ASSERT_EQ(wait_for(other), 0);
  const std::string e = error_of([&] { Memory m(name, kSize); });
  EXPECT_TRUE(contains(e, "is owned by uid 65534")) << e;
  EXPECT_THROW(Memory m(name), zeroipc::ForeignSegment);
  zeroipc::MemoryOptions trust;
  trust.allow_foreign_owner = true;
  EXPECT_NO_THROW(Memory m(name, kSize, trust));
  EXPECT_NO_THROW(Memory m(name, zeroipc::OpenOptions{.allow_foreign_owner = true}));
}

TEST(Liveness, ASegmentTruncatedBeforeOpenIsACorruptSegmentNotASigbus) {
  ScopedName name;
  { Memory m(name, kSize); }
  ASSERT_EQ(::truncate(("/dev/shm" + name.str()).c_str(), 4096), 0);
  EXPECT_THROW(Memory m(name), zeroipc::CorruptSegment);
  ASSERT_EQ(::truncate(("/dev/shm" + name.str()).c_str(), 100), 0);
  EXPECT_THROW(Memory m(name), zeroipc::CorruptSegment);
}

TEST(Liveness, NamesOfCreationTemporariesAreRefused) {
  EXPECT_THROW(Memory m("/.zeroipc-tmp-12-3-4", kSize), zeroipc::InvalidName);
  EXPECT_THROW(Memory::exists("/.zeroipc-tmp-x"), zeroipc::InvalidName);
}

// ------------------------------------------------------------ spsc_ring roles and fork

using Spsc = zeroipc::Queue<std::uint64_t, zeroipc::variants::spsc_ring>;

TEST(Liveness, AForkedChildDoesNotInheritItsParentsSpscRole) {
  ScopedName name;
  Memory mem(name, kSize);
  std::optional<Spsc> q;
  q.emplace(mem, "q", 64);
  ASSERT_TRUE(q->push(1));  // this process is the producer now
  const pid_t child = spawn([&] {
    try {
      q->push(2);  // the inherited handle: a second producer while the parent lives
      return 1;
    } catch (const zeroipc::RoleTaken& e) {
      return contains(e.what(), "producer role is held by live process " + std::to_string(::getppid())) ? 0 : 2;
    }
  });
  EXPECT_EQ(wait_for(child), 0) << "1: a forked child pushed beside its live parent";
  EXPECT_EQ(q->pop(), 1u);
  EXPECT_FALSE(q->pop().has_value()) << "nothing but the parent's element";

  // Once the parent's role is gone (here: released), the child may take it.
  Signal pushed;
  const pid_t heir = spawn([&] {
    Memory peer(name);
    Spsc mine(peer, "q");
    for (int i = 0; i < 1000; ++i) {
      try {
        if (mine.push(3)) break;
      } catch (const zeroipc::RoleTaken&) {
        std::this_thread::sleep_for(1ms);
      }
    }
    pushed.send();
    return 0;
  });
  q.reset();  // releases this process's roles
  ASSERT_TRUE(pushed.receive());
  EXPECT_EQ(wait_for(heir), 0);
}

TEST(Liveness, OneProcessesProducerAndConsumerRolesAreCountedApart) {
  ScopedName name;
  Memory mem(name, kSize);
  std::byte* body = nullptr;
  {
    Spsc producer(mem, "q", 64);
    body = structure_base(mem, "q") + sizeof(zeroipc::detail::StructHeader);
    ASSERT_TRUE(producer.push(5));
    {
      Spsc consumer(mem, "q");
      EXPECT_EQ(consumer.pop(), 5u);
      EXPECT_EQ(*reinterpret_cast<std::uint32_t*>(body + 128), zeroipc::detail::self_key()) << "producer role";
      EXPECT_EQ(*reinterpret_cast<std::uint32_t*>(body + 144), zeroipc::detail::self_key()) << "consumer role";
    }
    EXPECT_EQ(*reinterpret_cast<std::uint32_t*>(body + 144), 0u) << "the consumer role was released with its handle";
    EXPECT_EQ(*reinterpret_cast<std::uint32_t*>(body + 128), zeroipc::detail::self_key())
        << "the producer role stays with the live producer handle";
  }
  EXPECT_EQ(*reinterpret_cast<std::uint32_t*>(body + 128), 0u);
}

}  // namespace
