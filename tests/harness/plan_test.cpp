// The plan (harness/include/zeroipc/harness/plan.h) against this machine's real
// topology: matrix expansion, floor probes first, combinations that cannot run
// (refused, or skipped with skip_impossible / 'all'), oversubscription, the
// interleaved schedule. Every test holds on any machine with at least 2 PUs
// (and skips, saying why, where a placement it needs is not offered).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/topology.h>
#include <zeroipc/registry.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;

Config config_with(const std::vector<std::string>& overrides) {
  Config c;
  c.apply_override("name=plan-test");
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

const SkippedCase* find_skipped(const Plan& p, const std::string& id) {
  for (const auto& s : p.skipped)
    if (s.id == id) return &s;
  return nullptr;
}

std::vector<std::string> queue_variants() {
  std::vector<std::string> out;
  for (const auto& v : zeroipc::kVariants)
    if (v.kind == zeroipc::detail::Kind::kQueue) out.emplace_back(v.name);
  return out;
}

// A placement this machine offers for `workers` workers: different-cores when it
// can, otherwise same-core (which, without SMT, shares one PU and needs
// oversubscribe = true). Empty when neither is offered.
std::string placement_for(int workers) {
  if (topology().offer(Placement::different_cores, workers).available) return "different-cores";
  if (topology().offer(Placement::same_core, workers).available) return "same-core";
  return "";
}

// ---- the default matrix ---------------------------------------------------------

TEST(Plan, DefaultConfigPlansFloorProbesFirstThenEveryQueueVariant) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({}), topology());
  const auto variants = queue_variants();
  ASSERT_EQ(p.cases.size(), 3 + 2 * variants.size()) << ::testing::PrintToString(ids(p));

  const auto pair = *topology().place("different-cores", 2);
  EXPECT_EQ(p.cases[0].id, "floor-cacheline/different-cores");
  EXPECT_EQ(p.cases[0].workload, workload_named("floor-cacheline"));
  EXPECT_EQ(p.cases[0].pus, pair);
  EXPECT_EQ(p.cases[1].id, "floor-shm-read/different-cores");
  EXPECT_EQ(p.cases[1].workload, workload_named("floor-shm-read"));
  EXPECT_EQ(p.cases[1].message_size, 4u << 20);  // floor.shm_read_bytes
  EXPECT_EQ(p.cases[2].id, "floor-memcpy/pu" + std::to_string(pair.front()));
  EXPECT_EQ(p.cases[2].workload, workload_named("floor-memcpy"));
  EXPECT_EQ(p.cases[2].pus, std::vector<int>{pair.front()});
  EXPECT_EQ(p.cases[2].message_size, 32u << 20);  // floor.memcpy_bytes
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(is_floor(p.cases[i].workload));
    EXPECT_TRUE(p.cases[i].variant.empty());
    EXPECT_TRUE(p.cases[i].structure.empty());
    EXPECT_FALSE(p.cases[i].oversubscribed);
    EXPECT_TRUE(p.cases[i].to_json()["variant"].is_null());
    EXPECT_TRUE(p.cases[i].to_json()["capacity"].is_null());
  }

  for (const char* workload : {"pingpong", "streaming"}) {
    for (const auto& v : variants) {
      const std::string id = std::string(workload) + "/queue/" + v + "/8B/1p1c/different-cores";
      const CaseSpec* c = find_case(p, id);
      ASSERT_NE(c, nullptr) << id << " not in " << ::testing::PrintToString(ids(p));
      EXPECT_FALSE(is_floor(c->workload));
      EXPECT_EQ(to_string(c->workload), workload);
      EXPECT_EQ(c->structure, "queue");
      EXPECT_EQ(c->variant, v);
      EXPECT_EQ(c->message_size, 8u);
      EXPECT_EQ(c->producers, 1);
      EXPECT_EQ(c->consumers, 1);
      EXPECT_EQ(c->placement, "different-cores");
      EXPECT_EQ(c->pus, pair);
      EXPECT_EQ(c->workers(), 2);
      EXPECT_FALSE(c->oversubscribed);
      EXPECT_EQ(c->latency_floor, "floor-cacheline/different-cores");
      EXPECT_EQ(c->bandwidth_floor, "floor-shm-read/different-cores");
      EXPECT_EQ(c->capacity, std::string(workload) == "pingpong" ? 64u : 1024u);
      const auto j = c->to_json();
      EXPECT_EQ(j["id"], id);
      EXPECT_EQ(j["floor_case"], "floor-cacheline/different-cores");
      EXPECT_EQ(j["bandwidth_floor_case"], "floor-shm-read/different-cores");
    }
  }
  EXPECT_NE(find_case(p, "pingpong/queue/lcrq/8B/1p1c/different-cores"), nullptr);
  EXPECT_TRUE(p.skipped.empty());
  EXPECT_TRUE(p.notes.empty()) << ::testing::PrintToString(p.notes);
  EXPECT_EQ(p.repetitions, 5u);
  EXPECT_EQ(p.seed, 20261123u);
  const auto j = p.to_json();
  EXPECT_EQ(j["cases"], p.cases.size());
  EXPECT_EQ(j["runs"], p.cases.size() * 5);
}

