// The golden vectors, built by the C++ implementation (see golden.h).
#include "golden.h"

#include <unistd.h>

#include <array>
#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <zeroipc/layout/layout.h>

#include "zeroipc/array.h"
#include "zeroipc/channel.h"
#include "zeroipc/future.h"
#include "zeroipc/lazy.h"
#include "zeroipc/map.h"
#include "zeroipc/memory.h"
#include "zeroipc/pool.h"
#include "zeroipc/queue.h"
#include "zeroipc/ring.h"
#include "zeroipc/set.h"
#include "zeroipc/stack.h"
#include "zeroipc/stream.h"

namespace zeroipc::golden {
namespace {

namespace v = zeroipc::variants;
using U64 = std::uint64_t;

constexpr std::uint64_t kSegmentSize = 256 * 1024;
constexpr std::uint32_t kTableCapacity = 16;
constexpr std::uint64_t kBody = ZEROIPC_STRUCT_HEADER_SIZE;  // a structure's body starts after its header

// ------------------------------------------------------------------ operations
template <class V>
void queue_ops(Memory& mem, const std::string& name, U64 capacity, U64 pushes, U64 pops) {
  Queue<U64, V> q(mem, name, capacity);
  for (U64 k = 1; k <= pushes; ++k) q.push(k);
  for (U64 k = 0; k < pops; ++k) q.pop();
}

template <class V>
void stack_ops(Memory& mem, const std::string& name, U64 capacity, U64 pushes, U64 pops) {
  Stack<U64, V> s(mem, name, capacity);
  for (U64 k = 1; k <= pushes; ++k) s.push(k);
  for (U64 k = 0; k < pops; ++k) s.pop();
}

// ------------------------------------------------------------------ masks
// Every §7.7 thread slot: each records a thread's process key, tid and pid.
Range op_slots_of(std::uint64_t op_area_offset) {
  return {kBody + op_area_offset + offsetof(zeroipc_op_area, slots), sizeof(zeroipc_op_area::slots)};
}
// §7.4: the owner half of `state`, owner_pid and owner_tag.
std::vector<Range> codata_owner() {
  return {{offsetof(zeroipc_codata, state) + 4, 4},
          {offsetof(zeroipc_codata, owner_pid), sizeof(zeroipc_codata::owner_pid)},
          {offsetof(zeroipc_codata, owner_tag), sizeof(zeroipc_codata::owner_tag)}};
}
std::vector<Range> lcrq_mask(U64 capacity) {
  std::vector<Range> mask{op_slots_of(offsetof(zeroipc_lcrq_body, ops))};
  for (U64 r = 0; r < zeroipc_lcrq_ring_count(capacity); ++r) {
    const U64 ring = kBody + zeroipc_lcrq_ring_offset(capacity, r);
    mask.push_back({ring + offsetof(zeroipc_lcrq_ring, owner_key), sizeof(zeroipc_lcrq_ring::owner_key)});
    mask.push_back({ring + offsetof(zeroipc_lcrq_ring, owner_pid), sizeof(zeroipc_lcrq_ring::owner_pid)});
  }
  return mask;
}

// ------------------------------------------------------------------ recipes
struct Recipe {
  std::string name;
  std::string ops;
  U64 requested;  // the capacity the creator asks for
  std::function<void(Memory&, const Recipe&)> run;
  std::vector<Range> mask;
};

std::vector<Recipe> core_recipes() {
  return {
      {"array_u64", "fill", 5,
       [](Memory& m, const Recipe& r) {
         Array<U64> a(m, r.name, r.requested);
         for (U64 i = 0; i < r.requested; ++i) a[i] = i + 1;
       },
       {}},
      {"array_record", "fill_record", 3,
       [](Memory& m, const Recipe& r) {
         Array<Record> a(m, r.name, r.requested);
         for (U64 i = 0; i < r.requested; ++i) {
           Record rec;
           std::memset(&rec, 0, sizeof rec);  // the padding too: the vector pins every byte
           rec.id = i + 1;
           rec.price = 1.5 * static_cast<double>(i + 1);
           rec.qty = -static_cast<std::int32_t>(i + 1);
           std::memcpy(&a[i], &rec, sizeof rec);
         }
       },
       {}},
      {"queue_vyukov_bounded", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::vyukov_bounded>(m, r.name, r.requested, 5, 2); }, {}},
      {"queue_spsc_ring", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::spsc_ring>(m, r.name, r.requested, 5, 2); },
       {{kBody + offsetof(zeroipc_spsc_body, producer), 2 * sizeof(zeroipc_role)}}},
      {"queue_locked_ring", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::locked_ring>(m, r.name, r.requested, 5, 2); }, {}},
      {"stack_treiber_tagged", "push:3,pop:1", 4,
       [](Memory& m, const Recipe& r) { stack_ops<v::treiber_tagged>(m, r.name, r.requested, 3, 1); },
       {op_slots_of(offsetof(zeroipc_treiber_body, ops))}},
      {"future_value", "set:42", 1,
       [](Memory& m, const Recipe& r) { Future<U64>(m, r.name).set_value(42); }, codata_owner()},
      {"future_error", "error:sensor_offline", 1,
       [](Memory& m, const Recipe& r) { Future<U64>(m, r.name).set_error("sensor_offline"); }, codata_owner()},
      {"channel_buffered", "send:3,receive:1", 4,
       [](Memory& m, const Recipe& r) {
         Channel<U64> c(m, r.name, r.requested);
         for (U64 k = 1; k <= 3; ++k) c.send(k);
         c.try_receive();
       },
       {}},
      {"channel_rendezvous", "none", 0, [](Memory& m, const Recipe& r) { Channel<U64> c(m, r.name, r.requested); },
       {}},
  };
}

