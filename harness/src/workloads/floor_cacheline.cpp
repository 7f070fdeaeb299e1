// floor-cacheline: one cache line bounced between the two PUs of a
// placement: the initiator writes an odd number, the responder answers with
// the next even one. The least any cross-core handoff can cost here: the
// latency floor of the cases of its placement.
//
// (5) each side's release store of the line pairs with the other side's
// acquire load.
#include "common.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr const char* kLine = "cacheline";  // its array in the segment

void work(Worker& w) {
  Array<std::uint64_t> words(w.mem, kLine);
  auto& line = *aligned_line<std::atomic<std::uint64_t>>(words);
  const bool initiator = w.index == 0;
  round_trip_phases(w, [&](std::uint64_t r, bool timed) {
    const std::uint64_t ping = 2 * r + 1;
    if (initiator) {
      const std::uint64_t t0 = w.now();
      line.store(ping, std::memory_order_release);                             // (5)
      while (line.load(std::memory_order_acquire) != ping + 1) w.wait_hint();  // (5)
      const std::uint64_t t1 = w.now();
      if (timed) w.round_trips.record(w.to_ns(t1 - t0));
    } else {
      while (line.load(std::memory_order_acquire) != ping) w.wait_hint();  // (5)
      line.store(ping + 1, std::memory_order_release);                     // (5)
    }
  });
}

}  // namespace

const WorkloadDef& floor_cacheline() {
  static const WorkloadDef def{
      .name = "floor-cacheline",
      .keys = {make_int_key("floor", "cacheline_round_trips", 20000, 1, kMaxCount,
                            "timed round trips of one cache line"),
               make_int_key("floor", "cacheline_warmup", 2000, 0, kMaxCount, "untimed round trips before them")},
      .probe = Probe::per_placement,
      .floor_of = FloorOf::latency,
      .probe_size = [](const Config&) -> std::uint64_t { return 64; },
      .roles = {.split = Roles::Split::pair, .first = "initiator", .second = "responder"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.warmup = u64(c, "floor", "cacheline_warmup");
            p.timed = u64(c, "floor", "cacheline_round_trips");
          },
      .structure_instances = 0,
      .arrays = [](const RunParams&) { return std::vector<SegmentArray>{{kLine, run::kLineWords}}; },
      .run = work,
      .metrics = {.primary = "round_trip_ns_p50", .round_trip_ns = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