TEST(Plan, WorkersLabel) {
  EXPECT_EQ(workers_label(1, 1), "1p1c");
  EXPECT_EQ(workers_label(3, 12), "3p12c");
}

TEST(Plan, FloorOffLeavesOutTheProbes) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({"floor=false", "variants=lcrq"}), topology());
  ASSERT_EQ(p.cases.size(), 2u) << ::testing::PrintToString(ids(p));
  for (const auto& c : p.cases) {
    EXPECT_FALSE(is_floor(c.workload)) << c.id;
    EXPECT_TRUE(c.latency_floor.empty());
    EXPECT_TRUE(c.bandwidth_floor.empty());
  }
}

TEST(Plan, ScheduleRunsEveryCaseOncePerRound) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({"repetitions=4", "variants=lcrq,scq", "message_sizes=8,64"}), topology());
  const std::size_t n = p.cases.size();
  ASSERT_EQ(n, 3u + 2 * 2 * 2);
  EXPECT_EQ(p.repetitions, 4u);
  ASSERT_EQ(p.schedule.size(), n * 4);
  for (std::size_t round = 0; round < 4; ++round) {
    std::set<std::size_t> seen(p.schedule.begin() + static_cast<std::ptrdiff_t>(round * n),
                               p.schedule.begin() + static_cast<std::ptrdiff_t>((round + 1) * n));
    EXPECT_EQ(seen.size(), n) << "round " << round;
    EXPECT_EQ(*seen.rbegin(), n - 1);
  }
  // The same config gives the same plan; another seed another order.
  const Plan again = make_plan(config_with({"repetitions=4", "variants=lcrq,scq", "message_sizes=8,64"}), topology());
  EXPECT_EQ(again.schedule, p.schedule);
  EXPECT_EQ(ids(again), ids(p));
  const Plan other =
      make_plan(config_with({"repetitions=4", "variants=lcrq,scq", "message_sizes=8,64", "seed=1"}), topology());
  EXPECT_NE(other.schedule, p.schedule);
  EXPECT_EQ(other.to_json()["runs"], n * 4);
}

TEST(Plan, NoWorkloadsIsTheFloorProbesAlone) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({"workloads=", "repetitions=2"}), topology());
  const auto pair = *topology().place("different-cores", 2);
  EXPECT_EQ(ids(p), (std::vector<std::string>{"floor-cacheline/different-cores", "floor-shm-read/different-cores",
                                              "floor-memcpy/pu" + std::to_string(pair.front())}));
  for (const auto& c : p.cases) EXPECT_TRUE(is_floor(c.workload)) << c.id;
  EXPECT_EQ(p.schedule.size(), 6u);
  // ... and with the probes switched off too there is nothing to run.
  const auto e = plan_error(config_with({"workloads=", "floor=false"}));
  EXPECT_TRUE(contains(e, "matrix.workloads is empty")) << e;
}

// ---- what cannot run --------------------------------------------------------------

