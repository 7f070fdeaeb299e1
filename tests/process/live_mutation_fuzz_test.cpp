// The segment is untrusted input while it is in use, not only when it is
// opened: a hostile (or crashed, or buggy) peer may write anything at any
// moment. A mutator process writes random bytes and words into a segment
// holding one structure of every kind and variant, while a worker process
// opens them and runs every operation on them, over and over. Every
// operation must return, or throw a zeroipc::Error, within a bounded time:
// never crash, hang or throw anything else (under AddressSanitizer, never
// touch memory outside the segment either).
//
// ZEROIPC_FUZZ_SECONDS sets how long the worker runs (default 3; the long
// run uses hours). One summary line reports the operations run and how
// they ended.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <unistd.h>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/channel.h>
#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/map.h>
#include <zeroipc/memory.h>
#include <zeroipc/pool.h>
#include <zeroipc/queue.h>
#include <zeroipc/registry.h>
#include <zeroipc/ring.h>
#include <zeroipc/set.h>
#include <zeroipc/stack.h>
#include <zeroipc/stream.h>

#include "test_support.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using zeroipc::Memory;
using zeroipc::test::ScopedName;

constexpr std::size_t kSize = 1 << 20;
constexpr std::size_t kCapacity = 16;
/// No single operation may take longer than this (a dead lock holder costs one 20 ms check; a
/// recovery that waits for a slot marked active by the mutator gives up after 5 s).
constexpr auto kSlowestOperation = 6s;

double seconds() {
  if (const char* env = std::getenv("ZEROIPC_FUZZ_SECONDS")) {
    const double s = std::atof(env);
    if (s > 0) return s;
  }
  return 3.0;
}

void create_everything(Memory& mem) {
  zeroipc::Array<std::uint64_t> arr(mem, "arr", 64);
  std::apply([&](auto... v) {
    (zeroipc::Queue<std::uint64_t, decltype(v)>(mem, std::string("q_") + std::string(decltype(v)::kName), kCapacity),
     ...);
  }, zeroipc::QueueVariants{});
  std::apply([&](auto... v) {
    (zeroipc::Stack<std::uint64_t, decltype(v)>(mem, std::string("s_") + std::string(decltype(v)::kName), kCapacity),
     ...);
  }, zeroipc::StackVariants{});
  std::apply([&](auto... v) {
    ((zeroipc::Map<std::uint64_t, std::uint64_t, decltype(v)>(mem, "m_" + std::string(decltype(v)::kName), kCapacity),
      zeroipc::Set<std::uint32_t, decltype(v)>(mem, "set_" + std::string(decltype(v)::kName), kCapacity)),
     ...);
  }, zeroipc::MapVariants{});
  std::apply([&](auto... v) {
    (zeroipc::Pool<std::uint64_t, decltype(v)>(mem, "pool_" + std::string(decltype(v)::kName), kCapacity), ...);
  }, zeroipc::PoolVariants{});
  std::apply([&](auto... v) {
    (zeroipc::Ring<std::uint32_t, decltype(v)>(mem, "ring_" + std::string(decltype(v)::kName), 100), ...);
  }, zeroipc::RingVariants{});
  zeroipc::Future<std::uint64_t> fut(mem, "fut");
  zeroipc::Lazy<std::uint64_t> lazy(mem, "lazy");
  zeroipc::Stream<std::uint64_t> block(mem, "stream", kCapacity);
  zeroipc::Stream<std::uint64_t> drop(mem, "stream_drop", kCapacity,
                                      zeroipc::StreamOptions{.overflow = zeroipc::Overflow::drop_oldest});
  zeroipc::Channel<std::uint64_t> ch(mem, "ch", 8);
  zeroipc::Channel<std::uint64_t> rv(mem, "rv", 0);
}

