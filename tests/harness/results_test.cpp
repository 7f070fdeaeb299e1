// From repetitions to results (harness/include/zeroipc/harness/results.h), on
// records built by hand: metric summaries, case status, floors and floor
// ratios, the summary table and summary.csv against results/README.md.
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <zeroipc/harness/histogram.h>
#include <zeroipc/harness/plan.h>
#include <zeroipc/harness/results.h>

namespace {

using namespace zeroipc::harness;
using nlohmann::json;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

const char* kPlacement = "different-cores";

json rep(std::size_t index, json values, const std::string& status = "ok", const std::string& error = "") {
  return {{"index", index},
          {"order", index * 4},
          {"status", status},
          {"error", error.empty() ? json(nullptr) : json(error)},
          {"values", std::move(values)}};
}

CaseSpec floor_spec(Workload w, const std::string& id) {
  CaseSpec s;
  s.id = id;
  s.workload = w;
  s.placement = kPlacement;
  s.pus = {0, 1};
  s.producers = 1;
  s.consumers = 1;
  s.message_size = w == workload_named("floor-cacheline") ? 64 : 4u << 20;
  return s;
}

CaseSpec case_spec(Workload w, const std::string& variant) {
  CaseSpec s;
  s.workload = w;
  s.structure = "queue";
  s.variant = variant;
  s.message_size = 8;
  s.producers = 1;
  s.consumers = 1;
  s.placement = kPlacement;
  s.pus = {0, 1};
  s.capacity = 1024;
  s.id = to_string(w) + "/queue/" + variant + "/8B/1p1c/" + kPlacement;
  s.latency_floor = std::string("floor-cacheline/") + kPlacement;
  s.bandwidth_floor = std::string("floor-shm-read/") + kPlacement;
  return s;
}

// The four records of the brief: two probes, a pingpong case, a streaming case.
std::vector<CaseRecord> records() {
  std::vector<CaseRecord> out;
  CaseRecord cacheline{floor_spec(workload_named("floor-cacheline"), std::string("floor-cacheline/") + kPlacement), {},
                       false};
  for (std::size_t i = 0; i < 5; ++i) {
    cacheline.repetitions.push_back(rep(i, {{"round_trip_ns_p50", 100.0}, {"round_trip_ns_p99", 120.0}}));
  }
  out.push_back(cacheline);

  CaseRecord shm{floor_spec(workload_named("floor-shm-read"), std::string("floor-shm-read/") + kPlacement), {}, false};
  for (std::size_t i = 0; i < 5; ++i) shm.repetitions.push_back(rep(i, {{"throughput_bytes_per_s", 1e10}}));
  out.push_back(shm);

  // Repetitions appended in the order they ran, not by index.
  CaseRecord pingpong{case_spec(workload_named("pingpong"), "lcrq"), {}, false};
  const double rtt[] = {300, 400, 500, 600, 700};  // by index
  for (std::size_t i : {3u, 0u, 4u, 1u, 2u}) {
    pingpong.repetitions.push_back(rep(i, {{"round_trip_ns_p50", rtt[i]},
                                           {"round_trip_ns_p99", rtt[i] * 2},
                                           {"one_way_ns_p50", 250.0},
                                           {"throughput_msgs_per_s", 1e6}}));
  }
  out.push_back(pingpong);

  CaseRecord streaming{case_spec(workload_named("streaming"), "scq"), {}, false};
  for (std::size_t i = 0; i < 5; ++i) {
    streaming.repetitions.push_back(
        rep(i, {{"throughput_bytes_per_s", 1e9}, {"throughput_msgs_per_s", 1.25e8}, {"one_way_ns_p50", 1000.0}}));
  }
  out.push_back(streaming);
  return out;
}

const json& case_of(const json& cases, const std::string& id) {
  for (const auto& c : cases)
    if (c["id"] == id) return c;
  throw std::out_of_range("no case " + id);
}

// Splits one CSV line, honouring double quotes ("" inside quotes is one ").
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

const std::string kCsvHeader =
    "case,workload,structure,variant,message_size,producers,consumers,placement,status,metric,unit,better,n,"
    "median,ci_low,ci_high,min,max,wide_spread,floor,floor_ratio";

// ---- metric names -----------------------------------------------------------------

TEST(Results, MetricUnitsAndDirections) {
  for (const char* m : {"round_trip_ns_p50", "round_trip_ns_p999", "round_trip_ns_max", "one_way_ns_p50",
                        "one_way_ns_p99"}) {
    EXPECT_EQ(metric_unit(m), "ns") << m;
    EXPECT_EQ(metric_better(m), "lower") << m;
  }
  EXPECT_EQ(metric_unit("throughput_msgs_per_s"), "msgs/s");
  EXPECT_EQ(metric_better("throughput_msgs_per_s"), "higher");
  EXPECT_EQ(metric_unit("throughput_bytes_per_s"), "bytes/s");
  EXPECT_EQ(metric_better("throughput_bytes_per_s"), "higher");
}

TEST(Results, PrimaryMetricOfEachWorkload) {
  EXPECT_EQ(primary_metric(workload_named("pingpong")), "round_trip_ns_p50");
  EXPECT_EQ(primary_metric(workload_named("floor-cacheline")), "round_trip_ns_p50");
  EXPECT_EQ(primary_metric(workload_named("burst")), "one_way_ns_p50");
  EXPECT_EQ(primary_metric(workload_named("streaming")), "throughput_msgs_per_s");
  EXPECT_EQ(primary_metric(workload_named("mixed")), "throughput_msgs_per_s");
  EXPECT_EQ(primary_metric(workload_named("floor-memcpy")), "throughput_bytes_per_s");
  EXPECT_EQ(primary_metric(workload_named("floor-shm-read")), "throughput_bytes_per_s");
}

TEST(Results, AddPercentilesOfAHistogram) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000; ++v) h.record(v);
  json values = json::object();
  add_percentiles(values, "round_trip_ns", h);
  for (const char* s : {"_p50", "_p90", "_p99", "_p999", "_max"})
    EXPECT_TRUE(values.contains(std::string("round_trip_ns") + s)) << s;
  EXPECT_NEAR(values["round_trip_ns_p50"].get<double>(), 500, 5);
  EXPECT_NEAR(values["round_trip_ns_max"].get<double>(), 1000, 1);
  json none = json::object();
  add_percentiles(none, "one_way_ns", Histogram{});
  EXPECT_TRUE(none.empty());
}

