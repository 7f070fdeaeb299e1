// interop_cpp.cpp — the C++ side of the cross-language, cross-process tests
// (tests/python/test_interop_c.py): the subcommands of interop_c.c (see its
// top comment for the list and arguments), through the public C++ API
// (zeroipc/*.h). The driver runs one program of each language as separate
// processes on one segment and checks what each prints.
//
// Every subcommand prints one result line on stdout and exits 0, or prints
// "interop_cpp <command>: error: ..." on stderr and exits 1.
//
// hold-table-lock SEG POINT takes the table lock the way the C++ crash tests
// do (tests/process/creator_crash_test.cpp): it creates the Array<u8>
// "victim" with a crash hook (zeroipc/detail/crash_points.h) that, at POINT,
// prints "locked <pid>" and sleeps until the process is killed. POINT:
// locked (lock held, nothing written), reserved (entry RESERVED), cursor
// (alloc_cursor moved), count (table_count moved); or half-made (the entry
// RESERVED, the structure header written and its body not yet: that is done
// outside the lock, so it prints "half-made <pid>" with the lock free).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/channel.h>
#include <zeroipc/detail/crash_points.h>
#include <zeroipc/detail/layout.h>
#include <zeroipc/error.h>
#include <zeroipc/future.h>
#include <zeroipc/lazy.h>
#include <zeroipc/memory.h>
#include <zeroipc/queue.h>

#include "interop_cpp_common.h"
#include "interop_cpp_map.h"
#include "interop_cpp_stack.h"
#include <zeroipc/stream.h>

