// interop_cpp_map.cpp — interop_cpp's Map and Set subcommands, through the public C++ API
// (zeroipc/map.h, zeroipc/set.h); the list and the values are in interop_cpp_map.h.
#include "interop_cpp_map.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <zeroipc/map.h>
#include <zeroipc/memory.h>
#include <zeroipc/set.h>
#include <zeroipc/variants/locked_probe.h>

#include "interop_cpp_common.h"

namespace interop_map {
namespace {

using zeroipc::Memory;
using interop::die;
using interop::kSegmentSize;
using interop::number;
using interop::say;

// The Python test's ORDER dtype: [("id", "<u8"), ("price", "<f8"), ("qty", "<i4")], aligned (24 bytes).
struct Order {
  std::uint64_t id;
  double price;
  std::int32_t qty;
};
static_assert(sizeof(Order) == 24);

double f64_value(std::uint64_t k, std::uint64_t seed) { return static_cast<double>(k) * 0.5 + static_cast<double>(seed); }

Order order_value(std::uint64_t k, std::uint64_t seed) {
  Order o{};
  o.id = k ^ seed;
  o.price = static_cast<double>(k) * 0.25 + static_cast<double>(seed);
  o.qty = -3 * static_cast<std::int32_t>(k);
  return o;
}

bool same(double a, double b) { return a == b; }
bool same(const Order& a, const Order& b) { return a.id == b.id && a.price == b.price && a.qty == b.qty; }
std::string text(double v) { return std::to_string(v); }
std::string text(const Order& o) {
  return "{id " + std::to_string(o.id) + ", price " + std::to_string(o.price) + ", qty " + std::to_string(o.qty) + "}";
}

template <class V, class F>
int fill(char** argv, F value) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t capacity = number(argv[3], "CAPACITY"), n = number(argv[4], "N"), seed = number(argv[5], "SEED");
  zeroipc::Map<std::uint64_t, V> m(mem, argv[1], capacity);
  for (std::uint64_t k = 0; k < n; ++k) {
    if (!m.insert(k, value(k, seed))) die("key " + std::to_string(k) + " was present already");
  }
  say("filled " + std::to_string(n) + " keys");
  return 0;
}

template <class V, class F>
int check(char** argv, F value) {
  Memory mem(argv[0]);
  const std::uint64_t n = number(argv[3], "N"), seed = number(argv[4], "SEED");
  zeroipc::Map<std::uint64_t, V> m(mem, argv[1]);
  if (m.size() != n) die("size " + std::to_string(m.size()) + ", expected " + std::to_string(n));
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto v = m.find(k);
    if (!v) die("key " + std::to_string(k) + " is missing");
    if (!same(*v, value(k, seed))) die("key " + std::to_string(k) + ": " + text(*v) + ", expected " + text(value(k, seed)));
  }
  if (m.contains(n)) die("key " + std::to_string(n) + " is present");
  std::uint64_t seen = 0;
  m.for_each([&](std::uint64_t k, const V&) { seen += k < n; });
  if (seen != n) die("for_each saw " + std::to_string(seen) + " of the keys");
  say("checked " + std::to_string(n) + " keys");
  return 0;
}

// 64 KiB values whose words all say which generation and key wrote them (large, so that a
// writer killed at a random moment is often inside the lock, copying one).
constexpr std::uint64_t kBigWords = 8192;
struct Big {
  std::uint64_t w[kBigWords];
};
constexpr std::uint64_t big_word(std::uint64_t gen, std::uint64_t k, std::uint64_t i) { return gen << 32 | k << 13 | i; }

}  // namespace

int map_fill(char** argv) {
  const std::string_view type = argv[2];
  if (type == "f64") return fill<double>(argv, f64_value);
  if (type == "order") return fill<Order>(argv, order_value);
  die("unknown TYPE '" + std::string(type) + "' (f64 or order)");
}

int map_check(char** argv) {
  const std::string_view type = argv[2];
  if (type == "f64") return check<double>(argv, f64_value);
  if (type == "order") return check<Order>(argv, order_value);
  die("unknown TYPE '" + std::string(type) + "' (f64 or order)");
}

