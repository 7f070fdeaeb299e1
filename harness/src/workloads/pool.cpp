// pool: acquire / write / pass / check / release cycles on one zeroipc::Pool
// shared by producer and consumer processes, against copying the same
// messages through the same queue, the baseline a user would pick instead.
// Metric: cycles (messages) per second of all producers together, and the
// one-way latency of every stride-th timed message.
//
// Modes ([pool] modes), one case each:
//   handles  a producer acquires an object of the pool (waiting while every
//            one is in flight), writes the message of message_size bytes
//            into it in place, and pushes its 16-byte Handle through a
//            zeroipc::Queue<Handle>; a consumer pops the handle, checks the
//            message where it lies (every word: message.h) and releases the
//            object. The message's bytes are written once and read once.
//   copies   the baseline: the producer writes the message into a private
//            buffer and pushes a copy through a zeroipc::Queue of messages
//            (the same queue variant, the same capacity); the consumer pops
//            a copy and checks it. The bytes are written and read once more
//            each way than with handles: what the pool's zero copy saves.
// Both run the one-way loop (worker_kit.h: warm-up, timed phase, the phase
// counters (1)/(2)), the pool's through push_in_place / pop_in_place.
//
// Protocol: worker 0 creates the structures (the pool and the handle queue,
// or the message queue) with [pool] objects places each; barrier 1; the others open
// them; the one-way loop; barrier 2 (every message taken); worker 0 checks
// that every object of the pool is free again and every queue empty, or the
// repetition fails saying what was left.
#include <optional>

#include "common.h"
#include "zeroipc/pool.h"
#include "zeroipc/queue.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr const char* kPoolName = "pool";
constexpr const char* kQueueName = "queue";  // of handles, or (copies) of messages

template <std::size_t S>
using PoolOf = Pool<Message<S>>;
using Handle = PoolOf<8>::Handle;  // one handle type for every object size
static_assert(std::is_same_v<Handle, PoolOf<65536>::Handle>, "a handle does not depend on the object's size");

/// The one-way loop's handle for mode "handles": messages written and read in the pool's objects.
template <std::size_t S>
struct PoolChannel {
  using value_type = Message<S>;
  static constexpr bool kFifoOrder = true;  // the handle queue keeps each producer's order

  PoolOf<S>& pool;
  Queue<Handle>& handles;

  bool push_in_place(std::uint64_t seq) {
    const std::optional<Handle> h = pool.acquire();
    if (!h) return false;  // every object is in flight: the consumers give them back
    pool[*h].write(seq);
    // Never full: the queue holds as many handles as the pool has objects.
    while (!handles.push(*h)) {
    }
    return true;
  }
  template <class Check>
  bool pop_in_place(Check&& check) {
    const std::optional<Handle> h = handles.pop();
    if (!h) return false;
    check(pool[*h]);
    pool.release(*h);
    return true;
  }
};

bool copies(const RunParams& p) { return p.mix == "copies"; }

template <class Q>
std::string left_in(Q& q, const char* what) {
  std::uint64_t n = 0;
  while (q.pop()) ++n;
  return n == 0 ? "" : std::to_string(n) + " " + what + " left in the queue; ";
}

template <std::size_t S>
void run_sized(Worker& w) {
  using M = Message<S>;
  const std::size_t objects = static_cast<std::size_t>(w.p.capacity);
  const bool creator = w.index == 0;
  std::string problems;
  if (copies(w.p)) {
    std::optional<Queue<M>> q;
    if (creator) q.emplace(w.mem, kQueueName, objects);
    w.barrier();  // 1: the structures exist
    if (!creator) q.emplace(w.mem, kQueueName, open_only);
    one_way_phases(w, *q);
    w.barrier();  // 2: every message was taken
    if (creator) problems = left_in(*q, "messages");
  } else {
    std::optional<PoolOf<S>> pool;
    std::optional<Queue<Handle>> handles;
    if (creator) {
      pool.emplace(w.mem, kPoolName, objects);
      handles.emplace(w.mem, kQueueName, objects);
    }
    w.barrier();  // 1
    if (!creator) {
      pool.emplace(w.mem, kPoolName, open_only);
      handles.emplace(w.mem, kQueueName, open_only);
    }
    PoolChannel<S> channel{*pool, *handles};
    one_way_phases(w, channel);
    w.barrier();  // 2
    if (creator) {
      problems = left_in(*handles, "handles");
      if (pool->available() != objects) {
        problems += std::to_string(objects - pool->available()) + " of the pool's " + std::to_string(objects) +
                    " objects are still acquired; ";
      }
    }
  }
  if (!problems.empty()) throw std::runtime_error("pool verification failed (" + w.p.mix + "): " + problems);
}

void work(Worker& w) {
  run::with_message_size(w.p.message_size, [&](auto size) { run_sized<decltype(size)::value>(w); });
}

std::uint64_t structure_bytes(const RunParams& p) {
  std::uint64_t bytes = 0;
  run::with_message_size(p.message_size, [&](auto size) {
    constexpr std::size_t S = decltype(size)::value;
    const auto s = static_cast<std::uint32_t>(S);
    bytes = copies(p) ? Queue<Message<S>>::total_size(p.capacity, s)
                      : PoolOf<S>::total_size(p.capacity, s) + Queue<Handle>::total_size(p.capacity, sizeof(Handle));
  });
  return bytes + 2 * 128;  // alignment of each
}

}  // namespace

const WorkloadDef& pool() {
  static const WorkloadDef def{
      .name = "pool",
      .summary = "pool (acquire / write / pass the handle through a queue / check / release; structure 'pool' only)",
      .keys = {make_int_list_key("pool", "object_sizes", nlohmann::json::array({64, 4096, 65536}), 8, 65536,
                                 "bytes per object (the message in it), one case each", supported_message_sizes()),
               make_key("pool", "modes", KeyType::string_list, nlohmann::json::array({"handles", "copies"}),
                        "one case each: handles = messages written in the pool's objects, their handles through a "
                        "zeroipc::Queue; copies = the same messages copied through the same queue (the baseline)",
                        {"handles", "copies"}),
               make_int_key("pool", "objects", 64, 1, 1 << 20,
                            "objects of the pool, and places of the queue (handles or copies): messages in flight"),
               make_int_key("pool", "cycles", 100000, 1, kMaxCount, "timed cycles (messages) per producer"),
               make_int_key("pool", "warmup_cycles", 10000, 0, kMaxCount, "untimed cycles per producer before them"),
               make_int_key("pool", "cycles_ms", 0, 0, 3600000,
                            "when > 0: producers run cycles for this long instead of [pool] cycles")},
      .structures = {"pool"},
      .wrong_structure = "pool measures zeroipc::Pool (its copies mode is the queue baseline)",
      .refusal = multiplicity_refusal,
      .mixes = [](const Config& c) { return c.get_strings("pool", "modes"); },
      .message_sizes = [](const Config& c) { return c.get_ints("pool", "object_sizes"); },
      .workers = producers_plus_consumers,
      .capacity_section = "pool",
      .capacity_key = "objects",
      .fill = [](const Config& c, RunParams& p) { fill_counts(c, p, "pool", "cycles", "warmup_cycles", "cycles_ms"); },
      .own_structure_bytes = structure_bytes,
      .run = work,
      .expected_sent = producers_sent,
      .metrics = {.primary = "throughput_msgs_per_s", .one_way_ns = true, .msgs_per_s = true, .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
