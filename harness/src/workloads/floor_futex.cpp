// floor-futex (with floor.futex = true): a futex wake round trip between the
// two PUs of a placement. The initiator writes an odd number and wakes the
// responder, which sleeps in FUTEX_WAIT until then, answers with the next
// even number and wakes the initiator, sleeping likewise. No spinning first:
// the kernel's sleep-and-wake path alone, the floor of every transport that
// blocks in the kernel. Same counts as floor-cacheline.
//
// (6) each side's release store of the word pairs with the other side's
// acquire load once its FUTEX_WAIT returned.
#include "common.h"
#include "zeroipc/variants/detail/futex.h"

namespace zeroipc::harness::workloads {

const WorkloadDef& floor_cacheline();

namespace {

constexpr const char* kWord = "futex";  // its array in the segment: the word alone on its cache line

static_assert(sizeof(std::atomic<std::uint32_t>) == 4 && std::atomic<std::uint32_t>::is_always_lock_free,
              "the futex word is a plain lock-free 32-bit word the kernel can sleep on");

void work(Worker& w) {
  Array<std::uint64_t> words(w.mem, kWord);
  std::atomic<std::uint32_t>& word = *aligned_line<std::atomic<std::uint32_t>>(words);
  auto* raw = reinterpret_cast<std::uint32_t*>(&word);  // what the kernel sleeps on (static_assert above)
  const bool initiator = w.index == 0;
  auto wait_for = [&](std::uint32_t want) {
    for (std::uint32_t v; (v = word.load(std::memory_order_acquire)) != want;) {  // (6)
      zeroipc::detail::futex_wait(raw, v, std::chrono::seconds(1));             // spurious returns re-check
    }
  };
  round_trip_phases(w, [&](std::uint64_t r, bool timed) {
    const auto ping = static_cast<std::uint32_t>(2 * r + 1);
    if (initiator) {
      const std::uint64_t t0 = w.now();
      word.store(ping, std::memory_order_release);  // (6)
      zeroipc::detail::futex_wake(raw, 1);
      wait_for(ping + 1);
      const std::uint64_t t1 = w.now();
      if (timed) w.round_trips.record(w.to_ns(t1 - t0));
    } else {
      wait_for(ping);
      word.store(ping + 1, std::memory_order_release);  // (6)
      zeroipc::detail::futex_wake(raw, 1);
    }
  });
}

}  // namespace

const WorkloadDef& floor_futex() {
  static const WorkloadDef def{
      .name = "floor-futex",
      .keys = {make_key("floor", "futex", KeyType::boolean, false,
                        "also time a futex wake round trip between the two PUs (each side sleeps in FUTEX_WAIT until "
                        "the other's FUTEX_WAKE): the least a mechanism that sleeps in the kernel can cost; same "
                        "counts as the cache-line probe")},
      .probe = Probe::per_placement,
      .enabled = [](const Config& c) { return c.get_bool("floor", "futex"); },
      .probe_size = [](const Config&) -> std::uint64_t { return 4; },
      .roles = {.split = Roles::Split::pair, .first = "initiator", .second = "responder"},
      .fill = floor_cacheline().fill,  // the cache-line probe's counts
      .structure_instances = 0,
      .arrays = [](const RunParams&) { return std::vector<SegmentArray>{{kWord, run::kLineWords}}; },
      .run = work,
      .metrics = {.primary = "round_trip_ns_p50", .round_trip_ns = true},
  };
  return def;
}

}  // namespace zeroipc::harness::workloads
