// zeroipc/harness/results.cpp — metric summaries, floors, table, CSV.
#include "zeroipc/harness/results.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/stats.h"

namespace zeroipc::harness {

namespace {

using nlohmann::json;

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

const json* metric_of(const json& c, const std::string& name) {
  if (!c.contains("metrics") || !c["metrics"].contains(name)) return nullptr;
  return &c["metrics"][name];
}

std::optional<double> median_of(const json& c, const std::string& name) {
  const json* m = metric_of(c, name);
  if (!m || !(*m)["median"].is_number()) return std::nullopt;
  return (*m)["median"].get<double>();
}

// The floor of `metric` and whether it is a bandwidth (ratio = floor / value).
std::optional<std::pair<double, bool>> floor_for(const std::string& metric, const json* latency_floor,
                                                 const json* bandwidth_floor) {
  if (latency_floor) {
    if (auto rtt = median_of(*latency_floor, "round_trip_ns_p50")) {
      if (starts_with(metric, "round_trip_ns")) return std::pair{*rtt, false};
      if (starts_with(metric, "one_way_ns")) return std::pair{*rtt / 2, false};
    }
  }
  if (bandwidth_floor && metric == "throughput_bytes_per_s") {
    if (auto bw = median_of(*bandwidth_floor, "throughput_bytes_per_s")) return std::pair{*bw, true};
  }
  return std::nullopt;
}

json metric_json(const std::string& name, const std::vector<double>& values) {
  const Summary s = summarize(values);
  return {{"unit", metric_unit(name)}, {"better", metric_better(name)}, {"values", values},
          {"n", s.n},                  {"median", s.median},            {"ci_low", s.ci_low},
          {"ci_high", s.ci_high},      {"ci_level", s.ci_level},        {"min", s.min},
          {"max", s.max},              {"mean", s.mean},                {"stddev", s.stddev},
          {"wide_spread", s.wide_spread}, {"note", s.note},             {"floor", nullptr},
          {"floor_ratio", nullptr},    {"floor_ratio_ci", nullptr}};
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// 3-4 significant figures, with an SI prefix for rates.
std::string human(double v, const std::string& unit) {
  if (!std::isfinite(v)) return "-";
  if (unit == "ns") return v >= 100000 ? fixed(v / 1000, 1) + " us" : fixed(v, v < 100 ? 1 : 0) + " ns";
  const char* suffix = unit == "bytes/s" ? "B/s" : unit == "ops/s" ? "ops/s" : "/s";
  if (v >= 1e9) return fixed(v / 1e9, 2) + " G" + suffix;
  if (v >= 1e6) return fixed(v / 1e6, 2) + " M" + suffix;
  if (v >= 1e3) return fixed(v / 1e3, 2) + " k" + suffix;
  return fixed(v, 1) + " " + suffix;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
  }
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_float()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  return v.dump();
}

}  // namespace

std::string metric_unit(const std::string& metric) {
  if (metric.find("_ns") != std::string::npos) return "ns";
  if (metric == "throughput_bytes_per_s") return "bytes/s";
  if (metric == "throughput_ops_per_s") return "ops/s";
  return "msgs/s";
}

std::string metric_better(const std::string& metric) { return metric_unit(metric) == "ns" ? "lower" : "higher"; }

std::string primary_metric(Workload w) { return w->metrics.primary; }

void add_percentiles(json& values, const std::string& prefix, const Histogram& h) {
  if (h.count() == 0) return;
  const HistogramSummary s = h.summary();
  values[prefix + "_p50"] = s.p50;
  values[prefix + "_p90"] = s.p90;
  values[prefix + "_p99"] = s.p99;
  values[prefix + "_p999"] = s.p999;
  values[prefix + "_max"] = s.max;
}

namespace {

// One of zeroipc's own transports, as the baselines registry marks them.
bool is_zeroipc_transport(const json& c) {
  return c["structure"] == "transport" && c["variant"].is_string() &&
         baselines::transport_info(c["variant"].get<std::string>()).zeroipc;
}

// Transport cases: their primary metric against the best zeroipc transport of
// the same workload, message size and placement in this run (the comparison
// on identical work): "best_zeroipc" (its median), "best_zeroipc_ratio" (how
// many times worse this one is: median / best for latency, best / median for
// throughput; 1 for the best itself), and the case's "best_zeroipc_case".
void add_best_zeroipc(json& cases) {
  for (auto& c : cases) {
    if (c["structure"] != "transport") continue;
    c["best_zeroipc_case"] = nullptr;
    const std::string primary = c["primary_metric"];
    if (c["status"] != "ok" || !c["metrics"].contains(primary)) continue;
    const bool lower_better = metric_better(primary) == "lower";
    const json* best = nullptr;
    for (const auto& d : cases) {
      if (!is_zeroipc_transport(d) || d["status"] != "ok" || d["workload"] != c["workload"] ||
          d["message_size"] != c["message_size"] || d["placement"] != c["placement"] ||
          !d["metrics"].contains(primary)) {
        continue;
      }
      const double v = d["metrics"][primary]["median"];
      if (!best || (lower_better ? v < (*best)["metrics"][primary]["median"].get<double>()
                                 : v > (*best)["metrics"][primary]["median"].get<double>())) {
        best = &d;
      }
    }
    if (!best) continue;
    json& m = c["metrics"][primary];
    const double b = (*best)["metrics"][primary]["median"], med = m["median"];
    c["best_zeroipc_case"] = (*best)["id"];
    m["best_zeroipc"] = b;
    m["best_zeroipc_ratio"] = lower_better ? ratio(med, b) : ratio(b, med);
  }
}

// Every measured case against the harness's ceiling: the reference case
// (structure "reference", the minimal SPSC ring) of the same workload,
// message size, workers and placement in this run, on the primary metric:
// "reference" (its median), "reference_ratio" (how many times worse this one
// is: median / reference for latency, reference / median for throughput; 1
// for the reference itself), and the case's "reference_case". Cases with no
// such reference (other workers, no reference in the run) get null.
void add_reference(json& cases) {
  for (auto& c : cases) {
    if (!c["structure"].is_string()) continue;  // a floor probe
    c["reference_case"] = nullptr;
    const std::string primary = c["primary_metric"];
    if (c["status"] != "ok" || !c["metrics"].contains(primary)) continue;
    const json* reference = nullptr;
    for (const auto& d : cases) {
      if (d["structure"] == "reference" && d["status"] == "ok" && d["workload"] == c["workload"] &&
          d["message_size"] == c["message_size"] && d["producers"] == c["producers"] &&
          d["consumers"] == c["consumers"] && d["placement"] == c["placement"] && d["metrics"].contains(primary)) {
        reference = &d;
        break;
      }
    }
    if (!reference) continue;
    json& m = c["metrics"][primary];
    const double r = (*reference)["metrics"][primary]["median"], med = m["median"];
    c["reference_case"] = (*reference)["id"];
    m["reference"] = r;
    m["reference_ratio"] = metric_better(primary) == "lower" ? ratio(med, r) : ratio(r, med);
  }
}

}  // namespace

json summarize_cases(const std::vector<CaseRecord>& records) {
  json cases = json::array();
  std::map<std::string, std::size_t> index_of_case;
  for (const auto& r : records) {
    json c = r.spec.to_json();
    auto reps = r.repetitions;
    std::sort(reps.begin(), reps.end(), [](const json& a, const json& b) { return a["index"] < b["index"]; });
    std::string error;
    std::map<std::string, std::vector<double>> values;
    for (const auto& rep : reps) {
      if (rep["status"] != "ok") {
        if (error.empty()) {
          error = "repetition " + std::to_string(rep["index"].get<std::size_t>() + 1) + ": " + rep["error"].get<std::string>();
        }
        continue;
      }
      for (auto& [k, v] : rep["values"].items()) values[k].push_back(v.get<double>());
    }
    c["status"] = !error.empty() ? "failed" : r.interrupted ? "interrupted" : reps.empty() ? "not-run" : "ok";
    c["error"] = error.empty() ? json(nullptr) : json(error);
    c["primary_metric"] = primary_metric(r.spec.workload);
    c["metrics"] = json::object();
    for (const auto& [name, v] : values) c["metrics"][name] = metric_json(name, v);
    c["repetitions"] = reps;
    index_of_case[r.spec.id] = cases.size();
    cases.push_back(std::move(c));
  }
  // Floors: the probes ran in the same interleaved schedule as the cases.
  for (auto& c : cases) {
    auto probe = [&](const char* key) -> const json* {
      if (!c[key].is_string()) return nullptr;
      auto it = index_of_case.find(c[key].get<std::string>());
      return it == index_of_case.end() ? nullptr : &cases[it->second];
    };
    const json* latency = probe("floor_case");
    const json* bandwidth = probe("bandwidth_floor_case");
    for (auto& [name, m] : c["metrics"].items()) {
      auto f = floor_for(name, latency, bandwidth);
      if (!f || f->first <= 0) continue;
      const auto [floor, bandwidth_like] = *f;
      const double med = m["median"], lo = m["ci_low"], hi = m["ci_high"];
      m["floor"] = floor;
      if (bandwidth_like) {
        m["floor_ratio"] = ratio(floor, med);
        m["floor_ratio_ci"] = {ratio(floor, hi), ratio(floor, lo)};
      } else {
        m["floor_ratio"] = ratio(med, floor);
        m["floor_ratio_ci"] = {ratio(lo, floor), ratio(hi, floor)};
      }
    }
  }
  add_best_zeroipc(cases);
  add_reference(cases);
  return cases;
}

std::string summary_table(const json& cases) {
  struct Row {
    std::string id, metric, median, ci, p99, ratio, zeroipc, reference, note;
  };
  bool transports = false, references = false;
  for (const auto& c : cases) {
    transports = transports || c["structure"] == "transport";
    references = references || c["structure"] == "reference";
  }
  std::vector<Row> rows{{"case", "metric", "median", "CI of median", "p99", "x floor",
                         transports ? "x best zeroipc" : "", references ? "x reference" : "", ""}};
  for (const auto& c : cases) {
    Row row;
    row.id = c["id"];
    const std::string primary = c["primary_metric"];
    row.metric = primary;
    if (const json* m = metric_of(c, primary)) {
      const std::string unit = (*m)["unit"];
      row.median = human((*m)["median"], unit);
      row.ci = "[" + human((*m)["ci_low"], unit) + ", " + human((*m)["ci_high"], unit) + "]";
      const json* ratio_source = m;
      if ((*m)["floor_ratio"].is_null()) ratio_source = metric_of(c, "throughput_bytes_per_s");
      if (ratio_source && (*ratio_source)["floor_ratio"].is_number()) {
        row.ratio = fixed((*ratio_source)["floor_ratio"], 1) + "x";
      }
      if (m->contains("best_zeroipc_ratio") && (*m)["best_zeroipc_ratio"].is_number()) {
        row.zeroipc = fixed((*m)["best_zeroipc_ratio"], 1) + "x";
      }
      if (m->contains("reference_ratio") && (*m)["reference_ratio"].is_number()) {
        row.reference = fixed((*m)["reference_ratio"], 2) + "x";
      }
      if ((*m)["wide_spread"].get<bool>()) row.note = "wide spread";
    }
    const std::string p99_name =
        starts_with(primary, "round_trip") ? "round_trip_ns_p99" : "one_way_ns_p99";
    if (const json* p = metric_of(c, p99_name)) row.p99 = human((*p)["median"], "ns");
    if (c["status"] != "ok") row.note = c["status"].get<std::string>() + (c["error"].is_string() ? ": " + c["error"].get<std::string>() : "");
    if (c["oversubscribed"].get<bool>()) row.note += (row.note.empty() ? "" : "; ") + std::string("oversubscribed");
    rows.push_back(std::move(row));
  }
  std::size_t w[8] = {};
  for (const auto& r : rows) {
    const std::string* cells[] = {&r.id, &r.metric, &r.median, &r.ci, &r.p99, &r.ratio, &r.zeroipc, &r.reference};
    for (int i = 0; i < 8; ++i) w[i] = std::max(w[i], cells[i]->size());
  }
  std::ostringstream out;
  for (const auto& r : rows) {
    out << pad(r.id, w[0]) << "  " << pad(r.metric, w[1]) << "  " << pad(r.median, w[2], true) << "  "
        << pad(r.ci, w[3]) << "  " << pad(r.p99, w[4], true) << "  " << pad(r.ratio, w[5], true);
    if (transports) out << "  " << pad(r.zeroipc, w[6], true);
    if (references) out << "  " << pad(r.reference, w[7], true);
    if (!r.note.empty()) out << "  " << r.note;
    out << "\n";
  }
  return out.str();
}

std::string summary_csv(const json& cases) {
  std::ostringstream out;
  out << "case,workload,structure,variant,message_size,producers,consumers,placement,status,metric,unit,better,n,"
         "median,ci_low,ci_high,min,max,wide_spread,floor,floor_ratio\n";
  for (const auto& c : cases) {
    const std::string head = csv_cell(c["id"]) + "," + csv_cell(c["workload"]) + "," + csv_cell(c["structure"]) +
                             "," + csv_cell(c["variant"]) + "," + csv_cell(c["message_size"]) + "," +
                             csv_cell(c["producers"]) + "," + csv_cell(c["consumers"]) + "," +
                             csv_cell(c["placement"]) + "," + csv_cell(c["status"]);
    if (c["metrics"].empty()) {
      out << head << ",,,,,,,,,,,,\n";
      continue;
    }
    for (const auto& [name, m] : c["metrics"].items()) {
      out << head << "," << name;
      for (const char* k : {"unit", "better", "n", "median", "ci_low", "ci_high", "min", "max", "wide_spread",
                            "floor", "floor_ratio"}) {
        out << "," << csv_cell(m[k]);
      }
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace zeroipc::harness
