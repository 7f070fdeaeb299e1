// zeroipc/harness/run_params.cpp — RunParams: from the config, to and from JSON, roles.
#include <algorithm>
#include <bit>
#include <cstdlib>

#include "zeroipc/harness/message.h"
#include "zeroipc/harness/worker.h"

namespace zeroipc::harness {

namespace {
constexpr std::uint64_t kMaxSamplesPerProducer = 1 << 16;

}  // namespace

nlohmann::json RunParams::to_json() const {
  return {{"segment", segment},
          {"workload", to_string(workload)},
          {"structure", structure},
          {"variant", variant},
          {"mix", mix},
          {"message_size", message_size},
          {"producers", producers},
          {"consumers", consumers},
          {"pus", pus},
          {"capacity", capacity},
          {"warmup", warmup},
          {"timed", timed},
          {"duration_ns", duration_ns},
          {"burst_size", burst_size},
          {"gap_ns", gap_ns},
          {"stride", stride},
          {"samples", samples},
          {"bytes", bytes},
          {"passes", passes},
          {"yield_when_waiting", yield_when_waiting},
          {"clock",
           {{"source", static_cast<std::uint32_t>(clock.source)}, {"shift", clock.shift}, {"mult", clock.mult}}},
          {"link_dir", link_dir},
          {"redis_unix_socket", redis_unix_socket},
          {"redis_port", redis_port},
          {"fault_worker", fault_worker},
          {"fault_after", fault_after},
          {"settings", settings}};
}

RunParams RunParams::from_json(const nlohmann::json& j) {
  RunParams p;
  p.segment = j.at("segment").get<std::string>();
  const auto workload = j.at("workload").get<std::string>();
  p.workload = workload_named(workload);
  p.structure = j.at("structure").get<std::string>();
  p.variant = j.at("variant").get<std::string>();
  p.mix = j.at("mix").get<std::string>();
  p.message_size = j.at("message_size").get<std::uint64_t>();
  p.producers = j.at("producers").get<int>();
  p.consumers = j.at("consumers").get<int>();
  p.pus = j.at("pus").get<std::vector<int>>();
  p.capacity = j.at("capacity").get<std::uint64_t>();
  p.warmup = j.at("warmup").get<std::uint64_t>();
  p.timed = j.at("timed").get<std::uint64_t>();
  p.duration_ns = j.at("duration_ns").get<std::uint64_t>();
  p.burst_size = j.at("burst_size").get<std::uint64_t>();
  p.gap_ns = j.at("gap_ns").get<std::uint64_t>();
  p.stride = j.at("stride").get<std::uint64_t>();
  p.samples = j.at("samples").get<std::uint64_t>();
  p.bytes = j.at("bytes").get<std::uint64_t>();
  p.passes = j.at("passes").get<std::uint64_t>();
  p.yield_when_waiting = j.at("yield_when_waiting").get<bool>();
  const auto& c = j.at("clock");
  p.clock.source = static_cast<ClockSource>(c.at("source").get<std::uint32_t>());
  p.clock.shift = c.at("shift").get<std::uint32_t>();
  p.clock.mult = c.at("mult").get<std::uint64_t>();
  p.link_dir = j.at("link_dir").get<std::string>();
  p.redis_unix_socket = j.at("redis_unix_socket").get<std::string>();
  p.redis_port = j.at("redis_port").get<int>();
  p.fault_worker = j.at("fault_worker").get<int>();
  p.fault_after = j.at("fault_after").get<std::uint64_t>();
  p.settings = j.at("settings");
  if (p.stride == 0 || !std::has_single_bit(p.stride)) throw std::invalid_argument("stride must be a power of two");
  if (p.producers < 0 || static_cast<std::uint64_t>(p.producers) > kMaxProducers) {
    throw std::invalid_argument("producers out of range");
  }
  return p;
}

baselines::LinkSpec RunParams::link_spec() const {
  baselines::LinkSpec s;
  s.transport = variant;
  s.name = segment.substr(segment.rfind('/') + 1);
  s.dir = link_dir;
  s.message_size = message_size;
  s.capacity = capacity;
  s.pattern = workload->transport_pattern;
  s.redis_unix_socket = redis_unix_socket;
  s.redis_port = redis_port;
  return s;
}

baselines::StoreSpec RunParams::store_spec() const {
  baselines::StoreSpec s;
  s.store = variant;
  s.name = segment.substr(segment.rfind('/') + 1);
  s.value_size = message_size;
  s.capacity = capacity;
  s.redis_unix_socket = redis_unix_socket;
  s.redis_port = redis_port;
  return s;
}

std::string RunParams::role(int worker) const {
  const Roles& r = workload->roles;
  switch (r.split) {
    case Roles::Split::pair: return worker == 0 ? r.first : r.second;
    case Roles::Split::producers_consumers: return worker < producers ? r.first : r.second;
    case Roles::Split::alike: return r.first;
  }
  return "?";
}

int RunParams::role_index(int worker) const {
  switch (workload->roles.split) {
    case Roles::Split::pair: return 0;  // one worker per role
    case Roles::Split::producers_consumers: return worker < producers ? worker : worker - producers;
    case Roles::Split::alike: return worker;
  }
  return 0;
}

bool RunParams::counted(int worker) const {
  const Roles& r = workload->roles;
  switch (r.split) {
    case Roles::Split::pair: return worker == 0 || r.second_counted;
    case Roles::Split::producers_consumers: return worker < producers || r.second_counted;
    case Roles::Split::alike: return true;
  }
  return true;
}

RunParams make_run_params(const CaseSpec& c, const Config& config, const ClockCalibration& clock,
                          const std::string& segment) {
  RunParams p;
  p.segment = segment;
  p.workload = c.workload;
  p.structure = c.structure;
  p.variant = c.variant;
  p.mix = c.mix;
  p.message_size = c.message_size;
  p.producers = c.producers;
  p.consumers = c.consumers;
  p.pus = c.pus;
  p.capacity = c.capacity;
  p.clock = clock;
  p.yield_when_waiting = c.oversubscribed;
  if (p.is_transport()) p.link_dir = "/tmp/" + segment.substr(segment.rfind('/') + 1);
  if (c.workload->fill) c.workload->fill(config, p);
  // A transport whose server is a program of its own (zeroipc_python_*) hands
  // the server worker its messages late, in batches: no receipt to stamp.
  const bool stampable = !p.is_transport() || baselines::transport_info(p.variant).server_in_worker;
  if (c.workload->metrics.one_way_ns && stampable) {
    // Timed messages per producer that may be stamped; 0 = unknown (duration
    // mode). fanout: the producer stamps, the first subscriber alone stamps
    // what it receives.
    const std::uint64_t stamped_per_producer = p.timed * p.burst_size;
    if (stamped_per_producer == 0) {  // duration mode: stamp every 64th message while the slots last
      p.stride = std::max<std::uint64_t>(64, c.workload->min_stamp_stride);
      p.samples = kMaxSamplesPerProducer;
    } else {
      p.stride = std::max(std::bit_ceil((stamped_per_producer + kMaxSamplesPerProducer - 1) / kMaxSamplesPerProducer),
                          c.workload->min_stamp_stride);
      p.samples = (stamped_per_producer + p.stride - 1) / p.stride;
    }
  }
  if (const char* fault = std::getenv("ZEROIPC_HARNESS_KILL_WORKER")) {
    // Test hook, "<substring of the case id>:<worker>:<after messages>": that worker
    // SIGKILLs itself after so many messages, in every repetition of matching cases.
    const std::string f(fault);
    const auto a = f.find(':'), b = f.rfind(':');
    if (a != std::string::npos && b != a && c.id.find(f.substr(0, a)) != std::string::npos) {
      p.fault_worker = std::stoi(f.substr(a + 1, b - a - 1));
      p.fault_after = std::stoull(f.substr(b + 1));
    }
  }
  return p;
}

}  // namespace zeroipc::harness
