// burst: producers send bursts of burst_size messages back to back, then spin
// for gap_us; consumers receive as in streaming (run_one_way, worker_kit.h).
// What it measures is the one-way latency of a message arriving in a burst
// after an idle gap.
#include "common.h"

namespace zeroipc::harness::workloads {

const WorkloadDef& burst() {
  static const WorkloadDef def{
      .name = "burst",
      .summary = "burst (bursts then idle gaps)",
      .keys = {make_int_key("burst", "bursts", 2000, 1, kMaxCount, "timed bursts per producer"),
               make_int_key("burst", "warmup_bursts", 200, 0, kMaxCount, "untimed bursts before them"),
               make_int_key("burst", "burst_size", 32, 1, 1 << 20, "messages per burst, sent back to back"),
               make_int_key("burst", "gap_us", 20, 0, 1000000, "idle time between bursts (spun, not slept)")},
      .structures = {"queue", "stack"},
      .refusal = multiplicity_refusal,
      .workers = producers_plus_consumers,
      .capacity_section = "streaming",
      .capacity_key = "capacity",
      .fill =
          [](const Config& c, RunParams& p) {
            p.warmup = u64(c, "burst", "warmup_bursts");
            p.timed = u64(c, "burst", "bursts");
            p.burst_size = u64(c, "burst", "burst_size");
            p.gap_ns = u64(c, "burst", "gap_us") * 1000;
          },
      .run = run_one_way,
      .expected_sent = producers_sent,
      .metrics = {.primary = "one_way_ns_p50", .one_way_ns = true, .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
