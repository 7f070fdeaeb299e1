// Interleaved ratio runs of the queue variants: the performance
// targets, judged as ratios within one run.
//
//   zeroipc_variant_ratios [--rounds N] [--batch M] [--seed S] [--json FILE]
//
// Cases: 1p1c/<variant> (one producer thread pinned to core 1, one consumer
// on core 0, 8-byte messages, one way; every message checked in order; the
// producer thread is started once per case and only the transfer is timed:
// bench_common.h OneToOne), the
// hand-written 1p1c/reference_spsc, and 4p4c/<mpmc variant> (4 producers + 4
// consumers on the 2 cores; every message counted). Each round runs every case
// once, in a shuffled order (harness/stats.h interleaved_schedule), so slow
// drift and this VM's bimodal scheduling hit every case alike. A ratio of two
// cases is taken per round (same round, minutes apart at most) and summarised
// by its median with a distribution-free 95% interval.
//
// Never run this in a sanitizer build (CMake does not build it there).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>
#include <zeroipc/harness/context.h>
#include <zeroipc/harness/stats.h>
#include <zeroipc/registry.h>

#include "bench_common.h"

namespace {

using namespace zeroipc::bench;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t rounds = 21;
  std::uint64_t batch = kBatch;
  std::uint64_t seed = 20261123;
  std::string json;
};

struct Case {
  std::string name;
  std::function<double()> run;  // one batch; nanoseconds per message
};

// Nanoseconds per message of one batch (the transfer only); a lost,
// duplicated or misordered message fails the run.
template <class Q>
double one_to_one(OneToOne<Q>& pair, std::uint64_t batch, const std::string& name) {
  const Batch b = pair.run();
  if (b.errors != 0) {
    throw std::runtime_error(name + ": " + std::to_string(b.errors) + " messages out of order, corrupt or duplicated");
  }
  return b.seconds * 1e9 / static_cast<double>(batch);
}

template <class Q>
double four_by_four(Q& q, std::uint64_t batch, const std::string& name) {
  const auto t0 = Clock::now();
  const bool ok = four_by_four_batch(q, batch);
  const auto t1 = Clock::now();
  if (!ok) throw std::runtime_error(name + ": lost or duplicated messages");
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(batch / 4 * 4);
}

struct Target {
  std::string what;
  std::string numerator, denominator;  // case names; the ratio is numerator time / denominator time
  double bound;
  bool at_most;  // ratio <= bound is met (else ratio >= bound)
};

nlohmann::json summary_json(const zeroipc::harness::Summary& s) {
  return {{"n", s.n},           {"median", s.median},   {"ci_low", s.ci_low}, {"ci_high", s.ci_high},
          {"ci_level", s.ci_level}, {"min", s.min},     {"max", s.max},       {"mean", s.mean},
          {"wide_spread", s.wide_spread}, {"note", s.note}};
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--rounds") {
      o.rounds = std::stoul(value());
    } else if (a == "--batch") {
      o.batch = std::stoull(value());
    } else if (a == "--seed") {
      o.seed = std::stoull(value());
    } else if (a == "--json") {
      o.json = value();
    } else {
      throw std::invalid_argument("unknown option '" + a + "' (valid: --rounds N, --batch M, --seed S, --json FILE)");
    }
  }
  if (o.rounds < 1 || o.batch < 4) throw std::invalid_argument("--rounds must be >= 1 and --batch >= 4");
  return o;
}

