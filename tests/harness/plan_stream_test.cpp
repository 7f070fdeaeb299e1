// The plan's stream cases (matrix.structures = ["stream"], workload fanout,
// issue 6): one producer and 1..8 subscribers, variant "block"; a stream with
// another workload, fanout on another structure, or other worker counts
// refused (or skipped) with the reason; more workers than PUs only with
// oversubscribe, and then marked.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/topology.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;

Config stream_config(const std::vector<std::string>& overrides) {
  Config c;
  c.apply_override("name=plan-stream-test");
  c.apply_override("structures=stream");
  c.apply_override("workloads=fanout");
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

// Whether `workers` workers get a PU each with the default placement here.
bool fits(int workers) { return topology().offer(Placement::different_cores, workers).available; }

TEST(PlanStream, FanoutIsAWorkloadName) {
  EXPECT_EQ(to_string(workload_named("fanout")), "fanout");
  EXPECT_EQ(parse_workload("fanout"), workload_named("fanout"));
  EXPECT_FALSE(is_floor(workload_named("fanout")));
}

TEST(PlanStream, OneProducerOneSubscriberIsPlanned) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(stream_config({"message_sizes=8,64", "capacity=512"}), topology());
  for (const char* size : {"8B", "64B"}) {
    const std::string id = std::string("fanout/stream/block/") + size + "/1p1c/different-cores";
    const CaseSpec* c = find_case(p, id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ(c->workload, workload_named("fanout"));
    EXPECT_EQ(c->structure, "stream");
    EXPECT_EQ(c->variant, "block");
    EXPECT_EQ(c->producers, 1);
    EXPECT_EQ(c->consumers, 1);
    EXPECT_EQ(c->workers(), 2);
    EXPECT_EQ(c->capacity, 512u) << "streaming.capacity";
    EXPECT_FALSE(c->oversubscribed);
    EXPECT_EQ(c->latency_floor, "floor-cacheline/different-cores");
  }
  EXPECT_TRUE(p.skipped.empty());
}

TEST(PlanStream, TwoSubscribersNeedThreePusOrOversubscribe) {
  REQUIRE_TWO_CORES();
  const std::string id = "fanout/stream/block/8B/1p2c/different-cores";
  if (fits(3)) {
    const Plan p = make_plan(stream_config({"consumers=2"}), topology());
    const CaseSpec* c = find_case(p, id);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->workers(), 3);
    EXPECT_FALSE(c->oversubscribed);
    return;
  }
  const std::string e = plan_error(stream_config({"consumers=2"}));
  EXPECT_TRUE(contains(e, id + " cannot run")) << e;
  EXPECT_TRUE(contains(e, "3 workers")) << e;
  const Plan p = make_plan(stream_config({"consumers=2", "oversubscribe=true"}), topology());
  const CaseSpec* c = find_case(p, id);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->workers(), 3);
  EXPECT_TRUE(c->oversubscribed);
  EXPECT_EQ(std::set<int>(c->pus.begin(), c->pus.end()).size(), 2u) << "dealt round-robin over 2 PUs";
}

TEST(PlanStream, OtherWorkerCountsAreRefused) {
  REQUIRE_TWO_CORES();
  std::string e = plan_error(stream_config({"producers=2", "oversubscribe=true"}));
  EXPECT_TRUE(contains(e, "fanout/stream/block/8B/2p1c/different-cores cannot run")) << e;
  EXPECT_TRUE(contains(e, "producers = 1 and consumers = 1..8, not 2p1c")) << e;
  e = plan_error(stream_config({"consumers=9", "oversubscribe=true"}));
  EXPECT_TRUE(contains(e, "not 1p9c")) << e;
}

TEST(PlanStream, StreamOnlyWithFanoutAndFanoutOnlyWithStream) {
  REQUIRE_TWO_CORES();
  std::string e = plan_error(stream_config({"workloads=streaming"}));
  EXPECT_TRUE(contains(e, "streaming/stream/block/8B/1p1c/different-cores cannot run")) << e;
  EXPECT_TRUE(contains(e, "fanout workload only, not streaming")) << e;
  e = plan_error(stream_config({"structures=queue", "variants=lcrq"}));
  EXPECT_TRUE(contains(e, "fanout/queue/lcrq/8B/1p1c/different-cores cannot run")) << e;
  EXPECT_TRUE(contains(e, "needs structures = [\"stream\"], not queue")) << e;
  e = plan_error(stream_config({"structures=transport", "transports=pipe"}));
  EXPECT_TRUE(contains(e, "fanout/transport/pipe/8B/1p1c/different-cores cannot run")) << e;
}

// codata.toml's shape: channel ping-pong and stream fan-out in one matrix,
// the combinations that do not belong together skipped with their reasons.
TEST(PlanStream, OneMatrixCarriesChannelPingpongAndStreamFanout) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(stream_config({"structures=transport,stream", "workloads=pingpong,fanout",
                                          "transports=zeroipc_channel,zeroipc_channel_spin", "consumers=1,2",
                                          "skip_impossible=true", "oversubscribe=true", "futex=true"}),
                           topology());
  std::set<std::string> planned;
  for (const auto& c : p.cases) planned.insert(c.id);
  for (const char* id : {"pingpong/transport/zeroipc_channel/8B/1p1c/different-cores",
                         "pingpong/transport/zeroipc_channel_spin/8B/1p1c/different-cores",
                         "fanout/stream/block/8B/1p1c/different-cores", "fanout/stream/block/8B/1p2c/different-cores",
                         "floor-futex/different-cores"}) {
    EXPECT_TRUE(planned.count(id)) << id << " not in " << ::testing::PrintToString(planned);
  }
  for (const char* id : {"pingpong/stream/block/8B/1p1c/different-cores",
                         "fanout/transport/zeroipc_channel/8B/1p1c/different-cores",
                         "pingpong/transport/zeroipc_channel/8B/1p2c/different-cores"}) {
    EXPECT_FALSE(planned.count(id)) << id;
    bool skipped = false;
    for (const auto& s : p.skipped) skipped = skipped || s.id == id;
    EXPECT_TRUE(skipped) << id << " is neither planned nor listed as skipped";
  }
}

}  // namespace
