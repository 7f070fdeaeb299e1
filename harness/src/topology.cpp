// Topology discovery and worker placement; see topology.h.
#include "zeroipc/harness/topology.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <utility>

#if ZEROIPC_HARNESS_HWLOC
#include <hwloc.h>
#endif

namespace zeroipc::harness {
namespace {

// The process's affinity mask: the PUs we may run on (taskset, cgroup cpusets).
// cpu_set_t covers 1024 CPUs, plenty for the machines this harness targets.
cpu_set_t allowed_mask() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof mask, &mask) != 0)
    throw std::runtime_error(std::string("sched_getaffinity: ") + std::strerror(errno));
  return mask;
}

std::string errno_text(const char* what, int pu, int err) {
  return std::string(what) + "(PU " + std::to_string(pu) + "): " + std::strerror(err);
}

std::string plural(long n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string bytes_text(std::uint64_t b) {
  constexpr std::uint64_t kib = 1024, mib = kib * 1024;
  if (b >= mib) return std::to_string(b / mib) + " MiB";
  return std::to_string(b / kib) + " KiB";
}

// Usable PUs grouped by one of Pu's ids, groups in id order, PUs in os_index order.
// PUs whose id is unknown (-1) are left out.
std::vector<std::vector<Pu>> group_by(const std::vector<Pu>& pus, int Pu::*key) {
  std::map<int, std::vector<Pu>> groups;
  for (const Pu& pu : pus)
    if (pu.*key >= 0) groups[pu.*key].push_back(pu);
  std::vector<std::vector<Pu>> out;
  for (auto& [id, members] : groups) out.push_back(std::move(members));
  return out;
}

// First PU of each distinct core among `pus`: workers on different cores.
std::vector<int> one_pu_per_core(const std::vector<Pu>& pus) {
  std::vector<int> out;
  std::set<int> seen;
  for (const Pu& pu : pus)
    if (seen.insert(pu.core).second) out.push_back(pu.os_index);
  return out;
}

struct Plan {
  std::optional<std::vector<int>> pus;
  std::string reason;
  std::string note;
};

// "different-X": one group per worker, the first PU of each group.
Plan spread(const std::vector<Pu>& pus, int Pu::*key, const char* one, const char* many, int workers,
            std::string_view name) {
  auto groups = group_by(pus, key);
  if (static_cast<int>(groups.size()) < workers) {
    const long n = static_cast<long>(groups.size());
    const std::string have = n == 1 ? std::string("one ") + one : plural(n, one, many);
    return {std::nullopt,
            std::string(name) + ": only " + have + " on this machine, " + std::to_string(workers) +
                " workers need one each",
            {}};
  }
  std::vector<int> out;
  for (int w = 0; w < workers; ++w) out.push_back(groups[static_cast<std::size_t>(w)].front().os_index);
  return {std::move(out), {}, {}};
}

// "same-X": different cores, all inside one group (the first group big enough).
Plan within(const std::vector<Pu>& pus, int Pu::*key, const char* what, int workers, std::string_view name) {
  std::size_t most = 0;
  for (const auto& group : group_by(pus, key)) {
    auto cores = one_pu_per_core(group);
    most = std::max(most, cores.size());
    if (static_cast<int>(cores.size()) >= workers) {
      cores.resize(static_cast<std::size_t>(workers));
      return {std::move(cores), {}, {}};
    }
  }
  return {std::nullopt,
          std::string(name) + ": no " + what + " holds " + std::to_string(workers) + " usable cores (most: " +
              std::to_string(most) + ")",
          {}};
}

} // namespace

std::string_view to_string(Placement p) {
  switch (p) {
  case Placement::same_core: return "same-core";
  case Placement::different_cores: return "different-cores";
  case Placement::same_l3: return "same-l3";
  case Placement::different_l3: return "different-l3";
  case Placement::same_numa: return "same-numa";
  case Placement::different_numa: return "different-numa";
  }
  return "unknown";
}

