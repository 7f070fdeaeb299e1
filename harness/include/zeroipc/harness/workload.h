// A workload of the harness as one unit: one WorkloadDef per workload, in
// harness/src/workloads/<name>.cpp, named once in harness/src/workloads/list.cpp.
//
//   for (Workload w : all_workloads()) std::cout << w->name << "\n";   // list order
//   Workload w = workload_named("pingpong");                        // throws for an unknown name
//   std::optional<Workload> maybe = parse_workload("fanout");
//
// A descriptor says everything the harness needs to know about its workload:
// its config keys; the plan rule (which structures it runs on, how many
// workers a case needs, what it refuses and why); the counts its workers get
// (RunParams) and what it keeps in the run segment; its worker loop; how its
// repetitions are verified; the metrics it reports. The generic parts
// (config.cpp, plan.cpp, run_params.cpp, run_segment.cpp, worker.cpp,
// experiment.cpp, results.cpp) read these fields and never test a workload's
// name.
//
// Two kinds: measured workloads (matrix.workloads names them; they run on a
// structure of matrix.structures) and floor probes (run beside the cases,
// without a structure, to measure this machine's limits). A probe's name
// begins with "floor-" (scripts/zeroipc_results.py relies on it; a test
// checks it), a measured workload's does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/config.h"

namespace zeroipc {
struct VariantInfo;
}

namespace zeroipc::harness {

struct RunParams;
class Worker;  // harness/src/worker_kit.h: what a worker loop works with

/// What a workload's plan rule sees of one case of the matrix (queue, stack,
/// stream and map cases; the transports' rules are the plan's own).
struct CaseShape {
  std::string_view structure;            // "queue", "stack", "stream", "map", "pool", "ring" or "reference"
  const VariantInfo* variant = nullptr;  // queue, stack and pool: the variant; stream, map, ring, reference: null
  std::string_view name;                 // the variant's, the store's ("redis") or the stream's name
  std::uint64_t message_size = 0;        // map: the value size
  int producers = 0, consumers = 0;
};

/// The worker roles of a workload. Worker i is, by `split`:
///   pair:                worker 0 is `first`, worker 1 is `second` (role index 0 both)
///   producers_consumers: the producers are `first`, then the consumers `second`
///                        (role index: among its role)
///   alike:               every worker is `first` (role index: the worker's)
/// `second_counted`: whether the second role's timed messages and bytes count
/// in the repetition's totals (false: it receives what the first sent, which
/// is counted once, at the sender).
struct Roles {
  enum class Split { pair, producers_consumers, alike } split = Split::producers_consumers;
  const char* first = "producer";
  const char* second = "consumer";
  bool second_counted = false;
};

/// The values a workload's repetitions report (results/README.md names them).
struct Metrics {
  const char* primary = "";    // the metric the summary shows
  bool round_trip_ns = false;  // worker 0's "round_trip_ns" histogram: round_trip_ns_p50 ...
  bool one_way_ns = false;     // stamped messages: one_way_ns_p50 ... (the workers stamp them)
  bool msgs_per_s = false;     // throughput_msgs_per_s
  bool ops_per_s = false;      // throughput_ops_per_s (map: the workers' timed operations, in all)
  bool bytes_per_s = false;    // throughput_bytes_per_s
};

/// A floor probe's place in the plan; `none` for a measured workload.
enum class Probe {
  none,
  per_placement,  // one per placement the cases use, on the pair of PUs of that placement: "<name>/<placement>"
  once,           // one per run, on the first case's first PU: "<name>/pu<N>"
};

/// What a probe's result serves as for the cases of its placement.
enum class FloorOf {
  nothing,
  latency,    // the case's "floor_case": round trips (and one-way latency, half of it)
  bandwidth,  // the case's "bandwidth_floor_case": bytes per second
};

/// One named piece of the run segment: `words` 64-bit words, zero at the start.
struct SegmentArray {
  std::string name;
  std::uint64_t words = 0;
};

struct WorkloadDef {
  // ---- identity and config --------------------------------------------------------
  std::string name;     // in matrix.workloads, case ids, results
  std::string summary;  // measured: its line in matrix.workloads' help, "pingpong (round-trip latency)"
  /// Its config keys (usually its own [section]); `--keys` lists measured
  /// workloads' keys after [matrix], the probes' after [baselines], in list order.
  /// A workload may read another's key (fanout reads [streaming]).
  std::vector<KeyDef> keys;