std::vector<Recipe> full_recipes() {
  return {
      {"queue_lcrq", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::lcrq>(m, r.name, r.requested, 5, 2); }, lcrq_mask(6)},
      {"queue_scq", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::scq>(m, r.name, r.requested, 5, 2); },
       {op_slots_of(offsetof(zeroipc_scq_body, ops))}},
      {"stack_elimination_backoff", "push:3,pop:1", 4,
       [](Memory& m, const Recipe& r) { stack_ops<v::elimination_backoff>(m, r.name, r.requested, 3, 1); },
       {op_slots_of(offsetof(zeroipc_elimination_body, ops))}},
      {"lazy_value", "compute:7", 1,
       [](Memory& m, const Recipe& r) { Lazy<U64>(m, r.name, [] { return U64{7}; }).get(); }, codata_owner()},
      {"stream_u64", "emit:3", 8,
       [](Memory& m, const Recipe& r) {
         Stream<U64> s(m, r.name, r.requested);
         for (U64 k = 1; k <= 3; ++k) s.emit(k);
       },
       {{offsetof(zeroipc_stream, producer_pid), sizeof(zeroipc_stream::producer_pid)},
        {offsetof(zeroipc_stream, producer_key), sizeof(zeroipc_stream::producer_key)},
        {offsetof(zeroipc_stream, producer_start), sizeof(zeroipc_stream::producer_start)}}},
      {"map_u64", "insert:3", 8,
       [](Memory& m, const Recipe& r) {
         Map<U64, U64> map(m, r.name, r.requested);
         for (U64 k = 1; k <= 3; ++k) map.insert(k, 100 * k);
       },
       {}},
      {"set_u64", "insert:3", 8,
       [](Memory& m, const Recipe& r) {
         Set<U64> set(m, r.name, r.requested);
         for (U64 k = 1; k <= 3; ++k) set.insert(k);
       },
       {}},
      {"pool_u64", "acquire:3,release:1", 4,
       [](Memory& m, const Recipe& r) {
         Pool<U64> pool(m, r.name, r.requested);
         std::vector<Pool<U64>::Handle> held;
         for (U64 j = 0; j < 3; ++j) {
           held.push_back(*pool.acquire());
           pool[held.back()] = j + 1;
         }
         pool.release(held.front());
       },
       {{kBody + offsetof(zeroipc_pool_control, pool_id), sizeof(zeroipc_pool_control::pool_id)},
        {kBody + zeroipc_pool_states_offset(4), 8 * 4}}},  // state words hold the acquirer's key
      {"ring_u64", "write:3", 8,
       [](Memory& m, const Recipe& r) {
         Ring<U64> ring(m, r.name, r.requested);
         const std::array<U64, 3> items{1, 2, 3};
         ring.write(std::span<const U64>(items));
       },
       {{kBody + offsetof(zeroipc_gated_ring_body, writer), sizeof(zeroipc_role)}}},
      // The same operations as queue_lcrq, with data nodes (queue_lcrq has direct cells).
      {"queue_lcrq_nodes", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::lcrq_nodes>(m, r.name, r.requested, 5, 2); }, lcrq_mask(6)},
      // The same operations as queue_scq, through index rings (queue_scq has direct cells).
      {"queue_scq_indices", "push:5,pop:2", 6,
       [](Memory& m, const Recipe& r) { queue_ops<v::scq_indices>(m, r.name, r.requested, 5, 2); },
       {op_slots_of(offsetof(zeroipc_scq_body, ops))}},
  };
}

std::vector<std::byte> copy_of(const std::byte* at, std::uint64_t n) { return {at, at + n}; }