namespace {

using namespace std::chrono_literals;
using zeroipc::Memory;
using interop::die;
using interop::Failure;
using interop::kSegmentSize;
using interop::number;
using interop::say;

constexpr auto kOpDeadline = 50s;  // any one test step: far more than it needs
constexpr auto kChannelWait = 30s;
constexpr std::uint64_t kSentinel = 0xDEADBEEF;
constexpr std::size_t kTableArraySize = 1000;

const char* g_command = "?";

std::int64_t now_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// Called after each failed push or pop (full, empty): after 64 in a row, a 20 us
/// sleep, since on a loaded 2-core machine a spinning or yielding waiter keeps the
/// core from the process it waits for. True when the deadline has passed.
bool back_off(std::uint64_t& fails, std::int64_t deadline) {
  if (++fails < 64) return false;
  fails = 0;
  std::this_thread::sleep_for(20us);
  return now_ns() > deadline;
}

std::string ms_text(std::int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// ------------------------------------------------------------------ queues

template <class V>
int queue_produce(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Queue<std::uint64_t, V> q(mem, argv[1], number(argv[3], "CAPACITY"));
  const std::uint64_t count = number(argv[4], "COUNT");
  const std::uint64_t id = number(argv[5], "PRODUCER_ID");
  if (id == 0 || id >= (std::uint64_t{1} << 23)) die("PRODUCER_ID must be 1..2^23-1");
  const std::int64_t deadline = now_ns() + std::chrono::nanoseconds(kOpDeadline).count();
  std::uint64_t fails = 0;
  for (std::uint64_t seq = 0; seq < count; ++seq) {
    const std::uint64_t item = id << 40 | seq;
    while (!q.push(item)) {
      if (back_off(fails, deadline)) {
        die("producer " + std::to_string(id) + ": queue full for too long at item " + std::to_string(seq));
      }
    }
  }
  say("produced " + std::to_string(count) + " items as producer " + std::to_string(id));
  return 0;
}

template <class V>
int queue_consume(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Queue<std::uint64_t, V> q(mem, argv[1], number(argv[3], "CAPACITY"));
  const std::uint64_t per_producer = number(argv[4], "COUNT_PER_PRODUCER");
  std::map<std::uint64_t, std::uint64_t> next;  // producer id -> next sequence
  for (const std::string& id : split(argv[5])) next[number(id.c_str(), "IDS")] = 0;
  if (next.empty()) die("no producer ids");
  const std::uint64_t total = per_producer * next.size();
  const std::int64_t deadline = now_ns() + std::chrono::nanoseconds(kOpDeadline).count();
  std::uint64_t received = 0, fails = 0, item = 0;
  while (received < total) {
    if (!q.pop(item)) {
      if (back_off(fails, deadline)) {
        std::string progress;
        for (const auto& [id, seq] : next) progress += " producer " + std::to_string(id) + " seq " + std::to_string(seq);
        die("received " + std::to_string(received) + " of " + std::to_string(total) +
            " items in time; next expected:" + progress);
      }
      continue;
    }
    const std::uint64_t id = item >> 40, seq = item & ((std::uint64_t{1} << 40) - 1);
    const auto it = next.find(id);
    if (it == next.end()) {
      die("item " + std::to_string(item) + " (#" + std::to_string(received) + " received) is from unknown producer " +
          std::to_string(id));
    }
    if (seq != it->second) {
      die("producer " + std::to_string(id) + ": got sequence " + std::to_string(seq) + ", expected " +
          std::to_string(it->second) + (seq < it->second ? " (a duplicate or out of order)" : " (items lost or out of order)") +
          " after " + std::to_string(received) + " items");
    }
    if (seq >= per_producer) die("producer " + std::to_string(id) + ": sequence " + std::to_string(seq) + " beyond its count");
    ++it->second;
    ++received;
  }
  if (q.pop(item)) die("an extra item " + std::to_string(item) + " after all " + std::to_string(total) + " were received");
  say("consumed " + std::to_string(total) + " items from " + std::to_string(next.size()) + " producers in order");
  return 0;
}

template <template <class> class Op>
int by_variant(char** argv) {
  const std::string_view v = argv[2];
  if (v == "vyukov_bounded") return Op<zeroipc::variants::vyukov_bounded>::run(argv);
  if (v == "spsc_ring") return Op<zeroipc::variants::spsc_ring>::run(argv);
  if (v == "locked_ring") return Op<zeroipc::variants::locked_ring>::run(argv);
  die("unknown queue variant '" + std::string(v) + "' (vyukov_bounded, spsc_ring or locked_ring)");
}

template <class V>
struct Produce {
  static int run(char** argv) { return queue_produce<V>(argv); }
};
template <class V>
struct Consume {
  static int run(char** argv) { return queue_consume<V>(argv); }
};

// ------------------------------------------------------------------ arrays

// The same struct as interop_c.c's struct mixed: padding after tag, u16, text and flag.
struct Mixed {
  std::uint8_t tag;    // 0, then 7 bytes of padding
  std::int64_t i64;    // 8
  std::uint16_t u16;   // 16, then 2
  float f32;           // 20
  char text[11];       // 24, then 5
  double f64;          // 40
  std::uint32_t u32;   // 48
  bool flag;           // 52, then 3
};
static_assert(sizeof(Mixed) == 56 && alignof(Mixed) == 8);
static_assert(offsetof(Mixed, i64) == 8 && offsetof(Mixed, u16) == 16 && offsetof(Mixed, f32) == 20);
static_assert(offsetof(Mixed, text) == 24 && offsetof(Mixed, f64) == 40 && offsetof(Mixed, u32) == 48);
static_assert(offsetof(Mixed, flag) == 52 && sizeof(bool) == 1);

Mixed mixed_value(std::uint64_t i, std::uint64_t seed) {
  Mixed m;
  std::memset(&m, 0, sizeof m);
  m.tag = static_cast<std::uint8_t>(i * 7 + seed);
  m.i64 = -static_cast<std::int64_t>(i * 1000003) - static_cast<std::int64_t>(seed);
  m.u16 = static_cast<std::uint16_t>(i * 31 + 5);
  m.f32 = static_cast<float>(i) * 0.5f + static_cast<float>(seed % 100);
  std::snprintf(m.text, sizeof m.text, "e%u-%u", static_cast<unsigned>(i), static_cast<unsigned>(seed % 1000));
  m.f64 = static_cast<double>(i) * 0.125 + static_cast<double>(seed) * 3.0;
  m.u32 = static_cast<std::uint32_t>(i ^ (seed * 2654435761u));
  m.flag = (i % 3) == 0;
  return m;
}

int array_write(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t count = number(argv[2], "COUNT"), seed = number(argv[3], "SEED");
  zeroipc::Array<Mixed> a(mem, argv[1], count);
  for (std::uint64_t i = 0; i < count; ++i) a[i] = mixed_value(i, seed);
  say("wrote " + std::to_string(count) + " elements of " + std::to_string(sizeof(Mixed)) + " bytes");
  return 0;
}

int array_check(char** argv) {
  Memory mem(argv[0]);
  const std::uint64_t count = number(argv[2], "COUNT"), seed = number(argv[3], "SEED");
  zeroipc::Array<Mixed> a(mem, argv[1]);
  if (a.size() != count) die("capacity " + std::to_string(a.size()) + ", expected " + std::to_string(count));
  for (std::uint64_t i = 0; i < count; ++i) {
    const Mixed e = mixed_value(i, seed);
    const Mixed& g = a[i];
    const std::string at = "element " + std::to_string(i) + ": ";
    if (g.tag != e.tag) die(at + "tag " + std::to_string(g.tag) + ", expected " + std::to_string(e.tag));
    if (g.i64 != e.i64) die(at + "i64 " + std::to_string(g.i64) + ", expected " + std::to_string(e.i64));
    if (g.u16 != e.u16) die(at + "u16 " + std::to_string(g.u16) + ", expected " + std::to_string(e.u16));
    if (g.f32 != e.f32) die(at + "f32 " + std::to_string(g.f32) + ", expected " + std::to_string(e.f32));
    if (std::memcmp(g.text, e.text, sizeof e.text) != 0) {
      die(at + "text '" + std::string(g.text, strnlen(g.text, sizeof g.text)) + "', expected '" + e.text + "'");
    }
    if (g.f64 != e.f64) die(at + "f64 " + std::to_string(g.f64) + ", expected " + std::to_string(e.f64));
    if (g.u32 != e.u32) die(at + "u32 " + std::to_string(g.u32) + ", expected " + std::to_string(e.u32));
    if (g.flag != e.flag) die(at + "flag " + std::to_string(g.flag) + ", expected " + std::to_string(e.flag));
  }
  say("checked " + std::to_string(count) + " elements of " + std::to_string(sizeof(Mixed)) + " bytes");
  return 0;
}

// ------------------------------------------------------------------ futures

/// Waits until some process sleeps on the Future (its sleeper count, §7.4), then 50 ms more.
void wait_for_reader(Memory& mem, const char* name, std::uint64_t wait_ms) {
  const auto entry = mem.table().find(name);
  if (!entry) die(std::string("the Future '") + name + "' is not in the table");
  auto* cell = reinterpret_cast<zeroipc::detail::CodataLayout*>(mem.base() + entry->offset);
  std::atomic_ref<std::uint32_t> sleepers(cell->sleepers);
  const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(wait_ms) * 1000000;
  while (sleepers.load(std::memory_order_acquire) == 0) {
    if (now_ns() > deadline) die("no reader slept on the Future within " + std::to_string(wait_ms) + " ms");
    std::this_thread::sleep_for(1ms);
  }
  std::this_thread::sleep_for(50ms);
}

int future_set(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Future<std::uint64_t> f(mem, argv[1]);
  if (!f.created()) die("the Future existed already");
  const std::uint64_t value = number(argv[2], "VALUE");
  say("ready");
  wait_for_reader(mem, argv[1], number(argv[3], "WAIT_READER_MS"));
  const std::int64_t at = now_ns();
  f.set_value(value);
  say("set " + std::to_string(value) + " at " + std::to_string(at));
  return 0;
}

int future_hold(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Future<std::uint64_t> f(mem, argv[1]);
  if (!f.created()) die("the Future existed already");
  say("ready");
  wait_for_reader(mem, argv[1], number(argv[2], "WAIT_READER_MS"));
  say("reader-waiting");
  for (;;) ::pause();
}

int future_get(char** argv) {
  Memory mem(argv[0]);
  const std::uint64_t timeout_ms = number(argv[2], "TIMEOUT_MS");
  const bool want_death = std::string_view(argv[3]) == "producer-died";
  const std::uint64_t want = want_death ? 0 : number(argv[3], "EXPECT");
  zeroipc::Future<std::uint64_t> f(mem, argv[1], zeroipc::open_only);
  const std::int64_t start = now_ns();
  try {
    const std::optional<std::uint64_t> v = f.get_for(std::chrono::milliseconds(timeout_ms));
    const std::int64_t at = now_ns();
    if (!v) die("no value within " + std::to_string(timeout_ms) + " ms");
    if (want_death) die("got the value " + std::to_string(*v) + ", expected the producer's death");
    if (*v != want) die("got " + std::to_string(*v) + ", expected " + std::to_string(want));
    say("value " + std::to_string(*v) + " at " + std::to_string(at) + " after " + ms_text(at - start) + " ms");
  } catch (const zeroipc::FutureError& e) {
    const std::int64_t at = now_ns();
    if (!want_death || e.reason() != zeroipc::FutureError::Reason::kProducerDied) {
      die(std::string("FutureError (reason ") + std::to_string(static_cast<int>(e.reason())) + "): " + e.what());
    }
    say("producer-died after " + ms_text(at - start) + " ms: " + e.what());
  }
  return 0;
}

// ------------------------------------------------------------------ channels

using Channel = zeroipc::Channel<std::uint64_t>;

void check_capacity(const Channel& ch, std::uint64_t capacity) {
  if (ch.capacity() != capacity) die("channel capacity " + std::to_string(ch.capacity()));
}

int channel_send(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t capacity = number(argv[2], "CAPACITY");
  Channel ch(mem, argv[1], capacity);
  check_capacity(ch, capacity);
  const std::uint64_t count = number(argv[3], "COUNT");
  const bool close = number(argv[4], "CLOSE") != 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!ch.send_for(i, kChannelWait)) die("value " + std::to_string(i) + " not sent within 30 s");
  }
  if (close && !ch.close()) die("close() returned false: the channel was closed already");
  say("sent " + std::to_string(count) + (close ? ", then closed" : ""));
  return 0;
}

