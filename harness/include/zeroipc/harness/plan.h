// The plan: a config's matrix expanded into cases, each checked against the
// variants and this machine, with the PUs its workers will be pinned to, and
// the interleaved order of all repetitions.
//
//   Plan plan = make_plan(config, Topology{});   // throws ConfigError for what cannot run
//   for (std::size_t i : plan.schedule) run(plan.cases[i]);
//
// A combination that cannot run — 3 producers on spsc_ring, pingpong with 2
// consumers, fanout on anything but a stream (or a stream with anything but
// fanout, or not one producer and 1..8 subscribers), a placement this machine
// cannot offer, more busy-polling workers than PUs without oversubscribe — is
// an error naming the keys and the valid choices, unless [matrix]
// skip_impossible = true or the value came from 'all' (every variant /
// placement): then it is left out and listed in plan.skipped with the reason.
// What each workload accepts is its descriptor's (workload.h); the plan knows
// the structures (variants, transports, the stream) and the machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zeroipc/harness/config.h"
#include "zeroipc/harness/topology.h"
#include "zeroipc/harness/workload.h"

namespace zeroipc::harness {

/// The variant of structure "reference", the harness's ceiling: the minimal
/// SPSC ring (zeroipc/harness/reference_spsc.h). Its cases are named
/// "<workload>/reference/minimal_spsc/<size>/1p1c/<placement>"; the summary
/// reads the other cases of the same workload, size, workers and placement
/// against them ("x reference", results.cpp).
inline constexpr const char* kReferenceVariant = "minimal_spsc";

struct CaseSpec {
  std::string id;               // "pingpong/queue/lcrq/8B/1p1c/different-cores", "fanout/stream/block/64B/1p2c/different-cores"
  Workload workload = nullptr;
  std::string structure;        // "queue" | "stack" | "transport" | "stream" | "map" | "pool" | "ring" | "reference";
                                // empty for floor probes
  std::string variant;          // the variant, the transport's or the store's name, or the stream's
                                // overflow mode ("block"); empty for floor probes
  std::string mix;              // the workload's mix of operations (map: "read_mostly"); "" if it has none
  std::uint64_t message_size = 0;
  int producers = 0, consumers = 0;
  std::string placement;
  std::vector<int> pus;         // OS PU of each worker: producers first, then consumers
  bool oversubscribed = false;
  std::string latency_floor;    // id of the floor-cacheline case to compare with ("" if none)
  std::string bandwidth_floor;  // id of the floor-shm-read case ("" if none)
  std::uint64_t capacity = 0;   // of the structure(s)

  int workers() const { return static_cast<int>(pus.size()); }
  /// A case that talks to the harness's redis-server (a Redis transport or store).
  bool needs_redis() const;
  nlohmann::json to_json() const;
};

struct SkippedCase {
  std::string id;
  std::string reason;
};

struct Plan {
  std::vector<CaseSpec> cases;  // floor probes first
  std::vector<SkippedCase> skipped;
  std::vector<std::string> notes;
  std::size_t repetitions = 0;
  std::uint64_t seed = 0;
  std::vector<std::size_t> schedule;  // case indices, every case once per round, rounds shuffled
  int redis_pu = -1;                  // the PU of the harness's redis-server; -1: no Redis case

  nlohmann::json to_json() const;
};

Plan make_plan(const Config& config, const Topology& topology);

/// "1p1c"
std::string workers_label(int producers, int consumers);

}  // namespace zeroipc::harness
