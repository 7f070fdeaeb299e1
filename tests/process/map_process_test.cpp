// Map and Set across real processes (fork), for every variant in
// zeroipc::MapVariants:
//   - processes racing insert / insert_or_assign / erase / find on the same
//     few keys: per key, the successful inserts minus the successful erases
//     of all processes is its final presence (no duplicate, no lost key);
//   - a holder SIGKILLed at each named window of an operation
//     (MapCrashPoint): the operation happened or did not, never half; a
//     half-written value is undone; the count is right; the map goes on;
//   - a process SIGKILLed at random while it operates, 60 times: every key
//     holds what the log of completed operations says, except the one in
//     flight, which holds its value before or after.
#include <gtest/gtest.h>

#include <signal.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/map.h>
#include <zeroipc/memory.h>
#include <zeroipc/registry.h>
#include <zeroipc/set.h>

#include "test_support.h"
#include "variant_test_support.h"

namespace {

using namespace std::chrono_literals;
using zeroipc::Array;
using zeroipc::Map;
using zeroipc::Memory;
using zeroipc::test::kSanitized;
using zeroipc::test::ScopedName;
using zeroipc::test::spawn;
using zeroipc::test::ToTypes;
using zeroipc::test::VariantName;
using zeroipc::test::wait_for;
using zeroipc::variants::detail::MapCrashPoint;

template <class T>
std::atomic_ref<T> ref(T& v) {
  return std::atomic_ref<T>(v);
}

// A value that tells which key and which write made it (and is torn-proof
// checkable: both halves must agree).
struct Stamp {
  std::uint64_t key;
  std::uint64_t version;
  std::uint64_t check;  // key ^ version ^ constant
  bool operator==(const Stamp&) const = default;
};
constexpr std::uint64_t kCheck = 0x5eed5eed5eed5eedull;
Stamp stamp(std::uint64_t key, std::uint64_t version) { return {key, version, key ^ version ^ kCheck}; }

template <class V>
class MapProcess : public ::testing::Test {};
TYPED_TEST_SUITE(MapProcess, ToTypes<zeroipc::MapVariants>::type, VariantName);

TYPED_TEST(MapProcess, RacingProcessesNeverDuplicateOrLoseAKey) {
  constexpr std::uint64_t kKeys = 32;
  constexpr int kProcs = 3;
  const int ops = kSanitized ? 3000 : 30000;
  ScopedName seg("map");
  Memory mem(seg, 4 << 20);
  Map<std::uint64_t, Stamp, TypeParam> m(mem, "m", kKeys);
  Array<std::int64_t> net(mem, "net", kProcs * kKeys);  // per process and key: inserts - erases
  Array<std::uint64_t> torn(mem, "torn", 1);
  const std::string name = seg.str();
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    kids.push_back(spawn([&, p] {
      Memory mine(name);
      Map<std::uint64_t, Stamp, TypeParam> map(mine, "m");
      Array<std::int64_t> n(mine, "net");
      Array<std::uint64_t> t(mine, "torn");
      std::mt19937_64 rng(static_cast<std::uint64_t>(p) + 1);
      for (int i = 0; i < ops; ++i) {
        const std::uint64_t k = rng() % kKeys;
        switch (rng() % 4) {
          case 0: n[p * kKeys + k] += map.insert(k, stamp(k, rng())) ? 1 : 0; break;
          case 1: n[p * kKeys + k] += map.insert_or_assign(k, stamp(k, rng())) ? 1 : 0; break;
          case 2: n[p * kKeys + k] -= map.erase(k) ? 1 : 0; break;
          default:
            if (const auto v = map.find(k); v && (v->key != k || v->check != (v->key ^ v->version ^ kCheck))) {
              ref(t[0]).fetch_add(1);
            }
        }
      }
      return 0;
    }));
  }
  for (pid_t k : kids) EXPECT_EQ(wait_for(k), 0);
  std::size_t present = 0;
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    std::int64_t sum = 0;
    for (int p = 0; p < kProcs; ++p) sum += net[p * kKeys + k];
    const bool has = m.contains(k);
    EXPECT_EQ(sum, has ? 1 : 0) << "key " << k;
    present += has;
  }
  EXPECT_EQ(m.size(), present);
  EXPECT_EQ(torn[0], 0u) << "a find returned a value of another key, or a torn one";
}