// The mutator, forever: restores the segment to its first state (so that
// structures keep opening), then writes a burst of random bytes and words
// into it while the worker runs, mostly into the structures (where
// operations loop), sometimes anywhere (header, attach slots, table).
[[noreturn]] void mutate_forever(const std::string& name, std::uint64_t seed) {
  Memory m(name);
  std::mt19937_64 rng(seed);
  std::byte* base = m.base();
  const std::uint64_t used = m.size() - m.free_bytes();
  const std::vector<std::byte> pristine(base, base + used);
  const std::uint64_t structures = m.table().entries().front().offset;
  const std::uint64_t interesting[] = {0, 1, 2, 3, 0x7F, 0x80, 0xFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
                                       std::uint64_t{1} << 32, std::uint64_t{1} << 40, ~std::uint64_t{0},
                                       ~std::uint64_t{0} >> 1};
  for (;;) {
    for (std::uint64_t off = 0; off < used; off += 8) {
      std::uint64_t w = 0;
      std::memcpy(&w, pristine.data() + off, 8);
      std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + off)).store(w, std::memory_order_relaxed);
    }
    const int burst = 1 + static_cast<int>(rng() % 8);
    for (int k = 0; k < burst; ++k) {
      const std::uint64_t lo = (rng() % 16 == 0) ? 0 : structures;
      const std::uint64_t off = (lo + rng() % (used - lo)) & ~std::uint64_t{7};
      const std::uint64_t v = (rng() & 1) ? interesting[rng() % std::size(interesting)] : rng();
      switch (rng() % 3) {
        case 0: std::atomic_ref<std::uint8_t>(*reinterpret_cast<std::uint8_t*>(base + off + rng() % 8))
                    .store(static_cast<std::uint8_t>(v), std::memory_order_relaxed); break;
        case 1: std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(base + off + 4 * (rng() % 2)))
                    .store(static_cast<std::uint32_t>(v), std::memory_order_relaxed); break;
        default: std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(base + off))
                     .store(v, std::memory_order_relaxed); break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
    }
  }
}

struct Counts {
  std::uint64_t ops = 0, errors = 0, corrupt = 0, reopened = 0;
  Clock::duration slowest{};
};

// One handle of every structure, reopened from the name now and then (opening
// validates what the mutator may have broken).
struct Handles {
  std::optional<zeroipc::Array<std::uint64_t>> arr;
  std::vector<std::function<void(std::mt19937_64&)>> ops;
};

template <class C>
void add_container_ops(Memory& m, const std::string& name, std::vector<std::function<void(std::mt19937_64&)>>& ops) {
  auto c = std::make_shared<C>(m, name);
  ops.push_back([c](std::mt19937_64& rng) { (void)c->push(rng()); });
  ops.push_back([c](std::mt19937_64&) { (void)c->pop(); });
  ops.push_back([c](std::mt19937_64& rng) {
    if (rng() % 16 == 0) (void)c->recover();
  });
}