int channel_receive(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t capacity = number(argv[2], "CAPACITY");
  Channel ch(mem, argv[1], capacity);
  check_capacity(ch, capacity);
  const std::uint64_t count = number(argv[3], "COUNT");
  const bool expect_closed = number(argv[4], "EXPECT_CLOSED") != 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::optional<std::uint64_t> v = ch.receive_for(kChannelWait);
    if (!v) {
      die(ch.is_closed() ? "closed and drained after " + std::to_string(i) + " of " + std::to_string(count) + " values"
                         : "nothing received within 30 s after " + std::to_string(i) + " values");
    }
    if (*v != i) {
      die("received " + std::to_string(*v) + " as value #" + std::to_string(i) + " (out of order, lost or duplicated)");
    }
  }
  if (expect_closed) {
    const std::optional<std::uint64_t> v = ch.receive_for(kChannelWait);
    if (v) die("received an extra value " + std::to_string(*v) + " after " + std::to_string(count));
    if (!ch.is_closed()) die("receive_for() gave nullopt after 30 s but the channel is not closed");
    if (ch.try_receive()) die("try_receive() got a value from the closed, drained channel");
  }
  say("received " + std::to_string(count) + " in order" + (expect_closed ? ", then closed" : ""));
  return 0;
}

int channel_rv_send(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  Channel ch(mem, argv[1], 0);
  check_capacity(ch, 0);
  const std::uint64_t count = number(argv[2], "COUNT");
  if (ch.send_for(kSentinel, 100ms)) die("a rendezvous send with no receiver completed");
  const std::int64_t start = now_ns();
  say("sending at " + std::to_string(start));
  std::int64_t first = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!ch.send_for(i, kChannelWait)) die("value " + std::to_string(i) + " not taken within 30 s");
    if (i == 0) first = now_ns();
  }
  say("sent " + std::to_string(count) + " first-returned " + std::to_string(first));
  return 0;
}

