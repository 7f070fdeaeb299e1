// One experiment from config to results folder: what `zeroipc-harness` does.
//
//   RunOptions o;  o.experiment_file = "experiments/quick.toml";  o.overrides = {"repetitions=3"};
//   int exit_code = run_experiment(o);
//
// Loads and checks the config, plans (printing the plan), calibrates the
// clock, collects the context, then runs every repetition of every case in
// the interleaved schedule: a fresh segment per repetition, the workers
// started and watched by the supervisor, every message verified, a live
// progress line on stderr. Ctrl-C (SIGINT) or SIGTERM stops the run: the
// workers are killed, the segment unlinked, and the finished repetitions are
// written as an "interrupted" run. Writes results/<date>-<name>-<commit>/
// (results.json, summary.csv, summary.txt) and prints the summary table.
//
// Exit codes: 0 every case ok; 1 some case failed (the others are still
// reported); 2 bad config or a plan that cannot run (nothing ran);
// 130 interrupted.
#pragma once

#include <string>
#include <vector>

namespace zeroipc::harness {

struct RunOptions {
  std::string experiment_file;
  std::vector<std::string> overrides;
  std::string results_root = "results";
  std::string source_dir;  // the repository, for git facts in the context
  std::string dir_file;    // if set, the results folder's path is written here
  bool plan_only = false;  // print the plan and stop
};

int run_experiment(const RunOptions& options);

}  // namespace zeroipc::harness