int map_insert_range(char** argv) {
  Memory mem(argv[0]);
  zeroipc::Map<std::uint64_t, double> m(mem, argv[1]);
  zeroipc::Set<std::uint64_t> gate(mem, argv[2]);
  const std::uint64_t from = number(argv[3], "FROM"), to = number(argv[4], "TO");
  gate.insert(static_cast<std::uint64_t>(::getpid()));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (gate.size() < 2) {
    if (std::chrono::steady_clock::now() > deadline) die("the other process never reached the gate");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  for (std::uint64_t k = from; k < to; ++k) {
    if (!m.insert(k, f64_value(k, 1))) die("key " + std::to_string(k) + " was present already");
  }
  say("inserted " + std::to_string(to - from) + " keys");
  return 0;
}

namespace {
void hold_half_written(zeroipc::variants::detail::MapCrashPoint p) {
  if (p != zeroipc::variants::detail::MapCrashPoint::kAssignHalfWritten) return;
  std::printf("held %ld\n", static_cast<long>(::getpid()));
  std::fflush(stdout);
  for (;;) ::pause();
}
}  // namespace

int map_hold(char** argv) {
  Memory mem(argv[0]);
  zeroipc::Map<std::uint64_t, double> m(mem, argv[1]);
  const std::uint64_t key = number(argv[2], "KEY");
  zeroipc::detail::crash_hook_of<zeroipc::variants::detail::MapCrashPoint>().store(&hold_half_written);
  m.insert_or_assign(key, -1.0);
  die("insert_or_assign of key " + std::to_string(key) + " did not stop half-way (was it absent?)");
}

int map_big_check(char** argv) {
  Memory mem(argv[0]);
  zeroipc::Map<std::uint64_t, Big> m(mem, argv[1]);
  const std::uint64_t n = number(argv[2], "N");
  if (m.size() != n) die("size " + std::to_string(m.size()) + ", expected " + std::to_string(n));
  std::uint64_t previous = ~std::uint64_t{0}, first = 0;
  for (std::uint64_t k = 0; k < n; ++k) {
    const auto v = m.find(k);
    if (!v) die("key " + std::to_string(k) + " is missing");
    const std::uint64_t gen = v->w[0] >> 32;
    for (std::uint64_t i = 0; i < kBigWords; ++i) {
      if (v->w[i] != big_word(gen, k, i)) {
        die("key " + std::to_string(k) + " is torn: word " + std::to_string(i) + " is " + std::to_string(v->w[i]) +
            ", expected " + std::to_string(big_word(gen, k, i)) + " (generation " + std::to_string(gen) + ")");
      }
    }
    if (gen > previous) {
      die("key " + std::to_string(k) + " has generation " + std::to_string(gen) + ", newer than key " +
          std::to_string(k - 1) + "'s " + std::to_string(previous) + " (keys are assigned in order)");
    }
    if (k == 0) first = gen;
    previous = gen;
  }
  say("ok " + std::to_string(n) + " keys, generations " + std::to_string(first) + ".." + std::to_string(previous));
  return 0;
}

int set_fill(char** argv) {
  Memory mem(argv[0], kSegmentSize);
  const std::uint64_t capacity = number(argv[2], "CAPACITY"), n = number(argv[3], "N");
  zeroipc::Set<std::uint32_t> s(mem, argv[1], capacity);
  for (std::uint64_t k = 0; k < n; ++k) {
    if (!s.insert(static_cast<std::uint32_t>(k * 7 + 1))) die("key " + std::to_string(k * 7 + 1) + " was present");
  }
  say("filled " + std::to_string(n) + " keys");
  return 0;
}

int set_check(char** argv) {
  Memory mem(argv[0]);
  const std::uint64_t n = number(argv[2], "N");
  zeroipc::Set<std::uint32_t> s(mem, argv[1]);
  if (s.size() != n) die("size " + std::to_string(s.size()) + ", expected " + std::to_string(n));
  for (std::uint64_t k = 0; k < n; ++k) {
    if (!s.contains(static_cast<std::uint32_t>(k * 7 + 1))) die("key " + std::to_string(k * 7 + 1) + " is missing");
    if (s.contains(static_cast<std::uint32_t>(k * 7 + 2))) die("key " + std::to_string(k * 7 + 2) + " is present");
  }
  say("checked " + std::to_string(n) + " keys");
  return 0;
}

}  // namespace interop_map