// ---- summarize_cases ------------------------------------------------------------------

TEST(Results, MetricSummaryFromTheRepetitions) {
  const json cases = summarize_cases(records());
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0]["id"], std::string("floor-cacheline/") + kPlacement);  // plan order kept
  const json& c = case_of(cases, std::string("pingpong/queue/lcrq/8B/1p1c/") + kPlacement);
  EXPECT_EQ(c["status"], "ok");
  EXPECT_TRUE(c["error"].is_null());
  EXPECT_EQ(c["primary_metric"], "round_trip_ns_p50");
  EXPECT_EQ(c["workload"], "pingpong");
  EXPECT_EQ(c["variant"], "lcrq");
  const json& m = c["metrics"]["round_trip_ns_p50"];
  EXPECT_EQ(m["unit"], "ns");
  EXPECT_EQ(m["better"], "lower");
  EXPECT_EQ(m["values"], (json{300.0, 400.0, 500.0, 600.0, 700.0}));  // repetition order
  EXPECT_EQ(m["n"], 5);
  EXPECT_EQ(m["median"], 500.0);
  // 5 values cannot reach 95%: the interval is [min, max] with coverage 1 - 2/32.
  EXPECT_EQ(m["ci_low"], 300.0);
  EXPECT_EQ(m["ci_high"], 700.0);
  EXPECT_DOUBLE_EQ(m["ci_level"].get<double>(), 0.9375);
  EXPECT_EQ(m["min"], 300.0);
  EXPECT_EQ(m["max"], 700.0);
  EXPECT_DOUBLE_EQ(m["mean"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(m["stddev"].get<double>(), std::sqrt(100000.0 / 4));
  EXPECT_TRUE(m["wide_spread"].get<bool>());  // 700 / 300 > 1.5
  EXPECT_FALSE(m["note"].get<std::string>().empty());
  // The repetitions are sorted by index.
  ASSERT_EQ(c["repetitions"].size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(c["repetitions"][i]["index"], i);
}

TEST(Results, LatencyFloorAndRatio) {
  const json cases = summarize_cases(records());
  const json& probe = case_of(cases, std::string("floor-cacheline/") + kPlacement);
  EXPECT_EQ(probe["metrics"]["round_trip_ns_p50"]["median"], 100.0);
  EXPECT_TRUE(probe["metrics"]["round_trip_ns_p50"]["floor"].is_null());  // a probe has no floor
  EXPECT_TRUE(probe["floor_case"].is_null());

  const json& c = case_of(cases, std::string("pingpong/queue/lcrq/8B/1p1c/") + kPlacement);
  EXPECT_EQ(c["floor_case"], std::string("floor-cacheline/") + kPlacement);
  const json& m = c["metrics"]["round_trip_ns_p50"];
  EXPECT_DOUBLE_EQ(m["floor"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(m["floor_ratio"].get<double>(), 5.0);  // value / floor
  ASSERT_EQ(m["floor_ratio_ci"].size(), 2u);
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][0].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][1].get<double>(), 7.0);
  // Every round-trip percentile is compared with the probe's median round trip.
  EXPECT_DOUBLE_EQ(c["metrics"]["round_trip_ns_p99"]["floor"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(c["metrics"]["round_trip_ns_p99"]["floor_ratio"].get<double>(), 10.0);
  // One way: half the round trip.
  const json& ow = c["metrics"]["one_way_ns_p50"];
  EXPECT_DOUBLE_EQ(ow["floor"].get<double>(), 50.0);
  EXPECT_DOUBLE_EQ(ow["floor_ratio"].get<double>(), 5.0);
  // A message rate has no floor.
  EXPECT_TRUE(c["metrics"]["throughput_msgs_per_s"]["floor"].is_null());
  EXPECT_TRUE(c["metrics"]["throughput_msgs_per_s"]["floor_ratio"].is_null());
  EXPECT_TRUE(c["metrics"]["throughput_msgs_per_s"]["floor_ratio_ci"].is_null());
}

TEST(Results, BandwidthFloorAndRatio) {
  const json cases = summarize_cases(records());
  const json& c = case_of(cases, std::string("streaming/queue/scq/8B/1p1c/") + kPlacement);
  EXPECT_EQ(c["bandwidth_floor_case"], std::string("floor-shm-read/") + kPlacement);
  EXPECT_EQ(c["primary_metric"], "throughput_msgs_per_s");
  const json& m = c["metrics"]["throughput_bytes_per_s"];
  EXPECT_EQ(m["unit"], "bytes/s");
  EXPECT_EQ(m["better"], "higher");
  EXPECT_DOUBLE_EQ(m["floor"].get<double>(), 1e10);
  EXPECT_DOUBLE_EQ(m["floor_ratio"].get<double>(), 10.0);  // floor / value
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][0].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][1].get<double>(), 10.0);
  EXPECT_FALSE(m["wide_spread"].get<bool>());
  EXPECT_DOUBLE_EQ(c["metrics"]["one_way_ns_p50"]["floor_ratio"].get<double>(), 20.0);  // 1000 / (100 / 2)
}

