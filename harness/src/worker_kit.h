// What a workload's worker loop (harness/src/workloads/*.cpp) works with:
// the Worker of one process of one repetition — its params, the segment, the
// control block, the barrier, the clock, the checks on receipt, the stamps —
// and the loops several workloads share (the one-way send/receive phases,
// the handles of the structure under test, a transport's link).
// Internal to the harness.
//
// A loop meets the others at barrier() as its workload's protocol says,
// brackets its timed phase with begin_timed() / end_timed(), and leaves its
// results in the public fields (timed_messages, bytes, round_trips, tally);
// worker.cpp turns them into the worker's report.
//
// Memory-ordering pairs of the control block (worker.cpp):
//   (1) a producer's release fetch_add on produced[] and then producers_done[]
//       pairs with (2) the consumers' acquire loads of both, after which
//       consumed == produced means every message of the phase was taken;
//   (3) the last worker's release bump of barrier_generation pairs with (4)
//       the waiters' acquire loads: what anyone did before the barrier is
//       visible to everyone after it (the reset of barrier_count included).
// A workload's own pairs are numbered in its file from (5) on.
#pragma once

#include <sched.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "zeroipc/variants/detail/cpu_relax.h"

#include "run_layout.h"
#include "zeroipc/baselines/transport.h"
#include "zeroipc/harness/counters.h"
#include "zeroipc/harness/histogram.h"
#include "zeroipc/harness/message.h"
#include "zeroipc/harness/rusage.h"
#include "zeroipc/harness/worker.h"
#include "zeroipc/harness/workload.h"
#include "zeroipc/memory.h"

namespace zeroipc::harness {

// The producer of the end-of-phase marker a sender writes after the last
// message of a phase when its receiver blocks (a transport, a stream): not a
// real producer (the plan allows at most 64), so it cannot be mistaken for a
// message.
inline constexpr std::uint64_t kEndMarkerProducer = kMaxProducers - 1;

/// Which timed messages are stamped for one-way latency, and where: every
/// stride-th message index from `first` (stride = mask + 1, a power of two),
/// `samples` slots per producer. A value a loop copies into locals.
struct StampSlots {
  std::uint64_t* data = nullptr;  // null: nothing is stamped (then samples is 0)
  std::uint64_t first = 0;        // the first timed message's index
  std::uint64_t mask = 0;         // stride - 1
  int shift = 0;                  // log2(stride)
  std::uint64_t samples = 0;      // slots per producer

  /// The slot of a producer's message index, or nullptr when it is not
  /// stamped. The producer is one the run has (Receipts::receive checked it,
  /// or the sender's own index). Off the stride, as most are: a subtraction,
  /// a mask and a branch.
  [[gnu::always_inline]] std::uint64_t* slot(std::uint64_t producer, std::uint64_t index) const {
    const std::uint64_t offset = index - first;
    if ((offset & mask) != 0 || index < first) return nullptr;
    const std::uint64_t k = offset >> shift;
    return k < samples ? data + producer * samples + k : nullptr;
  }

  /// A sender's stamps (its indexes come in increasing order): the next
  /// stamped index at or after `index`, compared with each message's index.
  struct Cursor {
    std::uint64_t next = ~std::uint64_t{0};  // the next stamped index; ~0: none left
    std::uint64_t* at = nullptr;             // its slot
    std::uint64_t* end = nullptr;            // past the producer's last slot
    std::uint64_t stride = 0;
    /// Stamps message `next` with `ticks` and moves on to the one after.
    [[gnu::always_inline]] void stamp(std::uint64_t ticks) {
      *at++ = ticks;
      next = at == end ? ~std::uint64_t{0} : next + stride;
    }
  };
  Cursor cursor(std::uint64_t producer, std::uint64_t index) const {
    const std::uint64_t k = index <= first ? 0 : ((index - first) + mask) >> shift;  // rounded up
    if (k >= samples) return {};
    return {first + (k << shift), data + producer * samples + k, data + (producer + 1) * samples, mask + 1};
  }
};

class Worker {
 public:
  Worker(const RunParams& params, int index);

  const RunParams& p;  // the repetition
  const int index;     // this worker: 0 .. p.pus.size() - 1
  Memory mem;          // the run segment

 private:
  Array<std::uint64_t> control_words_;

