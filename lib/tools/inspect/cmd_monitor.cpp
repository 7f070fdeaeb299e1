// zeroipc-inspect monitor: the structures of one segment, sampled every
// --interval seconds; rates are the differences of each structure's
// counters (pushes, pops, emits, ...) between two samples, per second.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>
#include <thread>

#include "commands.h"
#include "describe.h"
#include "open_segment.h"
#include "render.h"

namespace zeroipc::inspect {
namespace {

// name -> {counter -> value}
json counters_of(const json& structures) {
  json out = json::object();
  for (const json& s : structures) {
    if (s.contains("counters")) out[s["name"].get<std::string>()] = s["counters"];
  }
  return out;
}

}  // namespace

int run_monitor(const MonitorArgs& args) {
  int code = kExitOk;
  auto seg = open_segment(args.segment, code);
  if (!seg) return code;
  const Style style = Style::for_stdout();
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  const std::set<std::string> wanted(args.structures.begin(), args.structures.end());
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(args.interval));
  json previous;
  auto previous_at = std::chrono::steady_clock::now();
  auto next = previous_at;
  bool any_problem = false;
  for (std::uint64_t sample = 1; args.count == 0 || sample <= args.count; ++sample) {
    const auto now = std::chrono::steady_clock::now();
    json doc_segment = describe_segment(*seg, DescribeOptions{});
    json structures = json::array();
    for (const json& s : doc_segment.value("structures", json::array())) {
      if (wanted.empty() || wanted.count(s["name"].get<std::string>()) != 0) structures.push_back(s);
    }
    if (sample == 1 && structures.size() < wanted.size()) {
      std::set<std::string> missing = wanted;
      for (const json& s : structures) missing.erase(s["name"].get<std::string>());
      std::fprintf(stderr, "zeroipc-inspect: segment '%s' has no structure '%s'\n", seg->name().c_str(),
                   missing.begin()->c_str());
      return kExitProblem;
    }
    // Rates from the counters' differences since the previous sample.
    const json counters = counters_of(structures);
    const double dt = std::chrono::duration<double>(now - previous_at).count();
    json rates = json::object();
    for (const auto& [name, cs] : counters.items()) {
      json r = json::object();
      for (const auto& [k, v] : cs.items()) {
        const bool have = sample > 1 && previous.contains(name) && previous[name].contains(k) && dt > 0;
        // A counter that went backwards (a structure recreated, a wrapped 32-bit tag) gives no rate.
        const bool forward = have && v.get<std::uint64_t>() >= previous[name][k].get<std::uint64_t>();
        r[k + "_per_s"] = forward ? json(static_cast<double>(v.get<std::uint64_t>() - previous[name][k].get<std::uint64_t>()) / dt)
                                  : json(nullptr);
      }
      rates[name] = r;
    }
    for (json& s : structures) {
      if (rates.contains(s["name"].get<std::string>())) s["rates"] = rates[s["name"].get<std::string>()];
      any_problem |= s["status"] != "ok";
    }
    previous = counters;
    previous_at = now;
    if (args.json) {
      json line;
      line["schema"] = kSchema;
      line["command"] = "monitor";
      line["sample"] = sample;
      line["interval_s"] = sample == 1 ? json(nullptr) : json(dt);
      line["segment"] = {{"name", seg->name()},
                         {"status", doc_segment["status"]},
                         {"problems", doc_segment["problems"]},
                         {"processes", doc_segment.value("processes", json(nullptr))}};
      line["structures"] = structures;
      std::printf("%s\n", to_json_text(line).c_str());
    } else {
      if (tty) std::printf("\x1b[H\x1b[2J");
      timespec ts{};
      ::clock_gettime(CLOCK_REALTIME, &ts);
      std::tm tm{};
      char when[32] = "?";
      if (::localtime_r(&ts.tv_sec, &tm) != nullptr) std::strftime(when, sizeof when, "%H:%M:%S", &tm);
      std::string procs;
      if (doc_segment.contains("processes")) {
        const json& p = doc_segment["processes"];
        procs = ", " + std::to_string(p["alive"].get<std::uint64_t>() + p["alive_without_slot"].get<std::uint64_t>()) +
                " process(es) attached" + (p["dead"].get<std::uint64_t>() != 0 ? ", " + style.bad(p["dead"].dump() + " dead") : "");
      }
      std::printf("%s  sample %llu at %s, every %.2g s%s%s\n", style.bold("monitor " + seg->name()).c_str(),
                  static_cast<unsigned long long>(sample), when, args.interval, procs.c_str(),
                  tty && args.count == 0 ? " (Ctrl-C stops)" : "");
      json view = doc_segment;
      view["structures"] = structures;
      print_structures(stdout, view, style, &rates);
      if (!tty) std::printf("\n");
    }
    std::fflush(stdout);
    if (args.count != 0 && sample == args.count) break;
    next += period;
    std::this_thread::sleep_until(next);
  }
  return any_problem ? kExitProblem : kExitOk;
}

}  // namespace zeroipc::inspect