TEST(Results, BandwidthRatioIntervalIsInverted) {
  auto r = records();
  r[3].repetitions.clear();
  const double bw[] = {1e9, 2e9, 2.5e9, 4e9, 5e9};
  for (std::size_t i = 0; i < 5; ++i) r[3].repetitions.push_back(rep(i, {{"throughput_bytes_per_s", bw[i]}}));
  const json cases = summarize_cases(r);
  const json& m = case_of(cases, r[3].spec.id)["metrics"]["throughput_bytes_per_s"];
  EXPECT_DOUBLE_EQ(m["floor_ratio"].get<double>(), 4.0);  // 1e10 / 2.5e9
  // The higher bandwidth is the smaller ratio: [floor / ci_high, floor / ci_low].
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][0].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(m["floor_ratio_ci"][1].get<double>(), 10.0);
}

TEST(Results, NoFloorWhenTheProbeIsMissingOrEmpty) {
  auto r = records();
  r[2].spec.latency_floor = "";                       // no probe named
  r[3].spec.bandwidth_floor = "floor-shm-read/nowhere";  // a probe not in the records
  r[3].spec.latency_floor = "floor-cacheline/nowhere";
  const json cases = summarize_cases(r);
  const json& pp = case_of(cases, r[2].spec.id);
  EXPECT_TRUE(pp["floor_case"].is_null());
  EXPECT_TRUE(pp["metrics"]["round_trip_ns_p50"]["floor"].is_null());
  EXPECT_TRUE(pp["metrics"]["round_trip_ns_p50"]["floor_ratio"].is_null());
  const json& st = case_of(cases, r[3].spec.id);
  EXPECT_TRUE(st["metrics"]["throughput_bytes_per_s"]["floor"].is_null());
  EXPECT_TRUE(st["metrics"]["one_way_ns_p50"]["floor"].is_null());

  // A probe that has not run yet (no repetitions) gives no floor either.
  auto r2 = records();
  r2[0].repetitions.clear();
  const json cases2 = summarize_cases(r2);
  EXPECT_EQ(case_of(cases2, r2[0].spec.id)["status"], "not-run");
  EXPECT_TRUE(case_of(cases2, r2[2].spec.id)["metrics"]["round_trip_ns_p50"]["floor"].is_null());
}

