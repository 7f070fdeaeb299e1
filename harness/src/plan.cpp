// zeroipc/harness/plan.cpp — matrix expansion, validation against the variants and the machine.
#include "zeroipc/harness/plan.h"

#include <algorithm>
#include <map>
#include <set>

#include "zeroipc/baselines/kv_store.h"
#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/stats.h"
#include "zeroipc/registry.h"
#include "zeroipc/ring.h"

namespace zeroipc::harness {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

// The kind of the variants of a structure of the matrix with variants (queue, stack, pool).
detail::Kind kind_of(const std::string& structure) {
  return structure == "queue" ? detail::Kind::kQueue : structure == "pool" ? detail::Kind::kPool : detail::Kind::kStack;
}

// The variants of `structure` that the config names ("all" expands to every one).
std::vector<std::string> variants_of(const std::string& structure, const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  const detail::Kind kind = kind_of(structure);
  for (const auto& v : kVariants) {
    if (v.kind != kind) continue;
    if (std::find(wanted.begin(), wanted.end(), "all") != wanted.end() ||
        std::find(wanted.begin(), wanted.end(), v.name) != wanted.end()) {
      out.emplace_back(v.name);
    }
  }
  return out;
}

// The transports the config names ("all": every one, built or not), in the registry's order.
std::vector<std::string> transports_of(const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  const bool all = std::find(wanted.begin(), wanted.end(), "all") != wanted.end();
  for (const auto& t : baselines::transports()) {
    if (all || std::find(wanted.begin(), wanted.end(), t.name) != wanted.end()) out.emplace_back(t.name);
  }
  return out;
}

// The key-value stores the config names ("all": every one, built or not), in the registry's order.
std::vector<std::string> stores_of(const std::vector<std::string>& wanted) {
  std::vector<std::string> out;
  const bool all = std::find(wanted.begin(), wanted.end(), "all") != wanted.end();
  for (const auto& s : baselines::stores()) {
    if (all || std::find(wanted.begin(), wanted.end(), s.name) != wanted.end()) out.emplace_back(s.name);
  }
  return out;
}

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  }
  return out;
}

// "\"a\", \"b\"": the items as TOML strings, for a list in a message.
std::string quoted(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& s : items) out.push_back("\"" + s + "\"");
  return join(out);
}

// The measured workloads that run on `structure`, in list order.
std::vector<std::string> workloads_on(std::string_view structure) {
  std::vector<std::string> out;
  for (Workload w : all_workloads()) {
    if (!w->is_floor() && w->runs_on(structure)) out.push_back(w->name);
  }
  return out;
}

// Why the transport cannot run this workload with these workers; "" when it can.
std::string impossible_for_transport(Workload w, const baselines::TransportInfo& t, std::uint64_t message_size,
                                     int producers, int consumers) {
  const std::string name(t.name);
  if (!t.built) return name + " is not built: " + std::string(t.missing);
  if (!w->runs_on("transport")) {
    return "a transport carries " + join_and(workloads_on("transport")) + ", not " + w->name;
  }
  if (producers != 1 || consumers != 1) {
    return "a transport links one client to one server: it needs producers = 1 and consumers = 1, not " +
           workers_label(producers, consumers);
  }
  switch (w->transport_pattern) {
    case baselines::Pattern::request_reply:
      if (!t.request_reply) return name + " has no request/reply pattern";
      break;
    case baselines::Pattern::one_way:
      if (!t.one_way) return name + " is request/reply only: it cannot stream";
      break;
  }
  return baselines::size_refusal(name, message_size);
}

