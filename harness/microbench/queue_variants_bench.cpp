// Per-operation microbenchmarks of every queue and stack variant (Google
// Benchmark). What it measures, per variant:
//   single_thread     push then pop from one thread: the uncontended cost of a pair
//   two_threads       one producer thread and one consumer thread pinned to cores
//                     1 and 0, 8-byte messages: one-way throughput (order checked)
//   cross_process     the same with the consumer in another process (fork)
//   stack_two_threads one pushing thread, one popping thread (count and sum checked)
// The two-sided cases start their peer thread (or process) once per run of
// the benchmark and time only the transfer of each 65536-message batch
// (manual time; bench_common.h StartLine): thread creation, pinning and the
// peer's wake-up are outside the timed region, and so are the checks. They
// report two counters a message: empty_polls (the consumer's polls that
// found nothing) and full_polls (the producer's that found no room): which
// side waited for the other, and so which lines moved (README).
//   4p4c              4 producers + 4 consumers on the 2 cores (MPMC variants only):
//                     preemption in the middle of an operation (count and sum checked)
// plus `reference_spsc`, a minimal hand-written SPSC ring in private memory
// built here, the "how good can it get" reference for spsc_ring.
//
// Compare variants as ratios within one run; never across runs (noisy VM).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/registry.h>

#include "bench_common.h"

namespace {

using namespace zeroipc::bench;

// The two sides' waits per message, as counters: empty_polls (the
// consumer's polls that found nothing) and full_polls (the producer's that
// found no room). They tell which side kept up, and so which lines moved:
// see README, Microbenchmarks.
class Waits {
 public:
  void add(std::uint64_t consumer_waits, std::uint64_t producer_waits) {
    empty_ += consumer_waits;
    full_ += producer_waits;
  }
  void report(benchmark::State& state) const {
    const double messages = static_cast<double>(state.iterations() * kBatch);
    if (messages == 0) return;
    state.counters["empty_polls"] = static_cast<double>(empty_) / messages;
    state.counters["full_polls"] = static_cast<double>(full_) / messages;
  }

