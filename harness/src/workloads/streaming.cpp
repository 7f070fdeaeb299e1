// streaming: one-way throughput. Producers send their messages as fast as the
// structure takes them, consumers receive until every producer is done and
// every message is taken (run_one_way, worker_kit.h); every message is
// verified, every stride-th timed one (at least every 64th) stamped for one-way latency.
#include "common.h"

namespace zeroipc::harness::workloads {

const WorkloadDef& streaming() {
  static const WorkloadDef def{
      .name = "streaming",
      .summary = "streaming (one-way throughput)",
      .keys = {make_int_key("streaming", "messages", 200000, 1, kMaxCount,
                            "timed messages per producer (when duration_ms = 0)"),
               make_int_key("streaming", "warmup_messages", 20000, 0, kMaxCount,
                            "untimed messages per producer before them"),
               make_int_key("streaming", "duration_ms", 0, 0, 3600000, "if > 0: producers send for this long instead"),
               make_int_key("streaming", "capacity", 1024, 2, 1 << 24,
                            "capacity of the structure (streaming, burst, mixed, fanout)")},
      .structures = {"queue", "stack", "transport", "reference"},
      .transport_pattern = baselines::Pattern::one_way,
      .refusal = multiplicity_refusal,
      .workers = producers_plus_consumers,
      .capacity_section = "streaming",
      .capacity_key = "capacity",
      .fill = fill_streaming_counts,
      .min_stamp_stride = 64,  // throughput is the metric: a stamp per 64 messages keeps them off its path
      .run = run_one_way,
      .expected_sent = producers_sent,
      .metrics = {.primary = "throughput_msgs_per_s", .one_way_ns = true, .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