// Why workload `w` cannot run on `structure` with this variant and these
// workers; "" when it can. The structure's refusals come first where the
// workload does not run on it (a stream, a transport), else the workload's.
std::string impossible(Workload w, const std::string& structure, const std::string& variant, std::uint64_t message_size,
                       int producers, int consumers) {
  const bool takes = w->runs_on(structure);
  if (structure == "stream" && !takes) {
    const auto on_stream = workloads_on("stream");
    return "a stream is measured by the " + join_and(on_stream) + " workload" + (on_stream.size() > 1 ? "s" : "") +
           " only, not " + w->name + " (valid: workloads = [" + quoted(on_stream) + "] with structures = [\"stream\"])";
  }
  if (!takes && (!w->wrong_structure.empty() || structure != "transport")) {
    return (w->wrong_structure.empty() ? w->name + " does not run on a " + structure : w->wrong_structure) +
           ": it needs structures = [" + quoted(w->structures) + "], not " + structure;
  }
  if (structure == "transport") {
    return impossible_for_transport(w, baselines::transport_info(variant), message_size, producers, consumers);
  }
  if (structure == "map") {
    const auto& s = baselines::store_info(variant);
    if (!s.built) return variant + " is not built: " + std::string(s.missing);
  }
  if (structure == "reference" && (producers != 1 || consumers != 1)) {
    return "the reference ring is single-producer single-consumer: it needs producers = 1 and consumers = 1, not " +
           workers_label(producers, consumers);
  }
  if (!w->refusal) return "";
  CaseShape shape;
  shape.structure = structure;
  shape.variant = structure == "stream" || structure == "map" || structure == "ring" || structure == "reference"
                      ? nullptr
                      : &variant_info(variant);
  shape.name = variant;
  shape.message_size = message_size;
  shape.producers = producers;
  shape.consumers = consumers;
  return w->refusal(shape);
}

bool oversubscribes(const std::vector<int>& pus) {
  return std::set<int>(pus.begin(), pus.end()).size() < pus.size();
}

struct Builder {
  const Config& config;
  const Topology& topology;
  Plan plan;
  bool skip_impossible = false;

  // Places `workers` workers; nullopt (with the reason) when impossible.
  std::optional<std::vector<int>> place(const std::string& placement, int workers, std::string& reason) const {
    const Placement where = *parse_placement(placement);
    const PlacementOffer offer = topology.offer(where, workers);
    if (!offer.available && config.get_bool("experiment", "oversubscribe")) {
      // Too few cores (L3s, nodes) for one each: deal the workers round-robin
      // over the most this placement can offer, as long as that is at least two
      // (one PU would not be "different" anything); the case is marked oversubscribed.
      for (int fit = workers - 1; fit >= 2; --fit) {
        if (auto base = topology.place(where, fit)) {
          std::vector<int> pus;
          for (int w = 0; w < workers; ++w) pus.push_back((*base)[static_cast<std::size_t>(w % fit)]);
          return pus;
        }
      }
    }
    if (!offer.available) {
      std::vector<std::string> valid;
      for (const auto& o : topology.available_placements(workers)) {
        if (o.available) valid.emplace_back(to_string(o.placement));
      }
      reason = offer.reason + " (placements this machine offers for " + std::to_string(workers) +
               " workers: " + (valid.empty() ? "none" : join(valid)) + ")";
      return std::nullopt;
    }
    auto pus = topology.place(placement, workers);
    if (oversubscribes(*pus) && !config.get_bool("experiment", "oversubscribe")) {
      reason = std::to_string(workers) + " busy-polling workers on " +
               std::to_string(std::set<int>(pus->begin(), pus->end()).size()) + " PU(s) with placement " + placement +
               " would oversubscribe this machine (" + std::to_string(topology.pus().size()) +
               " usable PUs); set experiment.oversubscribe = true to run it anyway (results are marked)";
      return std::nullopt;
    }
    return pus;
  }

  void refuse(const std::string& id, const std::string& reason, bool from_all) {
    if (skip_impossible || from_all) {
      plan.skipped.push_back({id, reason});
      return;
    }
    throw ConfigError("case " + id + " cannot run: " + reason +
                      " (set matrix.skip_impossible = true to leave such cases out)");
  }

  std::vector<std::string> placements(bool& from_all) const {
    auto wanted = config.get_strings("matrix", "placements");
    from_all = std::find(wanted.begin(), wanted.end(), "all") != wanted.end();
    if (!from_all) return wanted;
    std::vector<std::string> out;
    for (Placement p : kAllPlacements) out.emplace_back(to_string(p));
    return out;
  }
};

}  // namespace

bool CaseSpec::needs_redis() const {
  if (structure == "transport") return baselines::transport_info(variant).needs_redis;
  if (structure == "map") return baselines::store_info(variant).needs_redis;
  return false;
}

std::string workers_label(int producers, int consumers) {
  return std::to_string(producers) + "p" + std::to_string(consumers) + "c";
}