TEST(Plan, ExperimentNameMustNameAFolder) {
  REQUIRE_TWO_CORES();
  auto e = plan_error(config_with({"name=a/b"}));
  EXPECT_TRUE(contains(e, "experiment.name")) << e;
  EXPECT_TRUE(contains(e, "'a/b'")) << e;
  e = plan_error(config_with({"name=a b"}));
  EXPECT_TRUE(contains(e, "experiment.name")) << e;
  Config unnamed;  // the default name is "" (load_config fills in the file's stem)
  e = plan_error(unnamed);
  EXPECT_TRUE(contains(e, "experiment.name")) << e;
  EXPECT_NO_THROW((void)make_plan(config_with({"name=Quick_run-2.v1", "variants=lcrq"}), topology()));
}

TEST(Plan, SpscRingWithThreeProducersIsRefused) {
  const auto e = plan_error(config_with({"variants=spsc_ring", "producers=3", "workloads=streaming"}));
  EXPECT_TRUE(contains(e, "streaming/queue/spsc_ring/8B/3p1c/different-cores")) << e;
  EXPECT_TRUE(contains(e, "spsc_ring")) << e;
  EXPECT_TRUE(contains(e, "producers = 1")) << e;
  EXPECT_TRUE(contains(e, "skip_impossible")) << e;
}

TEST(Plan, SkipImpossibleListsTheCaseAndKeepsTheOthers) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(
      config_with({"variants=spsc_ring", "producers=1,3", "workloads=streaming", "skip_impossible=true"}), topology());
  const std::string skipped_id = "streaming/queue/spsc_ring/8B/3p1c/different-cores";
  const SkippedCase* s = find_skipped(p, skipped_id);
  ASSERT_NE(s, nullptr) << ::testing::PrintToString(p.skipped.size());
  EXPECT_TRUE(contains(s->reason, "spsc_ring")) << s->reason;
  EXPECT_TRUE(contains(s->reason, "producers = 1")) << s->reason;
  EXPECT_EQ(p.skipped.size(), 1u);
  EXPECT_EQ(find_case(p, skipped_id), nullptr);
  EXPECT_NE(find_case(p, "streaming/queue/spsc_ring/8B/1p1c/different-cores"), nullptr);
  EXPECT_EQ(p.cases.size(), 3u + 1);
  const auto j = p.to_json();
  ASSERT_EQ(j["skipped"].size(), 1u);
  EXPECT_EQ(j["skipped"][0]["case"], skipped_id);
  EXPECT_EQ(j["skipped"][0]["reason"], s->reason);
}

TEST(Plan, VariantsAllSkipsWhatAVariantCannotRunWithoutError) {
  const std::string placement = placement_for(3);
  if (placement.empty()) GTEST_SKIP() << "no placement for 3 workers on " << topology().summary();
  const Plan p = make_plan(config_with({"variants=all", "producers=1,2", "workloads=streaming",
                                        "placements=" + placement, "oversubscribe=true"}),
                           topology());
  for (const auto& v : zeroipc::kVariants) {
    if (v.kind != zeroipc::detail::Kind::kQueue) continue;
    const std::string name(v.name);
    const std::string one = "streaming/queue/" + name + "/8B/1p1c/" + placement;
    const std::string two = "streaming/queue/" + name + "/8B/2p1c/" + placement;
    EXPECT_NE(find_case(p, one), nullptr) << one;
    if (v.multi_producer) {
      EXPECT_NE(find_case(p, two), nullptr) << two;
      EXPECT_EQ(find_skipped(p, two), nullptr) << two;
    } else {
      EXPECT_EQ(find_case(p, two), nullptr) << two;
      const SkippedCase* s = find_skipped(p, two);
      ASSERT_NE(s, nullptr) << two;
      EXPECT_TRUE(contains(s->reason, name)) << s->reason;
      EXPECT_TRUE(contains(s->reason, "producers = 1")) << s->reason;
    }
  }
  ASSERT_NE(find_skipped(p, "streaming/queue/spsc_ring/8B/2p1c/" + placement), nullptr);
}

TEST(Plan, PingpongWithTwoConsumersIsRefused) {
  const auto e = plan_error(config_with({"variants=lcrq", "consumers=2", "workloads=pingpong"}));
  EXPECT_TRUE(contains(e, "pingpong/queue/lcrq/8B/1p2c")) << e;
  EXPECT_TRUE(contains(e, "producers = 1 and consumers = 1")) << e;
  EXPECT_TRUE(contains(e, "skip_impossible")) << e;
  // Even with 'all' variants: every variant is refused, so no case is left.
  const auto e2 = plan_error(config_with({"consumers=2", "workloads=pingpong"}));
  EXPECT_TRUE(contains(e2, "no case of the matrix can run")) << e2;
  EXPECT_TRUE(contains(e2, "pingpong/queue/lcrq/8B/1p2c")) << e2;
}

