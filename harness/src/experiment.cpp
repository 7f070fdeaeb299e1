// zeroipc/harness/experiment.cpp — the run loop: plan, repetitions, progress, results folder.
#include "zeroipc/harness/experiment.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "zeroipc/baselines/redis_server.h"
#include "zeroipc/harness/config.h"
#include "zeroipc/harness/context.h"
#include "zeroipc/harness/counters.h"
#include "zeroipc/harness/results.h"
#include "zeroipc/harness/supervisor.h"
#include "zeroipc/harness/topology.h"
#include "zeroipc/harness/worker.h"

namespace zeroipc::harness {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and the supervisor sees the flag
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

// The live line on stderr: redrawn in place on a terminal, a plain line every
// 10 s otherwise (CI logs).
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), start_(Clock::now()), tty_(::isatty(STDERR_FILENO)) {}

  void show(std::size_t done, const std::string& current) {
    const double elapsed = seconds_since(start_);
    const bool due = tty_ || done == total_ || seconds_since(last_) >= 10.0 || done == 0;
    if (!due) return;
    last_ = Clock::now();
    std::string line = "[" + std::to_string(done) + "/" + std::to_string(total_) + "] " + clock_text(elapsed) +
                       " elapsed";
    if (done > 0 && done < total_) {
      line += ", ETA " + clock_text(elapsed / static_cast<double>(done) * static_cast<double>(total_ - done));
    }
    if (!current.empty()) line += "  " + current;
    if (tty_) std::cerr << "\r\033[K" << line << std::flush;
    else std::cerr << line << "\n";
  }
  // A message on its own line, without breaking the live one.
  void message(const std::string& text) {
    if (tty_) std::cerr << "\r\033[K";
    std::cerr << text << "\n";
  }
  void finish() {
    if (tty_) std::cerr << "\n";
  }

 private:
  static double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
  }
  std::size_t total_;
  Clock::time_point start_, last_{};
  bool tty_;
};

// The smallest step the clock takes between two reads, in ns: what a latency
// below a few of these steps can still resolve.
double clock_resolution_ns(const ClockCalibration& c) {
  std::uint64_t best = UINT64_MAX;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t a = c.now_ticks(), b = c.now_ticks();
    if (b > a) best = std::min(best, b - a);
  }
  if (best == UINT64_MAX) return 0;
  return static_cast<double>(best) * static_cast<double>(c.mult) / std::ldexp(1.0, static_cast<int>(c.shift));
}

std::uint64_t u64(const json& j, const char* key) { return j.at(key).get<std::uint64_t>(); }