 public:
  run::Control* const ctl;  // the control block in the segment
  Counters counters;        // hardware counters, started by begin_timed()

  // ---- what the loop leaves for the report ----------------------------------------
  std::uint64_t start = 0, end = 0;  // ticks of the timed phase (begin_timed / end_timed set them)
  std::uint64_t timed_messages = 0;  // messages (round trips, passes) of the timed phase
  std::uint64_t timed_waits = 0;     // wait_hint() calls (failed polls) of the timed phase
  std::uint64_t bytes = 0;           // their bytes
  Tally tally;                       // every message sent and received, checked
  Histogram round_trips;             // reported as "round_trip_ns" when not empty
  SoftwareFacts before{}, facts{};   // rusage of the timed phase (begin_timed / end_timed)
  std::map<std::string, long long> counter_values;
  nlohmann::json link_settings;      // transport (map) cases: what the link's (store's) adapter set

  /// Runs the workload's loop and returns the worker's report (worker.h).
  nlohmann::json run();

  // ---- waiting, the barrier, timing -----------------------------------------------
  /// After a failed poll: yields the PU in oversubscribed cases, else the
  /// CPU's spin-wait hint (x86 `pause`), as a user's polling loop should
  /// have. Without it, how often a poll took the line back from its writer
  /// followed the loop's speed, and so the code's placement: spsc_ring's 8 B
  /// ping-pong took 921 ns in one build and 1102 ns in the next (only lcrq.h
  /// changed), the reference ring 911 and 921; with it, 951 and 921-981.
  /// Counts the wait: the report says how often each side found nothing to
  /// do (a consumer an empty structure, a producer a full one), i.e. which
  /// side kept up (README, Microbenchmarks: "which side keeps up").
  void wait_hint() const {
    ++waits_;
    if (p.yield_when_waiting) {
      sched_yield();
    } else {
      variants::detail::cpu_relax();
    }
  }
  /// Every worker of the repetition meets here; (3)/(4) order what came before.
  void barrier();
  std::uint64_t now() const { return clock_.now_ticks(); }
  std::uint64_t to_ns(std::uint64_t ticks) const { return clock_.to_ns(ticks); }
  /// Ticks for `ns`, rounded up.
  std::uint64_t ticks_for(std::uint64_t ns) const;
  /// A barrier, then the timed phase starts: rusage, counters, start.
  void begin_timed();
  /// The timed phase ends: end, counters, rusage.
  void end_timed();

  // ---- messages ---------------------------------------------------------------------
  /// Test hook: a message passed; dies at the chosen one, as a crash would.
  /// Inline and one predictable branch: it runs for every message (a loop
  /// that keeps fault_armed() in a local skips the call altogether).
  void count_message() {
    if (fault_after_ != 0) [[unlikely]] count_toward_fault();
  }
  /// Whether count_message() can do anything in this worker.
  bool fault_armed() const { return fault_after_ != 0; }

  /// A received message: checked whole, counted, order checked per producer
  /// for FIFO structures. Returns its sequence when it is intact and names a
  /// producer of this run (the segment is not trusted), else nullopt.
  /// One message at a time (pingpong, mixed); a loop over many keeps a
  /// Receipts of its own (receipts(), one_way::consume).
  template <class M>
  std::optional<std::uint64_t> receive(const M& m, bool fifo) {
    count_message();
    std::uint64_t seq = 0;
    const bool ok = fifo ? receive_one<true>(m, seq) : receive_one<false>(m, seq);
    return ok ? std::optional<std::uint64_t>(seq) : std::nullopt;
  }
  /// The checks on receipt for a loop (message.h): its counts go into
  /// `tally` when the loop calls fold_into(tally).
  template <bool Fifo>
  Receipts<Fifo> receipts() {
    return Receipts<Fifo>(next_index_.data(), next_index_.size());
  }

  /// The send / receive stamp slot of a producer's message index (one-way
  /// latency), or nullptr when that message is not stamped (every stride-th
  /// timed message is: RunParams::stride). Inline, a mask and a shift: it is
  /// asked for every message.
  std::uint64_t* send_stamp(std::uint64_t producer, std::uint64_t message_index) {
    return send_stamps().slot(producer, message_index);
  }
  std::uint64_t* recv_stamp(std::uint64_t producer, std::uint64_t message_index) {
    return recv_stamps().slot(producer, message_index);
  }
  /// The stamp arrays as values a loop keeps in locals (registers).
  StampSlots send_stamps() const { return stamps(send_stamps_data_); }
  StampSlots recv_stamps() const { return stamps(recv_stamps_data_); }