int channel_rv_receive(char** argv) {
  Memory mem(argv[0]);
  Channel ch(mem, argv[1]);
  if (!ch.is_rendezvous()) die("not a rendezvous channel: capacity " + std::to_string(ch.capacity()));
  const std::uint64_t count = number(argv[2], "COUNT");
  const std::int64_t start = now_ns();
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::optional<std::uint64_t> v = ch.receive_for(kChannelWait);
    if (!v) die("nothing received within 30 s after " + std::to_string(i) + " values");
    if (*v == kSentinel) die("received the withdrawn offer");
    if (*v != i) die("received " + std::to_string(*v) + " as value #" + std::to_string(i));
  }
  say("received " + std::to_string(count) + " started " + std::to_string(start));
  return 0;
}

int channel_send_until_closed(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t capacity = number(argv[2], "CAPACITY");
  Channel ch(mem, argv[1], capacity);
  check_capacity(ch, capacity);
  const auto deadline = std::chrono::steady_clock::now() + kChannelWait;
  std::uint64_t i = 0;
  for (; i < capacity; ++i) {
    if (!ch.try_send(i)) die("try_send() of value " + std::to_string(i) + " failed before the channel was full");
  }
  say("full");
  try {
    for (;; ++i) {
      if (!ch.send_for(i, deadline - std::chrono::steady_clock::now())) {
        die("not closed within 30 s (" + std::to_string(i) + " sent)");
      }
    }
  } catch (const zeroipc::ChannelClosed& e) {
    if (!ch.is_closed()) die(std::string("ChannelClosed but is_closed() is false: ") + e.what());
  }
  say("closed after " + std::to_string(i) + " sent");
  return 0;
}

int channel_close(char** argv) {
  Memory mem(argv[0]);
  Channel ch(mem, argv[1]);
  if (!ch.close()) die("close() returned false: the channel was closed already");
  if (!ch.is_closed()) die("is_closed() is false after close()");
  if (ch.close()) die("a second close() returned true");
  say("closed");
  return 0;
}

// ------------------------------------------------------------------ the table lock

/// An Array<u8> whose last byte is 42 (what check-table looks for).
void make_table_array(Memory& mem, const std::string& name, std::size_t capacity) {
  zeroipc::Array<std::uint8_t> a(mem, name, capacity);
  a[capacity - 1] = 42;
}

int populate(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  make_table_array(mem, argv[1], kTableArraySize);
  say(std::string("created ") + argv[1]);
  return 0;
}

zeroipc::detail::CrashPoint g_hold_at;

void hold_here(zeroipc::detail::CrashPoint p) {
  if (p != g_hold_at) return;
  // The table lock is held at every point but half-made (initialised outside the lock).
  std::printf("%s %ld\n", p == zeroipc::detail::CrashPoint::kStructureHalfMade ? "half-made" : "locked",
              static_cast<long>(::getpid()));
  std::fflush(stdout);
  for (;;) ::pause();
}

