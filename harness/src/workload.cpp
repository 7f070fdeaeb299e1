// zeroipc/harness/workload.cpp — finding workloads by name (the list is workloads/list.cpp).
#include "zeroipc/harness/workload.h"

#include <algorithm>
#include <stdexcept>

namespace zeroipc::harness {

bool WorkloadDef::runs_on(std::string_view structure) const {
  return std::find(structures.begin(), structures.end(), structure) != structures.end();
}

std::optional<Workload> parse_workload(std::string_view name) {
  for (Workload w : all_workloads()) {
    if (w->name == name) return w;
  }
  return std::nullopt;
}

Workload workload_named(std::string_view name) {
  if (auto w = parse_workload(name)) return *w;
  std::string valid;
  for (Workload w : all_workloads()) valid += (valid.empty() ? "" : ", ") + w->name;
  throw std::invalid_argument("unknown workload '" + std::string(name) + "' (valid: " + valid + ")");
}

std::string to_string(Workload w) { return w ? w->name : "?"; }

bool is_floor(Workload w) { return w && w->is_floor(); }

}  // namespace zeroipc::harness