TEST(Plan, MixedNeedsAsManyConsumersAsProducers) {
  const auto e = plan_error(config_with({"variants=lcrq", "producers=1", "consumers=2", "workloads=mixed"}));
  EXPECT_TRUE(contains(e, "mixed/queue/lcrq/8B/1p2c")) << e;
  EXPECT_TRUE(contains(e, "consumers must equal producers")) << e;
  const auto e2 = plan_error(config_with({"variants=spsc_ring", "producers=2", "consumers=2", "workloads=mixed"}));
  EXPECT_TRUE(contains(e2, "multi-producer, multi-consumer")) << e2;
}

TEST(Plan, MixedCaseUsesOneWorkerPerProducer) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({"variants=lcrq", "producers=2", "consumers=2", "workloads=mixed"}), topology());
  const CaseSpec* c = find_case(p, "mixed/queue/lcrq/8B/2p2c/different-cores");
  ASSERT_NE(c, nullptr) << ::testing::PrintToString(ids(p));
  EXPECT_EQ(c->workers(), 2);
  EXPECT_FALSE(c->oversubscribed);
}

TEST(Plan, NamedVariantOfAnUnmeasuredStructureIsAMistake) {
  const auto e = plan_error(config_with({"variants=treiber_tagged", "structures=queue"}));
  EXPECT_TRUE(contains(e, "matrix.variants")) << e;
  EXPECT_TRUE(contains(e, "treiber_tagged")) << e;
  EXPECT_TRUE(contains(e, "stack")) << e;
}

TEST(Plan, StackVariantsWithStackStructure) {
  REQUIRE_TWO_CORES();
  const Plan p =
      make_plan(config_with({"variants=treiber_tagged,lcrq", "structures=queue,stack", "workloads=streaming"}),
                topology());
  EXPECT_NE(find_case(p, "streaming/stack/treiber_tagged/8B/1p1c/different-cores"), nullptr);
  EXPECT_NE(find_case(p, "streaming/queue/lcrq/8B/1p1c/different-cores"), nullptr);
  EXPECT_EQ(p.cases.size(), 3u + 2);
}

// ---- placements and oversubscription ------------------------------------------------

// Oversubscription as the plan implements it: a placement that puts several
// workers on one PU (same-core on a machine without SMT).
TEST(Plan, SharedPuIsRefusedUnlessOversubscribeAndThenMarked) {
  const auto offered = topology().place("same-core", 4);
  if (!offered || std::set<int>(offered->begin(), offered->end()).size() == offered->size())
    GTEST_SKIP() << "same-core does not put 4 workers on shared PUs here: " << topology().summary();
  const std::vector<std::string> base{"variants=lcrq", "producers=2", "consumers=2", "workloads=streaming",
                                      "placements=same-core"};
  const auto e = plan_error(config_with(base));
  EXPECT_TRUE(contains(e, "streaming/queue/lcrq/8B/2p2c/same-core")) << e;
  EXPECT_TRUE(contains(e, "oversubscribe")) << e;

  auto with = base;
  with.push_back("oversubscribe=true");
  const Plan p = make_plan(config_with(with), topology());
  const CaseSpec* c = find_case(p, "streaming/queue/lcrq/8B/2p2c/same-core");
  ASSERT_NE(c, nullptr) << ::testing::PrintToString(ids(p));
  EXPECT_TRUE(c->oversubscribed);
  EXPECT_EQ(c->workers(), 4);
  EXPECT_TRUE(c->to_json()["oversubscribed"].get<bool>());
  bool noted = false;
  for (const auto& n : p.notes) noted = noted || (contains(n, c->id) && contains(n, "oversubscribed"));
  EXPECT_TRUE(noted) << ::testing::PrintToString(p.notes);
}

