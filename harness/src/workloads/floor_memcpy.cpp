// floor-memcpy: memcpy between two private buffers of floor.memcpy_bytes,
// floor.passes times, on one PU (once per run): the memory bandwidth one PU
// gets (a copy reads and writes each byte once).
#include <cstring>

#include "common.h"

namespace zeroipc::harness::workloads {

namespace {

void work(Worker& w) {
  const std::uint64_t n = w.p.bytes;
  std::vector<unsigned char> a(n, 1), b(n, 2);  // filled: every page is faulted in
  std::memcpy(b.data(), a.data(), n);           // warm-up pass
  w.begin_timed();
  for (std::uint64_t i = 0; i < w.p.passes; ++i) {
    if (i % 2 == 0) std::memcpy(a.data(), b.data(), n); else std::memcpy(b.data(), a.data(), n);
  }
  w.end_timed();
  if (a[n / 2] != 1 || b[n / 2] != 1) ++w.tally.corrupt;  // keeps the copies observable
  w.bytes = n * w.p.passes;
  w.timed_messages = w.p.passes;
}

}  // namespace

const WorkloadDef& floor_memcpy() {
  static const WorkloadDef def{
      .name = "floor-memcpy",
      .keys = {make_int_key("floor", "memcpy_bytes", 32 << 20, 4096, std::int64_t{1} << 32,
                            "bytes copied per memcpy pass")},
      .probe = Probe::once,
      .probe_size = [](const Config& c) { return u64(c, "floor", "memcpy_bytes"); },
      .roles = {.split = Roles::Split::alike, .first = "worker"},
      .fill =
          [](const Config& c, RunParams& p) {
            p.bytes = u64(c, "floor", "memcpy_bytes");
            p.passes = u64(c, "floor", "passes");  // floor-shm-read's key: the bandwidth probes' passes
          },
      .structure_instances = 0,
      .run = work,
      .metrics = {.primary = "throughput_bytes_per_s", .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