std::optional<Placement> parse_placement(std::string_view name) {
  for (Placement p : kAllPlacements)
    if (to_string(p) == name) return p;
  return std::nullopt;
}

// ---- discovery -----------------------------------------------------------------

#if ZEROIPC_HARNESS_HWLOC
namespace {
// Owns a loaded hwloc topology.
struct HwlocTopology {
  hwloc_topology_t topo{};
  HwlocTopology() {
    if (hwloc_topology_init(&topo) != 0) throw std::runtime_error("hwloc_topology_init failed");
    if (hwloc_topology_load(topo) != 0) {
      hwloc_topology_destroy(topo);
      throw std::runtime_error(std::string("hwloc_topology_load: ") + std::strerror(errno));
    }
  }
  ~HwlocTopology() { hwloc_topology_destroy(topo); }
  HwlocTopology(const HwlocTopology&) = delete;
  HwlocTopology& operator=(const HwlocTopology&) = delete;
};

int ancestor_index(hwloc_topology_t topo, hwloc_obj_type_t type, hwloc_obj_t pu) {
  hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(topo, type, pu);
  return a ? static_cast<int>(a->logical_index) : -1;
}
} // namespace

Topology::Topology() {
  const cpu_set_t mask = allowed_mask();
  HwlocTopology h;
  hwloc_topology_t topo = h.topo;
  const int ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
  const int nnuma = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
  for (hwloc_obj_t obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, nullptr); obj;
       obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, obj)) {
    if (obj->os_index >= CPU_SETSIZE || !CPU_ISSET(obj->os_index, &mask)) continue;
    Pu pu;
    pu.os_index = static_cast<int>(obj->os_index);
    pu.core = ancestor_index(topo, HWLOC_OBJ_CORE, obj);
    // Some VMs expose PUs without Core objects: then each PU is its own core.
    if (pu.core < 0) pu.core = ncores + static_cast<int>(obj->logical_index);
    pu.l3 = ancestor_index(topo, HWLOC_OBJ_L3CACHE, obj);
    pu.package = std::max(ancestor_index(topo, HWLOC_OBJ_PACKAGE, obj), 0);
    // In hwloc 2 NUMA nodes hang off the tree as memory children, not ancestors.
    for (int n = 0; n < nnuma; ++n) {
      hwloc_obj_t node = hwloc_get_obj_by_type(topo, HWLOC_OBJ_NUMANODE, static_cast<unsigned>(n));
      if (node && node->cpuset && hwloc_bitmap_isset(node->cpuset, obj->os_index)) pu.numa = n;
    }
    pus_.push_back(pu);
  }
  const int nl3 = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_L3CACHE);
  for (int i = 0; i < nl3; ++i)
    l3_bytes_.push_back(hwloc_get_obj_by_type(topo, HWLOC_OBJ_L3CACHE, static_cast<unsigned>(i))->attr->cache.size);
  std::sort(pus_.begin(), pus_.end(), [](const Pu& a, const Pu& b) { return a.os_index < b.os_index; });
  online_pus_ = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  // HWLOC_VERSION is the release built against; hwloc_get_api_version() gives only the API level.
  source_ = std::string("hwloc ") + HWLOC_VERSION;
}

#else // no hwloc: the affinity mask plus sysfs for cores and packages

namespace {
int sysfs_int(int cpu, const char* file) {
  std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/" + file);
  int v = -1;
  return (in >> v) ? v : -1;
}
} // namespace

Topology::Topology() {
  const cpu_set_t mask = allowed_mask();
  std::map<std::pair<int, int>, int> core_ids; // (package, core_id) -> dense core id
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &mask)) continue;
    Pu pu;
    pu.os_index = cpu;
    pu.package = std::max(sysfs_int(cpu, "physical_package_id"), 0);
    const int core_id = sysfs_int(cpu, "core_id");
    // Without sysfs each PU counts as its own core: no SMT pairs are invented.
    const auto key = core_id >= 0 ? std::make_pair(pu.package, core_id) : std::make_pair(-1, cpu);
    pu.core = core_ids.emplace(key, static_cast<int>(core_ids.size())).first->second;
    pus_.push_back(pu);
  }
  online_pus_ = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  source_ = "sched_getaffinity + sysfs (built without hwloc: L3 and NUMA unknown)";
}
#endif

