// fanout: a zeroipc::Stream's multicast. One producer emits, each of 1..8
// subscribers reads every message; the counts are [streaming]'s.
//
// The producer (worker 0) creates the stream — its creator is the one
// process that may emit — before barrier 1; the subscribers open it after
// barrier 1 and take their cursors before barrier 2, so each sees every
// message from the first. Each phase ends with a marker message (as a
// transport's does): a subscriber blocked in the stream's futex wait has no
// other way to learn that the phase is over. Backpressure (the default,
// Overflow::block): emit() waits for the slowest subscriber.
//
// (7) No atomics of the harness's own: the stream exists before barrier 1
// and every cursor before barrier 2 ((3)/(4) order both), so each subscriber
// sees every message; the messages themselves are ordered by the stream
// (detail/stream_ring.h).
#include "common.h"
#include "zeroipc/stream.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr int kMaxSubscribers = 8;

template <class M>
void emit_marker(Stream<M>& stream, int phase) {
  M m;
  m.write(sequence_of(kEndMarkerProducer, static_cast<std::uint64_t>(phase)));
  stream.emit(m);
}

// Emits `count` messages (or, with duration_ns, as many as fit), then, in
// the warm-up, the phase's marker (the timed phase's follows end_timed).
// Returns the next index.
template <class M>
std::uint64_t emit_phase(Worker& w, Stream<M>& stream, int phase, std::uint64_t index, std::uint64_t count,
                         std::uint64_t duration_ns) {
  const std::uint64_t deadline = duration_ns == 0 ? 0 : w.now() + w.ticks_for(duration_ns);
  M m;
  for (std::uint64_t k = 0;; ++k, ++index) {
    if (deadline != 0 ? ((k & 63) == 0 && w.now() >= deadline) : k == count) break;
    const std::uint64_t seq = sequence_of(0, index);
    m.write(seq);
    if (auto* slot = phase == 1 ? w.send_stamp(0, index) : nullptr) *slot = w.now();
    stream.emit(m);
    w.tally.on_send(seq);
    w.count_message();
  }
  if (phase == 0) emit_marker(stream, 0);
  return index;
}

// Reads until the phase's marker, checking every message: intact, and the
// producer's next index (every subscriber sees every message, in order).
// Returns the index after the last one read.
template <class M>
std::uint64_t read_phase(Worker& w, Cursor<M>& cursor, int phase, std::uint64_t next) {
  const bool stamps = phase == 1 && w.index == 1;  // the first subscriber stamps, for one-way latency
  while (true) {
    std::optional<M> m = cursor.next();
    const std::uint64_t t = w.now();
    if (!m) {
      const StreamEnd why = cursor.end_reason();
      const std::string reason = why == StreamEnd::producer_gone ? "its producer is gone"
                                 : why == StreamEnd::closed      ? "closed"
                                                                 : "end reason " + std::to_string(static_cast<int>(why));
      throw std::runtime_error("the stream ended (" + reason + ") before the end-of-phase marker of phase " +
                               std::to_string(phase));
    }
    const std::uint64_t seq = m->sequence();
    if (m->intact() && producer_of(seq) == kEndMarkerProducer) {
      if (index_of(seq) != static_cast<std::uint64_t>(phase)) {
        throw std::runtime_error("the end-of-phase marker of phase " + std::to_string(index_of(seq)) +
                                 " arrived in phase " + std::to_string(phase));
      }
      return next;
    }
    w.tally.on_receive(seq);
    w.count_message();
    if (!m->intact() || producer_of(seq) != 0) {
      ++w.tally.corrupt;
      continue;
    }
    if (index_of(seq) != next) ++w.tally.out_of_order;  // lost, repeated or reordered
    next = index_of(seq) + 1;
    if (auto* slot = stamps ? w.recv_stamp(0, index_of(seq)) : nullptr) *slot = t;
  }
}

template <class M>
void fan_out(Worker& w) {
  if (w.index == 0) {
    Stream<M> stream(w.mem, run::kForwardName, w.p.capacity);
    if (!stream.created()) throw std::runtime_error("the stream existed before the producer created it");
    w.barrier();  // 1: the stream exists
    w.barrier();  // 2: every subscriber holds its cursor
    std::uint64_t next = emit_phase(w, stream, 0, 0, w.p.warmup, 0);
    w.begin_timed();
    const std::uint64_t first = next;
    next = emit_phase(w, stream, 1, next, w.p.timed, w.p.duration_ns);
    w.end_timed();
    emit_marker(stream, 1);
    w.timed_messages = next - first;
    w.bytes = w.timed_messages * sizeof(M);
    w.barrier();  // 3: every subscriber read the last marker before the stream goes
  } else {
    w.barrier();  // 1
    Stream<M> stream(w.mem, run::kForwardName);
    Cursor<M> cursor = stream.cursor();
    w.barrier();  // 2
    std::uint64_t next = read_phase(w, cursor, 0, 0);
    w.begin_timed();
    const std::uint64_t first = next;
    next = read_phase(w, cursor, 1, next);
    w.end_timed();
    w.timed_messages = next - first;
    w.bytes = w.timed_messages * sizeof(M);
    w.barrier();  // 3
  }
}

void work(Worker& w) {
  run::with_message_size(w.p.message_size, [&](auto size) { fan_out<Message<decltype(size)::value>>(w); });
}

std::string refusal(const CaseShape& s) {
  if (s.producers == 1 && s.consumers >= 1 && s.consumers <= kMaxSubscribers) return "";
  return "fanout is one producer (the stream's creator) and 1.." + std::to_string(kMaxSubscribers) +
         " subscribers: it needs producers = 1 and consumers = 1.." + std::to_string(kMaxSubscribers) + ", not " +
         workers_label(s.producers, s.consumers);
}

}  // namespace

const WorkloadDef& fanout() {
  static const WorkloadDef def{
      .name = "fanout",
      .summary = "fanout (a stream's multicast: one producer, every subscriber reads every message; structure "
                 "'stream' only)",
      .structures = {"stream"},
      .wrong_structure = "fanout measures a stream's multicast",
      .refusal = refusal,
      // The plan counts each subscriber as a busy worker, though one that
      // waits sleeps in the stream's futex instead of polling: 1p2c on a 2-PU
      // machine needs experiment.oversubscribe = true, and is then marked
      // oversubscribed (its barriers yield), as for any other workload.
      .workers = producers_plus_consumers,
      .capacity_section = "streaming",
      .capacity_key = "capacity",
      .fill = fill_streaming_counts,  // the producer's counts; every subscriber receives them all
      .run = work,
      .expected_sent = producers_sent,
      .multicast = true,
      .metrics = {.primary = "throughput_msgs_per_s", .one_way_ns = true, .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