// Kills a child at `point` inside the operation `op` does, then checks the map.
template <class Var>
void kill_at(MapCrashPoint point, const std::function<void(Map<std::uint64_t, Stamp, Var>&)>& op,
             const std::function<void(Map<std::uint64_t, Stamp, Var>&)>& check, std::size_t capacity = 16) {
  ScopedName seg("mapkill");
  Memory mem(seg, 1 << 20);
  Map<std::uint64_t, Stamp, Var> m(mem, "m", capacity);
  for (std::uint64_t k = 0; k < 8; ++k) ASSERT_TRUE(m.insert(k, stamp(k, 1)));
  static MapCrashPoint target;
  target = point;
  const std::string name = seg.str();
  const pid_t child = spawn([&] {
    Memory mine(name);
    Map<std::uint64_t, Stamp, Var> map(mine, "m");
    zeroipc::detail::crash_hook_of<MapCrashPoint>().store(+[](MapCrashPoint p) {
      if (p == target) ::raise(SIGKILL);
    });
    op(map);
    return 3;  // the point was not reached
  });
  ASSERT_EQ(wait_for(child), 128 + SIGKILL) << "the child did not die at the crash point";
  check(m);  // takes the lock over from the dead child first (about 20 ms)
  // And the map goes on.
  EXPECT_TRUE(m.insert_or_assign(100, stamp(100, 7)));
  EXPECT_EQ(m.find(100), stamp(100, 7));
}

TYPED_TEST(MapProcess, InsertKilledBeforePublishingLeavesNoKey) {
  kill_at<TypeParam>(
      MapCrashPoint::kInsertWritten, [](auto& m) { m.insert(50, stamp(50, 2)); },
      [](auto& m) {
        EXPECT_FALSE(m.contains(50));
        EXPECT_EQ(m.size(), 8u);
      });
}

TYPED_TEST(MapProcess, InsertKilledAfterPublishingHasTheKeyAndTheCount) {
  kill_at<TypeParam>(
      MapCrashPoint::kInsertPublished, [](auto& m) { m.insert(50, stamp(50, 2)); },
      [](auto& m) {
        EXPECT_EQ(m.find(50), stamp(50, 2));
        EXPECT_EQ(m.size(), 9u) << "recounted by the process that took the lock over";
      });
}

TYPED_TEST(MapProcess, AssignKilledHalfWayKeepsTheOldValueWhole) {
  kill_at<TypeParam>(
      MapCrashPoint::kAssignHalfWritten, [](auto& m) { m.insert_or_assign(3, stamp(3, 99)); },
      [](auto& m) {
        EXPECT_EQ(m.find(3), stamp(3, 1)) << "the journal undid the half-written value";
        EXPECT_EQ(m.size(), 8u);
      });
}

TYPED_TEST(MapProcess, EraseKilledAfterMarkingHasNoKeyAndTheCount) {
  kill_at<TypeParam>(
      MapCrashPoint::kEraseMarked, [](auto& m) { m.erase(4); },
      [](auto& m) {
        EXPECT_FALSE(m.contains(4));
        EXPECT_EQ(m.size(), 7u);
        EXPECT_TRUE(m.insert(4, stamp(4, 3)));
      });
}

TYPED_TEST(MapProcess, RebuildKilledBeforeSwitchingLosesNothing) {
  // Capacity 24 (table 32) filled: long clusters, so erasing leaves
  // tombstones (an erased slot before an empty one is trimmed instead) until
  // 32 / 4 of them start a rebuild; the child is killed inside it.
  kill_at<TypeParam>(
      MapCrashPoint::kRebuildFilled,
      [](auto& m) {
        for (std::uint64_t k = 8; k < 24; ++k) m.insert(k, stamp(k, 1));
        for (std::uint64_t k = 0; k < 24; ++k) m.erase(k);
      },
      [](auto& m) {
        // Whatever erases completed before the kill are gone, the rest are whole.
        std::size_t present = 0;
        for (std::uint64_t k = 0; k < 24; ++k) {
          if (const auto v = m.find(k)) {
            EXPECT_EQ(*v, stamp(k, 1));
            ++present;
          }
        }
        EXPECT_EQ(m.size(), present);
        EXPECT_GT(present, 0u);
      },
      24);
}

