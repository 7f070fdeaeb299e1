// zeroipc/harness/worker.cpp — worker mode: the workloads themselves.
//
// Every wait is a busy poll (the thing measured is how fast a poller sees a
// change), except in oversubscribed cases, where a waiter yields its PU.
// Memory-ordering pairs of the control block:
//   (1) a producer's release fetch_add on produced[] and then producers_done[]
//       pairs with (2) the consumers' acquire loads of both, after which
//       consumed == produced means every message of the phase was taken;
//   (3) the last worker's release bump of barrier_generation pairs with (4)
//       the waiters' acquire loads: what anyone did before the barrier is
//       visible to everyone after it (the reset of barrier_count included);
//   (6) floor-futex: each side's release store of the word pairs with the
//       other side's acquire load once its FUTEX_WAIT returned;
//   (5) floor-cacheline: each side's release store of the line pairs with the
//       other side's acquire load.
//   (7) fanout: no atomics of the harness's own. The stream exists before
//       barrier 1 and every cursor before barrier 2 ((3)/(4) order both), so
//       each subscriber sees every message; the messages themselves are
//       ordered by the stream (detail/stream_ring.h).
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>
#include <vector>

#include "run_layout.h"
#include "zeroipc/harness/counters.h"
#include "zeroipc/harness/histogram.h"
#include "zeroipc/harness/rusage.h"
#include "zeroipc/harness/topology.h"
#include "zeroipc/memory.h"
#include "zeroipc/stream.h"
#include "zeroipc/variants/detail/futex.h"

namespace zeroipc::harness {

namespace {

using run::Control;

// The producer of the end-of-phase marker a transport's sender writes after
// the last message of each phase: not a real producer (the plan allows at
// most 64), so it cannot be mistaken for a message.
constexpr std::uint64_t kEndMarkerProducer = kMaxProducers - 1;

// A transport (baselines/) seen through the push/pop interface the workloads
// use: push sends and pop receives, both blocking, so neither ever fails. A
// receiver blocked in the kernel cannot watch the control counters the way a
// queue's consumer does, so a streaming sender ends each phase with a marker
// message (end_phase); pop returns nullopt for it, after which the counters
// say the phase is complete.
template <class M>
class TransportHandle {
 public:
  using value_type = M;
  explicit TransportHandle(baselines::Transport& t) : t_(t) {}

  bool push(const M& m) {
    t_.send(reinterpret_cast<const std::byte*>(&m));
    return true;
  }
  std::optional<M> pop() {
    if (ended_) {
      throw std::runtime_error("the end-of-phase marker arrived before every message of the phase (messages lost)");
    }
    std::optional<M> out(std::in_place);
    t_.receive(reinterpret_cast<std::byte*>(&*out));
    if (out->intact() && producer_of(out->sequence()) == kEndMarkerProducer) {
      ended_ = true;
      out.reset();
    }
    return out;
  }
  void begin_phase() { ended_ = false; }
  void end_phase(int phase) {
    M m;
    m.write(sequence_of(kEndMarkerProducer, static_cast<std::uint64_t>(phase)));
    push(m);
  }

 private:
  baselines::Transport& t_;
  bool ended_ = false;
};

template <class H>
struct is_transport_handle : std::false_type {};
template <class M>
struct is_transport_handle<TransportHandle<M>> : std::true_type {};

class Worker {
 public:
  Worker(const RunParams& p, int index)
      : p_(p),
        index_(index),
        mem_(p.segment),
        control_words_(mem_, run::kControlName),
        ctl_(run::control_of(control_words_)),
        clock_(p.clock) {
    if (p.samples > 0) {
      send_stamps_.emplace(mem_, run::kSendStamps);
      recv_stamps_.emplace(mem_, run::kRecvStamps);
      const auto need = p.stamp_slots();
      if (send_stamps_->size() < need || recv_stamps_->size() < need) {
        throw std::runtime_error("stamp arrays are smaller than the run needs");
      }
    }
  }

