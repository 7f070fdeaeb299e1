// Capacity lost to killed processes is given back (variants/detail/op_slots.h).
//
// For each variant whose operations hold a node or index privately for a
// moment (scq_indices, lcrq_nodes, and scq and lcrq with 16-byte elements;
// treiber_tagged, elimination_backoff), and for the direct cells of scq and
// lcrq (8-byte elements), one process after
// another opens the structure, pushes and pops as fast as it can, and is
// SIGKILLed after a random 0.1..1.5 ms: most kills land inside an operation,
// some between taking a node and linking it. After all the kills the
// structure must still hold `capacity` elements: a push that finds it full
// while a dead thread was in flight recovers by itself, so plain pushes
// reach the full capacity; every element pushed is popped once. A
// crash-summary line gives the figures (kills, recoveries, nodes given back).
//
// ZEROIPC_RECOVERY_KILLS overrides the number of kills (default 1000; 200
// under sanitizers).
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <type_traits>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/queue.h>
#include <zeroipc/stack.h>
#include <zeroipc/variants/detail/crash_hook.h>

#include "raw_bytes.h"
#include "test_support.h"
#include "variant_test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::test::ScopedName;

constexpr std::size_t kCapacity = 64;
// Not a power of two: the queues hold 100 indices or nodes on rings sized for
// 128 (the stacks take any capacity anyway).
constexpr std::size_t kOddCapacity = 100;

// Where the §7.7 area starts in each variant's body.
template <class C>
constexpr std::size_t ops_offset() {
  using V = typename C::variant;
  if constexpr (std::is_same_v<V, zeroipc::variants::scq> || std::is_same_v<V, zeroipc::variants::scq_indices>) return 0;
  else if constexpr (std::is_same_v<V, zeroipc::variants::lcrq> || std::is_same_v<V, zeroipc::variants::lcrq_nodes>) {
    return 320;
  }
  else return V::kOpsOffset;
}

