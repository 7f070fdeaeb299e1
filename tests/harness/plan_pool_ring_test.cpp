// The pool and ring workloads' plan rules (harness/src/workloads/pool.cpp,
// ring.cpp): their own message sizes ([pool] object_sizes, [ring] transfer_sizes, not
// matrix.message_sizes), pool's modes (handles, copies) named in the case id,
// the ring's one writer and its refusals, and what their workers get
// (RunParams: counts from their sections, capacity, the segment room their
// workers' own structures take).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/worker.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;

Config config_of(const char* workload, const std::vector<std::string>& overrides) {
  Config c;
  c.apply_override("name=pool-ring-test");
  c.apply_override(std::string("workloads=") + workload);
  c.apply_override(std::string("structures=") + workload);
  c.apply_override("floor=false");
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

TEST(PlanPool, OneCasePerModeAndOwnSizeWithTheModeInTheId) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_of("pool", {"pool.object_sizes=64,4096", "message_sizes=8", "pool.objects=32"}),
                           topology());
  EXPECT_EQ(ids(p), (std::vector<std::string>{
                        "pool/pool/locked_free_list/handles/64B/1p1c/different-cores",
                        "pool/pool/locked_free_list/handles/4096B/1p1c/different-cores",
                        "pool/pool/locked_free_list/copies/64B/1p1c/different-cores",
                        "pool/pool/locked_free_list/copies/4096B/1p1c/different-cores"}));
  const CaseSpec* c = find_case(p, "pool/pool/locked_free_list/copies/4096B/1p1c/different-cores");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->structure, "pool");
  EXPECT_EQ(c->mix, "copies");
  EXPECT_EQ(c->message_size, 4096u);  // [pool] object_sizes, matrix.message_sizes left alone
  EXPECT_EQ(c->capacity, 32u);        // pool.objects
  EXPECT_EQ(c->workers(), 2);
}

TEST(PlanPool, ModesAndSizesAreChecked) {
  Config c;
  try {
    c.apply_override("pool.modes=borrowed");
    FAIL() << "accepted an unknown mode";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "valid: handles, copies")) << e.what();
  }
  try {
    c.apply_override("pool.object_sizes=100");
    FAIL() << "accepted a size that is not compiled in";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "not supported")) << e.what();
  }
}

TEST(PlanPool, RefusesOtherStructures) {
  REQUIRE_TWO_CORES();
  EXPECT_TRUE(contains(plan_error(config_of("pool", {"structures=queue", "variants=vyukov_bounded"})),
                       "pool measures zeroipc::Pool"));
  EXPECT_TRUE(contains(plan_error(config_of("pool", {"workloads=streaming"})), "streaming does not run on a pool"));
  // A pool variant named while no pool is measured is a mistake, said as such.
  EXPECT_TRUE(contains(plan_error(config_of("pool", {"structures=queue", "workloads=streaming",
                                                     "variants=locked_free_list"})),
                       "'locked_free_list' is a pool variant"));
}

TEST(PlanPool, RunParamsCountsAndSegmentRoom) {
  REQUIRE_TWO_CORES();
  const Config config =
      config_of("pool", {"pool.object_sizes=65536", "pool.cycles=1234", "pool.warmup_cycles=56"});
  const Plan p = make_plan(config, topology());
  ASSERT_EQ(p.cases.size(), 2u);
  for (const auto& c : p.cases) {
    const RunParams rp = make_run_params(c, config, ClockCalibration{}, "/zeroipc-pool-test");
    EXPECT_EQ(rp.timed, 1234u);
    EXPECT_EQ(rp.warmup, 56u);
    EXPECT_EQ(rp.workload->expected_sent(rp), 1234u + 56u);
    ASSERT_NE(rp.workload->own_structure_bytes, nullptr);
    // 64 objects (or queue places) of 64 KiB at least.
    EXPECT_GE(rp.workload->own_structure_bytes(rp), 64u * 65536u) << c.id;
    EXPECT_GT(rp.samples, 0u);  // one-way latency stamps
    EXPECT_EQ(RunParams::from_json(rp.to_json()).to_json(), rp.to_json());
  }
}

TEST(PlanRing, OneWriterAndOneCasePerOwnSize) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(config_of("ring", {"ring.transfer_sizes=4096,4194304", "producers=1,2", "consumers=1",
                                              "skip_impossible=true"}),
                           topology());
  EXPECT_EQ(ids(p), (std::vector<std::string>{"ring/ring/gated_ring/4096B/1p1c/different-cores",
                                              "ring/ring/gated_ring/4194304B/1p1c/different-cores"}));
  ASSERT_EQ(p.skipped.size(), 2u);
  EXPECT_TRUE(contains(p.skipped[0].reason, "a ring has one writer")) << p.skipped[0].reason;
  const CaseSpec& c = p.cases[1];
  EXPECT_EQ(c.structure, "ring");
  EXPECT_EQ(c.variant, "gated_ring");
  EXPECT_EQ(c.capacity, 16u << 20);  // ring.capacity_bytes
  EXPECT_EQ(c.workers(), 2);         // the writer and one reader
}

TEST(PlanRing, Refusals) {
  REQUIRE_TWO_CORES();
  EXPECT_TRUE(contains(plan_error(config_of("ring", {"producers=2"})), "a ring has one writer"));
  EXPECT_TRUE(contains(plan_error(config_of("ring", {"ring.transfer_sizes=4100"})), "whole 8-byte words"));
  EXPECT_TRUE(contains(plan_error(config_of("ring", {"structures=queue", "variants=vyukov_bounded"})),
                       "ring measures zeroipc::Ring"));
}

TEST(PlanRing, RunParamsCountWholeMessages) {
  REQUIRE_TWO_CORES();
  const Config config = config_of("ring", {"ring.transfer_sizes=1048576,4194304", "ring.transfer_bytes=10485760",
                                           "ring.warmup_transfer_bytes=1048576", "ring.capacity_bytes=4194304"});
  const Plan p = make_plan(config, topology());
  ASSERT_EQ(p.cases.size(), 2u);
  const RunParams mib = make_run_params(p.cases[0], config, ClockCalibration{}, "/zeroipc-ring-test");
  EXPECT_EQ(mib.timed, 10u);   // 10 MiB of 1 MiB messages
  EXPECT_EQ(mib.warmup, 1u);
  EXPECT_EQ(mib.workload->expected_sent(mib), 11u);
  EXPECT_TRUE(mib.workload->multicast);  // every reader gets every message
  EXPECT_GE(mib.workload->own_structure_bytes(mib), 4u << 20);
  const RunParams big = make_run_params(p.cases[1], config, ClockCalibration{}, "/zeroipc-ring-test");
  EXPECT_EQ(big.timed, 2u);    // 10 MiB of 4 MiB messages: whole ones
  EXPECT_EQ(big.warmup, 1u);   // at least one when warm-up bytes are asked for
  EXPECT_EQ(big.role(0), "writer");
  EXPECT_EQ(big.role(1), "reader");
  EXPECT_TRUE(big.counted(0));
  EXPECT_FALSE(big.counted(1));  // a reader's bytes are the writer's, counted once
}

}  // namespace