  nlohmann::json run() {
    Counters counters;  // before the first barrier: PAPI's setup is not timed
    next_index_.assign(static_cast<std::size_t>(std::max(p_.producers, 1)), 0);
    switch (p_.workload) {
      case Workload::floor_cacheline: floor_cacheline(counters); break;
      case Workload::floor_futex: floor_futex(counters); break;
      case Workload::floor_memcpy: floor_memcpy(counters); break;
      case Workload::floor_shm_read: floor_shm_read(counters); break;
      case Workload::fanout:
        run::with_message_size(p_.message_size,
                               [&](auto size) { fanout<Message<decltype(size)::value>>(counters); });
        break;
      default:
        if (p_.is_transport()) {
          transport_workload(counters);
        } else {
          run::with_handle_type(p_, [&]<class H>(std::type_identity<H>) { structure_workload<H>(counters); });
        }
    }
    nlohmann::json counters_json = {{"available", counters.available()},
                                    {"reason", counters.unavailable_reason()},
                                    {"values", counter_values_}};
    if (!counters.last_error().empty()) counters_json["error"] = counters.last_error();
    nlohmann::json report = {{"worker", index_},
                             {"role", p_.role(index_)},
                             {"role_index", p_.role_index(index_)},
                             {"pid", ::getpid()},
                             {"pu", p_.pus.at(static_cast<std::size_t>(index_))},
                             {"pu_at_end", current_pu()},
                             {"start_ticks", start_},
                             {"end_ticks", end_},
                             {"timed_messages", timed_messages_},
                             {"bytes", bytes_},
                             {"tally",
                              {{"sent", tally_.sent},
                               {"sent_hash", tally_.sent_hash},
                               {"received", tally_.received},
                               {"received_hash", tally_.received_hash},
                               {"corrupt", tally_.corrupt},
                               {"out_of_order", tally_.out_of_order}}},
                             {"software", to_json(facts_)},
                             {"counters", counters_json}};
    if (round_trips_.count() > 0) report["round_trip_ns"] = round_trips_.to_json();
    if (p_.is_transport()) report["link"] = link_settings_;
    return report;
  }

 private:
  // ---- waiting, the barrier, timing -------------------------------------------

  void wait_hint() const {
    if (p_.yield_when_waiting) sched_yield();
  }

  void barrier() {
    const auto workers = static_cast<std::uint64_t>(p_.pus.size());
    const std::uint64_t generation = ctl_->barrier_generation.v.load(std::memory_order_acquire);  // (4)
    if (ctl_->barrier_count.v.fetch_add(1, std::memory_order_acq_rel) + 1 == workers) {
      ctl_->barrier_count.v.store(0, std::memory_order_relaxed);
      ctl_->barrier_generation.v.fetch_add(1, std::memory_order_release);  // (3)
    } else {
      while (ctl_->barrier_generation.v.load(std::memory_order_acquire) == generation) wait_hint();  // (4)
    }
  }

  std::uint64_t now() const { return clock_.now_ticks(); }

  void begin_timed(Counters& counters) {
    barrier();
    before_ = sample_self();
    if (counters.available()) counters.start();
    start_ = now();
  }
  void end_timed(Counters& counters) {
    end_ = now();
    if (counters.available()) counter_values_ = counters.stop();
    facts_ = sample_self() - before_;
  }

  // Test hook: die at a chosen point, as a crash would.
  void count_message() {
    if (p_.fault_worker == index_ && ++fault_count_ == p_.fault_after) ::kill(::getpid(), SIGKILL);
  }

  // ---- checks on receipt --------------------------------------------------------

  // A received message: checked whole, counted, order checked per producer
  // for FIFO structures. Returns its sequence when it is intact and names a
  // producer of this run (the segment is not trusted), else nullopt.
  template <class M>
  std::optional<std::uint64_t> receive(const M& m, bool fifo) {
    const std::uint64_t seq = m.sequence();
    tally_.on_receive(seq);
    count_message();
    if (!m.intact() || producer_of(seq) >= next_index_.size()) {
      ++tally_.corrupt;
      return std::nullopt;
    }
    auto& next = next_index_[producer_of(seq)];
    if (fifo && index_of(seq) < next) ++tally_.out_of_order;
    next = std::max(next, index_of(seq) + 1);
    return seq;
  }

  // Stamp slot of a producer's message index, or nullptr when not stamped.
  std::uint64_t* stamp_slot(std::optional<Array<std::uint64_t>>& stamps, std::uint64_t producer,
                            std::uint64_t index) {
    const std::uint64_t first_timed = p_.warmup * p_.burst_size;
    if (!stamps || index < first_timed) return nullptr;
    const std::uint64_t offset = index - first_timed;
    if ((offset & (p_.stride - 1)) != 0 || offset / p_.stride >= p_.samples) return nullptr;
    return &(*stamps)[producer * p_.samples + offset / p_.stride];
  }

