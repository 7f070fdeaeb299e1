// The plan's transport cases (matrix.structures = ["transport"], issue 5):
// every transport of matrix.transports for pingpong and streaming at 1p1c,
// what a transport cannot do refused or skipped with the reason, unbuilt
// transports noted, and the redis-server's PU.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <zeroipc/baselines/transport.h>
#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/topology.h>

#include "plan_test_support.h"

namespace {

using namespace zeroipc::harness;
using namespace zeroipc::harness::test;
namespace zb = zeroipc::baselines;

Config transports_config(const std::vector<std::string>& overrides) {
  Config c;
  c.apply_override("name=plan-transport-test");
  c.apply_override("structures=transport");
  for (const auto& o : overrides) c.apply_override(o);
  return c;
}

TEST(PlanTransports, NamedTransportsGetPingpongAndStreamingCases) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(transports_config({"transports=pipe,unix_stream,zeroipc_spsc_ring", "message_sizes=8,1024"}),
                           topology());
  for (const char* t : {"pipe", "unix_stream", "zeroipc_spsc_ring"}) {
    for (const char* w : {"pingpong", "streaming"}) {
      for (const char* size : {"8B", "1024B"}) {
        const std::string id = std::string(w) + "/transport/" + t + "/" + size + "/1p1c/different-cores";
        const CaseSpec* c = find_case(p, id);
        ASSERT_NE(c, nullptr) << id;
        EXPECT_EQ(c->structure, "transport");
        EXPECT_EQ(c->variant, t);
        EXPECT_EQ(c->workers(), 2);
        EXPECT_EQ(c->latency_floor, "floor-cacheline/different-cores");
      }
    }
  }
  EXPECT_EQ(p.redis_pu, -1) << "no Redis case, no server";
}

TEST(PlanTransports, RequestReplyOnlyTransportCannotStream) {
  REQUIRE_TWO_CORES();
  const auto& info = zb::transport_info("zmq_ipc_reqrep");
  if (!info.built) GTEST_SKIP() << "zmq_ipc_reqrep not built: " << info.missing;
  const std::string e = plan_error(transports_config({"transports=zmq_ipc_reqrep"}));
  EXPECT_TRUE(contains(e, "streaming/transport/zmq_ipc_reqrep/8B/1p1c/different-cores cannot run")) << e;
  EXPECT_TRUE(contains(e, "request/reply only")) << e;
  const Plan p = make_plan(transports_config({"transports=zmq_ipc_reqrep", "skip_impossible=true"}), topology());
  EXPECT_NE(find_case(p, "pingpong/transport/zmq_ipc_reqrep/8B/1p1c/different-cores"), nullptr);
  ASSERT_EQ(p.skipped.size(), 1u);
  EXPECT_TRUE(contains(p.skipped[0].reason, "cannot stream")) << p.skipped[0].reason;
}

TEST(PlanTransports, TransportsCarryOnlyOneToOnePingpongAndStreaming) {
  REQUIRE_TWO_CORES();
  std::string e = plan_error(transports_config({"transports=pipe", "workloads=burst"}));
  EXPECT_TRUE(contains(e, "a transport carries pingpong and streaming, not burst")) << e;
  e = plan_error(transports_config({"transports=pipe", "workloads=streaming", "producers=2"}));
  EXPECT_TRUE(contains(e, "producers = 1 and consumers = 1, not 2p1c")) << e;
}

TEST(PlanTransports, AllListsEveryTransportAndNotesTheUnbuiltOnes) {
  REQUIRE_TWO_CORES();
  const Plan p = make_plan(transports_config({"transports=all", "workloads=pingpong"}), topology());
  std::set<std::string> planned;
  for (const auto& c : p.cases) {
    if (c.structure == "transport") planned.insert(c.variant);
  }
  for (const auto& t : zb::transports()) {
    const std::string name(t.name);
    if (t.built) {
      EXPECT_TRUE(planned.count(name)) << name << " is built but has no case";
    } else {
      EXPECT_FALSE(planned.count(name)) << name;
      const bool noted = std::any_of(p.notes.begin(), p.notes.end(), [&](const std::string& n) {
        return contains(n, "transport " + name + " is off: " + std::string(t.missing));
      });
      EXPECT_TRUE(noted) << name << " is not built and the plan does not say why";
    }
  }
}

TEST(PlanTransports, UnknownTransportIsRefusedWithTheValidNames) {
  try {
    transports_config({"transports=carrier_pigeon"});
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown value 'carrier_pigeon'")) << e.what();
    EXPECT_TRUE(contains(e.what(), "unix_stream")) << e.what();
  }
}

TEST(PlanTransports, RedisCasesGetAServerPuAndAnUnusablePuIsRefused) {
  REQUIRE_TWO_CORES();
  if (!zb::transport_info("redis_unix").built) GTEST_SKIP() << zb::transport_info("redis_unix").missing;
  const Plan p = make_plan(transports_config({"transports=redis_unix", "workloads=pingpong"}), topology());
  ASSERT_GE(p.redis_pu, 0);
  const bool usable = std::any_of(topology().pus().begin(), topology().pus().end(),
                                  [&](const Pu& pu) { return pu.os_index == p.redis_pu; });
  EXPECT_TRUE(usable) << p.redis_pu;
  EXPECT_TRUE(std::any_of(p.notes.begin(), p.notes.end(), [](const std::string& n) {
    return contains(n, "redis-server pinned to PU");
  }));
  const std::string e = plan_error(transports_config({"transports=redis_unix", "redis_pu=4095"}));
  EXPECT_TRUE(contains(e, "baselines.redis_pu: PU 4095 is not usable here")) << e;
}

TEST(PlanTransports, FutexFloorIsAddedWhenAskedFor) {
  REQUIRE_TWO_CORES();
  const Plan without = make_plan(transports_config({"transports=pipe"}), topology());
  EXPECT_EQ(find_case(without, "floor-futex/different-cores"), nullptr);
  const Plan with = make_plan(transports_config({"transports=pipe", "futex=true"}), topology());
  const CaseSpec* f = find_case(with, "floor-futex/different-cores");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->workload, workload_named("floor-futex"));
  EXPECT_EQ(f->workers(), 2);
  EXPECT_TRUE(is_floor(f->workload));
  EXPECT_EQ(to_string(workload_named("floor-futex")), "floor-futex");
  EXPECT_EQ(parse_workload("floor-futex"), workload_named("floor-futex"));
}

TEST(PlanTransports, SizeRefusalIsEmptyForWhatTheMachineCarries) {
  EXPECT_EQ(zb::size_refusal("unix_stream", 65536), "");
  EXPECT_EQ(zb::size_refusal("posix_mq", 8), "") << "an 8-byte POSIX queue message is always allowed";
  const std::string big = zb::size_refusal("posix_mq", 65536);
  if (!big.empty()) {
    EXPECT_TRUE(contains(big, "msgsize_max")) << big;
  }
}

}  // namespace
