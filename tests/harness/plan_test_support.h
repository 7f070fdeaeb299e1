// What the plan tests share: this machine's topology, a skip for machines
// without two cores, and the ConfigError text of a plan that must be refused.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zeroipc/harness/config.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/topology.h>

namespace zeroipc::harness::test {

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

inline const Topology& topology() {
  static const Topology t;
  return t;
}

// Skips the test unless this machine has 2 PUs on different cores (the default placement).
#define REQUIRE_TWO_CORES()                                                                                    \
  do {                                                                                                         \
    using zeroipc::harness::test::topology;                                                                    \
    if (topology().pus().size() < 2 || !topology().offer(zeroipc::harness::Placement::different_cores, 2).available) \
      GTEST_SKIP() << "needs 2 usable PUs on different cores; this machine: " << topology().summary();         \
  } while (0)

/// The message of the ConfigError make_plan(c) throws; a test failure if it throws none.
inline std::string plan_error(const Config& c) {
  try {
    (void)make_plan(c, topology());
  } catch (const ConfigError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ConfigError, got another exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << "expected ConfigError, make_plan succeeded";
  return "";
}

/// The ids of the plan's cases, in plan order.
inline std::vector<std::string> ids(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& c : p.cases) out.push_back(c.id);
  return out;
}

inline const CaseSpec* find_case(const Plan& p, const std::string& id) {
  for (const auto& c : p.cases) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace zeroipc::harness::test