  // ---- the structure workloads ---------------------------------------------------

  template <class H>
  void structure_workload(Counters& counters) {
    H forward(mem_, run::kForwardName);
    switch (p_.workload) {
      case Workload::pingpong: {
        H back(mem_, run::kBackName);
        pingpong(forward, back, counters);
        break;
      }
      case Workload::streaming:
      case Workload::burst:
        if (index_ < p_.producers) {
          produce_phases(forward, counters);
        } else {
          consume_phases(forward, counters);
        }
        break;
      case Workload::mixed: mixed(forward, counters); break;
      default: throw std::logic_error("not a structure workload");
    }
  }

  // One side of a transport link (server: the responder / consumer), connected
  // through the address the server's listen() leaves in the control block.
  void transport_workload(Counters& counters) {
    const bool server = index_ == 1;
    auto link = baselines::make_transport(p_.link_spec(), server ? baselines::Side::server : baselines::Side::client);
    if (server) {
      const std::string address = link->listen();
      if (address.size() > sizeof(ctl_->address)) {
        throw std::runtime_error("the link's address is longer than " + std::to_string(sizeof(ctl_->address)) +
                                 " bytes: " + address);
      }
      std::memcpy(ctl_->address, address.data(), address.size());
      ctl_->address_length = address.size();
    }
    barrier();  // (3)/(4): the address is written before the client reads it
    std::string address;
    if (!server) {
      const std::uint64_t n = ctl_->address_length;
      if (n > sizeof(ctl_->address)) throw std::runtime_error("corrupt link address length in the control block");
      address.assign(ctl_->address, n);
    }
    link->connect(address);
    link_settings_ = link->settings();
    run::with_message_size(p_.message_size, [&](auto size) {
      TransportHandle<Message<decltype(size)::value>> h(*link);
      if (p_.workload == Workload::pingpong) {
        pingpong(h, h, counters);
      } else if (index_ < p_.producers) {
        produce_phases(h, counters);
      } else {
        consume_phases(h, counters);
      }
    });
    // Neither side closes before the other has everything: a sender that
    // closes right after its last send can lose what is still queued on some
    // transports (ZeroMQ's PUSH did, see zmq_transport.cpp), and a TCP close
    // with unread data resets the connection.
    barrier();
  }

  // Queues promise each consumer a producer's messages in order, and so does
  // every transport (one sender, one receiver); stacks do not.
  template <class H>
  static constexpr bool kFifo = run::is_queue<H>::value || is_transport_handle<H>::value;

  template <class H>
  void pingpong(H& ping, H& pong, Counters& counters) {
    using M = typename H::value_type;
    const bool initiator = index_ == 0;
    barrier();
    run_round_trips(ping, pong, initiator, 0, p_.warmup, false);
    begin_timed(counters);
    run_round_trips(ping, pong, initiator, p_.warmup, p_.timed, true);
    end_timed(counters);
    timed_messages_ = p_.timed;
    bytes_ = p_.timed * sizeof(M);
  }

  template <class H>
  void run_round_trips(H& ping, H& pong, bool initiator, std::uint64_t first, std::uint64_t count, bool timed) {
    using M = typename H::value_type;
    M m;
    for (std::uint64_t i = first; i < first + count; ++i) {
      const std::uint64_t seq = sequence_of(0, i);
      if (initiator) {
        m.write(seq);
        const std::uint64_t t0 = now();
        if (auto* slot = timed ? stamp_slot(send_stamps_, 0, i) : nullptr) *slot = t0;
        while (!ping.push(m)) wait_hint();
        tally_.on_send(seq);
        count_message();
        std::optional<M> echo;
        while (!(echo = pong.pop())) wait_hint();
        const std::uint64_t t1 = now();
        if (auto got = receive(*echo, true); got && *got != seq) ++tally_.out_of_order;
        if (timed) round_trips_.record(clock_.to_ns(t1 - t0));
      } else {
        std::optional<M> got;
        while (!(got = ping.pop())) wait_hint();
        const std::uint64_t t = now();
        if (auto* slot = timed ? stamp_slot(recv_stamps_, 0, i) : nullptr) *slot = t;
        if (auto s = receive(*got, true); s && *s != seq) ++tally_.out_of_order;
        while (!pong.push(*got)) wait_hint();
        tally_.on_send(got->sequence());
      }
    }
  }