Handles open_everything(Memory& m, Counts& counts) {
  Handles h;
  auto guarded_open = [&](const std::function<void()>& open) {
    try {
      open();
    } catch (const zeroipc::CorruptSegment&) {
      ++counts.corrupt;
    } catch (const zeroipc::Error&) {
      ++counts.errors;
    }
  };
  guarded_open([&] { h.arr.emplace(m, "arr"); });
  std::apply([&](auto... v) {
    (guarded_open([&] {
       add_container_ops<zeroipc::Queue<std::uint64_t, decltype(v)>>(m, "q_" + std::string(decltype(v)::kName), h.ops);
     }), ...);
  }, zeroipc::QueueVariants{});
  std::apply([&](auto... v) {
    (guarded_open([&] {
       add_container_ops<zeroipc::Stack<std::uint64_t, decltype(v)>>(m, "s_" + std::string(decltype(v)::kName), h.ops);
     }), ...);
  }, zeroipc::StackVariants{});
  std::apply([&](auto... v) {
    (guarded_open([&] {
       auto map = std::make_shared<zeroipc::Map<std::uint64_t, std::uint64_t, decltype(v)>>(
           m, "m_" + std::string(decltype(v)::kName));
       auto set = std::make_shared<zeroipc::Set<std::uint32_t, decltype(v)>>(m, "set_" + std::string(decltype(v)::kName));
       h.ops.push_back([map](std::mt19937_64& rng) { (void)map->insert(rng() % 32, rng()); });
       h.ops.push_back([map](std::mt19937_64& rng) { (void)map->insert_or_assign(rng() % 32, rng()); });
       h.ops.push_back([map](std::mt19937_64& rng) { (void)map->erase(rng() % 32); });
       h.ops.push_back([map](std::mt19937_64& rng) { (void)map->find(rng() % 32); });
       h.ops.push_back([set](std::mt19937_64& rng) { (void)set->insert(static_cast<std::uint32_t>(rng() % 32)); });
       h.ops.push_back([set](std::mt19937_64& rng) { (void)set->erase(static_cast<std::uint32_t>(rng() % 32)); });
     }), ...);
  }, zeroipc::MapVariants{});
  std::apply([&](auto... v) {
    (guarded_open([&] {
       using P = zeroipc::Pool<std::uint64_t, decltype(v)>;
       auto pool = std::make_shared<P>(m, "pool_" + std::string(decltype(v)::kName));
       auto held = std::make_shared<std::vector<typename P::Handle>>();
       h.ops.push_back([pool, held](std::mt19937_64&) {
         if (auto got = pool->acquire()) {
           (*pool)[*got] = 1;
           held->push_back(*got);
         }
       });
       h.ops.push_back([pool, held](std::mt19937_64& rng) {
         if (held->empty()) return;
         const std::size_t i = rng() % held->size();
         const auto one = (*held)[i];
         held->erase(held->begin() + static_cast<std::ptrdiff_t>(i));
         pool->release(one);
       });
       h.ops.push_back([pool](std::mt19937_64&) { (void)pool->held_by_dead(); });
     }), ...);
  }, zeroipc::PoolVariants{});
  std::apply([&](auto... v) {
    (guarded_open([&] {
       using R = zeroipc::Ring<std::uint32_t, decltype(v)>;
       auto ring = std::make_shared<R>(m, "ring_" + std::string(decltype(v)::kName));
       auto reader = std::make_shared<typename R::Reader>(ring->reader());
       h.ops.push_back([ring](std::mt19937_64& rng) {
         std::uint32_t buf[40] = {};
         (void)ring->write(std::span<const std::uint32_t>(buf, 1 + rng() % 40));
       });
       h.ops.push_back([ring](std::mt19937_64& rng) {
         auto slot = ring->write_acquire(1 + rng() % 40);
         for (auto& x : slot) x = 7;
         ring->write_release(slot.size());
       });
       h.ops.push_back([ring, reader](std::mt19937_64& rng) {
         std::uint32_t buf[40];
         (void)reader->read(std::span<std::uint32_t>(buf, 1 + rng() % 40));
       });
       h.ops.push_back([ring, reader](std::mt19937_64& rng) {
         auto view = reader->read_acquire(1 + rng() % 40);
         std::uint64_t sum = 0;
         for (auto x : view) sum += x;
         reader->read_release(view.size() / 2 + (sum & 0));
       });
     }), ...);
  }, zeroipc::RingVariants{});
  guarded_open([&] {
    auto f = std::make_shared<zeroipc::Future<std::uint64_t>>(m, "fut", zeroipc::open_only);
    h.ops.push_back([f](std::mt19937_64&) { (void)f->get_for(1ms); });
    h.ops.push_back([f](std::mt19937_64& rng) { f->set_value(rng()); });
    h.ops.push_back([f](std::mt19937_64&) { f->claim_producer(); });
  });
  guarded_open([&] {
    auto l = std::make_shared<zeroipc::Lazy<std::uint64_t>>(m, "lazy", zeroipc::open_only);
    l->set_computation([] { return std::uint64_t{42}; });
    h.ops.push_back([l](std::mt19937_64&) { (void)l->get_for(1ms); });
    h.ops.push_back([l](std::mt19937_64&) { (void)l->invalidate(); });
  });
  for (const char* s : {"stream", "stream_drop"}) {
    guarded_open([&] {
      auto st = std::make_shared<zeroipc::Stream<std::uint64_t>>(m, s);
      auto cur = std::make_shared<zeroipc::Cursor<std::uint64_t>>(st->cursor());
      h.ops.push_back([st](std::mt19937_64& rng) { (void)st->try_emit(rng()); });
      h.ops.push_back([cur](std::mt19937_64&) { (void)cur->try_next(); });
      h.ops.push_back([st](std::mt19937_64&) { (void)st->subscribers(); });
    });
  }
  for (const char* c : {"ch", "rv"}) {
    guarded_open([&] {
      auto ch = std::make_shared<zeroipc::Channel<std::uint64_t>>(m, c);
      h.ops.push_back([ch](std::mt19937_64& rng) { (void)ch->try_send(rng()); });
      h.ops.push_back([ch](std::mt19937_64&) { (void)ch->try_receive(); });
      h.ops.push_back([ch](std::mt19937_64& rng) { (void)ch->send_for(rng(), 1ms); });
      h.ops.push_back([ch](std::mt19937_64&) { (void)ch->receive_for(1ms); });
    });
  }
  return h;
}