TEST(Results, FailedRepetitionFailsTheCaseAndTheOthersStillCount) {
  auto r = records();
  for (auto& rep_json : r[2].repetitions) {
    if (rep_json["index"] == 2) {
      rep_json["status"] = "failed";
      rep_json["error"] = "worker consumer#0 (pid 123, PU 1) killed by SIGKILL";
      rep_json["values"] = json::object();
    }
  }
  const json cases = summarize_cases(r);
  const json& c = case_of(cases, r[2].spec.id);
  EXPECT_EQ(c["status"], "failed");
  ASSERT_TRUE(c["error"].is_string());
  EXPECT_TRUE(contains(c["error"], "killed by SIGKILL")) << c["error"];
  EXPECT_TRUE(contains(c["error"], "repetition 3")) << c["error"];  // index 2, counted from 1
  const json& m = c["metrics"]["round_trip_ns_p50"];
  EXPECT_EQ(m["n"], 4);
  EXPECT_EQ(m["values"], (json{300.0, 400.0, 600.0, 700.0}));
  EXPECT_DOUBLE_EQ(m["median"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(m["floor_ratio"].get<double>(), 5.0);
  EXPECT_EQ(c["repetitions"].size(), 5u);  // the failed one is kept
  // The others are untouched.
  EXPECT_EQ(case_of(cases, r[3].spec.id)["status"], "ok");
}

TEST(Results, EmptyAndInterruptedCases) {
  auto r = records();
  r[3].repetitions.clear();
  r[2].interrupted = true;
  const json cases = summarize_cases(r);
  const json& empty = case_of(cases, r[3].spec.id);
  EXPECT_EQ(empty["status"], "not-run");
  EXPECT_TRUE(empty["error"].is_null());
  EXPECT_TRUE(empty["metrics"].empty());
  EXPECT_TRUE(empty["repetitions"].empty());
  const json& cut = case_of(cases, r[2].spec.id);
  EXPECT_EQ(cut["status"], "interrupted");
  EXPECT_EQ(cut["metrics"]["round_trip_ns_p50"]["n"], 5);
  // Interrupted before its first repetition finished: still interrupted, not not-run.
  r[3].interrupted = true;
  EXPECT_EQ(case_of(summarize_cases(r), r[3].spec.id)["status"], "interrupted");
}

// ---- summary table and CSV ----------------------------------------------------------

TEST(Results, SummaryTableShowsEveryCaseAndItsRatio) {
  auto r = records();
  r[3].spec.oversubscribed = true;
  const std::string table = summary_table(summarize_cases(r));
  const auto lines = lines_of(table);
  ASSERT_EQ(lines.size(), 1 + r.size()) << table;
  EXPECT_TRUE(contains(lines[0], "case")) << table;
  EXPECT_TRUE(contains(lines[0], "median")) << table;
  EXPECT_TRUE(contains(lines[0], "x floor")) << table;
  for (std::size_t i = 0; i < r.size(); ++i) EXPECT_TRUE(contains(lines[i + 1], r[i].spec.id)) << table;
  const std::string& pingpong = lines[3];
  EXPECT_TRUE(contains(pingpong, "round_trip_ns_p50")) << pingpong;
  EXPECT_TRUE(contains(pingpong, "500 ns")) << pingpong;
  EXPECT_TRUE(contains(pingpong, "[300 ns, 700 ns]")) << pingpong;
  EXPECT_TRUE(contains(pingpong, "1000 ns")) << pingpong;  // its p99
  EXPECT_TRUE(contains(pingpong, "5.0x")) << pingpong;
  EXPECT_TRUE(contains(pingpong, "wide spread")) << pingpong;
  // Streaming shows messages per second, and the ratio of its bandwidth to the floor.
  const std::string& streaming = lines[4];
  EXPECT_TRUE(contains(streaming, "throughput_msgs_per_s")) << streaming;
  EXPECT_TRUE(contains(streaming, "125.00 M/s")) << streaming;
  EXPECT_TRUE(contains(streaming, "10.0x")) << streaming;
  EXPECT_TRUE(contains(streaming, "oversubscribed")) << streaming;
  EXPECT_TRUE(contains(lines[2], "10.00 GB/s")) << lines[2];
  // Columns line up: every case id starts a line, padded to the same width.
  const auto col = lines[0].find("metric");
  for (const auto& l : lines) EXPECT_EQ(l.find_first_not_of(' ', col), col) << l;
}

// The harness's ceiling: each case against the reference case (structure
// "reference") of the same workload, size, workers and placement.
TEST(Results, ReferenceRatioAndItsColumn) {
  auto r = records();
  auto reference_of = [](const CaseRecord& of, std::initializer_list<std::pair<const char*, double>> values) {
    CaseRecord ref{of.spec, {}, false};
    ref.spec.structure = "reference";
    ref.spec.variant = kReferenceVariant;
    ref.spec.id = to_string(of.spec.workload) + "/reference/" + kReferenceVariant + "/8B/1p1c/" + kPlacement;
    json v = json::object();
    for (const auto& [name, value] : values) v[name] = value;
    for (std::size_t i = 0; i < 5; ++i) ref.repetitions.push_back(rep(i, v));
    return ref;
  };
  r.push_back(reference_of(r[2], {{"round_trip_ns_p50", 250.0}}));            // lcrq's median: 500 ns
  r.push_back(reference_of(r[3], {{"throughput_msgs_per_s", 2.5e8}}));        // scq's: 1.25e8 /s
  CaseRecord two_producers = r[3];                                            // no 2p1c reference: no ratio
  two_producers.spec.producers = 2;
  two_producers.spec.id = "streaming/queue/scq/8B/2p1c/different-cores";
  r.push_back(two_producers);
  const json cases = summarize_cases(r);

  const json& pingpong = case_of(cases, std::string("pingpong/queue/lcrq/8B/1p1c/") + kPlacement);
  EXPECT_EQ(pingpong["reference_case"], std::string("pingpong/reference/minimal_spsc/8B/1p1c/") + kPlacement);
  EXPECT_DOUBLE_EQ(pingpong["metrics"]["round_trip_ns_p50"]["reference"].get<double>(), 250.0);
  EXPECT_DOUBLE_EQ(pingpong["metrics"]["round_trip_ns_p50"]["reference_ratio"].get<double>(), 2.0);  // latency: value / reference
  const json& streaming = case_of(cases, std::string("streaming/queue/scq/8B/1p1c/") + kPlacement);
  EXPECT_DOUBLE_EQ(streaming["metrics"]["throughput_msgs_per_s"]["reference_ratio"].get<double>(), 2.0);  // rate: reference / value
  EXPECT_FALSE(streaming["metrics"]["throughput_bytes_per_s"].contains("reference_ratio"));  // the primary metric only
  const json& reference = case_of(cases, std::string("streaming/reference/minimal_spsc/8B/1p1c/") + kPlacement);
  EXPECT_DOUBLE_EQ(reference["metrics"]["throughput_msgs_per_s"]["reference_ratio"].get<double>(), 1.0);
  EXPECT_TRUE(case_of(cases, "streaming/queue/scq/8B/2p1c/different-cores")["reference_case"].is_null());
  EXPECT_FALSE(case_of(cases, std::string("floor-cacheline/") + kPlacement).contains("reference_case"));

  const auto lines = lines_of(summary_table(cases));
  ASSERT_EQ(lines.size(), 1 + r.size());
  EXPECT_TRUE(contains(lines[0], "x reference")) << lines[0];
  EXPECT_TRUE(contains(lines[3], "2.00x")) << lines[3];
  EXPECT_TRUE(contains(lines[4], "2.00x")) << lines[4];
  EXPECT_TRUE(contains(lines[6], "1.00x")) << lines[6];
  // Without a reference case in the run, no such column.
  EXPECT_FALSE(contains(lines_of(summary_table(summarize_cases(records())))[0], "x reference"));
}

TEST(Results, SummaryTableNamesFailures) {
  auto r = records();
  r[2].repetitions[0]["status"] = "failed";
  r[2].repetitions[0]["error"] = "timed out";
  r[3].repetitions.clear();
  const std::string table = summary_table(summarize_cases(r));
  const auto lines = lines_of(table);
  ASSERT_EQ(lines.size(), 5u) << table;
  EXPECT_TRUE(contains(lines[3], "failed: repetition")) << lines[3];
  EXPECT_TRUE(contains(lines[3], "timed out")) << lines[3];
  EXPECT_TRUE(contains(lines[4], "not-run")) << lines[4];
}

TEST(Results, SummaryCsvHasTheSchemasHeaderAndOneRowPerCaseAndMetric) {
  const auto r = records();
  const json cases = summarize_cases(r);
  const auto lines = lines_of(summary_csv(cases));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], kCsvHeader);
  const std::size_t columns = csv_fields(kCsvHeader).size();
  EXPECT_EQ(columns, 21u);
  std::size_t expected_rows = 0;
  for (const auto& c : cases) expected_rows += c["metrics"].size();
  ASSERT_EQ(lines.size(), 1 + expected_rows);
  EXPECT_EQ(expected_rows, 2u + 1 + 4 + 3);

  bool found_pingpong = false, found_probe = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = csv_fields(lines[i]);
    ASSERT_EQ(f.size(), columns) << lines[i];
    if (f[0] == std::string("pingpong/queue/lcrq/8B/1p1c/") + kPlacement && f[9] == "round_trip_ns_p50") {
      found_pingpong = true;
      EXPECT_EQ(f[1], "pingpong");
      EXPECT_EQ(f[2], "queue");
      EXPECT_EQ(f[3], "lcrq");
      EXPECT_EQ(f[4], "8");
      EXPECT_EQ(f[5], "1");
      EXPECT_EQ(f[6], "1");
      EXPECT_EQ(f[7], kPlacement);
      EXPECT_EQ(f[8], "ok");
      EXPECT_EQ(f[10], "ns");
      EXPECT_EQ(f[11], "lower");
      EXPECT_EQ(f[12], "5");
      EXPECT_EQ(f[13], "500");
      EXPECT_EQ(f[14], "300");
      EXPECT_EQ(f[15], "700");
      EXPECT_EQ(f[16], "300");
      EXPECT_EQ(f[17], "700");
      EXPECT_EQ(f[18], "true");
      EXPECT_EQ(f[19], "100");
      EXPECT_EQ(f[20], "5");
    }
    if (f[0] == std::string("floor-shm-read/") + kPlacement) {
      found_probe = true;
      EXPECT_EQ(f[2], "");   // a probe has no structure
      EXPECT_EQ(f[3], "");   // nor variant
      EXPECT_EQ(f[19], "");  // nor floor
      EXPECT_EQ(f[20], "");
      EXPECT_EQ(f[13], "1e+10");
    }
  }
  EXPECT_TRUE(found_pingpong);
  EXPECT_TRUE(found_probe);
}

TEST(Results, SummaryCsvRowOfACaseWithoutMetricsAndQuoting) {
  auto r = records();
  r[3].repetitions.clear();
  r[2].spec.id = "pingpong/queue/lcrq/8B/1p1c/\"odd\",placement";
  const auto lines = lines_of(summary_csv(summarize_cases(r)));
  std::size_t not_run_rows = 0, quoted_rows = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = csv_fields(lines[i]);
    ASSERT_EQ(f.size(), 21u) << lines[i];
    if (f[0] == r[3].spec.id) {
      ++not_run_rows;
      EXPECT_EQ(f[8], "not-run");
      for (std::size_t k = 9; k < f.size(); ++k) EXPECT_EQ(f[k], "") << k << ": " << lines[i];
    }
    if (f[0] == r[2].spec.id) {
      ++quoted_rows;
      EXPECT_EQ(lines[i].rfind("\"pingpong/queue/lcrq/8B/1p1c/\"\"odd\"\",placement\",", 0), 0u) << lines[i];
    }
  }
  EXPECT_EQ(not_run_rows, 1u);
  EXPECT_EQ(quoted_rows, 4u);  // one per metric of the case
}

}  // namespace