  template <class H>
  void produce_phases(H& h, Counters& counters) {
    barrier();
    std::uint64_t next = produce(h, 0, 0, p_.warmup, 0);
    if constexpr (is_transport_handle<H>::value) h.end_phase(0);
    begin_timed(counters);
    const std::uint64_t first = next;
    next = produce(h, 1, next, p_.timed, p_.duration_ns);
    end_timed(counters);
    if constexpr (is_transport_handle<H>::value) h.end_phase(1);
    timed_messages_ = next - first;
    bytes_ = timed_messages_ * sizeof(typename H::value_type);
  }

  // Sends `bursts` bursts (or, with duration_ns, as many as fit), each of
  // burst_size messages back to back followed by gap_ns of spinning.
  template <class H>
  std::uint64_t produce(H& h, int phase, std::uint64_t index, std::uint64_t bursts, std::uint64_t duration_ns) {
    using M = typename H::value_type;
    const auto producer = static_cast<std::uint64_t>(index_);
    const std::uint64_t first = index;
    const std::uint64_t gap_ticks = p_.gap_ns == 0 ? 0 : ticks_for(p_.gap_ns);
    const std::uint64_t deadline = duration_ns == 0 ? 0 : now() + ticks_for(duration_ns);
    M m;
    for (std::uint64_t b = 0;; ++b) {
      if (deadline != 0 ? ((b & 63) == 0 && now() >= deadline) : b == bursts) break;
      for (std::uint64_t k = 0; k < p_.burst_size; ++k, ++index) {
        const std::uint64_t seq = sequence_of(producer, index);
        m.write(seq);
        if (auto* slot = phase == 1 ? stamp_slot(send_stamps_, producer, index) : nullptr) *slot = now();
        while (!h.push(m)) wait_hint();
        tally_.on_send(seq);
        count_message();
      }
      if (gap_ticks != 0) {
        const std::uint64_t until = now() + gap_ticks;
        while (now() < until) {
        }
      }
    }
    ctl_->produced[phase].v.fetch_add(index - first, std::memory_order_release);  // (1)
    ctl_->producers_done[phase].v.fetch_add(1, std::memory_order_release);        // (1)
    return index;
  }

  template <class H>
  void consume_phases(H& h, Counters& counters) {
    barrier();
    consume(h, 0);
    begin_timed(counters);
    timed_messages_ = consume(h, 1);
    end_timed(counters);
    bytes_ = timed_messages_ * sizeof(typename H::value_type);
  }

  // Receives until every producer is done with the phase and every message
  // it sent was taken (by this consumer or another). Returns how many it took.
  template <class H>
  std::uint64_t consume(H& h, int phase) {
    constexpr std::uint64_t kFlushEvery = 64;
    const auto producers = static_cast<std::uint64_t>(p_.producers);
    std::uint64_t pending = 0, taken = 0;
    if constexpr (is_transport_handle<H>::value) h.begin_phase();
    while (true) {
      if (auto m = h.pop()) {
        if (auto seq = receive(*m, kFifo<H>)) {
          if (auto* slot = phase == 1 ? stamp_slot(recv_stamps_, producer_of(*seq), index_of(*seq)) : nullptr) {
            *slot = now();
          }
        }
        ++taken;
        if (++pending == kFlushEvery) {
          ctl_->consumed[phase].v.fetch_add(pending, std::memory_order_relaxed);
          pending = 0;
        }
        continue;
      }
      if (pending != 0) {
        ctl_->consumed[phase].v.fetch_add(pending, std::memory_order_relaxed);
        pending = 0;
      }
      if (ctl_->producers_done[phase].v.load(std::memory_order_acquire) == producers &&  // (2)
          ctl_->consumed[phase].v.load(std::memory_order_relaxed) ==
              ctl_->produced[phase].v.load(std::memory_order_acquire)) {  // (2)
        return taken;
      }
      wait_hint();
    }
  }

  // Every worker pushes one message, then pops one (anyone's): the classic
  // enqueue-dequeue pairs benchmark. The structure holds at most one message
  // per worker, so a pop always finds one eventually.
  template <class H>
  void mixed(H& h, Counters& counters) {
    barrier();
    mixed_pairs(h, 0, p_.warmup);
    begin_timed(counters);
    mixed_pairs(h, p_.warmup, p_.timed);
    end_timed(counters);
    timed_messages_ = p_.timed;
    bytes_ = p_.timed * sizeof(typename H::value_type);
  }