int hold_table_lock(char** argv) {
  using zeroipc::detail::CrashPoint;
  const std::map<std::string_view, CrashPoint> points = {
      {"locked", CrashPoint::kTableLocked},       {"reserved", CrashPoint::kEntryReserved},
      {"cursor", CrashPoint::kCursorMoved},       {"count", CrashPoint::kCountMoved},
      {"half-made", CrashPoint::kStructureHalfMade}};
  const auto it = points.find(argv[1]);
  if (it == points.end()) die(std::string("unknown point '") + argv[1] + "' (locked, reserved, cursor, count, half-made)");
  Memory mem(argv[0]);
  g_hold_at = it->second;
  zeroipc::detail::crash_hook().store(&hold_here);
  zeroipc::Array<std::uint8_t> victim(mem, "victim", 5000);
  die("created the victim without stopping at the crash point");
}

zeroipc::detail::SegmentHeader& header_of(Memory& mem) {
  return *reinterpret_cast<zeroipc::detail::SegmentHeader*>(mem.base());
}

int create_after(char** argv) {
  Memory mem(argv[0]);
  const std::uint64_t capacity = number(argv[2], "CAPACITY");
  const std::uint64_t bound_ms = number(argv[3], "BOUND_MS");
  if (capacity == 0) die("CAPACITY must be at least 1");
  const std::int64_t start = now_ns();
  make_table_array(mem, argv[1], capacity);
  const std::int64_t took = now_ns() - start;
  if (took > static_cast<std::int64_t>(bound_ms) * 1000000) {
    die(std::string("creating '") + argv[1] + "' took " + ms_text(took) + " ms (bound " + std::to_string(bound_ms) + " ms)");
  }
  const std::uint32_t lock = std::atomic_ref<std::uint32_t>(header_of(mem).table_lock).load(std::memory_order_acquire);
  if (lock != 0) die("the table lock is " + std::to_string(lock) + " after the creation (expected 0: free)");
  say(std::string("created ") + argv[1] + " in " + ms_text(took) + " ms");
  return 0;
}

int check_table(char** argv) {
  Memory mem(argv[0]);
  std::vector<zeroipc::TableEntryInfo> entries = mem.table().entries();
  std::string seen;
  std::set<std::string> names;
  for (const auto& e : entries) {
    seen += (seen.empty() ? "" : ",") + e.name;
    names.insert(e.name);
  }
  const std::vector<std::string> expected = split(argv[1]);
  for (const std::string& name : expected) {
    if (!names.contains(name)) die("entry '" + name + "' is missing (entries: " + seen + ")");
    zeroipc::Array<std::uint8_t> a(mem, name);
    if (a[a.size() - 1] != 42) die("'" + name + "': its last byte is not 42");
  }
  if (entries.size() != expected.size()) {
    die(std::to_string(entries.size()) + " entries (" + seen + "), expected " + std::to_string(expected.size()) + " (" +
        argv[1] + ")");
  }
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  const std::uint64_t cursor = mem.size() - mem.free_bytes();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (i > 0 && entries[i].offset < entries[i - 1].offset + entries[i - 1].size) {
      die("'" + entries[i - 1].name + "' overlaps '" + entries[i].name + "'");
    }
    if (entries[i].offset + entries[i].size > cursor) {
      die("'" + entries[i].name + "' lies past the allocation cursor " + std::to_string(cursor));
    }
  }
  say("table ok: " + seen);
  return 0;
}

// ------------------------------------------------------------------ error messages

// Runs a call that must throw and prints "<case>: <what()>": the driver
// compares these lines with interop_c's (same message in both languages).
template <class F>
void report(const char* what, F&& call) {
  try {
    call();
  } catch (const zeroipc::Error& e) {
    say(std::string(what) + ": " + e.what());
    return;
  }
  die(std::string(what) + ": succeeded, expected an error");
}

int errors(char** argv) {
  namespace v = zeroipc::variants;
  using U64 = std::uint64_t;
  Memory mem(argv[0], kSegmentSize);
  const std::string missing = std::string(argv[0]) + "_missing";
  report("missing-segment", [&] { Memory m(missing); });
  report("bad-segment-name", [&] { Memory m("no_slash"); });
  report("missing-structure", [&] { zeroipc::Queue<U64, v::vyukov_bounded> q(mem, "err_missing"); });
  { zeroipc::Queue<U64, v::vyukov_bounded> q(mem, "err_q", 4); }
  report("element-size", [&] { zeroipc::Queue<std::uint32_t, v::vyukov_bounded> q(mem, "err_q"); });
  report("capacity", [&] { zeroipc::Queue<U64, v::vyukov_bounded> q(mem, "err_q", 5); });
  report("variant", [&] { zeroipc::Queue<U64, v::locked_ring> q(mem, "err_q", 4); });
  zeroipc::Future<U64> f(mem, "err_f");
  try {
    f.set_value(1);  // the first of the two programs sets it
  } catch (const zeroipc::FutureError&) {
  }
  report("future-set-twice", [&] { f.set_value(1); });
  zeroipc::Channel<U64> c(mem, "err_c", 2);
  c.close();
  report("send-on-closed", [&] { c.send(1); });
  return 0;
}