  // ---- the structure under test --------------------------------------------------
  /// One side of a transport link (worker 1 is the server), connected through
  /// the address the server's listen() leaves in the control block; runs
  /// body(link), then meets the other side so neither closes early.
  void with_link(const std::function<void(baselines::Transport&)>& body);

 private:
  mutable std::uint64_t waits_ = 0;  // wait_hint() calls since begin_timed()
  StampSlots stamps(std::uint64_t* data) const {
    return {data, first_stamped_, stride_mask_, stride_shift_, data ? p.samples : 0};
  }
  template <bool Fifo, class M>
  bool receive_one(const M& m, std::uint64_t& seq) {
    Receipts<Fifo> r = receipts<Fifo>();
    const bool ok = r.receive(m, seq);
    r.fold_into(tally);
    return ok;
  }
  void count_toward_fault();

  ClockCalibration clock_;
  std::optional<Array<std::uint64_t>> send_stamps_, recv_stamps_;
  std::uint64_t* send_stamps_data_ = nullptr;  // their words; null when nothing is stamped
  std::uint64_t* recv_stamps_data_ = nullptr;
  std::uint64_t first_stamped_ = 0;            // the first timed message's index: warmup * burst_size
  std::uint64_t stride_mask_ = 0;              // stride - 1 (a power of two)
  int stride_shift_ = 0;                       // log2(stride)
  std::vector<std::uint64_t> next_index_;      // per producer: lowest index not seen yet
  std::uint64_t fault_after_ = 0;              // this worker dies after so many messages; 0: never
  std::uint64_t fault_count_ = 0;
};

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

/// Queues promise each consumer a producer's messages in order, and so does
/// every transport (one sender, one receiver); stacks do not. A workload's
/// own handle says so with `static constexpr bool kFifoOrder = true`.
template <class H>
inline constexpr bool kFifo = run::is_queue<H>::value || is_transport_handle<H>::value ||
                              requires { requires H::kFifoOrder; };

/// Calls f(forward, back) with the handles of the case's structure: a queue's
/// or stack's instances "a" and "b" (back is forward when the workload keeps
/// one instance), or, for a transport, this side of the link as one
/// TransportHandle (f(h, h)).
template <class F>
void with_handles(Worker& w, F&& f) {
  if (w.p.is_transport()) {
    w.with_link([&](baselines::Transport& link) {
      run::with_message_size(w.p.message_size, [&](auto size) {
        TransportHandle<Message<decltype(size)::value>> h(link);
        f(h, h);
      });
    });
    return;
  }
  run::with_handle_type(w.p, [&]<class H>(std::type_identity<H>) {
    H forward(w.mem, run::kForwardName);
    if (w.p.workload->structure_instances > 1) {
      H back(w.mem, run::kBackName);
      f(forward, back);
    } else {
      f(forward, forward);
    }
  });
}

/// The phases of a round-trip workload (pingpong, the round-trip probes): a
/// barrier, rounds 0 .. p.warmup - 1 untimed, then p.timed rounds between
/// begin_timed() and end_timed(); round(r, timed) runs round r.
template <class Round>
void round_trip_phases(Worker& w, Round&& round) {
  w.barrier();
  for (std::uint64_t r = 0; r < w.p.warmup; ++r) round(r, false);
  w.begin_timed();
  for (std::uint64_t r = w.p.warmup; r < w.p.warmup + w.p.timed; ++r) round(r, true);
  w.end_timed();
  w.timed_messages = w.p.timed;
}

// The one-way loop's parts (run_one_way, and workloads that bring a handle
// of their own to it, such as pool's). A handle H has value_type M (a
// Message), push(const M&) -> bool or, written in place,
//   push_in_place(seq) -> bool          writes message `seq` where the receiver
//                                       will read it; false: no room yet
// and pop() -> optional<M> (a copy) or, read in place,
//   pop_in_place(check) -> bool         calls check(const M&) on the next
//                                       message where it lies; false: none yet
// (the reference ring pushes in place and pops a copy: its slot is free
// again as soon as it is copied, before the check).
template <class H>
inline constexpr bool kPushInPlace = requires(H& h, std::uint64_t seq) { h.push_in_place(seq); };
template <class H>
inline constexpr bool kPopInPlace = requires(H& h, void (*check)(const typename H::value_type&)) {
  h.pop_in_place(check);
};

namespace one_way {
// The loops keep everything they touch per message in locals (Sender,
// Receiver): the counts and the multiset hash (added to the worker's tally
// once, at the end), the order state, the stamp schedule, whether the fault
// hook is armed. What a message costs on top of the structure's push or pop
// is then one mix64 on each side (the header and the hash term), a compare
// with the sequence expected on receipt, a compare for the stamp (the
// sender's next stamped index; the receiver's index, masked), and a clock
// read on the stamped ones only. The per-message functions are
// always_inline: left out of line (as GCC 12 chose), they take the state's
// address, and the state moves to memory, a load and a store per message.

// A producer's per-message step: message `index` stamped if it is one of
// the stamped ones, pushed (written in place when the handle can), hashed,
// counted for the fault hook. A value the loop owns, as Receiver below.
template <class H>
struct Sender {
  Worker& w;
  H& h;
  std::uint64_t producer;
  StampSlots::Cursor stamps;
  bool fault_armed;
  std::uint64_t hash = 0;
  typename H::value_type m;  // the message, when the handle takes a copy