// The worker: runs operations until the time is up. Exit 0, or 3 for an
// exception that is not a zeroipc::Error, 4 for an operation that took too long.
int work(const std::string& name, double secs, std::uint64_t seed) {
  ::alarm(static_cast<unsigned>(secs) + 60);  // a hang ends the worker (exit 128 + SIGALRM)
  std::mt19937_64 rng(seed);
  Counts counts;
  const auto end = Clock::now() + std::chrono::duration<double>(secs);
  while (Clock::now() < end) {
    std::optional<Memory> m;
    try {
      m.emplace(name);
    } catch (const zeroipc::Error&) {
      ++counts.errors;  // the mutator broke the segment header: nothing opens now
      std::this_thread::sleep_for(1ms);
      continue;
    }
    Handles h = open_everything(*m, counts);
    ++counts.reopened;
    for (int i = 0; i < 500 && !h.ops.empty() && Clock::now() < end; ++i) {
      auto& op = h.ops[rng() % h.ops.size()];
      const auto t0 = Clock::now();
      try {
        op(rng);
        if (h.arr) (*h.arr)[rng() % h.arr->size()] = rng();
      } catch (const zeroipc::CorruptSegment&) {
        ++counts.corrupt;
      } catch (const zeroipc::Error&) {
        ++counts.errors;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "not a zeroipc::Error: %s\n", e.what());
        return 3;
      }
      const auto took = Clock::now() - t0;
      if (took > counts.slowest) counts.slowest = took;
      if (took > kSlowestOperation) {
        std::fprintf(stderr, "an operation took %.1f s\n", std::chrono::duration<double>(took).count());
        return 4;
      }
      ++counts.ops;
    }
  }
  std::printf("[ fuzz     ] live mutation: %llu operations in %.1f s (%llu CorruptSegment, %llu other "
              "zeroipc::Error, %llu reopenings), slowest %.1f ms\n",
              static_cast<unsigned long long>(counts.ops), secs, static_cast<unsigned long long>(counts.corrupt),
              static_cast<unsigned long long>(counts.errors), static_cast<unsigned long long>(counts.reopened),
              std::chrono::duration<double, std::milli>(counts.slowest).count());
  return 0;
}

TEST(LiveMutationFuzz, EveryStructureSurvivesAPeerWritingRandomBytesWhileItRuns) {
  ScopedName name("livefuzz");
  {
    Memory mem(name, kSize, 32);
    create_everything(mem);
  }
  const double secs = seconds();
  const pid_t mutator = zeroipc::test::spawn([&]() -> int { mutate_forever(name.str(), 0xF022'0001); });
  const pid_t worker = zeroipc::test::spawn([&] { return work(name.str(), secs, 0xF022'0002); });
  const int rc = zeroipc::test::wait_for(worker);
  ::kill(mutator, SIGKILL);
  zeroipc::test::wait_for(mutator);
  EXPECT_EQ(rc, 0) << "3: an exception that is not a zeroipc::Error; 4: an operation took more than 6 s; "
                   << 128 + SIGALRM << ": the worker hung; " << 128 + SIGSEGV << ": it crashed";
}

}  // namespace