// The Repetition object of results/README.md from the workers' reports.
json assemble(const RunParams& p, const WorkersOutcome& outcome, RunSegment& segment, std::size_t index,
              std::size_t order) {
  json rep = {{"index", index}, {"order", order}, {"status", "ok"}, {"error", nullptr}};
  if (outcome.status != WorkersOutcome::Status::ok) {
    rep["status"] = "failed";
    rep["error"] = outcome.error;
    return rep;
  }
  const auto& reports = outcome.reports;

  // Verification: everything sent was received exactly once, intact.
  std::uint64_t sent = 0, sent_hash = 0, received = 0, received_hash = 0, corrupt = 0, out_of_order = 0;
  for (const auto& r : reports) {
    const auto& t = r.at("tally");
    sent += u64(t, "sent");
    sent_hash += u64(t, "sent_hash");
    received += u64(t, "received");
    received_hash += u64(t, "received_hash");
    corrupt += u64(t, "corrupt");
    out_of_order += u64(t, "out_of_order");
  }
  const Workload w = p.workload;
  const RunSegment::Leftovers left = segment.drain();  // nothing for a stream: it is read, not popped
  // A multicast workload (fanout): every consumer receives every message, so
  // the receivers together see each sent message `consumers` times (counts
  // and multiset hashes alike, the hashes modulo 2^64).
  const std::uint64_t copies = w->multicast ? static_cast<std::uint64_t>(p.consumers) : 1;
  const bool hash_match = sent_hash * copies == received_hash + left.hash;
  rep["verification"] = {{"sent", sent},
                         {"received", received},
                         {"left_in_structure", left.count},
                         {"corrupt", corrupt + left.corrupt},
                         {"out_of_order", out_of_order},
                         {"multiset_hash_match", hash_match}};
  if (w->multicast) rep["verification"]["expected_received"] = sent * copies;
  std::vector<std::string> problems;
  if (sent * copies != received + left.count || !hash_match) {
    problems.push_back("lost or duplicated messages: sent " + std::to_string(sent) +
                       (w->multicast ? " to each of " + std::to_string(copies) + " subscribers" : "") + ", received " +
                       std::to_string(received) + " (+" + std::to_string(left.count) + " left in the structure)" +
                       (hash_match ? "" : ", the multisets differ"));
  }
  if (const auto want = w->expected_sent ? w->expected_sent(p) : 0; want != 0 && sent != want) {
    problems.push_back("the senders sent " + std::to_string(sent) + " messages, expected " + std::to_string(want));
  }
  if (left.count != 0 && hash_match) {
    problems.push_back(std::to_string(left.count) + " messages were still in the structure after the receivers stopped");
  }
  if (corrupt + left.corrupt != 0) {
    problems.push_back(std::to_string(corrupt + left.corrupt) +
                       (w->is_floor() ? " passes read back wrong data" : " corrupt messages"));
  }
  if (out_of_order != 0) problems.push_back(std::to_string(out_of_order) + " messages out of per-producer order");
  if (!problems.empty()) {
    std::string all;
    for (const auto& s : problems) all += (all.empty() ? "" : "; ") + s;
    rep["status"] = "failed";
    rep["error"] = all;
  }

  // Timing.
  std::uint64_t start = UINT64_MAX, end = 0, messages = 0, bytes = 0;
  for (const auto& r : reports) {
    if (u64(r, "end_ticks") == 0) continue;  // floor-shm-read's writer times nothing
    start = std::min(start, u64(r, "start_ticks"));
    end = std::max(end, u64(r, "end_ticks"));
  }
  for (std::size_t i = 0; i < reports.size(); ++i) {
    if (!p.counted(static_cast<int>(i))) continue;  // a receiver: counted once, at the sender (fanout: emitted)
    messages += u64(reports[i], "timed_messages");
    bytes += u64(reports[i], "bytes");
  }
  const std::uint64_t elapsed_ns = end > start ? p.clock.to_ns(end - start) : 0;
  rep["messages"] = messages;
  rep["bytes"] = bytes;
  rep["elapsed_ns"] = elapsed_ns;

  json values = json::object();
  json histograms = json::object();
  if (w->metrics.round_trip_ns) {
    const Histogram h = Histogram::from_json(reports.at(0).at("round_trip_ns"));
    add_percentiles(values, "round_trip_ns", h);
    histograms["round_trip_ns"] = h.to_json();
  }
  if (p.samples > 0) {
    std::uint64_t skewed = 0;
    Histogram h;
    for (auto ns : segment.one_way_ns(skewed)) h.record(ns);
    add_percentiles(values, "one_way_ns", h);
    if (h.count() > 0) histograms["one_way_ns"] = h.to_json();
    rep["one_way_note"] =
        skewed == 0 ? "" : std::to_string(skewed) + " samples had the receiver's stamp before the sender's (clock skew between PUs): dropped";
  }
  const double seconds = static_cast<double>(elapsed_ns) / 1e9;
  if (seconds > 0) {
    if (w->metrics.msgs_per_s) values["throughput_msgs_per_s"] = static_cast<double>(messages) / seconds;
    if (w->metrics.ops_per_s) values["throughput_ops_per_s"] = static_cast<double>(messages) / seconds;
    if (w->metrics.bytes_per_s) values["throughput_bytes_per_s"] = static_cast<double>(bytes) / seconds;
  }
  rep["values"] = values;
  rep["histograms"] = histograms;

  json workers = json::array();
  for (const auto& r : reports) {
    json sw = r.at("software");
    workers.push_back({{"role", r.at("role")},
                       {"index", r.at("role_index")},
                       {"pid", r.at("pid")},
                       {"pu", r.at("pu")},
                       {"pu_at_end", r.at("pu_at_end")},
                       {"waits", r.at("waits")},
                       {"software", sw},
                       {"counters", r.at("counters")}});
  }
  rep["workers"] = workers;
  if (p.is_map()) rep["store"] = reports.at(0).value("store", json(nullptr));
  if (p.is_transport()) {
    rep["link"] = {{"client", reports.at(0).value("link", json(nullptr))},
                   {"server", reports.at(1).value("link", json(nullptr))}};
  }
  return rep;
}