// ---- queries -------------------------------------------------------------------

namespace {
int distinct(const std::vector<Pu>& pus, int Pu::*key) {
  std::set<int> ids;
  for (const Pu& pu : pus)
    if (pu.*key >= 0) ids.insert(pu.*key);
  return static_cast<int>(ids.size());
}
} // namespace

int Topology::cores() const { return distinct(pus_, &Pu::core); }
int Topology::l3_count() const { return distinct(pus_, &Pu::l3); }
int Topology::numa_count() const { return distinct(pus_, &Pu::numa); }
int Topology::packages() const { return distinct(pus_, &Pu::package); }
bool Topology::smt() const { return cores() < static_cast<int>(pus_.size()); }

std::string Topology::summary() const {
  std::string s = plural(packages(), "package", "packages") + ", " + plural(cores(), "core", "cores") + ", " +
                  plural(static_cast<long>(pus_.size()), "PU", "PUs");
  if (static_cast<int>(pus_.size()) < online_pus_) s += " (of " + std::to_string(online_pus_) + " online)";
  std::set<int> l3s;
  for (const Pu& pu : pus_)
    if (pu.l3 >= 0) l3s.insert(pu.l3);
  if (l3s.empty()) {
    s += ", L3 unknown";
  } else {
    std::set<std::uint64_t> sizes;
    for (int id : l3s) sizes.insert(l3_bytes_.at(static_cast<std::size_t>(id)));
    s += ", " + std::to_string(l3s.size()) + " L3 (";
    if (sizes.size() == 1) {
      s += bytes_text(*sizes.begin()) + (l3s.size() > 1 ? " each)" : ")");
    } else {
      bool first = true;
      for (int id : l3s) {
        s += (first ? "" : ", ") + bytes_text(l3_bytes_.at(static_cast<std::size_t>(id)));
        first = false;
      }
      s += ")";
    }
  }
  const int numa = numa_count();
  s += numa == 0 ? ", NUMA unknown" : ", " + plural(numa, "NUMA node", "NUMA nodes");
  return s;
}

nlohmann::json Topology::to_json() const {
  nlohmann::json pus = nlohmann::json::array();
  for (const Pu& pu : pus_)
    pus.push_back({{"os_index", pu.os_index}, {"core", pu.core}, {"l3", pu.l3}, {"numa", pu.numa},
                   {"package", pu.package}});
  nlohmann::json placements = nlohmann::json::object();
  for (const PlacementOffer& o : available_placements()) {
    nlohmann::json entry = {{"available", o.available}};
    if (!o.reason.empty()) entry["reason"] = o.reason;
    if (!o.note.empty()) entry["note"] = o.note;
    placements[std::string(to_string(o.placement))] = entry;
  }
  return {{"summary", summary()},   {"source", source_},          {"online_pus", online_pus_},
          {"packages", packages()}, {"cores", cores()},           {"pus", pus},
          {"smt", smt()},           {"l3_bytes", l3_bytes_},      {"numa_nodes", numa_count()},
          {"placements_for_2_workers", placements}};
}

