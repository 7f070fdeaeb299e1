// The harness's machine facts against the real machine: topology and
// placement, pinning, PAPI counters, the latency clock, the context block and
// the workers' software facts. Assertions hold on any machine (1 PU or 256, with
// or without hwloc, PAPI or an invariant TSC); what this machine reported is
// printed so a CI log shows it.
#include <gtest/gtest.h>

#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include <zeroipc/harness/clock.h>
#include <zeroipc/harness/context.h>
#include <zeroipc/harness/counters.h>
#include <zeroipc/harness/rusage.h>
#include <zeroipc/harness/topology.h>

namespace {

using namespace zeroipc::harness;
using namespace std::chrono_literals;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Restores the test process's affinity mask after a test pinned it.
class AffinityGuard {
public:
  AffinityGuard() { CPU_ZERO(&saved_); sched_getaffinity(0, sizeof saved_, &saved_); }
  ~AffinityGuard() { sched_setaffinity(0, sizeof saved_, &saved_); }
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;

private:
  cpu_set_t saved_;
};

const Pu& pu_by_os_index(const Topology& t, int os_index) {
  for (const Pu& pu : t.pus())
    if (pu.os_index == os_index) return pu;
  throw std::out_of_range("no usable PU " + std::to_string(os_index));
}

// ---- topology --------------------------------------------------------------------

TEST(Topology, HasTheProcessesPusAndTheSummaryNamesThem) {
  const Topology t;
  std::cout << "topology: " << t.summary() << " [" << t.source() << "]\n";
  ASSERT_GE(t.pus().size(), 1u);
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
  EXPECT_EQ(static_cast<int>(t.pus().size()), CPU_COUNT(&mask));
  for (const Pu& pu : t.pus()) EXPECT_TRUE(CPU_ISSET(pu.os_index, &mask)) << pu.os_index;
  EXPECT_GE(t.cores(), 1);
  EXPECT_LE(t.cores(), static_cast<int>(t.pus().size()));
  const std::string s = t.summary();
  const auto n = t.pus().size();
  EXPECT_TRUE(contains(s, std::to_string(n) + (n == 1 ? " PU" : " PUs"))) << s;
  EXPECT_TRUE(contains(s, std::to_string(t.cores()) + (t.cores() == 1 ? " core" : " cores"))) << s;
  const auto j = t.to_json();
  EXPECT_EQ(j.at("summary"), s);
  EXPECT_EQ(j.at("pus").size(), n);
}

TEST(Topology, PlacementNamesRoundTrip) {
  for (Placement p : kAllPlacements) EXPECT_EQ(parse_placement(to_string(p)), p);
  EXPECT_EQ(parse_placement("same-socket"), std::nullopt);
  const Topology t;
  EXPECT_THROW((void)t.place("same-socket", 2), std::invalid_argument);
  EXPECT_THROW((void)t.place("same-core", 0), std::invalid_argument);
}

TEST(Topology, DifferentCoresIsOfferedIffThereAreTwoCores) {
  const Topology t;
  const auto offer = t.offer(Placement::different_cores, 2);
  EXPECT_EQ(offer.available, t.cores() >= 2) << offer.reason;
  const auto pus = t.place("different-cores", 2);
  ASSERT_EQ(pus.has_value(), t.cores() >= 2);
  if (pus) {
    EXPECT_NE(pu_by_os_index(t, (*pus)[0]).core, pu_by_os_index(t, (*pus)[1]).core);
  } else {
    EXPECT_TRUE(contains(offer.reason, "different-cores")) << offer.reason;
  }
}

TEST(Topology, SameCoreUsesSmtSiblingsOrOnePuWithANote) {
  const Topology t;
  const auto offer = t.offer(Placement::same_core, 2);
  const auto pus = t.place(Placement::same_core, 2);
  ASSERT_TRUE(offer.available) << offer.reason; // SMT siblings, or one PU shared
  ASSERT_TRUE(pus.has_value());
  const Pu& a = pu_by_os_index(t, (*pus)[0]);
  const Pu& b = pu_by_os_index(t, (*pus)[1]);
  EXPECT_EQ(a.core, b.core);
  if (t.smt()) {
    EXPECT_NE(a.os_index, b.os_index);
  } else {
    EXPECT_EQ(a.os_index, b.os_index);
    EXPECT_TRUE(contains(offer.note, "no SMT")) << offer.note;
  }
}

// Every placement the machine offers means what its name says.
TEST(Topology, OfferedPlacementsKeepTheirPromise) {
  const Topology t;
  for (const PlacementOffer& o : t.available_placements(2)) {
    const std::string name(to_string(o.placement));
    std::cout << "  " << name << ": " << (o.available ? "yes" : "no") << " " << o.reason << o.note << "\n";
    const auto pus = t.place(o.placement, 2);
    ASSERT_EQ(pus.has_value(), o.available) << name;
    if (!o.available) {
      EXPECT_TRUE(contains(o.reason, name)) << o.reason;
      continue;
    }
    ASSERT_EQ(pus->size(), 2u);
    const Pu& a = pu_by_os_index(t, (*pus)[0]);
    const Pu& b = pu_by_os_index(t, (*pus)[1]);
    switch (o.placement) {
    case Placement::same_core: EXPECT_EQ(a.core, b.core); break;
    case Placement::different_cores: EXPECT_NE(a.core, b.core); break;
    case Placement::same_l3: EXPECT_EQ(a.l3, b.l3); EXPECT_NE(a.core, b.core); break;
    case Placement::different_l3: EXPECT_NE(a.l3, b.l3); break;
    case Placement::same_numa: EXPECT_EQ(a.numa, b.numa); EXPECT_NE(a.core, b.core); break;
    case Placement::different_numa: EXPECT_NE(a.numa, b.numa); break;
    }
  }
}

TEST(Topology, ImpossiblePlacementIsNulloptWithAReason) {
  const Topology t;
  const int too_many = t.cores() + 1;
  EXPECT_EQ(t.place("different-cores", too_many), std::nullopt);
  const auto offer = t.offer(Placement::different_cores, too_many);
  EXPECT_FALSE(offer.available);
  EXPECT_TRUE(contains(offer.reason, "different-cores: only")) << offer.reason;
  // One NUMA node per worker for more workers than PUs cannot exist anywhere.
  const int beyond = static_cast<int>(t.pus().size()) + 1;
  EXPECT_EQ(t.place("different-numa", beyond), std::nullopt);
  EXPECT_FALSE(t.offer(Placement::different_numa, beyond).reason.empty());
}

TEST(Topology, PinningToEachUsablePuIsWhereWeRun) {
  const Topology t;
  const AffinityGuard guard;
  for (const Pu& pu : t.pus()) {
    ASSERT_NO_THROW(pin_current_process(pu.os_index));
    // sched_setaffinity migrates the caller before returning.
    EXPECT_EQ(current_pu(), pu.os_index);
    cpu_set_t mask;
    CPU_ZERO(&mask);
    ASSERT_EQ(sched_getaffinity(0, sizeof mask, &mask), 0);
    EXPECT_EQ(CPU_COUNT(&mask), 1);
    EXPECT_TRUE(CPU_ISSET(pu.os_index, &mask));
  }
}

TEST(Topology, PinningToAMissingPuThrowsWithTheReason) {
  const Topology t;
  const AffinityGuard guard;
  const int missing = t.online_pus() + 100;
  try {
    pin_current_process(missing);
    FAIL() << "pinning to PU " << missing << " succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(contains(e.what(), std::to_string(missing))) << e.what();
  }
  EXPECT_THROW(pin_current_process(-1), std::runtime_error);
}

// ---- counters --------------------------------------------------------------------

TEST(Counters, NeverThrowAndEitherCountOrSayWhyNot) {
  std::optional<Counters> c;
  ASSERT_NO_THROW(c.emplace());
  std::cout << "counters: " << counters_status() << "\n";
  if (c->available()) {
    EXPECT_TRUE(c->unavailable_reason().empty());
    ASSERT_TRUE(c->start()) << c->last_error();
    volatile long sink = 0;
    for (long i = 0; i < 100000; ++i) sink = sink + i;
    const auto counts = c->stop();
    ASSERT_EQ(counts.size(), c->events().size()) << c->last_error();
    for (const auto& [name, count] : counts) EXPECT_GE(count, 0) << name;
    if (counts.count("PAPI_TOT_INS")) {
      EXPECT_GT(counts.at("PAPI_TOT_INS"), 100000);
    }
  } else {
    const std::string& why = c->unavailable_reason();
    EXPECT_FALSE(why.empty());
#if ZEROIPC_HARNESS_PAPI
    // When PAPI itself starts, the reason is the first event's failure.
    if (!contains(why, "PAPI_library_init") && !contains(why, "PAPI_thread_init") &&
        !contains(why, "PAPI_create_eventset")) {
      EXPECT_TRUE(contains(why, "PAPI_TOT_CYC")) << why;
    }
#else
    EXPECT_EQ(why, "built without PAPI");
#endif
    EXPECT_FALSE(c->start());
    EXPECT_TRUE(c->stop().empty());
    EXPECT_FALSE(c->last_error().empty());
  }
}

TEST(Counters, StatusSaysAvailableOrUnavailable) {
  const std::string s = counters_status();
  EXPECT_TRUE(s.rfind("available (", 0) == 0 || s.rfind("unavailable (", 0) == 0) << s;
  EXPECT_EQ(s.back(), ')');
}

TEST(Counters, WorkInAnotherThreadToo) {
  std::string reason_here = Counters().unavailable_reason(), reason_there;
  std::thread([&] { reason_there = Counters().unavailable_reason(); }).join();
  EXPECT_EQ(reason_here, reason_there);
}

// ---- clock -----------------------------------------------------------------------

void expect_sleep_measured(const ClockCalibration& c) {
  const std::uint64_t t0 = c.now_ticks();
  std::this_thread::sleep_for(20ms);
  const std::uint64_t t1 = c.now_ticks();
  ASSERT_GT(t1, t0);
  const std::uint64_t ns = c.to_ns(t1 - t0);
  EXPECT_GE(ns, 15'000'000u);
  EXPECT_LE(ns, 200'000'000u);
}

TEST(Clock, CalibratedClockMeasuresASleep) {
  const ClockCalibration c = calibrate_clock();
  const ClockInfo info = clock_info(c);
  std::cout << "clock: " << info.source << ", " << info.ticks_per_ns << " ticks/ns; " << info.note << "\n";
  EXPECT_GT(c.ticks_per_ns(), 0.0);
  EXPECT_EQ(info.ticks_per_ns, c.ticks_per_ns());
  EXPECT_FALSE(info.source.empty());
  EXPECT_FALSE(info.note.empty());
  if (c.source != ClockSource::monotonic) {
    EXPECT_GE(c.calibration_ns, 50'000'000u); // asked for 60 ms
    EXPECT_LT(c.uncertainty_ppm(), 10'000.0) << "calibration reads bracketed worse than 1%";
    EXPECT_TRUE(contains(info.note, "CLOCK_MONOTONIC_RAW")) << info.note;
  }
  expect_sleep_measured(c);
}

TEST(Clock, MonotonicFallbackMeasuresASleep) {
  const ClockCalibration c = calibrate_clock(60ms, /*allow_tsc=*/false);
  EXPECT_EQ(c.source, ClockSource::monotonic);
  EXPECT_EQ(c.ticks_per_ns(), 1.0);
  EXPECT_EQ(clock_info(c).source, "CLOCK_MONOTONIC");
  expect_sleep_measured(c);
}

TEST(Clock, ReadsNeverGoBackwards) {
  const ClockCalibration c = calibrate_clock();
  std::uint64_t prev = c.now_ticks();
  for (int i = 0; i < 1'000'000; ++i) {
    const std::uint64_t now = c.now_ticks();
    ASSERT_GE(now, prev) << "read " << i;
    prev = now;
  }
}

TEST(Clock, ConversionIsIntegerAndExactForNanoseconds) {
  ClockCalibration ns_clock; // CLOCK_MONOTONIC: 1 tick = 1 ns exactly
  for (std::uint64_t t : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{999'999'999}, std::uint64_t{1} << 62})
    EXPECT_EQ(ns_clock.to_ns(t), t);
  // A 4 GHz clock: mult = 0.25 ns/tick; 2^62 ticks do not overflow the 128-bit product.
  ClockCalibration ghz4;
  ghz4.mult = std::uint64_t{1} << 30;
  EXPECT_EQ(ghz4.to_ns(4'000'000'000u), 1'000'000'000u);
  EXPECT_EQ(ghz4.to_ns(std::uint64_t{1} << 62), std::uint64_t{1} << 60);
}

TEST(Clock, CalibrationSurvivesAByteCopy) {
  const ClockCalibration c = calibrate_clock();
  alignas(ClockCalibration) unsigned char shared[sizeof(ClockCalibration)];
  std::memcpy(shared, &c, sizeof c);
  ClockCalibration copy;
  std::memcpy(&copy, shared, sizeof copy);
  EXPECT_EQ(copy.source, c.source);
  EXPECT_EQ(copy.to_ns(123'456'789), c.to_ns(123'456'789));
}

// ---- context ---------------------------------------------------------------------

const std::string kSourceDir = std::filesystem::path(__FILE__).parent_path().string();

TEST(Context, HasEveryKey) {
  const auto ctx = collect_context(kSourceDir);
  std::cout << "context: " << ctx.dump() << "\n";
  for (const char* key : {"timestamp", "hostname", "kernel", "cpu_model", "online_cpus", "cpufreq_governor",
                          "load_average", "build_type", "compiler", "sanitizer", "git_commit", "git_dirty",
                          "topology", "counters"})
    EXPECT_TRUE(ctx.contains(key)) << key;
  EXPECT_TRUE(std::regex_match(ctx.at("timestamp").get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_GE(ctx.at("online_cpus").get<long>(), 1);
  EXPECT_EQ(ctx.at("load_average").size(), 3u);
  const auto& gov = ctx.at("cpufreq_governor");
  EXPECT_TRUE(gov.is_object() || gov == "unknown (no cpufreq)") << gov;
  EXPECT_FALSE(ctx.at("kernel").get<std::string>().empty());
  EXPECT_EQ(ctx.at("topology"), Topology().summary());
  EXPECT_EQ(ctx.at("counters"), counters_status());
  const std::string commit = ctx.at("git_commit");
  EXPECT_TRUE(commit == "unknown" || std::regex_match(commit, std::regex("[0-9a-f]{7,}"))) << commit;
  EXPECT_TRUE(ctx.at("git_dirty").is_boolean() || ctx.at("git_dirty").is_null());
}

TEST(Context, OutsideARepositoryTheCommitIsUnknown) {
  const auto dir = std::filesystem::temp_directory_path() / ("zeroipc-ctx-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto ctx = collect_context(dir.string(), Topology());
  std::filesystem::remove_all(dir);
  EXPECT_EQ(ctx.at("git_commit"), "unknown");
  EXPECT_TRUE(ctx.at("git_dirty").is_null());
}

TEST(Context, ResultsFoldersDoNotMakeTheTreeDirty) {
  const auto dir = std::filesystem::temp_directory_path() / ("zeroipc-dirty-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "lib");
  const std::string git = "git -C '" + dir.string() + "' -c user.name=zeroipc -c user.email=zeroipc@localhost ";
  std::ofstream(dir / "lib" / "a.cpp") << "int a;\n";
  ASSERT_EQ(std::system((git + "init -q && " + git + "add lib && " + git + "commit -qm first").c_str()), 0);
  EXPECT_EQ(collect_context(dir.string(), Topology()).at("git_dirty"), false) << "a clean tree";

  std::filesystem::create_directories(dir / "results" / "2026-11-23-quick-abc1234");
  std::ofstream(dir / "results" / "2026-11-23-quick-abc1234" / "results.json") << "{}\n";
  EXPECT_EQ(collect_context(dir.string(), Topology()).at("git_dirty"), false)
      << "an earlier run's results folder, not yet committed, changes nothing that is built";

  std::ofstream(dir / "lib" / "b.cpp") << "int b;\n";
  EXPECT_EQ(collect_context(dir.string(), Topology()).at("git_dirty"), true) << "a new source file is";
  std::filesystem::remove(dir / "lib" / "b.cpp");
  std::ofstream(dir / "lib" / "a.cpp") << "int a2;\n";
  EXPECT_EQ(collect_context(dir.string(), Topology()).at("git_dirty"), true) << "so is a changed one";
  std::filesystem::remove_all(dir);
}

// ---- software facts --------------------------------------------------------------

TEST(SoftwareFacts, DifferenceIsFieldByField) {
  const SoftwareFacts after{10, 5, 3}, before{4, 2, 1};
  const SoftwareFacts d = after - before;
  EXPECT_EQ(d.voluntary_switches, 6);
  EXPECT_EQ(d.involuntary_switches, 3);
  EXPECT_EQ(d.migrations, 2);
  EXPECT_EQ((after - SoftwareFacts{4, 2, -1}).migrations, -1); // unknown stays unknown
  EXPECT_FALSE(software_facts_note(SoftwareFacts{0, 0, -1}).empty());
  EXPECT_TRUE(to_json(SoftwareFacts{0, 0, -1}).at("migrations").is_null());
}

TEST(SoftwareFacts, YieldingAndSleepingShowUp) {
  const SoftwareFacts before = sample_self();
  for (int i = 0; i < 1000; ++i) sched_yield();
  const SoftwareFacts yielded = sample_self() - before;
  EXPECT_GE(yielded.voluntary_switches, 0);
  EXPECT_GE(yielded.involuntary_switches, 0);
  // Sleeping blocks, and a blocked thread switches out voluntarily every time.
  const SoftwareFacts mid = sample_thread();
  for (int i = 0; i < 5; ++i) std::this_thread::sleep_for(1ms);
  const SoftwareFacts slept = sample_thread() - mid;
  EXPECT_GE(slept.voluntary_switches, 5);
  std::cout << "software facts: " << to_json(sample_self()).dump() << "\n";
}

TEST(SoftwareFacts, MovingToAnotherPuCountsAMigration) {
  const Topology t;
  if (t.pus().size() < 2) GTEST_SKIP() << "one usable PU: nowhere to migrate to";
  if (sample_thread().migrations < 0) GTEST_SKIP() << software_facts_note(sample_thread());
  const AffinityGuard guard;
  pin_current_process(t.pus()[0].os_index);
  const SoftwareFacts before = sample_thread();
  pin_current_process(t.pus()[1].os_index);
  const SoftwareFacts moved = sample_thread() - before;
  EXPECT_GE(moved.migrations, 1);
}

} // namespace