 private:
  std::uint64_t empty_ = 0;
  std::uint64_t full_ = 0;
};

// One producer thread (core 1) and this thread as consumer (core 0).
template <class Q>
void run_two_threads(benchmark::State& state, Q& producer_side, Q& consumer_side) {
  OneToOne<Q> pair(producer_side, consumer_side, kBatch);
  Waits waits;
  for (auto _ : state) {
    const Batch b = pair.run();
    state.SetIterationTime(b.seconds);
    waits.add(b.lead_waits, b.peer_waits);
    if (b.errors != 0) {
      state.SkipWithError("messages out of order, corrupt or duplicated");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  waits.report(state);
}

void reference_spsc(benchmark::State& state) {
  auto q = std::make_unique<ReferenceSpsc>();
  run_two_threads(state, *q, *q);
}

template <class V>
void single_thread(benchmark::State& state) {
  Segment seg;
  zeroipc::Queue<std::uint64_t, V> q(seg.mem, "q", kCapacity);
  std::uint64_t i = 0;
  for (auto _ : state) {
    q.push(i++);
    benchmark::DoNotOptimize(q.pop());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <class V>
void two_threads(benchmark::State& state) {
  Segment seg;
  zeroipc::Queue<std::uint64_t, V> q(seg.mem, "q", kCapacity);
  run_two_threads(state, q, q);
}

template <class V>
void cross_process(benchmark::State& state) {
  Segment seg;
  zeroipc::Queue<std::uint64_t, V> q(seg.mem, "q", kCapacity);
  // The consumer process opens the queue once; per batch it counts the
  // messages out of order, plus one if another message follows the batch.
  struct Consumer {
    explicit Consumer(const std::string& name) : mem(name), q(mem, "q") {}
    zeroipc::Memory mem;
    zeroipc::Queue<std::uint64_t, V> q;
  };
  PeerProcess consumer([&seg]() -> PeerPart {
    auto c = std::make_shared<Consumer>(seg.name);
    return [c]() -> PartResult {
      PartResult r;
      for (std::uint64_t expected = 0; expected < kBatch;) {
        if (auto v = c->q.pop()) {
          r.errors += *v != expected++;
        } else {
          ++r.waits;
          zeroipc::variants::detail::cpu_relax();
        }
      }
      r.errors += c->q.pop() ? 1 : 0;
      return r;
    };
  });
  Waits waits;
  for (auto _ : state) {
    Batch b;
    try {
      b = consumer.batch([&] {
        std::uint64_t full = 0;
        for (std::uint64_t i = 0; i < kBatch; ++i) full += poll_until([&] { return q.push(i); });
        return full;
      });
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    state.SetIterationTime(b.seconds);
    waits.add(b.peer_waits, b.lead_waits);  // the consumer is the peer here
    if (b.errors != 0) {
      state.SkipWithError("consumer saw a wrong item");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  waits.report(state);
}

template <class V>
void four_by_four(benchmark::State& state) {
  Segment seg;
  zeroipc::Queue<std::uint64_t, V> q(seg.mem, "q", kCapacity);
  for (auto _ : state) {
    if (!four_by_four_batch(q, kBatch)) {
      state.SkipWithError("lost or duplicated messages");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
}

template <class V>
void stack_single_thread(benchmark::State& state) {
  Segment seg;
  zeroipc::Stack<std::uint64_t, V> s(seg.mem, "s", kCapacity);
  std::uint64_t i = 0;
  for (auto _ : state) {
    s.push(i++);
    benchmark::DoNotOptimize(s.pop());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <class V>
void stack_two_threads(benchmark::State& state) {
  Segment seg;
  zeroipc::Stack<std::uint64_t, V> s(seg.mem, "s", kCapacity);
  PeerThread pusher([&s]() -> PartResult {
    PartResult r;
    for (std::uint64_t i = 0; i < kBatch; ++i) r.waits += poll_until([&] { return s.push(i); });
    return r;
  });
  Waits waits;
  for (auto _ : state) {
    std::uint64_t sum = 0;
    const Batch b = pusher.batch([&] {
      std::uint64_t empty = 0;
      for (std::uint64_t i = 0; i < kBatch; ++i) {
        std::optional<std::uint64_t> v;
        empty += poll_until([&] { return (v = s.pop()).has_value(); });
        sum += *v;
      }
      return empty;
    });
    state.SetIterationTime(b.seconds);
    waits.add(b.lead_waits, b.peer_waits);
    // kBatch pops of kBatch distinct pushes: every one once, nothing left.
    if (b.errors != 0 || sum != kBatch * (kBatch - 1) / 2 || s.pop()) {
      state.SkipWithError("lost or duplicated items");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kBatch));
  waits.report(state);
}

template <class... V>
void register_queues(std::tuple<V...>*) {
  (benchmark::RegisterBenchmark(("single_thread/" + std::string(V::kName)).c_str(), single_thread<V>), ...);
  benchmark::RegisterBenchmark("two_threads/reference_spsc", reference_spsc)->UseManualTime();
  (benchmark::RegisterBenchmark(("two_threads/" + std::string(V::kName)).c_str(), two_threads<V>)
       ->UseManualTime(),
   ...);
  (benchmark::RegisterBenchmark(("cross_process/" + std::string(V::kName)).c_str(), cross_process<V>)
       ->UseManualTime(),
   ...);
  auto mpmc = [](auto* tag) {
    using W = std::remove_pointer_t<decltype(tag)>;
    if constexpr (W::kMultiProducer && W::kMultiConsumer) {
      benchmark::RegisterBenchmark(("4p4c/" + std::string(W::kName)).c_str(), four_by_four<W>)
          ->UseRealTime();
    }
  };
  (mpmc(static_cast<V*>(nullptr)), ...);
}

template <class... V>
void register_stacks(std::tuple<V...>*) {
  (benchmark::RegisterBenchmark(("stack_single_thread/" + std::string(V::kName)).c_str(),
                                stack_single_thread<V>),
   ...);
  (benchmark::RegisterBenchmark(("stack_two_threads/" + std::string(V::kName)).c_str(),
                                stack_two_threads<V>)
       ->UseManualTime(),
   ...);
}

}  // namespace

int main(int argc, char** argv) {
  register_queues(static_cast<zeroipc::QueueVariants*>(nullptr));
  register_stacks(static_cast<zeroipc::StackVariants*>(nullptr));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("build_type", ZEROIPC_BUILD_TYPE);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