nlohmann::json CaseSpec::to_json() const {
  const bool floor = is_floor(workload);
  auto or_null = [](const std::string& s) { return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s); };
  return {{"id", id},
          {"workload", to_string(workload)},
          {"structure", or_null(structure)},
          {"variant", or_null(variant)},
          {"mix", or_null(mix)},
          {"message_size", message_size},
          {"producers", producers},
          {"consumers", consumers},
          {"placement", placement},
          {"pus", pus},
          {"oversubscribed", oversubscribed},
          {"capacity", floor ? nlohmann::json(nullptr) : nlohmann::json(capacity)},
          {"floor_case", or_null(latency_floor)},
          {"bandwidth_floor_case", or_null(bandwidth_floor)},
          // The language each side moves the messages in (a transport's; null otherwise).
          {"languages", structure == "transport"
                            ? nlohmann::json{{"client", std::string(baselines::transport_info(variant).client_language)},
                                             {"server", std::string(baselines::transport_info(variant).server_language)}}
                            : nlohmann::json(nullptr)}};
}

nlohmann::json Plan::to_json() const {
  nlohmann::json skipped_json = nlohmann::json::array();
  for (const auto& s : skipped) skipped_json.push_back({{"case", s.id}, {"reason", s.reason}});
  return {{"cases", cases.size()},        {"repetitions", repetitions}, {"runs", schedule.size()},
          {"seed", seed},                 {"skipped", skipped_json},    {"notes", notes},
          {"redis_pu", redis_pu < 0 ? nlohmann::json(nullptr) : nlohmann::json(redis_pu)}};
}