  [[gnu::always_inline]] void operator()(std::uint64_t index) {
    const std::uint64_t seq = sequence_of(producer, index);
    if (index == stamps.next) [[unlikely]] stamps.stamp(w.now());
    if constexpr (kPushInPlace<H>) {
      while (!h.push_in_place(seq)) w.wait_hint();
    } else {
      m.write(seq);
      while (!h.push(m)) w.wait_hint();
    }
    hash += mix64(seq);
    if (fault_armed) [[unlikely]] w.count_message();
  }
};

// Sends `bursts` bursts (or, with duration_ns, as many as fit), each of
// burst_size messages back to back followed by gap_ns of spinning.
template <class H>
inline std::uint64_t produce(Worker& w, H& h, int phase, std::uint64_t index, std::uint64_t bursts,
                             std::uint64_t duration_ns) {
  const auto producer = static_cast<std::uint64_t>(w.index);
  const std::uint64_t first = index;
  const std::uint64_t burst_size = w.p.burst_size;
  const std::uint64_t gap_ticks = w.p.gap_ns == 0 ? 0 : w.ticks_for(w.p.gap_ns);
  const std::uint64_t deadline = duration_ns == 0 ? 0 : w.now() + w.ticks_for(duration_ns);
  Sender<H> send{w, h, producer,
                 phase == 1 ? w.send_stamps().cursor(producer, index) : StampSlots::Cursor{}, w.fault_armed(), 0, {}};
  if (burst_size == 1 && gap_ticks == 0 && deadline == 0) {
    for (const std::uint64_t end = index + bursts; index < end; ++index) send(index);  // streaming
  } else {
    for (std::uint64_t b = 0;; ++b) {
      if (deadline != 0 ? ((b & 63) == 0 && w.now() >= deadline) : b == bursts) break;
      for (const std::uint64_t end = index + burst_size; index < end; ++index) send(index);
      if (gap_ticks != 0) {
        const std::uint64_t until = w.now() + gap_ticks;
        while (w.now() < until) {
        }
      }
    }
  }
  w.tally.sent += index - first;
  w.tally.sent_hash += send.hash;
  w.ctl->produced[phase].v.fetch_add(index - first, std::memory_order_release);  // (1)
  w.ctl->producers_done[phase].v.fetch_add(1, std::memory_order_release);        // (1)
  return index;
}

template <class H>
inline void produce_phases(Worker& w, H& h) {
  w.barrier();
  std::uint64_t next = produce(w, h, 0, 0, w.p.warmup, 0);
  if constexpr (is_transport_handle<H>::value) h.end_phase(0);
  w.begin_timed();
  const std::uint64_t first = next;
  next = produce(w, h, 1, next, w.p.timed, w.p.duration_ns);
  w.end_timed();
  if constexpr (is_transport_handle<H>::value) h.end_phase(1);
  w.timed_messages = next - first;
  w.bytes = w.timed_messages * sizeof(typename H::value_type);
}

// A consumer's per-message step: the checks (Receipts), the stamp of the
// stamped ones, the fault hook. A value the loop owns and calls directly (or
// lends to pop_in_place), so that its state stays in registers.
template <class M, bool Fifo>
struct Receiver {
  Worker& w;
  Receipts<Fifo> receipts;
  StampSlots stamps;
  bool fault_armed;

