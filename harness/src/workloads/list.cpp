// The harness's workloads, one line each. Their order is the order of
// matrix.workloads' choices and help, of `--keys` (the measured workloads'
// sections after [matrix], the probes' after [baselines]) and of the floor
// probes in a plan (per placement in this order, then the once-per-run ones).
//
// A new workload touches two files: its own, harness/src/workloads/<name>.cpp
// (CMake globs this folder), and this one (its declaration and its line in
// the list). Its file defines `const WorkloadDef& <name>()` in this namespace,
// returning one static descriptor (zeroipc/harness/workload.h) that provides:
//   name, summary       the name in matrix.workloads, case ids and results
//                       (a floor probe's begins with "floor-"), and its help line
//   keys                its config keys with type, default, bounds and meaning
//                       (make_int_key, make_key, ...; usually its own [section])
//   plan rule           structures it runs on (+ transport_pattern over a
//                       transport, wrong_structure for the others), refusal()
//                       with the message for a case it cannot run, workers(),
//                       the capacity key (and capacity_at_least_workers); or,
//                       for a floor probe, probe / floor_of / enabled() / probe_size()
//   the run segment     structure_instances ("a", "b"), arrays() of its own
//   one repetition      roles, fill() (RunParams' counts from its keys; values of
//                       its own go in RunParams::settings), run() — its worker
//                       loop for every role, with Worker (harness/src/worker_kit.h)
//   verification        expected_sent(), multicast
//   metrics             the values it reports and its primary metric
// Plots of a new workload (scripts/plot.py) are optional: its results are
// valid, written and read (scripts/zeroipc_results.py) without them.
#include "zeroipc/harness/workload.h"

namespace zeroipc::harness {

namespace workloads {
const WorkloadDef& pingpong();
const WorkloadDef& streaming();
const WorkloadDef& burst();
const WorkloadDef& mixed();
const WorkloadDef& fanout();
const WorkloadDef& map();
const WorkloadDef& pool();
const WorkloadDef& ring();
const WorkloadDef& floor_cacheline();
const WorkloadDef& floor_memcpy();
const WorkloadDef& floor_shm_read();
const WorkloadDef& floor_futex();
}  // namespace workloads

const std::vector<Workload>& all_workloads() {
  using namespace workloads;
  static const std::vector<Workload> list{
      &pingpong(),         // round-trip latency
      &streaming(),        // one-way throughput
      &burst(),            // bursts then idle gaps
      &mixed(),            // every worker pushes then pops
      &fanout(),           // a stream's multicast
      &map(),              // a key-value mix on a shared map
      &pool(),             // objects of a shared pool, their handles through a queue
      &ring(),             // bulk transfer through a ring, zero copy
      &floor_cacheline(),  // probe: one cache line's round trip
      &floor_memcpy(),     // probe: one PU's memcpy bandwidth
      &floor_shm_read(),   // probe: shared-memory read bandwidth between two PUs
      &floor_futex(),      // probe: a futex wake round trip
  };
  return list;
}

}  // namespace zeroipc::harness