  // ---- plan rule (measured workloads) ---------------------------------------------
  std::vector<std::string> structures;  // matrix.structures it runs on: "queue", "stack", "transport", "stream",
                                        // "map" (the key-value stores of matrix.stores), "pool", "ring",
                                        // "reference" (the minimal SPSC ring, the harness's ceiling)
  /// Said of a structure it does not run on, before the structure's own
  /// refusal ("fanout measures a stream's multicast" -> "...: it needs
  /// structures = [\"stream\"], not queue"); empty: the structure's refusal.
  std::string wrong_structure;
  /// Over a transport (structures has "transport"): the pattern the link needs.
  baselines::Pattern transport_pattern = baselines::Pattern::one_way;
  /// Why a queue, stack or stream case cannot run; "" when it can. Null: any.
  /// Such a refusal is skipped rather than fatal when the value came from 'all'.
  std::string (*refusal)(const CaseShape&) = nullptr;
  /// The mixes of operations a case runs, from the config (map: "read_mostly",
  /// "write_heavy"): one case per mix, named in its id after the variant.
  /// Null: the workload has no mixes.
  std::vector<std::string> (*mixes)(const Config&) = nullptr;
  /// The message sizes of its cases, from a key of its own (ring: up to
  /// 4 MiB, beyond what matrix.message_sizes compiles in). Null: matrix.message_sizes.
  std::vector<std::int64_t> (*message_sizes)(const Config&) = nullptr;
  /// Worker processes of a case (measured: from producers and consumers; probes: of one probe).
  int (*workers)(int producers, int consumers) = nullptr;
  /// The key holding the capacity of its structure(s) (measured workloads).
  std::string capacity_section, capacity_key;
  /// A case whose capacity is below its worker count is refused (never skipped).
  bool capacity_at_least_workers = false;

  // ---- floor probes ---------------------------------------------------------------
  Probe probe = Probe::none;
  FloorOf floor_of = FloorOf::nothing;
  bool (*enabled)(const Config&) = nullptr;                // null: whenever the probes run
  std::uint64_t (*probe_size)(const Config&) = nullptr;    // the probe case's message_size (bytes)

  // ---- one repetition -------------------------------------------------------------
  Roles roles;
  /// Fills the workload's counts of `p` (warmup, timed, ...) from the config;
  /// the generic part has filled the case's facts and, after this, the stamps
  /// (metrics.one_way_ns: timed * burst_size messages per producer).
  void (*fill)(const Config&, RunParams& p) = nullptr;
  /// metrics.one_way_ns: the least stride of the stamps, one timed message in
  /// this many at most (a power of two; the stride also grows to keep 65536
  /// samples per producer). A workload whose metric is throughput samples
  /// sparsely: a stamp is a clock read and a store on the message's path.
  std::uint64_t min_stamp_stride = 1;
  /// Instances of the structure under test in the segment, named "a" (and "b").
  int structure_instances = 1;
  /// Its workers create the structures under test themselves, in the run
  /// segment (pool, ring: the worker that owns a role creates, the others
  /// open): the bytes they take. The segment reserves them; RunSegment
  /// creates and drains nothing (the workers check what is left). Null: RunSegment
  /// creates `structure_instances` of the case's queue or stack.
  std::uint64_t (*own_structure_bytes)(const RunParams&) = nullptr;
  /// Arrays of its own in the segment (floor-shm-read's buffer); null: none.
  std::vector<SegmentArray> (*arrays)(const RunParams&) = nullptr;
  /// Runs worker `w.index` (harness/src/worker_kit.h).
  void (*run)(Worker& w) = nullptr;

  // ---- verification and metrics ---------------------------------------------------
  /// Messages the senders must have sent in all; 0 or null: not fixed.
  std::uint64_t (*expected_sent)(const RunParams&) = nullptr;
  /// Every consumer receives every message (copies = consumers), instead of one of them.
  bool multicast = false;
  Metrics metrics;

  bool is_floor() const { return probe != Probe::none; }
  bool runs_on(std::string_view structure) const;
};

/// A workload: its descriptor, one of all_workloads().
using Workload = const WorkloadDef*;

/// Every workload, in the order of harness/src/workloads/list.cpp.
const std::vector<Workload>& all_workloads();
/// The workload called `name`; nullopt for an unknown name.
std::optional<Workload> parse_workload(std::string_view name);
/// The workload called `name`; throws std::invalid_argument naming the valid ones.
Workload workload_named(std::string_view name);
std::string to_string(Workload w);
bool is_floor(Workload w);

}  // namespace zeroipc::harness
