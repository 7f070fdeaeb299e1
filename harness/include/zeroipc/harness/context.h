// The results' "context" block: what machine, kernel, build and commit a run
// came from and how loaded the machine was, so a result file describes itself
// and two runs can be compared knowing what differed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace zeroipc::harness {

class Topology;

// Keys: timestamp (UTC ISO-8601), hostname, kernel, cpu_model, online_cpus,
// cpufreq_governor (object cpuN -> governor, or "unknown (no cpufreq)"),
// load_average ([1, 5, 15 min], taken now: call it before the run), build_type,
// compiler, sanitizer ("none" when empty), git_commit (short hash or "unknown"),
// git_dirty (bool, null when unknown), topology (its summary), counters
// (counters_status()).
// source_dir is the repository the binary was built from (for git).
nlohmann::json collect_context(const std::string& source_dir);
// The same, reusing a topology already discovered by the caller.
nlohmann::json collect_context(const std::string& source_dir, const Topology& topology);

} // namespace zeroipc::harness
