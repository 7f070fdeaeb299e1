// What several workloads share: small plan rules and readers of the config.
// Internal to the harness (workloads/*.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "../worker_kit.h"
#include "zeroipc/harness/config.h"
#include "zeroipc/harness/plan.h"
#include "zeroipc/harness/worker.h"
#include "zeroipc/harness/workload.h"
#include "zeroipc/registry.h"

// Descriptors are designated initializers that leave most members at their
// defaults; GCC before 14 warns about each one left out (GCC bug 96868).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace zeroipc::harness::workloads {

/// An integer key as a count.
inline std::uint64_t u64(const Config& c, const char* section, const char* key) {
  return static_cast<std::uint64_t>(c.get_int(section, key));
}

/// One process per producer and per consumer.
inline int producers_plus_consumers(int producers, int consumers) { return producers + consumers; }

/// Two processes whatever the counts (one per role of a pair).
inline int two_workers(int, int) { return 2; }

/// A queue or stack case with several producers (consumers) needs a variant
/// that allows several; "" when it can run. A structure without variants
/// (the reference) has its own rule in the plan.
inline std::string multiplicity_refusal(const CaseShape& s) {
  if (!s.variant) return "";
  const std::string name(s.variant->name);
  if (s.producers > 1 && !s.variant->multi_producer) {
    return std::to_string(s.producers) + " producers on " + name + ", which allows one producer (valid: producers = 1)";
  }
  if (s.consumers > 1 && !s.variant->multi_consumer) {
    return std::to_string(s.consumers) + " consumers on " + name + ", which allows one consumer (valid: consumers = 1)";
  }
  return "";
}

/// The counts of a one-way loop from keys of `section`: `timed` and
/// `warmup` messages per producer, or with `duration_ms` > 0 as many as fit
/// (timed = 0).
inline void fill_counts(const Config& c, RunParams& p, const char* section, const char* timed, const char* warmup,
                        const char* duration_ms) {
  p.warmup = u64(c, section, warmup);
  p.timed = u64(c, section, timed);
  p.duration_ns = u64(c, section, duration_ms) * 1'000'000;
  if (p.duration_ns) p.timed = 0;
}
/// The [streaming] counts (streaming, fanout).
inline void fill_streaming_counts(const Config& c, RunParams& p) {
  fill_counts(c, p, "streaming", "messages", "warmup_messages", "duration_ms");
}

/// What the producers send in all: warmup + timed bursts of burst_size each,
/// per producer; 0 (not fixed) in duration mode.
inline std::uint64_t producers_sent(const RunParams& p) {
  if (p.duration_ns) return 0;
  return static_cast<std::uint64_t>(p.producers) * (p.warmup + p.timed) * p.burst_size;
}

}  // namespace zeroipc::harness::workloads