// ------------------------------------------------------------------ atomics

/// counter-add SEG NAME COUNT: element 0 of the Array<u64> NAME += 1, COUNT times, each by
/// a compare-and-swap loop on std::atomic_ref (the word other languages CAS through
/// zeroipc_atomic_compare_exchange_u64). Element 1, if any, is the start gate (interop_c.c).
int counter_add(char** argv) {
  constexpr std::uint64_t kGateGo = std::uint64_t{1} << 63;
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Array<std::uint64_t> a(mem, argv[1]);
  const std::uint64_t count = number(argv[2], "COUNT");
  if (a.capacity() < 1) die(std::string(argv[1]) + ": empty array");
  static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free);
  if (a.capacity() >= 2) {
    std::atomic_ref<std::uint64_t> gate(a[1]);
    const std::int64_t deadline = now_ns() + std::chrono::nanoseconds(kOpDeadline).count();
    gate.fetch_add(1);
    while ((gate.load() & kGateGo) == 0) {
      if (now_ns() > deadline) die(std::string(argv[1]) + ": the start gate did not open");
      std::this_thread::sleep_for(50us);
    }
  }
  std::atomic_ref<std::uint64_t> word(a[0]);
  std::uint64_t retries = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint64_t old = word.load();
    while (!word.compare_exchange_weak(old, old + 1)) ++retries;  // old: the current value
  }
  say("added " + std::to_string(count) + " (" + std::to_string(retries) + " retries)");
  return 0;
}

// ------------------------------------------------------------------ lazy (tests/python/test_python_lazy.py)
//
// lazy-compute SEG NAME VALUE COUNTER DELAY_MS: get() with a computation that
//   adds 1 to Array<u64> COUNTER[0], sleeps DELAY_MS and returns VALUE (it
//   first waits at COUNTER[1]'s start gate, as counter-add, when COUNTER has
//   2 elements); prints "value V ran R" (R: runs of the computation here).
// lazy-get SEG NAME TIMEOUT_MS EXPECT: get() without a computation, with
//   set_timeout(TIMEOUT_MS); EXPECT is the value, or owner-died /
//   no-computation / failed: the LazyError then expected ("lazy-error EXPECT: what").
// lazy-provide SEG NAME VALUE SECONDS: registers a computation returning
//   VALUE (a provider: its thread serves demands); prints "providing", then
//   "served V ran R" once the value is there (at most SECONDS).

std::atomic<std::uint64_t> g_lazy_runs{0};

int lazy_compute(char** argv) {
  constexpr std::uint64_t kGateGo = std::uint64_t{1} << 63;
  Memory mem(argv[0]);
  zeroipc::Array<std::uint64_t> a(mem, argv[3]);
  const std::uint64_t value = number(argv[2], "VALUE");
  const std::uint64_t delay_ms = number(argv[4], "DELAY_MS");
  if (a.capacity() < 1) die(std::string(argv[3]) + ": empty array");
  if (a.capacity() >= 2) {
    std::atomic_ref<std::uint64_t> gate(a[1]);
    const std::int64_t deadline = now_ns() + std::chrono::nanoseconds(kOpDeadline).count();
    gate.fetch_add(1);
    while ((gate.load() & kGateGo) == 0) {
      if (now_ns() > deadline) die(std::string(argv[3]) + ": the start gate did not open");
      std::this_thread::sleep_for(50us);
    }
  }
  zeroipc::Lazy<std::uint64_t> lazy(mem, argv[1], [&] {
    g_lazy_runs.fetch_add(1);
    std::atomic_ref<std::uint64_t>(a[0]).fetch_add(1);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    return value;
  });
  const std::uint64_t v = lazy.get();
  if (v != value) die("got " + std::to_string(v) + ", expected " + std::to_string(value));
  say("value " + std::to_string(v) + " ran " + std::to_string(g_lazy_runs.load()));
  return 0;
}