namespace {
// The one place that decides a placement: offer() reports it, place() hands out the PUs.
Plan plan_for(const std::vector<Pu>& pus, Placement placement, int workers) {
  if (workers < 1) throw std::invalid_argument("placement needs at least one worker");
  const std::string_view name = to_string(placement);
#if ZEROIPC_HARNESS_HWLOC
  const char* unknown = "not reported by hwloc for the usable PUs";
#else
  const char* unknown = "unknown (built without hwloc)";
#endif
  Plan plan;
  switch (placement) {
  case Placement::same_core: {
    std::size_t most = 0;
    for (const auto& core : group_by(pus, &Pu::core)) {
      most = std::max(most, core.size());
      if (static_cast<int>(core.size()) >= workers && !plan.pus) {
        std::vector<int> out;
        for (int w = 0; w < workers; ++w) out.push_back(core[static_cast<std::size_t>(w)].os_index);
        plan.pus = std::move(out);
      }
    }
    if (!plan.pus && most == 1) {
      // No SMT: the closest thing to sharing a core is sharing the PU itself.
      plan.pus = std::vector<int>(static_cast<std::size_t>(workers), pus.front().os_index);
      plan.note = std::string(name) + ": no SMT on this machine, all " + std::to_string(workers) +
                  " workers share PU " + std::to_string(pus.front().os_index) + " (they time-slice)";
    } else if (!plan.pus) {
      plan.reason = std::string(name) + ": no core has " + std::to_string(workers) + " usable PUs (most: " +
                    std::to_string(most) + ")";
    }
    return plan;
  }
  case Placement::different_cores: return spread(pus, &Pu::core, "usable core", "usable cores", workers, name);
  case Placement::same_l3:
  case Placement::different_l3:
    if (distinct(pus, &Pu::l3) == 0)
      return {std::nullopt, std::string(name) + ": L3 " + unknown, {}};
    return placement == Placement::same_l3 ? within(pus, &Pu::l3, "L3", workers, name)
                                           : spread(pus, &Pu::l3, "L3", "L3s", workers, name);
  case Placement::same_numa:
  case Placement::different_numa:
    if (distinct(pus, &Pu::numa) == 0) return {std::nullopt, std::string(name) + ": NUMA " + unknown, {}};
    return placement == Placement::same_numa ? within(pus, &Pu::numa, "NUMA node", workers, name)
                                             : spread(pus, &Pu::numa, "NUMA node", "NUMA nodes", workers, name);
  }
  return plan;
}
} // namespace

PlacementOffer Topology::offer(Placement placement, int workers) const {
  Plan plan = plan_for(pus_, placement, workers);
  return {placement, plan.pus.has_value(), std::move(plan.reason), std::move(plan.note)};
}

std::optional<std::vector<int>> Topology::place(Placement placement, int workers) const {
  return plan_for(pus_, placement, workers).pus;
}

std::optional<std::vector<int>> Topology::place(std::string_view placement, int workers) const {
  const auto p = parse_placement(placement);
  if (!p) throw std::invalid_argument("unknown placement '" + std::string(placement) + "'");
  return place(*p, workers);
}

std::vector<PlacementOffer> Topology::available_placements(int workers) const {
  std::vector<PlacementOffer> out;
  for (Placement p : kAllPlacements) out.push_back(offer(p, workers));
  return out;
}

// ---- pinning -------------------------------------------------------------------

void pin_current_process(int pu) {
  if (pu < 0 || pu >= CPU_SETSIZE) throw std::runtime_error("pin_current_process: no PU " + std::to_string(pu));
#if ZEROIPC_HARNESS_HWLOC
  // Loaded once per process; a forked child inherits a usable copy.
  static const HwlocTopology h;
  hwloc_bitmap_t set = hwloc_bitmap_alloc();
  if (!set) throw std::runtime_error("pin_current_process: hwloc_bitmap_alloc failed");
  hwloc_bitmap_only(set, static_cast<unsigned>(pu));
  const int rc = hwloc_set_cpubind(h.topo, set, HWLOC_CPUBIND_PROCESS);
  const int err = errno;
  hwloc_bitmap_free(set);
  if (rc != 0) throw std::runtime_error(errno_text("hwloc_set_cpubind", pu, err));
#else
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(pu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) throw std::runtime_error(errno_text("sched_setaffinity", pu, errno));
#endif
}

int current_pu() { return sched_getcpu(); }

} // namespace zeroipc::harness