  template <class H>
  void mixed_pairs(H& h, std::uint64_t first, std::uint64_t count) {
    using M = typename H::value_type;
    M m;
    for (std::uint64_t i = first; i < first + count; ++i) {
      const std::uint64_t seq = sequence_of(static_cast<std::uint64_t>(index_), i);
      m.write(seq);
      while (!h.push(m)) wait_hint();
      tally_.on_send(seq);
      count_message();
      std::optional<M> got;
      while (!(got = h.pop())) wait_hint();
      receive(*got, kFifo<H>);
    }
  }

  // ---- fanout: a stream's multicast ---------------------------------------------------

  // The producer (worker 0) creates the stream — its creator is the one
  // process that may emit — before barrier 1; the subscribers open it after
  // barrier 1 and take their cursors before barrier 2, so each sees every
  // message from the first. Each phase ends with a marker message (as a
  // transport's does): a subscriber blocked in the stream's futex wait has
  // no other way to learn that the phase is over. Backpressure (the default,
  // Overflow::block): emit() waits for the slowest subscriber.
  template <class M>
  void fanout(Counters& counters) {
    if (index_ == 0) {
      Stream<M> stream(mem_, run::kForwardName, p_.capacity);
      if (!stream.created()) throw std::runtime_error("the stream existed before the producer created it");
      barrier();  // 1: the stream exists
      barrier();  // 2: every subscriber holds its cursor
      std::uint64_t next = emit_phase(stream, 0, 0, p_.warmup, 0);
      begin_timed(counters);
      const std::uint64_t first = next;
      next = emit_phase(stream, 1, next, p_.timed, p_.duration_ns);
      end_timed(counters);
      emit_marker(stream, 1);
      timed_messages_ = next - first;
      bytes_ = timed_messages_ * sizeof(M);
      barrier();  // 3: every subscriber read the last marker before the stream goes
    } else {
      barrier();  // 1
      Stream<M> stream(mem_, run::kForwardName);
      Cursor<M> cursor = stream.cursor();
      barrier();  // 2
      std::uint64_t next = read_phase(cursor, 0, 0);
      begin_timed(counters);
      const std::uint64_t first = next;
      next = read_phase(cursor, 1, next);
      end_timed(counters);
      timed_messages_ = next - first;
      bytes_ = timed_messages_ * sizeof(M);
      barrier();  // 3
    }
  }

  // Emits `count` messages (or, with duration_ns, as many as fit), then, in
  // the warm-up, the phase's marker (the timed phase's follows end_timed).
  // Returns the next index.
  template <class M>
  std::uint64_t emit_phase(Stream<M>& stream, int phase, std::uint64_t index, std::uint64_t count,
                           std::uint64_t duration_ns) {
    const std::uint64_t deadline = duration_ns == 0 ? 0 : now() + ticks_for(duration_ns);
    M m;
    for (std::uint64_t k = 0;; ++k, ++index) {
      if (deadline != 0 ? ((k & 63) == 0 && now() >= deadline) : k == count) break;
      const std::uint64_t seq = sequence_of(0, index);
      m.write(seq);
      if (auto* slot = phase == 1 ? stamp_slot(send_stamps_, 0, index) : nullptr) *slot = now();
      stream.emit(m);
      tally_.on_send(seq);
      count_message();
    }
    if (phase == 0) emit_marker(stream, 0);
    return index;
  }

  template <class M>
  static void emit_marker(Stream<M>& stream, int phase) {
    M m;
    m.write(sequence_of(kEndMarkerProducer, static_cast<std::uint64_t>(phase)));
    stream.emit(m);
  }

