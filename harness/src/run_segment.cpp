// zeroipc/harness/run_segment.cpp — the segment of one repetition, from the harness's side.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "run_layout.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/memory.h"

namespace zeroipc::harness {

namespace {
constexpr std::uint64_t kSlack = 1 << 20;  // table, headers, alignment

std::uint64_t array_bytes(std::uint64_t words) { return words * 8 + 128; }

// The arrays the workload keeps in the segment besides the structure.
std::vector<SegmentArray> own_arrays(const RunParams& p) {
  return p.workload->arrays ? p.workload->arrays(p) : std::vector<SegmentArray>{};
}

// Bytes the structures of `p` take in the segment.
std::uint64_t structure_bytes(const RunParams& p) {
  // The floor probes have none; a transport's and a map's store live outside the segment.
  if (p.structure.empty() || p.is_transport() || p.is_map()) return 0;
  if (p.workload->own_structure_bytes) return p.workload->own_structure_bytes(p);  // the workers create them
  if (p.is_stream()) {
    // Only reserved: the producer worker creates the stream (its creator is the
    // one process that may emit), with capacity rounded up to a power of two.
    namespace zs = zeroipc::detail::stream;
    return zs::total_size(zs::ring_capacity(p.capacity), static_cast<std::uint32_t>(p.message_size)) + 128;
  }
  std::uint64_t one = 0;
  run::with_handle_type(p, [&]<class H>(std::type_identity<H>) {
    one = H::total_size(p.capacity, static_cast<std::uint32_t>(p.message_size)) + 128;
  });
  return static_cast<std::uint64_t>(p.workload->structure_instances) * one;
}

std::uint64_t segment_bytes(const RunParams& p) {
  std::uint64_t total = kSlack + array_bytes(run::kControlWords) + structure_bytes(p);
  if (p.stamp_slots()) total += 2 * array_bytes(p.stamp_slots());
  for (const auto& a : own_arrays(p)) total += array_bytes(a.words);
  return (total + 4095) / 4096 * 4096;
}
}  // namespace

struct RunSegment::Impl {
  Memory mem;
  explicit Impl(const RunParams& p) : mem((Memory::unlink(p.segment), p.segment), segment_bytes(p)) {}
};

RunSegment::RunSegment(const RunParams& params) : params_(params), impl_(std::make_unique<Impl>(params)) {
  try {
    Memory& mem = impl_->mem;
    Array<std::uint64_t> control(mem, run::kControlName, run::kControlWords);
    std::fill(control.data(), control.data() + control.size(), 0);
    if (const auto stamp_words = params.stamp_slots()) {
      Array<std::uint64_t> send(mem, run::kSendStamps, stamp_words);
      Array<std::uint64_t> recv(mem, run::kRecvStamps, stamp_words);
      std::fill(send.data(), send.data() + send.size(), 0);
      std::fill(recv.data(), recv.data() + recv.size(), 0);
    }
    for (const auto& a : own_arrays(params)) {
      Array<std::uint64_t> words(mem, a.name, a.words);  // zero: the segment is new (and left untouched here)
    }
    if (params.is_transport()) {
      // The link's private directory (sockets, FIFOs): made fresh, owner only.
      std::error_code ec;
      std::filesystem::remove_all(params.link_dir, ec);
      if (::mkdir(params.link_dir.c_str(), 0700) != 0) {
        throw std::runtime_error("cannot create " + params.link_dir + ": " + std::strerror(errno));
      }
    } else if (!params.structure.empty() && !params.is_stream() && !params.is_map() &&
               !params.workload->own_structure_bytes) {
      run::with_handle_type(params, [&]<class H>(std::type_identity<H>) {
        H forward(mem, run::kForwardName, params.capacity);
        if (params.workload->structure_instances > 1) H back(mem, run::kBackName, params.capacity);
      });
    }
  } catch (...) {
    remove_link(params);  // the destructor does not run for a throwing constructor
    Memory::unlink(params.segment);
    throw;
  }
}

// What a transport case's workers may have left, if one died: queues,
// segments, Redis keys (remove_leftovers), and the link's directory; a map
// case's store (its segment, its Redis keys).
void RunSegment::remove_link(const RunParams& p) noexcept {
  if (p.is_map()) baselines::remove_store_leftovers(p.store_spec());
  if (!p.is_transport()) return;
  baselines::remove_leftovers(p.link_spec());
  std::error_code ec;
  std::filesystem::remove_all(p.link_dir, ec);
}

RunSegment::~RunSegment() {
  remove_link(params_);
  Memory::unlink(params_.segment);
}

RunSegment::Leftovers RunSegment::drain() {
  Leftovers left;
  // A transport's messages live in the kernel or a server, out of reach: the
  // receiver's end-of-phase marker says nothing was left behind it.
  // A stream keeps what it published (subscribers read it, nobody pops it):
  // that every subscriber read everything up to the end-of-phase marker is
  // the workers' own check.
  // A map's store is checked by its workers (workloads/map.cpp), and so are
  // the structures a workload's workers make themselves (pool, ring).
  if (params_.structure.empty() || params_.is_transport() || params_.is_stream() || params_.is_map() ||
      params_.workload->own_structure_bytes) {
    return left;
  }
  run::with_handle_type(params_, [&]<class H>(std::type_identity<H>) {
    auto drain_one = [&](const char* name) {
      H h(impl_->mem, name);
      while (auto m = h.pop()) {
        ++left.count;
        left.hash += mix64(m->sequence());
        if (!m->intact()) ++left.corrupt;
      }
    };
    drain_one(run::kForwardName);
    if (params_.workload->structure_instances > 1) drain_one(run::kBackName);
  });
  return left;
}

std::vector<std::uint64_t> RunSegment::one_way_ns(std::uint64_t& skewed) const {
  skewed = 0;
  std::vector<std::uint64_t> out;
  const std::uint64_t stamp_words = params_.stamp_slots();
  if (stamp_words == 0) return out;
  Array<std::uint64_t> send(impl_->mem, run::kSendStamps);
  Array<std::uint64_t> recv(impl_->mem, run::kRecvStamps);
  const std::uint64_t n = std::min<std::uint64_t>({stamp_words, send.size(), recv.size()});
  out.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t s = send[i], r = recv[i];
    if (s == 0 || r == 0) continue;  // not sent (duration mode) or not received (a failed run)
    if (r < s) {
      ++skewed;
      continue;
    }
    out.push_back(params_.clock.to_ns(r - s));
  }
  return out;
}

}  // namespace zeroipc::harness