SegmentVector build_segment(const std::string& name, const std::string& segment, const std::vector<Recipe>& recipes) {
  Memory::unlink(segment);
  SegmentVector out;
  out.name = name;
  out.segment_size = kSegmentSize;
  out.table_capacity = kTableCapacity;
  {
    Memory mem(segment, kSegmentSize, kTableCapacity);
    // Every handle is gone before the bytes are read: they are what a segment
    // holds between uses (roles released, locks free).
    for (const Recipe& r : recipes) r.run(mem, r);

    const auto* h = reinterpret_cast<const zeroipc_segment_header*>(mem.base());
    out.bytes = copy_of(mem.base(), h->data_offset);
    out.mask = {{offsetof(zeroipc_segment_header, created_ns), sizeof(h->created_ns)},
                {offsetof(zeroipc_segment_header, creator_pid), sizeof(h->creator_pid)},
                {ZEROIPC_ATTACH_OFFSET, U64{h->attach_capacity} * ZEROIPC_ATTACH_SLOT_SIZE}};
    for (std::uint32_t i = 0; i < h->table_count; ++i) {
      const U64 e = zeroipc_table_entry_offset(h->table_offset, i);
      out.mask.push_back({e + offsetof(zeroipc_table_entry, creator_pid), sizeof(zeroipc_table_entry::creator_pid)});
      out.mask.push_back({e + offsetof(zeroipc_table_entry, creator_key), sizeof(zeroipc_table_entry::creator_key)});
    }
    for (const Recipe& r : recipes) {
      const auto entry = mem.table().find(r.name);
      if (!entry) throw std::logic_error("golden: " + r.name + " was not created");
      const auto* sh = reinterpret_cast<const zeroipc_struct_header*>(mem.base() + entry->offset);
      StructureVector s;
      s.name = r.name;
      s.ops = r.ops;
      s.kind = sh->kind;
      s.variant = sh->variant;
      s.element_size = sh->element_size;
      s.dtype = sh->dtype;
      s.capacity = sh->capacity;
      s.requested = r.requested;
      s.bytes = copy_of(mem.base() + entry->offset, sh->total_size);
      s.mask = r.mask;
      out.structures.push_back(std::move(s));
    }
  }
  Memory::unlink(segment);
  return out;
}

std::string ranges(const std::vector<Range>& mask) {
  std::string text;
  for (const Range& r : mask) {
    if (!text.empty()) text += ',';
    text += std::to_string(r.offset) + ':' + std::to_string(r.size);
  }
  return text.empty() ? "-" : text;
}

}  // namespace

std::vector<SegmentVector> build(const std::string& segment_prefix) {
  return {build_segment("core", segment_prefix + "_core", core_recipes()),
          build_segment("full", segment_prefix + "_full", full_recipes())};
}

std::string manifest(const std::vector<SegmentVector>& segments) {
  std::ostringstream out;
  out << "# zeroipc golden vectors, format version 1 (SPECIFICATION.md); written by tests/vectors/write_vectors.\n"
         "# Do not edit: regenerate with `build/tests/vectors/write_vectors tests/vectors` and review the diff.\n"
         "#\n"
         "# segment NAME file=F segment_size=S table_capacity=C mask=RANGES\n"
         "#   F holds bytes [0, data_offset) of segment NAME after its structures below were created, in order.\n"
         "# structure SEGMENT NAME file=F kind=K variant=V element_size=E dtype=D capacity=N requested=Q ops=OPS mask=RANGES\n"
         "#   F holds the structure's total_size bytes after `ops` (tests/vectors/golden.h says what each op does),\n"
         "#   elements u64 unless the name says otherwise. RANGES: offset:size,... of process-dependent bytes\n"
         "#   (pids, owner keys, times, random ids), zeroed on both sides before comparing; '-' for none.\n";
  for (const SegmentVector& seg : segments) {
    out << "segment " << seg.name << " file=" << seg.name << "_segment.bin segment_size=" << seg.segment_size
        << " table_capacity=" << seg.table_capacity << " mask=" << ranges(seg.mask) << '\n';
    for (const StructureVector& s : seg.structures) {
      out << "structure " << seg.name << ' ' << s.name << " file=" << s.name << ".bin kind=" << s.kind
          << " variant=" << s.variant << " element_size=" << s.element_size << " dtype=" << unsigned{s.dtype}
          << " capacity=" << s.capacity << " requested=" << s.requested << " ops=" << s.ops
          << " mask=" << ranges(s.mask) << '\n';
    }
  }
  return out.str();
}

std::vector<std::byte> masked(std::vector<std::byte> bytes, const std::vector<Range>& mask) {
  for (const Range& r : mask) {
    if (r.offset > bytes.size() || r.size > bytes.size() - r.offset) {
      throw std::out_of_range("golden: mask " + std::to_string(r.offset) + ":" + std::to_string(r.size) +
                              " is past the " + std::to_string(bytes.size()) + " bytes");
    }
    std::memset(bytes.data() + r.offset, 0, r.size);
  }
  return bytes;
}

}  // namespace zeroipc::golden
