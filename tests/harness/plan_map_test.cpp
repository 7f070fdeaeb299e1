// The map workload's plan rules (harness/src/workloads/map.cpp) and its
// store axis (matrix.stores, baselines/kv_store.h): one case per store, mix,
// value size and worker count, named with the mix after the store; what it
// refuses and why; the redis-server planned for the Redis store; what its
// workers get (RunParams: the mix, the store's spec, the keys).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zeroipc/baselines/kv_store.h>
#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/worker.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;

Config map_config(const std::vector<std::string>& overrides) {
  Config c;
  for (const auto& o : {"name=map-test", "workloads=map", "structures=map", "message_sizes=64", "floor=false"}) {
    c.apply_override(o);
  }
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

TEST(PlanMap, OneCasePerStoreMixAndWorkersWithTheMixInTheId) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(map_config({"stores=zeroipc_locked_probe", "producers=1,2", "consumers=1,2",
                                       "skip_impossible=true", "map.keys=1000"}),
                           topology());
  std::vector<std::string> ids;
  for (const auto& c : p.cases) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "map/map/zeroipc_locked_probe/read_mostly/64B/1p1c/different-cores",
                     "map/map/zeroipc_locked_probe/read_mostly/64B/2p2c/different-cores",
                     "map/map/zeroipc_locked_probe/write_heavy/64B/1p1c/different-cores",
                     "map/map/zeroipc_locked_probe/write_heavy/64B/2p2c/different-cores"}));
  const CaseSpec* c = find_case(p, "map/map/zeroipc_locked_probe/write_heavy/64B/2p2c/different-cores");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->structure, "map");
  EXPECT_EQ(c->variant, "zeroipc_locked_probe");
  EXPECT_EQ(c->mix, "write_heavy");
  EXPECT_EQ(c->workers(), 2);  // every worker reads and writes: producers of them
  EXPECT_EQ(c->capacity, 1000u);  // map.keys
  EXPECT_EQ(c->to_json()["mix"], "write_heavy");
  EXPECT_FALSE(c->needs_redis());
  EXPECT_EQ(p.redis_pu, -1);
  // Unequal producers and consumers are skipped, saying why.
  ASSERT_EQ(p.skipped.size(), 4u);
  EXPECT_TRUE(contains(p.skipped[0].reason, "consumers must equal producers")) << p.skipped[0].reason;
}

TEST(PlanMap, TheMixesAreTheConfigs) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(map_config({"stores=zeroipc_locked_probe", "map.mixes=write_heavy"}), topology());
  ASSERT_EQ(p.cases.size(), 1u);
  EXPECT_EQ(p.cases[0].mix, "write_heavy");
  Config c;
  try {
    c.apply_override("map.mixes=read_heavy");
    FAIL() << "accepted an unknown mix";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "valid: read_mostly, write_heavy")) << e.what();
  }
}

TEST(PlanMap, RefusesWhatItCannotRun) {
  REQUIRE_TWO_CORES();
  EXPECT_TRUE(contains(plan_error(map_config({"stores=zeroipc_locked_probe", "consumers=2"})),
                       "consumers must equal producers"));
  EXPECT_TRUE(contains(plan_error(map_config({"stores=zeroipc_locked_probe", "message_sizes=4096"})),
                       "values of 4096 bytes are not compiled in"));
  EXPECT_TRUE(contains(plan_error(map_config({"structures=queue", "variants=vyukov_bounded"})),
                       "map measures key-value stores: it needs structures = [\"map\"], not queue"));
  EXPECT_TRUE(contains(plan_error(map_config({"workloads=pingpong", "stores=zeroipc_locked_probe"})),
                       "pingpong does not run on a map"));
  EXPECT_TRUE(contains(plan_error(map_config({"stores=zeroipc_locked_probe", "map.keys=1", "producers=2",
                                              "consumers=2"})),
                       "map needs map.keys >= workers (2)"));
  EXPECT_TRUE(contains(plan_error(map_config({"variants=locked_probe"})),
                       "stores = [\"zeroipc_locked_probe\"]"));
}

TEST(PlanMap, EveryStoreOfTheBuildOrSkippedWithWhatIsMissing) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(map_config({"map.mixes=read_mostly"}), topology());  // stores = all
  for (const auto& s : zeroipc::baselines::stores()) {
    const std::string id = "map/map/" + std::string(s.name) + "/read_mostly/64B/1p1c/different-cores";
    if (s.built) {
      const CaseSpec* c = find_case(p, id);
      ASSERT_NE(c, nullptr) << id;
      EXPECT_EQ(c->needs_redis(), s.needs_redis);
    } else {
      EXPECT_EQ(find_case(p, id), nullptr) << id;
      bool skipped = false;
      for (const auto& k : p.skipped) skipped = skipped || (k.id == id && contains(k.reason, "is not built"));
      EXPECT_TRUE(skipped) << id;
    }
  }
  const auto& redis = zeroipc::baselines::store_info("redis");
  EXPECT_EQ(p.redis_pu >= 0, redis.built) << "the Redis store's cases need the harness's redis-server";
}

TEST(PlanMap, RunParamsCarryTheMixAndTheStore) {
  REQUIRE_TWO_CORES();
  const Config config = map_config({"stores=zeroipc_locked_probe", "map.keys=777", "map.timed_ms=5"});
  const Plan p = make_plan(config, topology());
  ASSERT_FALSE(p.cases.empty());
  const RunParams rp = make_run_params(p.cases[0], config, ClockCalibration{}, "/zeroipc-harness-1-2");
  EXPECT_EQ(rp.mix, "read_mostly");
  EXPECT_TRUE(rp.is_map());
  EXPECT_EQ(rp.duration_ns, 5'000'000u);
  EXPECT_EQ(rp.timed, 0u);  // duration mode
  EXPECT_EQ(rp.settings["keys"], 777);
  const auto spec = rp.store_spec();
  EXPECT_EQ(spec.store, "zeroipc_locked_probe");
  EXPECT_EQ(spec.name, "zeroipc-harness-1-2");
  EXPECT_EQ(spec.value_size, 64u);
  EXPECT_EQ(spec.capacity, 777u);
  EXPECT_EQ(rp.workload->expected_sent(rp), 777u);  // every key is read back by its owner
  const RunParams back = RunParams::from_json(rp.to_json());
  EXPECT_EQ(back.mix, "read_mostly");
  EXPECT_EQ(back.to_json(), rp.to_json());
}

}  // namespace