  [[gnu::always_inline]] void operator()(const M& m) {
    if (fault_armed) [[unlikely]] w.count_message();
    std::uint64_t seq;
    if (receipts.receive(m, seq)) {
      if (auto* slot = stamps.slot(producer_of(seq), index_of(seq))) [[unlikely]] *slot = w.now();
    }
  }
};

// Receives until every producer is done with the phase and every message
// it sent was taken (by this consumer or another). Returns how many it took.
template <class H>
inline std::uint64_t consume(Worker& w, H& h, int phase) {
  constexpr std::uint64_t kFlushEvery = 64;  // a power of two
  using M = typename H::value_type;
  const auto producers = static_cast<std::uint64_t>(w.p.producers);
  Receiver<M, kFifo<H>> receive{w, w.receipts<kFifo<H>>(), phase == 1 ? w.recv_stamps() : StampSlots{},
                                w.fault_armed()};
  std::uint64_t flushed = 0;  // how many of the messages taken were added to consumed[phase]
  if constexpr (is_transport_handle<H>::value) h.begin_phase();
  while (true) {
    bool got = false;
    if constexpr (kPopInPlace<H>) {
      got = h.pop_in_place(receive);
    } else if (auto m = h.pop()) {
      receive(*m);
      got = true;
    }
    const std::uint64_t taken = receive.receipts.received();
    if (got) {
      if ((taken & (kFlushEvery - 1)) == 0) {
        w.ctl->consumed[phase].v.fetch_add(taken - flushed, std::memory_order_relaxed);
        flushed = taken;
      }
      continue;
    }
    if (taken != flushed) {
      w.ctl->consumed[phase].v.fetch_add(taken - flushed, std::memory_order_relaxed);
      flushed = taken;
    }
    if (w.ctl->producers_done[phase].v.load(std::memory_order_acquire) == producers &&  // (2)
        w.ctl->consumed[phase].v.load(std::memory_order_relaxed) ==
            w.ctl->produced[phase].v.load(std::memory_order_acquire)) {  // (2)
      receive.receipts.fold_into(w.tally);
      return taken;
    }
    w.wait_hint();
  }
}

template <class H>
inline void consume_phases(Worker& w, H& h) {
  w.barrier();
  consume(w, h, 0);
  w.begin_timed();
  w.timed_messages = consume(w, h, 1);
  w.end_timed();
  w.bytes = w.timed_messages * sizeof(typename H::value_type);
}
}  // namespace one_way

/// Worker w's part of the one-way loop on handle h: producer or consumer, as its index says.
template <class H>
void one_way_phases(Worker& w, H& h) {
  if (w.index < w.p.producers) {
    one_way::produce_phases(w, h);
  } else {
    one_way::consume_phases(w, h);
  }
}

/// The one-way loop (streaming, burst): producers send the warm-up, then the
/// timed phase, in bursts of p.burst_size followed by p.gap_ns of spinning
/// (or, with p.duration_ns, as many as fit); consumers receive until every
/// producer is done and every message is taken. (1)/(2) in worker.cpp.
void run_one_way(Worker& w);

/// The first 64-byte aligned line of an array of run::kLineWords words: a
/// workload's own line in the segment (floor-cacheline, floor-futex), alone
/// on its cache line.
template <class T>
T* aligned_line(Array<std::uint64_t>& words) {
  static_assert(sizeof(T) <= 64 && alignof(T) <= 64, "one cache line");
  if (words.size() < run::kLineWords) throw std::runtime_error("the line's array is too small");
  auto a = reinterpret_cast<std::uintptr_t>(words.data());
  a = (a + 63) & ~std::uintptr_t{63};
  return reinterpret_cast<T*>(a);
}

}  // namespace zeroipc::harness
