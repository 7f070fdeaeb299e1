// tests/fuzz/fuzz_image.h — the segment image the fuzzer patches: one
// structure of every kind and variant, with something in each, built by a
// child process (so every owner in it is dead), and how an input's patch
// records apply to it. Shared by segment_fuzzer.cpp and by the
// zeroipc-inspect corpus test (tests/inspect/), which runs the committed
// corpus through the inspector.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <tuple>
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
#include <zeroipc/variants/detail/liveness.h>

namespace fuzz_image {

inline constexpr std::size_t kSize = 128 * 1024;
inline constexpr std::size_t kCapacity = 8;
// Queues also at a capacity that is not a power of two (a ring of 8 holding at
// most 6), named "q6_<variant>": the paths where capacity and ring differ.
inline constexpr std::size_t kOddQueueCapacity = 6;

struct Region {
  std::uint64_t offset;
  std::uint64_t size;
};

inline std::vector<unsigned char> read_file(const std::string& path) {
  std::vector<unsigned char> out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  unsigned char buf[65536];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.insert(out.end(), buf, buf + n);
  ::close(fd);
  return out;
}

inline void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
  ::unlink(path.c_str());
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) std::abort();
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

template <class F>
void each_queue_variant(F&& f) {
  std::apply([&](auto... v) { (f(v), ...); }, zeroipc::QueueVariants{});
}
template <class F>
void each_stack_variant(F&& f) {
  std::apply([&](auto... v) { (f(v), ...); }, zeroipc::StackVariants{});
}

// Built in a child: every key in the image is a dead process's.
inline void build_image(const std::string& name) {
  const pid_t child = ::fork();
  if (child == 0) {
    zeroipc::Memory mem(name, kSize, 32);
    zeroipc::Array<std::uint64_t> arr(mem, "arr", 16);
    arr[3] = 3;
    each_queue_variant([&](auto v) {
      zeroipc::Queue<std::uint64_t, decltype(v)> q(mem, "q_" + std::string(decltype(v)::kName), kCapacity);
      for (std::uint64_t i = 0; i < 5; ++i) (void)q.push(i);
      (void)q.pop();
    });
    each_stack_variant([&](auto v) {
      zeroipc::Stack<std::uint64_t, decltype(v)> s(mem, "s_" + std::string(decltype(v)::kName), kCapacity);
      for (std::uint64_t i = 0; i < 5; ++i) (void)s.push(i);
      (void)s.pop();
    });
    {
      zeroipc::Map<std::uint64_t, std::uint64_t> map(mem, "map", kCapacity);
      for (std::uint64_t i = 0; i < 6; ++i) (void)map.insert(i, i * 10);
      (void)map.erase(2);
      (void)map.insert_or_assign(3, 33);
      zeroipc::Set<std::uint32_t> set(mem, "set", kCapacity);
      for (std::uint32_t i = 0; i < 4; ++i) (void)set.insert(i);
      zeroipc::Pool<std::uint64_t> pool(mem, "pool", kCapacity);
      const auto h = pool.acquire();
      (void)pool.acquire();
      pool.release(*h);
      zeroipc::Ring<std::uint32_t> ring(mem, "ring", 12);
      static auto reader = ring.reader();  // never left: its slot is a dead process's
      const std::uint32_t xs[] = {1, 2, 3, 4, 5};
      (void)ring.write(xs);
      std::uint32_t out[2];
      (void)reader.read(out);
    }
    zeroipc::Future<std::uint64_t>(mem, "fut_pending");
    zeroipc::Future<std::uint64_t>(mem, "fut_set").set_value(7);
    zeroipc::Lazy<std::uint64_t>(mem, "lazy", [] { return std::uint64_t{9}; }).get();
    zeroipc::Stream<std::uint64_t> st(mem, "stream", kCapacity);
    auto cur = st.cursor();
    for (std::uint64_t i = 0; i < 3; ++i) st.emit(i);
    zeroipc::Channel<std::uint64_t> ch(mem, "ch", 4);
    ch.send(1);
    ch.send(2);
    zeroipc::Channel<std::uint64_t>(mem, "rv", 0);
    each_queue_variant([&](auto v) {  // last, so that the structures above keep their offsets in the image
      zeroipc::Queue<std::uint64_t, decltype(v)> q(mem, "q6_" + std::string(decltype(v)::kName), kOddQueueCapacity);
      for (std::uint64_t i = 0; i < 7; ++i) (void)q.push(i);  // one more than fits
      (void)q.pop();
    });
    std::fflush(nullptr);
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::abort();
}

/// The regions patch records address: [0] = header, attach slots and table; then each structure.
inline std::vector<Region> image_regions(const std::string& name, std::size_t image_size) {
  std::vector<Region> regions;
  zeroipc::Memory mem(name);  // the layout of the image, read once through the library
  const auto entries = mem.table().entries();
  regions.push_back({0, entries.empty() ? image_size : entries.front().offset});
  for (const auto& e : entries) regions.push_back({e.offset, e.size});
  return regions;
}

/// `image` with the patch records of an input applied: records of 4 bytes
/// [region][offset lo][offset hi][value]. This process's owner key is kept
/// out of every patched 4-byte window (a lock word naming a live process is
/// a lock that process holds: waiting for it is right, not a finding).
inline std::vector<unsigned char> patched(const std::vector<unsigned char>& image, const std::vector<Region>& regions,
                                          const std::uint8_t* data, std::size_t size) {
  std::vector<unsigned char> img = image;
  std::vector<std::uint64_t> offsets;
  for (std::size_t i = 0; i + 4 <= size; i += 4) {
    const Region& r = regions[data[i] % regions.size()];
    const std::uint64_t off = r.offset + ((data[i + 1] | std::uint64_t{data[i + 2]} << 8) % r.size);
    img[off] = data[i + 3];
    offsets.push_back(off);
  }
  const std::uint32_t key = zeroipc::detail::self_key();
  for (const std::uint64_t off : offsets) {
    for (std::uint64_t w = off >= 3 ? off - 3 : 0; w <= off && w + 4 <= img.size(); ++w) {
      std::uint32_t v = 0;
      std::memcpy(&v, img.data() + w, 4);
      if (v == key) img[w] ^= 1;
    }
  }
  return img;
}

}  // namespace fuzz_image
