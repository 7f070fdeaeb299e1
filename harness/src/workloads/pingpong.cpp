// pingpong: round-trip latency. The initiator (worker 0) pushes a message into
// structure "a" and waits for it to come back through "b"; the responder
// (worker 1) pops it and pushes it back. Over a transport, the link's
// request/reply pattern carries both directions.
#include "common.h"

namespace zeroipc::harness::workloads {

namespace {

void work(Worker& w) {
  with_handles(w, [&]<class H>(H& ping, H& pong) {
    using M = typename H::value_type;
    const bool initiator = w.index == 0;
    M m;
    round_trip_phases(w, [&](std::uint64_t i, bool timed) {
      const std::uint64_t seq = sequence_of(0, i);
      if (initiator) {
        m.write(seq);
        const std::uint64_t t0 = w.now();
        if (auto* slot = timed ? w.send_stamp(0, i) : nullptr) *slot = t0;
        while (!ping.push(m)) w.wait_hint();
        w.tally.on_send(seq);
        w.count_message();
        std::optional<M> echo;
        while (!(echo = pong.pop())) w.wait_hint();
        const std::uint64_t t1 = w.now();
        if (auto got = w.receive(*echo, true); got && *got != seq) ++w.tally.out_of_order;
        if (timed) w.round_trips.record(w.to_ns(t1 - t0));
      } else {
        std::optional<M> got;
        while (!(got = ping.pop())) w.wait_hint();
        const std::uint64_t t = w.now();
        if (auto* slot = timed ? w.recv_stamp(0, i) : nullptr) *slot = t;
        if (auto s = w.receive(*got, true); s && *s != seq) ++w.tally.out_of_order;
        while (!pong.push(*got)) w.wait_hint();
        w.tally.on_send(got->sequence());
      }
    });
    w.bytes = w.p.timed * sizeof(M);
  });
}

}  // namespace

const WorkloadDef& pingpong() {
  static const WorkloadDef def{
      .name = "pingpong",
      .summary = "pingpong (round-trip latency)",
      .keys = {make_int_key("pingpong", "round_trips", 20000, 1, kMaxCount, "timed round trips per repetition"),
               make_int_key("pingpong", "warmup_round_trips", 2000, 0, kMaxCount, "untimed round trips before them"),
               make_int_key("pingpong", "ping_capacity", 64, 2, 1 << 20, "capacity of each of the two structures")},
      .structures = {"queue", "stack", "transport", "reference"},
      .transport_pattern = baselines::Pattern::request_reply,
      .refusal = [](const CaseShape& s) -> std::string {
        if (s.producers == 1 && s.consumers == 1) return "";
        return "pingpong is one initiator and one responder: it needs producers = 1 and consumers = 1, not " +
               workers_label(s.producers, s.consumers);
      },
      .workers = two_workers,
      .capacity_section = "pingpong",
      .capacity_key = "ping_capacity",
      .roles = {.split = Roles::Split::pair, .first = "initiator", .second = "responder"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.warmup = u64(c, "pingpong", "warmup_round_trips");
            p.timed = u64(c, "pingpong", "round_trips");
          },
      .structure_instances = 2,
      .run = work,
      .expected_sent = [](const RunParams& p) { return 2 * (p.warmup + p.timed); },  // both sides send
      .metrics = {.primary = "round_trip_ns_p50", .round_trip_ns = true, .one_way_ns = true, .msgs_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