TYPED_TEST(MapProcess, KilledAtRandomEveryKeyMatchesTheLog) {
  constexpr std::uint64_t kKeys = 24;
  const int rounds = kSanitized ? 15 : 60;
  ScopedName seg("maprand");
  Memory mem(seg, 4 << 20);
  Map<std::uint64_t, Stamp, TypeParam> m(mem, "m", kKeys);
  // log: per key, the version it holds after the last completed operation
  // (0 = absent); [kKeys] = the key in flight, [kKeys + 1] = its version after.
  Array<std::uint64_t> log(mem, "log", kKeys + 2);
  const std::string name = seg.str();
  std::mt19937 rng(20261203);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const pid_t child = spawn([&, round] {
      Memory mine(name);
      Map<std::uint64_t, Stamp, TypeParam> map(mine, "m");
      Array<std::uint64_t> l(mine, "log");
      std::mt19937_64 r(static_cast<std::uint64_t>(round));
      for (std::uint64_t i = 1;; ++i) {
        const std::uint64_t k = r() % kKeys;
        const std::uint64_t version = (static_cast<std::uint64_t>(round) << 40) | i;
        const bool erase = r() % 3 == 0;
        ref(l[kKeys + 1]).store(erase ? 0 : version);
        ref(l[kKeys]).store(k + 1);
        if (erase) {
          map.erase(k);
        } else {
          map.insert_or_assign(k, stamp(k, version));
        }
        ref(l[k]).store(erase ? 0 : version);
        ref(l[kKeys]).store(0);
      }
      return 0;  // not reached: killed
    });
    std::this_thread::sleep_for(std::chrono::microseconds(500 + rng() % 5000));
    ::kill(child, SIGKILL);
    ASSERT_EQ(wait_for(child), 128 + SIGKILL);
    const std::uint64_t in_flight = ref(log[kKeys]).load();
    std::size_t present = 0;
    for (std::uint64_t k = 0; k < kKeys; ++k) {
      const auto v = m.find(k);
      const std::uint64_t now = v ? v->version : 0;
      if (v) {
        ++present;
        EXPECT_EQ(*v, stamp(k, v->version)) << "key " << k << " holds a torn value";
      }
      if (in_flight == k + 1) {
        EXPECT_TRUE(now == log[k] || now == log[kKeys + 1]) << "key " << k << " (in flight)";
        log[k] = now;  // whichever it is, it is the state from now on
      } else {
        EXPECT_EQ(now, log[k]) << "key " << k;
      }
    }
    log[kKeys] = 0;
    EXPECT_EQ(m.size(), present);
  }
}

TYPED_TEST(MapProcess, SetAcrossProcessesCountsEachKeyOnce) {
  ScopedName seg("set");
  Memory mem(seg, 1 << 20);
  zeroipc::Set<std::uint32_t, TypeParam> s(mem, "s", 1000);
  Array<std::uint32_t> wins(mem, "wins", 1000);
  const std::string name = seg.str();
  std::vector<pid_t> kids;
  for (int p = 0; p < 2; ++p) {
    kids.push_back(spawn([&] {
      Memory mine(name);
      zeroipc::Set<std::uint32_t, TypeParam> set(mine, "s");
      Array<std::uint32_t> w(mine, "wins");
      for (std::uint32_t k = 0; k < 1000; ++k) {
        if (set.insert(k)) ref(w[k]).fetch_add(1);
      }
      return 0;
    }));
  }
  for (pid_t k : kids) EXPECT_EQ(wait_for(k), 0);
  for (std::uint32_t k = 0; k < 1000; ++k) ASSERT_EQ(wins[k], 1u) << "key " << k << " inserted by both or neither";
  EXPECT_EQ(s.size(), 1000u);
}

}  // namespace