int lazy_get(char** argv) {
  Memory mem(argv[0]);
  zeroipc::Lazy<std::uint64_t> lazy(mem, argv[1], zeroipc::open_only);
  lazy.set_timeout(std::chrono::milliseconds(number(argv[2], "TIMEOUT_MS")));
  const std::string_view expect = argv[3];
  using Reason = zeroipc::LazyError::Reason;
  try {
    const std::uint64_t v = lazy.get();
    if (expect == "owner-died" || expect == "no-computation" || expect == "failed") {
      die("got the value " + std::to_string(v) + ", expected a LazyError (" + std::string(expect) + ")");
    }
    if (v != number(argv[3], "EXPECT")) die("got " + std::to_string(v) + ", expected " + std::string(expect));
    say("value " + std::to_string(v));
  } catch (const zeroipc::LazyError& e) {
    const bool wanted = (expect == "owner-died" && e.reason() == Reason::kOwnerDied) ||
                        (expect == "no-computation" && e.reason() == Reason::kNoComputation) ||
                        (expect == "failed" && e.reason() == Reason::kComputationFailed);
    if (!wanted) {
      die(std::string("LazyError (reason ") + std::to_string(static_cast<int>(e.reason())) + "): " + e.what());
    }
    say("lazy-error " + std::string(expect) + ": " + e.what());
  }
  return 0;
}

int lazy_provide(char** argv) {
  Memory mem(argv[0]);
  const std::uint64_t value = number(argv[2], "VALUE");
  const std::int64_t deadline = now_ns() + static_cast<std::int64_t>(number(argv[3], "SECONDS")) * 1000000000;
  zeroipc::Lazy<std::uint64_t> lazy(mem, argv[1], [&] {
    g_lazy_runs.fetch_add(1);
    return value;
  });
  say("providing");
  while (!lazy.is_ready()) {
    if (now_ns() > deadline) die("nobody demanded the value within " + std::string(argv[3]) + " s");
    std::this_thread::sleep_for(2ms);
  }
  say("served " + std::to_string(lazy.get()) + " ran " + std::to_string(g_lazy_runs.load()));
  return 0;
}

// ------------------------------------------------------------------ main

// ------------------------------------------------------------------ streams
// The element of the stream tests (tests/python/test_python_stream.py): a
// record of 24 bytes, every field derived from `seq`, so a reader checks
// each item it gets.
struct StreamRecord {
  std::uint64_t seq;
  double value;     // seq * 0.5
  std::int32_t tag;  // -(seq % 1000)
  std::uint32_t flags;  // seq ^ 0xA5A5 (low 32 bits)
};
static_assert(sizeof(StreamRecord) == 24);

StreamRecord stream_record(std::uint64_t seq) {
  return {seq, static_cast<double>(seq) * 0.5, -static_cast<std::int32_t>(seq % 1000),
          static_cast<std::uint32_t>(seq ^ 0xA5A5u)};
}

zeroipc::Overflow overflow_arg(const char* text) {
  if (std::strcmp(text, "block") == 0) return zeroipc::Overflow::block;
  if (std::strcmp(text, "drop_oldest") == 0) return zeroipc::Overflow::drop_oldest;
  die(std::string("OVERFLOW: '") + text + "' is not block or drop_oldest");
}

const char* stream_end_name(zeroipc::StreamEnd e) {
  switch (e) {
    case zeroipc::StreamEnd::open: return "open";
    case zeroipc::StreamEnd::closed: return "closed";
    case zeroipc::StreamEnd::producer_gone: return "producer_gone";
    case zeroipc::StreamEnd::operator_stopped: return "operator_stopped";
    case zeroipc::StreamEnd::operator_failed: return "operator_failed";
  }
  return "?";
}

// stream-emit SEG NAME CAPACITY OVERFLOW COUNT SUBSCRIBERS CLOSE: creates (or
// opens) Stream<StreamRecord> NAME, prints "created <pid>", waits for
// SUBSCRIBERS subscribers, emits records 0..COUNT-1, then close()s if CLOSE is
// 1 (0: exits without closing: its readers see producer_gone).
int stream_emit(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::StreamOptions options;
  options.overflow = overflow_arg(argv[3]);
  zeroipc::Stream<StreamRecord> s(mem, argv[1], number(argv[2], "CAPACITY"), options);
  say("created " + std::to_string(::getpid()));
  const std::uint64_t count = number(argv[4], "COUNT");
  const std::uint64_t subscribers = number(argv[5], "SUBSCRIBERS");
  const bool close = number(argv[6], "CLOSE") != 0;
  if (!s.wait_for_subscribers(subscribers, kChannelWait)) {
    die("fewer than " + std::to_string(subscribers) + " subscribers after 30 s (" + std::to_string(s.subscribers()) + ")");
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!s.emit_for(stream_record(i), kChannelWait)) die("item " + std::to_string(i) + " not emitted within 30 s");
  }
  if (close) s.close();
  say("emitted " + std::to_string(count) + (close ? ", then closed" : ""));
  return 0;
}

