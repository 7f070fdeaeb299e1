// The list of workloads (harness/src/workloads/list.cpp) and what the generic
// parts of the harness rely on in each descriptor (zeroipc/harness/workload.h):
// unique names, probes named "floor-..." (scripts/zeroipc_results.py tells a
// probe by it), every field a generic part calls present, and every config key
// a workload reads declared (Config refuses an undeclared one).
#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/results.h>
#include <zeroipc/harness/worker.h>
#include <zeroipc/harness/workload.h>

namespace {

using namespace zeroipc::harness;

bool has_key(const std::string& section, const std::string& key) {
  for (const auto& k : config_keys()) {
    if (k.section == section && k.key == key) return true;
  }
  return false;
}

TEST(Workloads, NamesAreUniqueAndProbesAreNamedFloor) {
  std::set<std::string> names;
  ASSERT_FALSE(all_workloads().empty());
  for (Workload w : all_workloads()) {
    EXPECT_TRUE(names.insert(w->name).second) << w->name << " is listed twice";
    EXPECT_EQ(w->is_floor(), w->name.rfind("floor-", 0) == 0) << w->name;
    EXPECT_EQ(is_floor(w), w->is_floor());
    EXPECT_EQ(to_string(w), w->name);
    EXPECT_EQ(parse_workload(w->name), w);
    EXPECT_EQ(workload_named(w->name), w);
  }
  EXPECT_EQ(parse_workload("stream"), std::nullopt);
  try {
    (void)workload_named("stream");
    FAIL() << "accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("valid: pingpong, streaming"), std::string::npos) << e.what();
  }
}

TEST(Workloads, MatrixChoicesAreTheMeasuredWorkloadsInListOrder) {
  std::vector<std::string> measured;
  for (Workload w : all_workloads()) {
    if (!w->is_floor()) measured.push_back(w->name);
  }
  for (const auto& k : config_keys()) {
    if (k.section == "matrix" && k.key == "workloads") {
      EXPECT_EQ(k.choices, measured);
    }
  }
}

TEST(Workloads, EveryDescriptorHasWhatTheGenericPartsCall) {
  const Config config;
  for (Workload w : all_workloads()) {
    SCOPED_TRACE(w->name);
    EXPECT_NE(w->run, nullptr);
    EXPECT_FALSE(std::string(w->metrics.primary).empty());
    for (const auto& k : w->keys) EXPECT_TRUE(has_key(k.section, k.key)) << k.section << "." << k.key;
    if (w->is_floor()) {
      ASSERT_NE(w->probe_size, nullptr);
      EXPECT_GT(w->probe_size(config), 0u);
      if (w->enabled) (void)w->enabled(config);
      EXPECT_TRUE(w->structures.empty());
      EXPECT_EQ(w->structure_instances, 0);
    } else {
      EXPECT_FALSE(w->summary.empty());
      EXPECT_EQ(w->summary.rfind(w->name + " (", 0), 0u) << w->summary;
      EXPECT_FALSE(w->structures.empty());
      ASSERT_NE(w->workers, nullptr);
      EXPECT_GE(w->workers(1, 1), 1);
      EXPECT_TRUE(has_key(w->capacity_section, w->capacity_key)) << w->capacity_section << "." << w->capacity_key;
      EXPECT_GE(w->structure_instances, 1);
      EXPECT_EQ(w->probe, Probe::none);
    }
  }
}

// make_run_params calls each workload's fill(): a key it reads that no
// descriptor declares would throw here. Roles cover every worker.
TEST(Workloads, RunParamsFromTheDefaultConfig) {
  const Config config;
  for (Workload w : all_workloads()) {
    SCOPED_TRACE(w->name);
    CaseSpec c;
    c.id = w->name + "/test";
    c.workload = w;
    c.structure = w->is_floor() ? "" : w->structures.front();
    c.message_size = 8;
    c.producers = 1;
    c.consumers = w->probe == Probe::once ? 0 : 1;
    c.pus = std::vector<int>(static_cast<std::size_t>(w->is_floor() ? (w->probe == Probe::once ? 1 : 2)
                                                                    : w->workers(1, 1)),
                             0);
    const RunParams p = make_run_params(c, config, ClockCalibration{}, "/zeroipc-workload-test");
    EXPECT_EQ(p.workload, w);
    EXPECT_EQ(p.samples > 0, w->metrics.one_way_ns);
    bool any_counted = false;
    for (int i = 0; i < c.workers(); ++i) {
      EXPECT_FALSE(p.role(i).empty());
      any_counted = any_counted || p.counted(i);
    }
    EXPECT_TRUE(any_counted) << "no worker's messages count";
    const RunParams back = RunParams::from_json(p.to_json());
    EXPECT_EQ(back.workload, w);
    EXPECT_EQ(back.to_json(), p.to_json());
  }
}

}  // namespace