  // Reads until the phase's marker, checking every message: intact, and the
  // producer's next index (every subscriber sees every message, in order).
  // Returns the index after the last one read.
  template <class M>
  std::uint64_t read_phase(Cursor<M>& cursor, int phase, std::uint64_t next) {
    const bool stamps = phase == 1 && index_ == 1;  // the first subscriber stamps, for one-way latency
    while (true) {
      std::optional<M> m = cursor.next();
      const std::uint64_t t = now();
      if (!m) {
        const StreamEnd why = cursor.end_reason();
        throw std::runtime_error(std::string("the stream ended (") +
                                 (why == StreamEnd::producer_gone ? "its producer is gone"
                                  : why == StreamEnd::closed      ? "closed"
                                                                  : "end reason " + std::to_string(static_cast<int>(why))) +
                                 ") before the end-of-phase marker of phase " + std::to_string(phase));
      }
      const std::uint64_t seq = m->sequence();
      if (m->intact() && producer_of(seq) == kEndMarkerProducer) {
        if (index_of(seq) != static_cast<std::uint64_t>(phase)) {
          throw std::runtime_error("the end-of-phase marker of phase " + std::to_string(index_of(seq)) +
                                   " arrived in phase " + std::to_string(phase));
        }
        return next;
      }
      tally_.on_receive(seq);
      count_message();
      if (!m->intact() || producer_of(seq) != 0) {
        ++tally_.corrupt;
        continue;
      }
      if (index_of(seq) != next) ++tally_.out_of_order;  // lost, repeated or reordered
      next = index_of(seq) + 1;
      if (auto* slot = stamps ? stamp_slot(recv_stamps_, 0, index_of(seq)) : nullptr) *slot = t;
    }
  }

  // ---- the floor probes -----------------------------------------------------------

  // One cache line bounced between two PUs: the initiator writes an odd
  // number, the responder answers with the next even one. The least any
  // cross-core handoff can cost here.
  void floor_cacheline(Counters& counters) {
    auto& line = ctl_->cacheline.v;
    const bool initiator = index_ == 0;
    barrier();
    auto rounds = [&](std::uint64_t first, std::uint64_t count, bool timed) {
      for (std::uint64_t r = first; r < first + count; ++r) {
        const std::uint64_t ping = 2 * r + 1;
        if (initiator) {
          const std::uint64_t t0 = now();
          line.store(ping, std::memory_order_release);                      // (5)
          while (line.load(std::memory_order_acquire) != ping + 1) wait_hint();  // (5)
          const std::uint64_t t1 = now();
          if (timed) round_trips_.record(clock_.to_ns(t1 - t0));
        } else {
          while (line.load(std::memory_order_acquire) != ping) wait_hint();  // (5)
          line.store(ping + 1, std::memory_order_release);                   // (5)
        }
      }
    };
    rounds(0, p_.warmup, false);
    begin_timed(counters);
    rounds(p_.warmup, p_.timed, true);
    end_timed(counters);
    timed_messages_ = p_.timed;
  }

  // A futex wake round trip: the initiator writes an odd number and wakes the
  // responder, which sleeps in FUTEX_WAIT until then, answers with the next
  // even number and wakes the initiator, sleeping likewise. No spinning
  // first: the kernel's sleep-and-wake path alone, the floor of every
  // transport that blocks in the kernel. (6) each side's release store pairs
  // with the other's acquire load after its wait returns.
  void floor_futex(Counters& counters) {
    std::atomic<std::uint32_t>& w = ctl_->futex.word;
    auto* word = reinterpret_cast<std::uint32_t*>(&w);  // what the kernel sleeps on (static_assert in run_layout.h)
    const bool initiator = index_ == 0;
    auto wait_for = [&](std::uint32_t want) {
      for (std::uint32_t v; (v = w.load(std::memory_order_acquire)) != want;) {  // (6)
        zeroipc::detail::futex_wait(word, v, std::chrono::seconds(1));  // spurious returns re-check
      }
    };
    barrier();
    auto rounds = [&](std::uint64_t first, std::uint64_t count, bool timed) {
      for (std::uint64_t r = first; r < first + count; ++r) {
        const auto ping = static_cast<std::uint32_t>(2 * r + 1);
        if (initiator) {
          const std::uint64_t t0 = now();
          w.store(ping, std::memory_order_release);  // (6)
          zeroipc::detail::futex_wake(word, 1);
          wait_for(ping + 1);
          const std::uint64_t t1 = now();
          if (timed) round_trips_.record(clock_.to_ns(t1 - t0));
        } else {
          wait_for(ping);
          w.store(ping + 1, std::memory_order_release);  // (6)
          zeroipc::detail::futex_wake(word, 1);
        }
      }
    };
    rounds(0, p_.warmup, false);
    begin_timed(counters);
    rounds(p_.warmup, p_.timed, true);
    end_timed(counters);
    timed_messages_ = p_.timed;
  }