Plan make_plan(const Config& config, const Topology& topology) {
  Builder b{config, topology, {}, config.get_bool("matrix", "skip_impossible")};
  const auto name = config.get_string("experiment", "name");
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                          std::string::npos) {
    throw ConfigError("experiment.name: '" + name +
                      "' cannot name a results folder (expected letters, digits, '.', '_' or '-')");
  }

  bool placements_from_all = false;
  const auto placements = b.placements(placements_from_all);
  const auto structures = config.get_strings("matrix", "structures");
  const auto wanted_variants = config.get_strings("matrix", "variants");
  const bool variants_from_all = std::find(wanted_variants.begin(), wanted_variants.end(), "all") != wanted_variants.end();

  // A named variant whose structure is not measured is a mistake, not a skip.
  for (const auto& v : wanted_variants) {
    if (v == "all") continue;
    const auto& info = variant_info(v);
    if (info.kind == detail::Kind::kMap) {
      throw ConfigError("matrix.variants: '" + v + "' is a map variant: a map is measured as a key-value store, " +
                        "with structures = [\"map\"] and stores = [\"zeroipc_" + v + "\"]");
    }
    const std::string kind = info.kind == detail::Kind::kQueue  ? "queue"
                             : info.kind == detail::Kind::kPool ? "pool"
                                                                : "stack";
    if (std::find(structures.begin(), structures.end(), kind) == structures.end()) {
      throw ConfigError("matrix.variants: '" + v + "' is a " + kind + " variant, but matrix.structures = [" +
                        join(structures) + "] (add \"" + kind + "\" to structures, or drop the variant)");
    }
  }

  // Floor probes: one set per placement that any case (or, with no workloads,
  // the config) uses, on that placement's pair of PUs; the probes of one run
  // on the first case's first PU, once.
  std::map<std::string, std::pair<std::string, std::string>> floor_of;  // placement -> (latency id, bandwidth id)
  std::vector<CaseSpec> floors;
  bool once_done = false;
  auto add_floors = [&](const std::string& placement, const std::vector<int>& pus) {
    if (!config.get_bool("experiment", "floor") || floor_of.count(placement)) return;
    std::string reason;
    auto pair = b.place(placement, 2, reason);
    if (!pair) {
      b.plan.notes.push_back("no floor probes for " + placement + ": " + reason);
      floor_of[placement] = {"", ""};
      return;
    }
    auto probe = [&](Workload w) {
      CaseSpec c;
      c.workload = w;
      c.placement = placement;
      c.message_size = w->probe_size(config);
      return c;
    };
    auto runs = [&](Workload w, Probe kind) { return w->probe == kind && (!w->enabled || w->enabled(config)); };
    auto& [latency, bandwidth] = floor_of[placement];
    for (Workload w : all_workloads()) {
      if (!runs(w, Probe::per_placement)) continue;
      CaseSpec c = probe(w);
      c.pus = *pair;
      c.producers = c.consumers = 1;
      c.oversubscribed = oversubscribes(*pair);
      c.id = w->name + "/" + placement;
      if (w->floor_of == FloorOf::latency) latency = c.id;
      if (w->floor_of == FloorOf::bandwidth) bandwidth = c.id;
      floors.push_back(std::move(c));
    }
    if (once_done) return;
    once_done = true;
    for (Workload w : all_workloads()) {
      if (!runs(w, Probe::once)) continue;
      CaseSpec c = probe(w);
      c.pus = {pus.front()};
      c.producers = 1;
      c.consumers = 0;
      c.id = w->name + "/pu" + std::to_string(pus.front());
      floors.push_back(std::move(c));
    }
  };

  const auto wanted_transports = config.get_strings("matrix", "transports");
  const bool transports_from_all =
      std::find(wanted_transports.begin(), wanted_transports.end(), "all") != wanted_transports.end();
  if (std::find(structures.begin(), structures.end(), "transport") != structures.end()) {
    for (const auto& transport : transports_of(wanted_transports)) {
      const auto& t = baselines::transport_info(transport);
      if (!t.built) b.plan.notes.push_back("transport " + transport + " is off: " + std::string(t.missing));
    }
  }

  const auto wanted_stores = config.get_strings("matrix", "stores");
  const bool stores_from_all = std::find(wanted_stores.begin(), wanted_stores.end(), "all") != wanted_stores.end();
  if (std::find(structures.begin(), structures.end(), "map") != structures.end()) {
    for (const auto& store : stores_of(wanted_stores)) {
      const auto& s = baselines::store_info(store);
      if (!s.built) b.plan.notes.push_back("store " + store + " is off: " + std::string(s.missing));
    }
  }

  std::vector<CaseSpec> cases;
  for (const auto& workload_name : config.get_strings("matrix", "workloads")) {
    const Workload w = workload_named(workload_name);  // config.cpp checked the choices
    for (const auto& structure : structures) {
      const bool transport = structure == "transport";
      const bool stream = structure == "stream";
      const bool map = structure == "map";
      const bool ring = structure == "ring";
      const bool reference = structure == "reference";
      const bool names_from_all =
          transport ? transports_from_all : map ? stores_from_all : !stream && !ring && !reference && variants_from_all;
      // A stream has one variant here: "block", its default backpressure (emit
      // waits for the slowest subscriber), so every subscriber gets every message.
      // A ring has one: its default (the run-time registry lists no ring variants).
      // The reference has one: the minimal SPSC ring (plan.h kReferenceVariant, run_layout.h).
      const std::vector<std::string> names = stream      ? std::vector<std::string>{"block"}
                                             : ring      ? std::vector<std::string>{std::string(variants::default_ring::kName)}
                                             : reference ? std::vector<std::string>{kReferenceVariant}
                                             : transport ? transports_of(wanted_transports)
                                             : map       ? stores_of(wanted_stores)
                                                         : variants_of(structure, wanted_variants);
      // The workload's mixes of operations (map), one case each; "" for a workload without.
      const std::vector<std::string> mixes = w->mixes ? w->mixes(config) : std::vector<std::string>{""};
      const auto sizes = w->message_sizes ? w->message_sizes(config) : config.get_ints("matrix", "message_sizes");
      for (const auto& variant : names) {
        for (const auto& mix : mixes) {
          for (auto size : sizes) {
            for (auto producers : config.get_ints("matrix", "producers")) {
              for (auto consumers : config.get_ints("matrix", "consumers")) {
                for (const auto& placement : placements) {
                  CaseSpec c;
                  c.workload = w;
                  c.structure = structure;
                  c.variant = variant;
                  c.mix = mix;
                  c.message_size = static_cast<std::uint64_t>(size);
                  c.producers = static_cast<int>(producers);
                  c.consumers = static_cast<int>(consumers);
                  c.placement = placement;
                  c.id = workload_name + "/" + structure + "/" + variant + (mix.empty() ? "" : "/" + mix) + "/" +
                         std::to_string(size) + "B/" +
                         workers_label(c.producers, c.consumers) + "/" + placement;
                  c.capacity = static_cast<std::uint64_t>(config.get_int(w->capacity_section, w->capacity_key));
                  const std::string why = impossible(w, structure, variant, c.message_size, c.producers, c.consumers);
                  if (!why.empty()) {
                    b.refuse(c.id, why, names_from_all);
                    continue;
                  }
                  const int workers = w->workers(c.producers, c.consumers);
                  if (w->capacity_at_least_workers && c.capacity < static_cast<std::uint64_t>(workers)) {
                    b.refuse(c.id,
                             w->name + " needs " + w->capacity_section + "." + w->capacity_key + " >= workers (" +
                                 std::to_string(workers) + ")",
                             false);
                    continue;
                  }
                  std::string reason;
                  auto pus = b.place(placement, workers, reason);
                  if (!pus) {
                    b.refuse(c.id, reason, placements_from_all);
                    continue;
                  }
                  c.pus = *pus;
                  c.oversubscribed = oversubscribes(c.pus);
                  add_floors(placement, c.pus);
                  c.latency_floor = floor_of[placement].first;
                  c.bandwidth_floor = floor_of[placement].second;
                  cases.push_back(std::move(c));
                }
              }
            }
          }
        }
      }
    }
  }

  if (config.get_strings("matrix", "workloads").empty()) {
    // The probes alone (floor.toml): one set per placement the config names.
    for (const auto& placement : placements) {
      std::string reason;
      auto pus = b.place(placement, 2, reason);
      if (!pus) {
        b.refuse("floor/" + placement, reason, placements_from_all);
        continue;
      }
      add_floors(placement, *pus);
    }
    if (floors.empty()) {
      throw ConfigError("matrix.workloads is empty and no floor probe can run (experiment.floor = " +
                        std::string(config.get_bool("experiment", "floor") ? "true" : "false") + ")");
    }
  } else if (cases.empty()) {
    std::string why;
    for (const auto& s : b.plan.skipped) why += "\n  " + s.id + ": " + s.reason;
    throw ConfigError("no case of the matrix can run on this machine:" + why);
  }

  b.plan.cases = std::move(floors);
  for (auto& c : cases) b.plan.cases.push_back(std::move(c));
  for (const auto& c : b.plan.cases) {
    if (c.oversubscribed) {
      b.plan.notes.push_back(c.id + ": oversubscribed (" + std::to_string(c.workers()) +
                             " busy-polling workers share PUs): its numbers measure time-slicing");
    }
  }
  // The redis-server the Redis cases talk to: one for the whole run, pinned.
  std::set<int> redis_workers;
  const CaseSpec* first_redis = nullptr;
  for (const auto& c : b.plan.cases) {
    if (!c.needs_redis()) continue;
    if (!first_redis) first_redis = &c;
    redis_workers.insert(c.pus.begin(), c.pus.end());
  }
  if (first_redis) {
    const auto wanted = config.get_int("baselines", "redis_pu");
    std::vector<std::string> usable;
    for (const auto& pu : topology.pus()) usable.push_back(std::to_string(pu.os_index));
    if (wanted >= 0) {
      if (std::find(usable.begin(), usable.end(), std::to_string(wanted)) == usable.end()) {
        throw ConfigError("baselines.redis_pu: PU " + std::to_string(wanted) + " is not usable here (usable PUs: " +
                          join(usable) + ")");
      }
      b.plan.redis_pu = static_cast<int>(wanted);
      b.plan.notes.push_back("redis-server pinned to PU " + std::to_string(wanted) + " (baselines.redis_pu)");
    } else {
      for (const auto& pu : topology.pus()) {
        if (!redis_workers.count(pu.os_index)) {
          b.plan.redis_pu = pu.os_index;
          break;
        }
      }
      if (b.plan.redis_pu >= 0) {
        b.plan.notes.push_back("redis-server pinned to PU " + std::to_string(b.plan.redis_pu) +
                               ", which no worker of a Redis case uses");
      } else {
        b.plan.redis_pu = first_redis->pus.back();
        b.plan.notes.push_back("redis-server pinned to PU " + std::to_string(b.plan.redis_pu) +
                               ", shared with the responder / consumer of the Redis cases (every PU has a worker)");
      }
    }
  }

  b.plan.repetitions = static_cast<std::size_t>(config.get_int("experiment", "repetitions"));
  b.plan.seed = static_cast<std::uint64_t>(config.get_int("experiment", "seed"));
  b.plan.schedule = interleaved_schedule(b.plan.cases.size(), b.plan.repetitions, b.plan.seed);
  return std::move(b.plan);
}

}  // namespace zeroipc::harness