int run(const Options& o) {
  Segment seg;
  // The queues outlive the cases, whose 1p1c producer threads (one per
  // case, asleep between its batches) are stopped when `cases` goes.
  auto reference = std::make_unique<ReferenceSpsc>();
  std::vector<std::shared_ptr<void>> keep;
  std::vector<Case> cases;
  auto reference_pair = std::make_shared<OneToOne<ReferenceSpsc>>(*reference, *reference, o.batch);
  cases.push_back({"1p1c/reference_spsc",
                   [reference_pair, b = o.batch] { return one_to_one(*reference_pair, b, "reference_spsc"); }});
  auto add = [&]<class V>(std::type_identity<V>) {
    using Q = zeroipc::Queue<std::uint64_t, V>;
    const std::string name(V::kName);
    auto q1 = std::make_shared<Q>(seg.mem, "q1_" + name, kCapacity);
    keep.push_back(q1);
    auto pair = std::make_shared<OneToOne<Q>>(*q1, *q1, o.batch);
    cases.push_back({"1p1c/" + name, [pair, name, b = o.batch] { return one_to_one(*pair, b, "1p1c/" + name); }});
    if constexpr (V::kMultiProducer && V::kMultiConsumer) {
      auto q4 = std::make_shared<zeroipc::Queue<std::uint64_t, V>>(seg.mem, "q4_" + name, kCapacity);
      keep.push_back(q4);
      cases.push_back({"4p4c/" + name, [q4, name, b = o.batch] { return four_by_four(*q4, b, "4p4c/" + name); }});
    }
  };
  std::apply([&](auto... v) { (add(std::type_identity<decltype(v)>{}), ...); }, zeroipc::QueueVariants{});

  // Warm-up: every case once, not recorded.
  for (auto& c : cases) c.run();

  std::map<std::string, std::vector<double>> ns;
  const auto order = zeroipc::harness::interleaved_schedule(cases.size(), o.rounds, o.seed);
  for (std::size_t k = 0; k < order.size(); ++k) {
    Case& c = cases[order[k]];
    ns[c.name].push_back(c.run());
    std::fprintf(stderr, "\r[%zu/%zu] %-28s", k + 1, order.size(), c.name.c_str());
  }
  std::fprintf(stderr, "\n");

  nlohmann::json out;
  out["context"] = zeroipc::harness::collect_context(ZEROIPC_SOURCE_DIR);
  out["config"] = {{"rounds", o.rounds}, {"batch", o.batch}, {"seed", o.seed}, {"capacity", kCapacity},
                   {"message_bytes", 8}};
  std::printf("%-28s %12s %24s %s\n", "case (ns per message)", "median", "95% CI", "");
  for (auto& c : cases) {
    const auto s = zeroipc::harness::summarize(ns[c.name]);
    std::printf("%-28s %12.2f   [%8.2f, %8.2f] %s\n", c.name.c_str(), s.median, s.ci_low, s.ci_high,
                s.wide_spread ? "(wide spread)" : "");
    out["cases"][c.name] = {{"ns_per_message", ns[c.name]}, {"summary", summary_json(s)}};
  }

  // Ratios per round: the r-th run of each case happened in the same round.
  std::vector<Target> targets = {
      {"spsc_ring within 10% of the hand-written reference", "1p1c/spsc_ring", "1p1c/reference_spsc", 1.10, true},
  };
  for (const char* v : {"vyukov_bounded", "lcrq", "scq"}) {
    targets.push_back({std::string(v) + " at least 2x locked_ring (1p1c)", "1p1c/locked_ring",
                       std::string("1p1c/") + v, 2.0, false});
  }
  for (const char* v : {"lcrq", "scq"}) {
    targets.push_back({std::string(v) + " within 1.5x of vyukov_bounded (1p1c)", std::string("1p1c/") + v,
                       "1p1c/vyukov_bounded", 1.5, true});
  }
  std::printf("\n%-52s %8s %22s  %s\n", "target (ratio of times, per round)", "median", "95% CI", "verdict");
  for (const auto& t : targets) {
    const auto& a = ns[t.numerator];
    const auto& b = ns[t.denominator];
    std::vector<double> r;
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) r.push_back(a[i] / b[i]);
    const auto s = zeroipc::harness::summarize(r);
    const bool met = t.at_most ? s.median <= t.bound : s.median >= t.bound;
    const bool sure = t.at_most ? (met ? s.ci_high <= t.bound : s.ci_low > t.bound)
                                : (met ? s.ci_low >= t.bound : s.ci_high < t.bound);
    std::printf("%-52s %8.3f   [%7.3f, %7.3f]  %s%s (%s %.2f)\n", t.what.c_str(), s.median, s.ci_low, s.ci_high,
                met ? "met" : "missed", sure ? "" : ", not significant", t.at_most ? "<=" : ">=", t.bound);
    out["targets"].push_back({{"target", t.what},
                              {"numerator", t.numerator},
                              {"denominator", t.denominator},
                              {"bound", t.bound},
                              {"at_most", t.at_most},
                              {"ratio", summary_json(s)},
                              {"met", met},
                              {"significant", sure}});
  }
  if (!o.json.empty()) {
    std::ofstream f(o.json);
    f << out.dump(2) << '\n';
    if (!f) throw std::runtime_error("cannot write " + o.json);
    std::printf("\nwrote %s\n", o.json.c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zeroipc_variant_ratios: %s\n", e.what());
    return 1;
  }
}