  // memcpy between two private buffers of `bytes`, `passes` times: the
  // memory bandwidth one PU gets (a copy reads and writes each byte once).
  void floor_memcpy(Counters& counters) {
    std::vector<unsigned char> a(p_.bytes, 1), b(p_.bytes, 2);  // filled: every page is faulted in
    std::memcpy(b.data(), a.data(), p_.bytes);                   // warm-up pass
    begin_timed(counters);
    for (std::uint64_t i = 0; i < p_.passes; ++i) {
      if (i % 2 == 0) std::memcpy(a.data(), b.data(), p_.bytes); else std::memcpy(b.data(), a.data(), p_.bytes);
    }
    end_timed(counters);
    if (a[p_.bytes / 2] != 1 || b[p_.bytes / 2] != 1) ++tally_.corrupt;  // keeps the copies observable
    bytes_ = p_.bytes * p_.passes;
    timed_messages_ = p_.passes;
  }

  // The writer fills a buffer in the segment, the reader on the other PU
  // reads every word of it: the rate at which data written on one PU can be
  // read on another — the ceiling of any streaming transport between them.
  void floor_shm_read(Counters& counters) {
    Array<std::uint64_t> buffer(mem_, run::kBufferName);
    const std::uint64_t words = std::min<std::uint64_t>(buffer.size(), p_.bytes / 8);
    std::uint64_t* data = buffer.data();
    const bool writer = index_ == 0;
    before_ = sample_self();
    if (!writer && counters.available()) counters.start();
    std::uint64_t read_ticks = 0;
    for (std::uint64_t pass = 0; pass <= p_.passes; ++pass) {  // pass 0 is the warm-up
      if (writer) {
        for (std::uint64_t i = 0; i < words; ++i) data[i] = fill_word(pass, i);
      }
      barrier();  // (3)/(4): the writes happen before the reads
      if (!writer) {
        const std::uint64_t t0 = now();
        std::uint64_t sum = 0;
        for (std::uint64_t i = 0; i < words; ++i) sum += data[i];
        const std::uint64_t t1 = now();
        if (sum != fill_sum(pass, 0, words)) ++tally_.corrupt;
        if (pass > 0) read_ticks += t1 - t0;
      }
      barrier();  // the reads are done before the next pass writes
    }
    start_ = 0;
    end_ = read_ticks;  // the reader's time spent reading, not the writer's
    if (!writer && counters.available()) counter_values_ = counters.stop();
    facts_ = sample_self() - before_;
    bytes_ = writer ? 0 : words * 8 * p_.passes;
    timed_messages_ = writer ? 0 : p_.passes;
  }

  std::uint64_t ticks_for(std::uint64_t ns) const {
    // to_ns is (ticks * mult) >> shift: invert it, rounding up.
    const auto num = static_cast<detail::u128>(ns) << clock_.shift;
    return static_cast<std::uint64_t>((num + clock_.mult - 1) / clock_.mult);
  }

  const RunParams& p_;
  const int index_;
  Memory mem_;
  Array<std::uint64_t> control_words_;
  Control* ctl_;
  ClockCalibration clock_;
  std::optional<Array<std::uint64_t>> send_stamps_, recv_stamps_;
  std::vector<std::uint64_t> next_index_;  // per producer: lowest index not seen yet
  Tally tally_;
  Histogram round_trips_;
  std::uint64_t start_ = 0, end_ = 0, timed_messages_ = 0, bytes_ = 0, fault_count_ = 0;
  SoftwareFacts before_{}, facts_{};
  std::map<std::string, long long> counter_values_;
  nlohmann::json link_settings_;  // transport cases: what the adapter set (buffers, limits)
};

}  // namespace

int worker_main(int index, const std::string& params_json) {
  try {
    const RunParams p = RunParams::from_json(nlohmann::json::parse(params_json));
    if (index < 0 || static_cast<std::size_t>(index) >= p.pus.size()) {
      throw std::invalid_argument("worker index " + std::to_string(index) + " out of range");
    }
    pin_current_process(p.pus[static_cast<std::size_t>(index)]);
    nlohmann::json report;
    {
      Worker w(p, index);
      report = w.run();
    }  // handles released (and roles given back) before reporting
    std::cout << report.dump() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cout << nlohmann::json{{"error", e.what()}}.dump() << std::endl;
    return 3;
  }
}

}  // namespace zeroipc::harness