// stream-read SEG NAME COUNT FIRST WAIT_END: opens Stream<StreamRecord> NAME,
// subscribes, prints "subscribed"; with WAIT_END 1 waits until the stream has
// ended before reading. Then expects COUNT records FIRST, FIRST+1, ... and
// the end; prints "read COUNT from FIRST, missed M, end REASON".
int stream_read(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  zeroipc::Stream<StreamRecord> s(mem, argv[1]);
  auto cur = s.cursor();
  say("subscribed");
  const std::uint64_t count = number(argv[2], "COUNT");
  const std::uint64_t first = number(argv[3], "FIRST");
  if (number(argv[4], "WAIT_END") != 0) {
    const std::int64_t deadline = now_ns() + std::chrono::nanoseconds(kOpDeadline).count();
    while (!s.ended()) {
      if (now_ns() > deadline) die("the stream did not end within 50 s");
      std::this_thread::sleep_for(1ms);
    }
  }
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::optional<StreamRecord> r = cur.next_for(kChannelWait);
    if (!r) {
      die(cur.ended() ? "the stream ended (" + std::string(stream_end_name(cur.end_reason())) + ") after " +
                            std::to_string(i) + " of " + std::to_string(count) + " items"
                      : "nothing within 30 s after " + std::to_string(i) + " items");
    }
    const StreamRecord want = stream_record(first + i);
    if (r->seq != want.seq || r->value != want.value || r->tag != want.tag || r->flags != want.flags) {
      die("item #" + std::to_string(i) + " has seq " + std::to_string(r->seq) + ", expected " +
          std::to_string(want.seq) + " (out of order, lost, or its fields differ)");
    }
  }
  const std::optional<StreamRecord> extra = cur.next_for(kChannelWait);
  if (extra) die("an extra item with seq " + std::to_string(extra->seq) + " after " + std::to_string(count));
  if (!cur.ended()) die("no end of stream within 30 s after " + std::to_string(count) + " items");
  say("read " + std::to_string(count) + " from " + std::to_string(first) + ", missed " + std::to_string(cur.missed()) +
      ", end " + stream_end_name(cur.end_reason()));
  return 0;
}

struct Subcommand {
  const char* name;
  int args;
  int (*run)(char** argv);
};

const Subcommand kCommands[] = {
    {"stream-emit", 7, stream_emit},
    {"stream-read", 5, stream_read},
    {"queue-produce", 6, by_variant<Produce>},
    {"queue-consume", 6, by_variant<Consume>},
    {"array-write", 4, array_write},
    {"array-check", 4, array_check},
    {"future-set", 4, future_set},
    {"future-hold", 3, future_hold},
    {"future-get", 4, future_get},
    {"channel-send", 5, channel_send},
    {"channel-receive", 5, channel_receive},
    {"channel-rv-send", 3, channel_rv_send},
    {"channel-rv-receive", 3, channel_rv_receive},
    {"channel-send-until-closed", 3, channel_send_until_closed},
    {"channel-close", 2, channel_close},
    {"populate", 2, populate},
    {"hold-table-lock", 2, hold_table_lock},
    {"create-after", 4, create_after},
    {"check-table", 2, check_table},
    {"errors", 1, errors},
    {"counter-add", 3, counter_add},
    {"stack-fill", 4, interop_stack::stack_fill},  // stack-*: interop_cpp_stack.h
    {"stack-drain", 3, interop_stack::stack_drain},
    {"map-fill", 6, interop_map::map_fill},  // map-* and set-*: interop_cpp_map.h
    {"map-check", 5, interop_map::map_check},
    {"map-insert-range", 5, interop_map::map_insert_range},
    {"map-hold", 3, interop_map::map_hold},
    {"map-big-check", 3, interop_map::map_big_check},
    {"set-fill", 4, interop_map::set_fill},
    {"set-check", 3, interop_map::set_check},
    {"lazy-compute", 5, lazy_compute},
    {"lazy-get", 4, lazy_get},
    {"lazy-provide", 4, lazy_provide},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    for (const Subcommand& c : kCommands) {
      if (std::strcmp(argv[1], c.name) != 0) continue;
      g_command = c.name;
      try {
        if (argc - 2 != c.args) die(std::to_string(argc - 2) + " arguments, expected " + std::to_string(c.args));
        return c.run(argv + 2);
      } catch (const Failure& e) {
        std::fprintf(stderr, "interop_cpp %s: error: %s\n", g_command, e.what());
      } catch (const std::exception& e) {
        std::fprintf(stderr, "interop_cpp %s: error: exception: %s\n", g_command, e.what());
      }
      return 1;
    }
  }
  std::fprintf(stderr, "usage: interop_cpp COMMAND ARGS... (commands:");
  for (const Subcommand& c : kCommands) std::fprintf(stderr, " %s", c.name);
  std::fprintf(stderr, ")\n");
  return 2;
}
