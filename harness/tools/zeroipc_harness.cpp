// zeroipc-harness — runs an experiment: config -> plan -> pinned worker processes -> results folder.
//
//   zeroipc-harness [experiment.toml] [key=value ...]     (default: experiments/quick.toml)
//   zeroipc-harness experiments/queue-variants.toml variants=lcrq,scq repetitions=9
//   zeroipc-harness --plan experiments/quick.toml          # print the plan, run nothing
//   zeroipc-harness --keys                                 # every config key, type, default
//
// The same binary is its own worker (--worker <index> '<params>'); see worker.h.
// Never build it with a sanitizer for measurements: the build type and sanitizer
// are recorded in every result's context.
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "zeroipc/harness/config.h"
#include "zeroipc/harness/experiment.h"
#include "zeroipc/harness/worker.h"

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--worker") {
    return zeroipc::harness::worker_main(std::stoi(argv[2]), argv[3]);
  }
  CLI::App app{"zeroipc-harness: reproducible cross-process experiments on zeroipc structures"};
  zeroipc::harness::RunOptions o;
  o.source_dir = ZEROIPC_SOURCE_DIR;
  std::vector<std::string> args;
  bool keys = false;
  app.add_option("args", args, "experiment file (default experiments/quick.toml), then key=value overrides");
  app.add_option("--results", o.results_root, "folder that receives the results folder")->capture_default_str();
  app.add_option("--dir-file", o.dir_file, "write the results folder's path into this file");
  app.add_flag("--plan", o.plan_only, "print the plan (cases, PUs, skipped combinations) and stop");
  app.add_flag("--keys", keys, "print every config key with its type, default and meaning");
  CLI11_PARSE(app, argc, argv);
  if (keys) {
    std::cout << zeroipc::harness::describe_config_keys();
    return 0;
  }
  o.experiment_file = "experiments/quick.toml";
  std::size_t first_override = 0;
  if (!args.empty() && args[0].find('=') == std::string::npos) {
    o.experiment_file = args[0];
    first_override = 1;
  }
  o.overrides.assign(args.begin() + static_cast<std::ptrdiff_t>(first_override), args.end());
  return zeroipc::harness::run_experiment(o);
}