std::filesystem::path results_folder(const std::string& root, const json& context, const std::string& name) {
  const std::string date = context.value("timestamp", std::string("unknown-date")).substr(0, 10);
  const std::string commit = context["git_commit"].is_string() ? context["git_commit"].get<std::string>() : "unknown";
  const std::filesystem::path base = std::filesystem::path(root) / (date + "-" + name + "-" + commit);
  std::filesystem::path dir = base;
  for (int n = 2; std::filesystem::exists(dir); ++n) dir = base.string() + "-" + std::to_string(n);
  return dir;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path);
}

void print_plan(const Plan& plan, const Config& config, const RunOptions& o, const Topology& topology,
                const ClockInfo& clock) {
  std::cout << "experiment " << config.get_string("experiment", "name") << " (" << o.experiment_file << "): "
            << plan.cases.size() << " cases x " << plan.repetitions << " repetitions = " << plan.schedule.size()
            << " runs, interleaved (seed " << plan.seed << ")\n";
  std::cout << "machine: " << topology.summary() << "; clock: " << clock.source << "; counters: " << counters_status()
            << "\n";
  for (const auto& c : plan.cases) {
    std::cout << "  " << c.id << "  on PUs";
    for (int pu : c.pus) std::cout << " " << pu;
    std::cout << (c.oversubscribed ? "  (oversubscribed)" : "") << "\n";
  }
  for (const auto& s : plan.skipped) std::cout << "  skipped " << s.id << ": " << s.reason << "\n";
  for (const auto& n : plan.notes) std::cout << "  note: " << n << "\n";
  std::cout << std::flush;
}

}  // namespace

