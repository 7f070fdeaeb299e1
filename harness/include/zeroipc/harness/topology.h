// Machine topology for placing workers: which PUs this process may use, which
// of them share a core (SMT siblings), an L3, a NUMA node.
//
// Built from hwloc when the harness is built with it (ZEROIPC_HARNESS_HWLOC);
// otherwise from sched_getaffinity plus /sys/devices/system/cpu/cpuN/topology,
// which knows cores and packages but not L3 or NUMA: placements that need those
// are then reported unavailable, never guessed.
//
// A Topology is a plain copyable snapshot: the hwloc handle is released once
// the facts are read, so it can be passed around and printed freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace zeroipc::harness {

// How the workers of one run sit relative to each other.
enum class Placement {
  same_core,       // all on PUs of one core (SMT siblings); one PU when there is no SMT
  different_cores, // one physical core each
  same_l3,         // different cores that share one L3
  different_l3,    // one L3 each
  same_numa,       // different cores in one NUMA node
  different_numa,  // one NUMA node each
};

inline constexpr Placement kAllPlacements[] = {Placement::same_core, Placement::different_cores,
                                               Placement::same_l3,   Placement::different_l3,
                                               Placement::same_numa, Placement::different_numa};

// "same-core", "different-cores", ...; parse_placement is its inverse (nullopt for unknown names).
std::string_view to_string(Placement p);
std::optional<Placement> parse_placement(std::string_view name);

// One usable processing unit. Ids other than os_index are dense logical ids
// (0, 1, ...) in topology order; -1 means "not known" (no hwloc).
struct Pu {
  int os_index = -1; // what sched_setaffinity / sched_getcpu speak
  int core = -1;
  int l3 = -1;
  int numa = -1;
  int package = -1;
};

// Whether the machine can offer a placement, and why not / what to know about it.
struct PlacementOffer {
  Placement placement{};
  bool available = false;
  std::string reason; // why not, when !available ("different-l3: only one L3 on this machine")
  std::string note;   // caveat when available ("same-core: no SMT, both workers share PU 0")
};

class Topology {
public:
  // Discovers the machine now. Throws std::runtime_error if not even the
  // process's own affinity mask can be read.
  Topology();

  const std::vector<Pu>& pus() const { return pus_; } // usable by this process, sorted by os_index
  int online_pus() const { return online_pus_; }      // the machine's, usable or not
  int cores() const;
  int l3_count() const;   // 0 when unknown
  int numa_count() const; // 0 when unknown
  int packages() const;
  bool smt() const; // some core has two or more usable PUs
  const std::string& source() const { return source_; } // "hwloc 2.9.0" or "sched_getaffinity + sysfs"

  // "1 package, 2 cores, 2 PUs, 1 L3 (32 MiB), 1 NUMA node"
  std::string summary() const;
  nlohmann::json to_json() const;

  // OS PU index for each of `workers` workers, or nullopt when this machine
  // cannot offer the placement for that many workers. Deterministic: the same
  // machine gives the same answer. Throws std::invalid_argument for an unknown
  // name or workers < 1 (a configuration error, not a machine limit).
  std::optional<std::vector<int>> place(std::string_view placement, int workers) const;
  std::optional<std::vector<int>> place(Placement placement, int workers) const;

  // Every placement with available/reason/note for `workers` workers.
  std::vector<PlacementOffer> available_placements(int workers = 2) const;
  PlacementOffer offer(Placement placement, int workers = 2) const;

private:
  std::vector<Pu> pus_;
  std::vector<std::uint64_t> l3_bytes_; // indexed by Pu::l3
  int online_pus_ = 0;
  std::string source_;
};

// Binds the calling process to one PU. With hwloc this binds every thread of
// the process (HWLOC_CPUBIND_PROCESS); the fallback binds the calling thread,
// which is the whole worker when it pins before starting threads (new threads
// inherit the mask). Throws std::runtime_error naming the PU and errno's text.
void pin_current_process(int pu);

// The PU the calling thread runs on now (sched_getcpu), -1 if unknown.
int current_pu();

} // namespace zeroipc::harness
