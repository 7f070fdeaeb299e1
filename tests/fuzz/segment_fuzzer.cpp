// A coverage-guided fuzzer (libFuzzer) over hostile segments: open, and every
// operation of every structure kind and variant.
//
// A segment holding one structure of every kind and variant, in a state
// with something in every structure, is built once (by a child process, so
// that every owner key in it is a dead process's). Each input patches that
// image and the library is driven over the result:
//
//   input = records of 4 bytes: [region][offset lo][offset hi][value]
//     region 0: the segment header, attach slots and table (bytes 0..data_offset)
//     region k: the k-th structure (its bytes, offset taken modulo its size)
//   (a trailing 1-3 bytes choose the order of the operations)
//
// Every call must return or throw a zeroipc::Error: a crash, a sanitizer
// report, a foreign exception (abort) or a hang (libFuzzer's -timeout) is a
// finding. tests/fuzz/run.sh builds and runs it; tests/fuzz/corpus/ holds
// the committed seeds.
//
// One thing the harness keeps out of the image: this process's own owner
// key. A lock word naming a live process is a lock that process holds, and
// waiting for it is right (a locked_ring waits as long as it takes, as for a
// holder that is stopped); libFuzzer's comparison tracing would find the key
// and build exactly that. Every other value is fair game.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include "fuzz_image.h"

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
#include <zeroipc/variants/detail/liveness.h>

namespace {

using namespace std::chrono_literals;

using namespace fuzz_image;

std::vector<unsigned char> g_image;
std::vector<Region> g_regions;  // [0] = header + slots + table; then each structure
std::string g_name;

void drive(zeroipc::Memory& mem, unsigned order) {
  std::vector<std::function<void()>> ops;
  auto attempt = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const zeroipc::Error&) {
    }
  };
  (void)mem.table().entries();
  (void)mem.attached();
  attempt([&] {
    zeroipc::Array<std::uint64_t> a(mem, "arr");
    std::uint64_t sum = 0;
    for (std::uint64_t v : a) sum += v;
    a[a.size() - 1] = sum;
  });
  each_queue_variant([&](auto v) {
    for (const char* prefix : {"q_", "q6_"}) {
      attempt([&] {
        zeroipc::Queue<std::uint64_t, decltype(v)> q(mem, prefix + std::string(decltype(v)::kName));
        for (int i = 0; i < 3; ++i) {
          attempt([&] { (void)q.push(100 + i); });
          attempt([&] { (void)q.pop(); });
        }
        if (order & 1) attempt([&] { (void)q.recover(); });
        (void)q.size_approx();
      });
    }
  });
  each_stack_variant([&](auto v) {
    attempt([&] {
      zeroipc::Stack<std::uint64_t, decltype(v)> s(mem, "s_" + std::string(decltype(v)::kName));
      for (int i = 0; i < 3; ++i) {
        attempt([&] { (void)s.pop(); });
        attempt([&] { (void)s.push(200 + i); });
      }
      if (order & 1) attempt([&] { (void)s.recover(); });
    });
  });
  attempt([&] {
    zeroipc::Map<std::uint64_t, std::uint64_t> map(mem, "map");
    attempt([&] { (void)map.find(3); });
    attempt([&] { (void)map.insert(order % 20, 1); });
    attempt([&] { (void)map.insert_or_assign(4, 2); });
    attempt([&] { (void)map.erase(order % 7); });
    attempt([&] { map.for_each([](std::uint64_t, std::uint64_t) {}); });
    (void)map.size();
  });
  attempt([&] {
    zeroipc::Set<std::uint32_t> set(mem, "set");
    attempt([&] { (void)set.contains(1); });
    attempt([&] { (void)set.insert(9); });
    attempt([&] { (void)set.erase(0); });
  });
  attempt([&] {
    zeroipc::Pool<std::uint64_t> pool(mem, "pool");
    attempt([&] {
      if (auto h = pool.acquire()) {
        pool[*h] = 5;
        pool.release(*h);
      }
    });
    attempt([&] { (void)pool.held_by_dead(); });
    (void)pool.available();
  });
  attempt([&] {
    zeroipc::Ring<std::uint32_t> ring(mem, "ring");
    attempt([&] {
      auto reader = ring.reader();
      const std::uint32_t xs[] = {7, 8, 9};
      attempt([&] { (void)ring.write(xs); });
      std::uint32_t out[4];
      attempt([&] { (void)reader.read(out); });
      attempt([&] {
        auto view = reader.read_acquire(3);
        reader.read_release(view.size());
      });
    });
    attempt([&] {
      auto slot = ring.write_acquire(order % 16);
      ring.write_release(slot.size());
    });
  });
  for (const char* f : {"fut_pending", "fut_set"}) {
    attempt([&] {
      zeroipc::Future<std::uint64_t> fut(mem, f, zeroipc::open_only);
      attempt([&] { (void)fut.get_for(0ms); });
      attempt([&] { (void)fut.producer(); });
      if (order & 2) attempt([&] { fut.set_value(5); });
    });
  }
  attempt([&] {
    zeroipc::Lazy<std::uint64_t> lazy(mem, "lazy", zeroipc::open_only);
    lazy.set_computation([] { return std::uint64_t{11}; });
    attempt([&] { (void)lazy.get_for(0ms); });
    if (order & 2) attempt([&] { (void)lazy.invalidate(); });
    attempt([&] { (void)lazy.get_for(0ms); });
  });
  attempt([&] {
    zeroipc::Stream<std::uint64_t> st(mem, "stream");
    attempt([&] {
      auto cur = st.cursor();
      attempt([&] { (void)st.try_emit(1); });
      attempt([&] { (void)cur.try_next(); });
    });
    (void)st.subscribers();
    (void)st.end_reason();
  });
  for (const char* c : {"ch", "rv"}) {
    attempt([&] {
      zeroipc::Channel<std::uint64_t> ch(mem, c);
      attempt([&] { (void)ch.try_receive(); });
      attempt([&] { (void)ch.try_send(3); });
      if (order & 2) attempt([&] { (void)ch.close(); });
      attempt([&] { (void)ch.try_receive(); });
    });
  }
  attempt([&] { (void)mem.table().find_or_create("fresh", 256, [](std::byte*, std::uint64_t) {}, 50ms); });
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_name = "/zeroipc_fuzz_" + std::to_string(::getpid());
  build_image(g_name);
  g_image = read_file("/dev/shm" + g_name);
  g_regions = image_regions(g_name, g_image.size());
  zeroipc::Memory::unlink(g_name);
  if (g_image.size() != kSize) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<unsigned char> img = patched(g_image, g_regions, data, size);
  unsigned order = 0;
  for (std::size_t i = size - size % 4; i < size; ++i) order = order * 31 + data[i];
  write_file("/dev/shm" + g_name, img);
  try {
    zeroipc::Memory mem(g_name);
    drive(mem, order);
  } catch (const zeroipc::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "an exception that is not a zeroipc::Error: %s\n", e.what());
    std::abort();
  }
  ::unlink(("/dev/shm" + g_name).c_str());
  return 0;
}