// More busy-polling workers than PUs with the default placement: refused
// without oversubscribe (either way the message names a way out).
TEST(Plan, MoreWorkersThanPusIsRefusedWithoutOversubscribe) {
  REQUIRE_TWO_CORES();
  if (topology().pus().size() >= 4) GTEST_SKIP() << "this machine has 4 PUs or more: 2p2c fits";
  const auto e =
      plan_error(config_with({"variants=lcrq", "producers=2", "consumers=2", "workloads=streaming"}));
  EXPECT_TRUE(contains(e, "streaming/queue/lcrq/8B/2p2c/different-cores")) << e;
  EXPECT_TRUE(contains(e, "cannot run")) << e;
}

// More workers than cores on different-cores: with oversubscribe = true the
// workers are dealt round-robin over the cores and the case is marked.
TEST(Plan, OversubscribeLetsMoreWorkersThanPusRunAndMarksThem) {
  REQUIRE_TWO_CORES();
  if (topology().pus().size() >= 4) GTEST_SKIP() << "this machine has 4 PUs or more: 2p2c fits";
  Plan p;
  ASSERT_NO_THROW(p = make_plan(config_with({"variants=lcrq", "producers=2", "consumers=2", "workloads=streaming",
                                             "oversubscribe=true"}),
                                topology()));
  const CaseSpec* c = find_case(p, "streaming/queue/lcrq/8B/2p2c/different-cores");
  ASSERT_NE(c, nullptr) << ::testing::PrintToString(ids(p));
  EXPECT_TRUE(c->oversubscribed);
  bool noted = false;
  for (const auto& n : p.notes) noted = noted || (contains(n, c->id) && contains(n, "oversubscribed"));
  EXPECT_TRUE(noted) << ::testing::PrintToString(p.notes);
}

TEST(Plan, PlacementNotOfferedIsSkippedWithTheOffersListed) {
  REQUIRE_TWO_CORES();
  // Ask for more workers than there are cores, on different cores.
  const int workers = topology().cores() + 1;
  if (workers > 64) GTEST_SKIP() << "too many cores for the producers bound";
  const Plan p = make_plan(config_with({"variants=lcrq", "producers=1," + std::to_string(workers - 1),
                                        "workloads=streaming", "skip_impossible=true"}),
                           topology());
  const std::string id = "streaming/queue/lcrq/8B/" + workers_label(workers - 1, 1) + "/different-cores";
  const SkippedCase* s = find_skipped(p, id);
  ASSERT_NE(s, nullptr) << id;
  EXPECT_TRUE(contains(s->reason, "placements this machine offers for " + std::to_string(workers) + " workers"))
      << s->reason;
  EXPECT_NE(find_case(p, "streaming/queue/lcrq/8B/1p1c/different-cores"), nullptr);
}

TEST(Plan, PlacementsAllLeavesOutWhatTheMachineCannotOffer) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_with({"variants=lcrq", "workloads=pingpong", "placements=all",
                                        "oversubscribe=true"}),
                           topology());
  std::set<std::string> planned, skipped;
  for (const auto& c : p.cases)
    if (!is_floor(c.workload)) planned.insert(c.placement);
  for (const auto& s : p.skipped) skipped.insert(s.id);
  for (Placement pl : kAllPlacements) {
    const std::string name(to_string(pl));
    const std::string id = "pingpong/queue/lcrq/8B/1p1c/" + name;
    if (topology().offer(pl, 2).available) {
      EXPECT_TRUE(planned.count(name)) << name;
      EXPECT_NE(find_case(p, "floor-cacheline/" + name), nullptr) << name;
    } else {
      EXPECT_TRUE(skipped.count(id)) << id;
    }
  }
  // Floor probes come first, and every case points at its placement's probes.
  bool in_floors = true;
  for (const auto& c : p.cases) {
    if (!is_floor(c.workload)) {
      in_floors = false;
      EXPECT_EQ(c.latency_floor, "floor-cacheline/" + c.placement);
      EXPECT_NE(find_case(p, c.latency_floor), nullptr);
    } else {
      EXPECT_TRUE(in_floors) << c.id << " comes after a case";
    }
  }
  // Exactly one memcpy probe.
  EXPECT_EQ(std::count_if(p.cases.begin(), p.cases.end(),
                          [](const CaseSpec& c) { return c.workload == workload_named("floor-memcpy"); }),
            1);
}

}  // namespace