int run_experiment(const RunOptions& o) {
  Config config;
  Plan plan;
  Topology topology;
  try {
    config = load_config(o.experiment_file, o.overrides);
    plan = make_plan(config, topology);
  } catch (const std::exception& e) {
    std::cerr << "zeroipc-harness: " << e.what() << "\n";
    return 2;
  }
  const ClockCalibration calibration = calibrate_clock();
  const ClockInfo clock = clock_info(calibration);
  print_plan(plan, config, o, topology, clock);
  if (o.plan_only) return 0;

  for (const auto& s : remove_stale_segments()) std::cerr << "removed stale " << s << " of a dead harness\n";
  json context = collect_context(o.source_dir, topology);  // load average before the run
  context["clock"] = {{"source", clock.source},
                      {"ticks_per_ns", clock.ticks_per_ns},
                      {"uncertainty_ppm", clock.uncertainty_ppm},
                      {"resolution_ns", clock_resolution_ns(calibration)},
                      {"note", clock.note}};
  json placements = json::array();
  for (const auto& offer : topology.available_placements(2)) {
    placements.push_back({{"placement", std::string(to_string(offer.placement))},
                          {"available", offer.available},
                          {"reason", offer.reason},
                          {"note", offer.note}});
  }
  context["placements"] = placements;

  std::vector<CaseRecord> records;
  for (const auto& c : plan.cases) records.push_back({c, {}, false});
  std::vector<std::size_t> reps_started(plan.cases.size(), 0);

  install_stop_handlers();
  // The Redis cases' server: one for the run, pinned where the plan says,
  // stopped when this scope ends (normally, on Ctrl-C, on an error) and killed
  // by the kernel if the harness itself dies (RedisServer). If it cannot
  // start, the Redis cases fail with the reason and the others still run.
  std::unique_ptr<baselines::RedisServer> redis;
  std::string redis_error;
  if (plan.redis_pu >= 0) {
    try {
      baselines::RedisServer::Options ro;
      ro.pu = plan.redis_pu;
      redis = std::make_unique<baselines::RedisServer>(ro);
      context["redis_server"] = {{"version", redis->version()}, {"pu", redis->pu()},
                                 {"unix_socket", redis->unix_socket()}, {"port", redis->port()},
                                 {"executable", baselines::redis_server_path()}};
    } catch (const std::exception& e) {
      redis_error = std::string("the redis-server did not start: ") + e.what();
      context["redis_server"] = {{"error", redis_error}};
      std::cerr << "zeroipc-harness: " << redis_error << " (the Redis cases will fail)\n";
    }
  }
  const std::string exe = self_executable();
  const auto started = Clock::now();
  Progress progress(plan.schedule.size());
  bool interrupted = false, any_failed = false;
  for (std::size_t order = 0; order < plan.schedule.size(); ++order) {
    const std::size_t ci = plan.schedule[order];
    const CaseSpec& c = plan.cases[ci];
    const std::size_t rep_index = reps_started[ci]++;
    progress.show(order, c.id + " (repetition " + std::to_string(rep_index + 1) + "/" +
                             std::to_string(plan.repetitions) + ")");
    if (g_stop.load()) {
      interrupted = true;
      break;
    }
    RunParams params = make_run_params(c, config, calibration, run_segment_name(order));
    json rep;
    try {
      if (c.needs_redis()) {
        if (!redis) throw std::runtime_error(redis_error);
        params.redis_unix_socket = redis->unix_socket();
        params.redis_port = redis->port();
      }
      RunSegment segment(params);
      const WorkersOutcome outcome = run_workers(exe, params, config.get_number("experiment", "timeout_s"), g_stop);
      if (outcome.status == WorkersOutcome::Status::interrupted) {
        records[ci].interrupted = true;
        interrupted = true;
        break;
      }
      rep = assemble(params, outcome, segment, rep_index, order);
    } catch (const std::exception& e) {
      rep = {{"index", rep_index}, {"order", order}, {"status", "failed"}, {"error", e.what()}};
    }
    if (rep["status"] != "ok") {
      any_failed = true;
      progress.message("FAILED " + c.id + " repetition " + std::to_string(rep_index + 1) + ": " +
                       rep["error"].get<std::string>());
    }
    records[ci].repetitions.push_back(std::move(rep));
  }
  progress.show(interrupted ? 0 : plan.schedule.size(), interrupted ? "interrupted" : "done");
  progress.finish();

  // Write what finished, whatever happened.
  const json cases = summarize_cases(records);
  json doc = {{"schema", "zeroipc-results/1"},
              {"experiment",
               {{"name", config.get_string("experiment", "name")},
                {"file", o.experiment_file},
                {"overrides", o.overrides},
                {"config", config.to_json()}}},
              {"context", context},
              {"plan", plan.to_json()},
              {"status", interrupted ? "interrupted" : "complete"},
              {"elapsed_s", std::chrono::duration<double>(Clock::now() - started).count()},
              {"cases", cases}};
  const auto dir = results_folder(o.results_root, context, config.get_string("experiment", "name"));
  const std::string table = summary_table(cases);
  try {
    std::filesystem::create_directories(dir);
    write_file(dir / "results.json", doc.dump());  // compact: a run is megabytes of histogram buckets
    write_file(dir / "summary.csv", summary_csv(cases));
    write_file(dir / "summary.txt", table);
    if (!o.dir_file.empty()) write_file(o.dir_file, dir.string() + "\n");
  } catch (const std::exception& e) {
    std::cerr << "zeroipc-harness: cannot write the results: " << e.what() << "\n";
    return 1;
  }
  std::cout << "\n" << table << "\nresults: " << dir.string() << (interrupted ? " (interrupted: finished repetitions only)" : "")
            << "\n";
  if (interrupted) return 130;
  return any_failed ? 1 : 0;
}

}  // namespace zeroipc::harness
