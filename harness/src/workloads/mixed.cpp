// mixed: every worker pushes one message, then pops one (anyone's): the
// classic enqueue-dequeue pairs benchmark. The structure holds at most one
// message per worker (hence capacity >= workers), so a pop always finds one
// eventually.
#include "common.h"

namespace zeroipc::harness::workloads {

namespace {

template <class H>
void mixed_pairs(Worker& w, H& h, std::uint64_t first, std::uint64_t count) {
  using M = typename H::value_type;
  M m;
  for (std::uint64_t i = first; i < first + count; ++i) {
    const std::uint64_t seq = sequence_of(static_cast<std::uint64_t>(w.index), i);
    m.write(seq);
    while (!h.push(m)) w.wait_hint();
    w.tally.on_send(seq);
    w.count_message();
    std::optional<M> got;
    while (!(got = h.pop())) w.wait_hint();
    w.receive(*got, kFifo<H>);
  }
}

void work(Worker& w) {
  with_handles(w, [&]<class H>(H& h, H&) {
    w.barrier();
    mixed_pairs(w, h, 0, w.p.warmup);
    w.begin_timed();
    mixed_pairs(w, h, w.p.warmup, w.p.timed);
    w.end_timed();
    w.timed_messages = w.p.timed;
    w.bytes = w.p.timed * sizeof(typename H::value_type);
  });
}

std::string refusal(const CaseShape& s) {
  if (s.producers != s.consumers) {
    return "mixed: every worker pushes and pops, so consumers must equal producers (found producers = " +
           std::to_string(s.producers) + ", consumers = " + std::to_string(s.consumers) + ")";
  }
  if (s.producers > 1 && !(s.variant->multi_producer && s.variant->multi_consumer)) {
    return "mixed with " + std::to_string(s.producers) + " workers needs a multi-producer, multi-consumer variant; " +
           std::string(s.variant->name) + " allows one producer and one consumer";
  }
  return "";
}

}  // namespace

const WorkloadDef& mixed() {
  static const WorkloadDef def{
      .name = "mixed",
      .summary = "mixed (every worker pushes then pops)",
      .keys = {make_int_key("mixed", "pairs", 100000, 1, kMaxCount, "timed push+pop pairs per worker"),
               make_int_key("mixed", "warmup_pairs", 10000, 0, kMaxCount, "untimed pairs per worker before them")},
      .structures = {"queue", "stack"},
      .refusal = refusal,
      .workers = [](int producers, int) { return producers; },  // each worker both pushes and pops
      .capacity_section = "streaming",
      .capacity_key = "capacity",
      .capacity_at_least_workers = true,
      .roles = {.split = Roles::Split::alike, .first = "worker"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.warmup = u64(c, "mixed", "warmup_pairs");
            p.timed = u64(c, "mixed", "pairs");
          },
      .run = work,
      .expected_sent = producers_sent,
      .metrics = {.primary = "throughput_msgs_per_s", .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