int kills() {
  if (const char* env = std::getenv("ZEROIPC_RECOVERY_KILLS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return zeroipc::test::kSanitized ? 200 : 1000;
}

// lcrq and scq keep elements of up to 8 bytes in their cells (nothing to
// leak: see DirectCells below); a 16-byte element takes lcrq's data-node
// path and scq's index rings.
struct Wide {
  std::uint64_t v = 0, check = 0;
  Wide() = default;
  Wide(std::uint64_t x) : v(x), check(~x) {}  // NOLINT: converts from the tests' counters
  operator std::uint64_t() const { return v; }  // NOLINT
};

// pop() into `out`: false when empty (Queue and Stack alike).
template <class C>
bool take(C& c, typename C::value_type& out) {
  auto v = c.pop();
  if (!v) return false;
  out = *v;
  return true;
}

template <class C>
struct Recoverable : ::testing::Test {};

using Containers = ::testing::Types<zeroipc::Queue<std::uint64_t, zeroipc::variants::scq_indices>,
                                    zeroipc::Queue<Wide, zeroipc::variants::scq>,
                                    zeroipc::Queue<std::uint64_t, zeroipc::variants::lcrq_nodes>,
                                    zeroipc::Queue<Wide, zeroipc::variants::lcrq>,
                                    zeroipc::Stack<std::uint64_t, zeroipc::variants::treiber_tagged>,
                                    zeroipc::Stack<std::uint64_t, zeroipc::variants::elimination_backoff>>;
struct ContainerName {
  template <class C>
  static std::string GetName(int) {
    return std::string(C::variant::kName) + (sizeof(typename C::value_type) > 8 ? "_wide" : "");
  }
};
TYPED_TEST_SUITE(Recoverable, Containers, ContainerName);

template <class C>
void thousand_killed_processes_leave_the_full_capacity(bool holds_nodes) {
  ScopedName name("recover");
  Memory mem(name, 4 << 20);
  C c(mem, "c", kCapacity);
  for (std::uint64_t i = 0; i < kCapacity / 2; ++i) ASSERT_TRUE(c.push(i));  // half full: push and pop both work

  const int n = kills();
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> delay_us(100, 1500);
  for (int k = 0; k < n; ++k) {
    std::fflush(nullptr);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      Memory peer(name);
      C mine(peer, "c");
      for (std::uint64_t i = 0;; ++i) {
        typename C::value_type v;
        if (take(mine, v)) (void)!mine.push(v);  // what was popped goes back: the count stays
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
  }

  // Drain, then fill: the pushes must reach the full capacity. Direct
  // cells: a consumer killed between its FAA and its CAS2 leaves a full
  // cell that later laps skip; a push recovers by itself only while it sees
  // a dead thread's slot, and an earlier recovery may have freed that slot
  // (lcrq.h, "What a kill costs"), so the test recovers once, explicitly.
  std::multiset<std::uint64_t> seen;
  typename C::value_type out;
  while (take(c, out)) seen.insert(out);
  const std::size_t orphans = holds_nodes ? 0 : c.recover();
  std::size_t pushed = 0;
  while (pushed < kCapacity + 1 && c.push(1000 + pushed)) ++pushed;
  const std::size_t given_back = c.recover();  // nothing left to give back after the automatic recovery
  EXPECT_EQ(pushed, kCapacity) << "capacity left after " << n << " killed processes";
  EXPECT_EQ(given_back, 0u);
  for (const std::uint64_t v : seen) {
    EXPECT_LT(v, kCapacity / 2) << "an element nobody pushed";
    EXPECT_EQ(seen.count(v), 1u) << "element " << v << " popped twice";
  }
  EXPECT_LE(seen.size(), kCapacity / 2);
  std::set<std::uint64_t> refill;
  while (take(c, out)) EXPECT_TRUE(refill.insert(out).second) << "element " << std::uint64_t(out) << " popped twice";
  EXPECT_EQ(refill.size(), kCapacity);
  // §7.7's counters: recoveries made and nodes given back, from the control line.
  const std::byte* control = mem.base() + mem.table().find("c")->offset + 64 + ops_offset<C>();
  std::printf("crash-summary variant=%s%s kind=capacity kills=%d recoveries=%llu given_back=%llu "
              "elements_lost_in_flight=%zu refilled=%zu orphan_cells_recovered=%zu\n",
              std::string(C::variant::kName).c_str(), holds_nodes ? "" : "(direct)", n,
              static_cast<unsigned long long>(zeroipc::test::le(control, 16, 8)),
              static_cast<unsigned long long>(zeroipc::test::le(control, 24, 8)), kCapacity / 2 - seen.size(), pushed,
              orphans);
  if (holds_nodes) {
    EXPECT_GE(zeroipc::test::le(control, 16, 8), 1u) << "no kill left anything to recover: the kills missed the operations";
  }
}

TYPED_TEST(Recoverable, ThousandKilledProcessesLeaveTheFullCapacity) {
  thousand_killed_processes_leave_the_full_capacity<TypeParam>(true);
}

// lcrq with 8-byte elements (direct cells) holds no node privately: a kill
// costs at most the element in flight, a skipped position, or (a consumer
// killed between its FAA and its CAS2) a cell that later laps skip until a
// recovery empties it. The full capacity is there after the kills.
TEST(DirectCells, LcrqThousandKilledProcessesLeaveTheFullCapacity) {
  thousand_killed_processes_leave_the_full_capacity<zeroipc::Queue<std::uint64_t, zeroipc::variants::lcrq>>(false);
}

// scq with 8-byte elements (direct cells), the same: a kill costs at most
// the element in flight, a skipped position, or (a consumer killed between
// its FAA and emptying the cell) a full cell no enqueuer can use until a
// recovery empties it (scq.h, "What a kill costs").
TEST(DirectCells, ScqThousandKilledProcessesLeaveTheFullCapacity) {
  thousand_killed_processes_leave_the_full_capacity<zeroipc::Queue<std::uint64_t, zeroipc::variants::scq>>(false);
}

zeroipc::variants::detail::VariantCrashPoint g_die_at;
void die_at_target(zeroipc::variants::detail::VariantCrashPoint p) {
  if (p == g_die_at) ::raise(SIGKILL);
}

template <class C>
void recover_gives_back_exactly_what_a_dead_process_held(std::size_t capacity, bool push_point = true) {
  using zeroipc::variants::detail::VariantCrashPoint;
  for (const VariantCrashPoint point : {VariantCrashPoint::kPushHolding, VariantCrashPoint::kPopHolding}) {
    if (!push_point && point == VariantCrashPoint::kPushHolding) continue;
    SCOPED_TRACE(point == VariantCrashPoint::kPushHolding ? "killed in a push, holding a node"
                                                          : "killed in a pop, holding a node");
    ScopedName name("recover");
    Memory mem(name, 4 << 20);
    C c(mem, "c", capacity);
    for (std::uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(c.push(i));
    EXPECT_EQ(c.recover(), 0u) << "nothing held by anyone";
    const pid_t child = zeroipc::test::spawn([&] {
      Memory peer(name);
      C mine(peer, "c");
      g_die_at = point;
      zeroipc::detail::crash_hook_of<VariantCrashPoint>().store(&die_at_target);
      if (point == VariantCrashPoint::kPushHolding) (void)mine.push(99);
      else (void)mine.pop();
      return 1;  // not reached
    });
    ASSERT_EQ(zeroipc::test::wait_for(child), 128 + SIGKILL);
    // The dead process holds one node: without a recovery the capacity is one short.
    EXPECT_EQ(c.recover(), 1u) << "exactly the dead process's node is given back";
    EXPECT_EQ(c.recover(), 0u) << "and nothing else, twice";
    std::size_t left = 0;
    typename C::value_type out;
    while (take(c, out)) ++left;
    EXPECT_EQ(left, point == VariantCrashPoint::kPushHolding ? 10u : 9u)
        << "a push that died holding its node pushed nothing; a pop that died took its element";
    std::size_t pushed = 0;
    while (pushed <= capacity && c.push(pushed)) ++pushed;
    EXPECT_EQ(pushed, capacity);
  }
}

TYPED_TEST(Recoverable, RecoverGivesBackExactlyWhatADeadProcessHeld) {
  recover_gives_back_exactly_what_a_dead_process_held<TypeParam>(kCapacity);
}
TYPED_TEST(Recoverable, RecoverGivesBackExactlyWhatADeadProcessHeldCapacityNotAPowerOfTwo) {
  recover_gives_back_exactly_what_a_dead_process_held<TypeParam>(kOddCapacity);
}

template <class C>
void a_push_that_finds_it_full_recovers_by_itself(std::size_t capacity) {
  using zeroipc::variants::detail::VariantCrashPoint;
  ScopedName name("recover");
  Memory mem(name, 4 << 20);
  C c(mem, "c", capacity);
  for (int k = 0; k < 3; ++k) {
    const pid_t child = zeroipc::test::spawn([&] {
      Memory peer(name);
      C mine(peer, "c");
      g_die_at = VariantCrashPoint::kPushHolding;
      zeroipc::detail::crash_hook_of<VariantCrashPoint>().store(&die_at_target);
      (void)mine.push(99);
      return 1;
    });
    ASSERT_EQ(zeroipc::test::wait_for(child), 128 + SIGKILL);
  }
  std::size_t pushed = 0;
  while (pushed <= capacity && c.push(pushed)) ++pushed;
  EXPECT_EQ(pushed, capacity) << "three nodes held by dead processes were given back by the push that found none";
}

// scq's direct cells: a pop killed after its FAA on head, holding a full
// cell it has not emptied (kPopHolding), leaves that cell full: the
// element is lost with the pop, and the next recovery empties exactly that
// one cell, after which the full capacity fits. (A direct push holds
// nothing: a push killed after its FAA only skips a position.)
TEST(DirectCells, ScqRecoverEmptiesExactlyTheCellADeadPopHeld) {
  recover_gives_back_exactly_what_a_dead_process_held<zeroipc::Queue<std::uint64_t, zeroipc::variants::scq>>(kCapacity,
                                                                                                          false);
  recover_gives_back_exactly_what_a_dead_process_held<zeroipc::Queue<std::uint64_t, zeroipc::variants::scq>>(
      kOddCapacity, false);
}

TYPED_TEST(Recoverable, APushThatFindsItFullRecoversByItself) {
  a_push_that_finds_it_full_recovers_by_itself<TypeParam>(kCapacity);
}
TYPED_TEST(Recoverable, APushThatFindsItFullRecoversByItselfCapacityNotAPowerOfTwo) {
  a_push_that_finds_it_full_recovers_by_itself<TypeParam>(kOddCapacity);
}

TEST(Recover, VariantsThatLeakNothingRecoverNothing) {
  ScopedName name("recover");
  Memory mem(name, 4 << 20);
  zeroipc::Queue<std::uint64_t, zeroipc::variants::spsc_ring> spsc(mem, "spsc", 8);
  zeroipc::Queue<std::uint64_t, zeroipc::variants::locked_ring> locked(mem, "locked", 8);
  zeroipc::Queue<std::uint64_t, zeroipc::variants::vyukov_bounded> vyukov(mem, "vyukov", 8);
  EXPECT_EQ(spsc.recover(), 0u);
  EXPECT_EQ(locked.recover(), 0u);
  EXPECT_EQ(vyukov.recover(), 0u);
}

}  // namespace
