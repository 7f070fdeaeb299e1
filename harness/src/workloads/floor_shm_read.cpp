// floor-shm-read: the writer fills a buffer in the segment, the reader on the
// other PU of the placement reads every word of it, floor.passes times: the
// rate at which data written on one PU can be read on another — the ceiling
// of any streaming transport between them, the bandwidth floor of the cases
// of its placement. Only the reader's time spent reading is timed.
#include "common.h"

namespace zeroipc::harness::workloads {

namespace {

constexpr const char* kBuffer = "buffer";  // its array in the segment

void work(Worker& w) {
  Array<std::uint64_t> buffer(w.mem, kBuffer);
  const std::uint64_t words = std::min<std::uint64_t>(buffer.size(), w.p.bytes / 8);
  std::uint64_t* data = buffer.data();
  const bool writer = w.index == 0;
  w.before = sample_self();
  if (!writer && w.counters.available()) w.counters.start();
  std::uint64_t read_ticks = 0;
  for (std::uint64_t pass = 0; pass <= w.p.passes; ++pass) {  // pass 0 is the warm-up
    if (writer) {
      for (std::uint64_t i = 0; i < words; ++i) data[i] = fill_word(pass, i);
    }
    w.barrier();  // (3)/(4): the writes happen before the reads
    if (!writer) {
      const std::uint64_t t0 = w.now();
      std::uint64_t sum = 0;
      for (std::uint64_t i = 0; i < words; ++i) sum += data[i];
      const std::uint64_t t1 = w.now();
      if (sum != fill_sum(pass, 0, words)) ++w.tally.corrupt;
      if (pass > 0) read_ticks += t1 - t0;
    }
    w.barrier();  // the reads are done before the next pass writes
  }
  w.start = 0;
  w.end = read_ticks;  // the reader's time spent reading, not the writer's
  if (!writer && w.counters.available()) w.counter_values = w.counters.stop();
  w.facts = sample_self() - w.before;
  w.bytes = writer ? 0 : words * 8 * w.p.passes;  // the writer's numbers count as nothing
  w.timed_messages = writer ? 0 : w.p.passes;
}

}  // namespace

const WorkloadDef& floor_shm_read() {
  static const WorkloadDef def{
      .name = "floor-shm-read",
      .keys = {make_int_key("floor", "shm_read_bytes", 4 << 20, 4096, std::int64_t{1} << 32,
                            "bytes one worker writes and the other reads per pass"),
               make_int_key("floor", "passes", 8, 1, 100000, "timed passes of the bandwidth probes")},
      .probe = Probe::per_placement,
      .floor_of = FloorOf::bandwidth,
      .probe_size = [](const Config& c) { return u64(c, "floor", "shm_read_bytes"); },
      .roles = {.split = Roles::Split::pair, .first = "writer", .second = "reader", .second_counted = true},
      .fill =
          [](const Config& c, RunParams& p) {
            p.bytes = u64(c, "floor", "shm_read_bytes") / 8 * 8;
            p.passes = u64(c, "floor", "passes");
          },
      .structure_instances = 0,
      .arrays = [](const RunParams& p) { return std::vector<SegmentArray>{{kBuffer, p.bytes / 8}}; },
      .run = work,
      .metrics = {.primary = "throughput_bytes_per_s", .bytes_per_s = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
