// From repetitions to results: per-case metric summaries, floor ratios, the
// summary table, the CSV. Schema: results/README.md.
//
//   std::vector<CaseRecord> records = ...;            // one per plan case, repetitions appended as they finish
//   nlohmann::json cases = summarize_cases(records);  // metrics + floors, in plan order
//   std::cout << summary_table(cases);
//   write(dir / "summary.csv", summary_csv(cases));
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zeroipc/harness/histogram.h"
#include "zeroipc/harness/plan.h"

namespace zeroipc::harness {

struct CaseRecord {
  CaseSpec spec;
  std::vector<nlohmann::json> repetitions;  // Repetition objects of the schema, in the order they ran
  bool interrupted = false;                 // a repetition of it was cut short by Ctrl-C
};

/// "round_trip_ns_p50" -> "ns", ...; the unit of a metric name.
std::string metric_unit(const std::string& metric);
/// "lower" for times, "higher" for rates.
std::string metric_better(const std::string& metric);
/// The metric the summary shows for a workload.
std::string primary_metric(Workload w);

/// Per-repetition values of a histogram: <prefix>_p50, _p90, _p99, _p999, _max.
void add_percentiles(nlohmann::json& values, const std::string& prefix, const Histogram& h);

/// The "cases" array of results.json: each case with status, metrics (summaries,
/// floors, ratios) and its repetitions sorted by index.
nlohmann::json summarize_cases(const std::vector<CaseRecord>& records);

/// The table printed at the end of a run: per case the primary metric's median,
/// 95% CI, p99 and ratio to the floor.
std::string summary_table(const nlohmann::json& cases);
/// summary.csv: one row per (case, metric).
std::string summary_csv(const nlohmann::json& cases);

}  // namespace zeroipc::harness
