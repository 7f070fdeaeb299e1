// One repetition of one case, as the workers see it.
//
// The harness creates a fresh segment per repetition (RunSegment), with the
// structure(s) under test, a control block (a reusable barrier and the
// end-of-phase counters, each on its own cache line), the stamp arrays
// for one-way latency and the arrays of the workload's own (workload.h). It then re-executes itself once per worker:
//   zeroipc-harness --worker <index> '<RunParams as JSON>'
// A worker pins itself to its PU, opens the segment, waits on the barrier
// with the others, runs the warm-up phase, meets them again, runs the timed
// phase, and prints one JSON line (WorkerReport) on stdout — or
// {"error": "..."} and exits 3. Anything else (a signal, no line) is a dead
// worker, and the harness fails the repetition saying which one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zeroipc/baselines/kv_store.h"
#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/clock.h"
#include "zeroipc/harness/plan.h"

namespace zeroipc::harness {

/// Everything a worker needs; travels as JSON on the worker's command line.
struct RunParams {
  std::string segment;
  Workload workload = nullptr;
  std::string structure, variant;
  std::string mix;               // the workload's mix of operations (map); "" if it has none
  std::uint64_t message_size = 0;
  int producers = 0, consumers = 0;
  std::vector<int> pus;
  std::uint64_t capacity = 0;
  std::uint64_t warmup = 0;      // per producer / worker: messages, round trips, pairs or bursts
  std::uint64_t timed = 0;       // the same, timed (0 with duration_ns: as many as fit)
  std::uint64_t duration_ns = 0; // streaming: producers send for this long
  std::uint64_t burst_size = 1;  // messages per burst (burst), else 1
  std::uint64_t gap_ns = 0;      // idle time between bursts
  std::uint64_t stride = 1;      // every stride-th timed message is stamped for one-way latency
  std::uint64_t samples = 0;     // stamp slots per producer
  std::uint64_t bytes = 0;       // floor-memcpy / floor-shm-read: bytes per pass
  std::uint64_t passes = 0;
  bool yield_when_waiting = false;  // oversubscribed: waits call sched_yield instead of spinning
  ClockCalibration clock{};
  std::string link_dir;          // transport cases: the link's private directory (RunSegment makes it)
  std::string redis_unix_socket; // Redis transports and stores: the harness's redis-server
  int redis_port = 0;
  int fault_worker = -1;         // test hook: this worker SIGKILLs itself ...
  std::uint64_t fault_after = 0; // ... after this many messages
  nlohmann::json settings = nlohmann::json::object();  // a workload's own values beyond the counts above:
                                                       // its fill() writes them, its loop reads them

  /// Slots of each stamp array: samples per producer, for every producer (pingpong: one).
  std::uint64_t stamp_slots() const { return samples * static_cast<std::uint64_t>(producers > 1 ? producers : 1); }

  bool is_transport() const { return structure == "transport"; }
  /// A fanout case: a zeroipc::Stream the producer worker creates.
  bool is_stream() const { return structure == "stream"; }
  /// A map case: a key-value store (baselines/kv_store.h) the workers make themselves.
  bool is_map() const { return structure == "map"; }
  /// The link of a transport case: named after the segment, in link_dir.
  baselines::LinkSpec link_spec() const;
  /// The store of a map case: named after the segment, values of message_size bytes.
  baselines::StoreSpec store_spec() const;

  nlohmann::json to_json() const;
  static RunParams from_json(const nlohmann::json& j);

  /// Worker i's role, as the workload's Roles say: "producer", "consumer", "initiator", "responder", ...
  std::string role(int worker) const;
  /// Index among the workers of its role.
  int role_index(int worker) const;
  /// Whether worker i's timed messages and bytes count in the repetition's totals.
  bool counted(int worker) const;
};

/// Fills the counts of `params` from the config for case `c` (the workload's fill()).
RunParams make_run_params(const CaseSpec& c, const Config& config, const ClockCalibration& clock,
                          const std::string& segment);

/// The segment of one repetition: created (and sized) here, unlinked when destroyed.
class RunSegment {
 public:
  explicit RunSegment(const RunParams& params);
  ~RunSegment();
  RunSegment(const RunSegment&) = delete;
  RunSegment& operator=(const RunSegment&) = delete;

  /// After every worker finished: pops what is left in the structure(s), checking
  /// each message: how many, their multiset hash, how many were corrupt.
  struct Leftovers {
    std::uint64_t count = 0, hash = 0, corrupt = 0;
  };
  Leftovers drain();
  /// One-way latencies (ns) of the stamped messages, and how many had the
  /// receiver's stamp before the sender's (clock skew; dropped).
  std::vector<std::uint64_t> one_way_ns(std::uint64_t& skewed) const;

 private:
  static void remove_link(const RunParams& p) noexcept;

  RunParams params_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Worker mode: runs worker `index` of `params`, prints its report. Returns the exit status.
int worker_main(int index, const std::string& params_json);

}  // namespace zeroipc::harness
