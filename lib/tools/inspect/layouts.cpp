// The fields of SPECIFICATION.md §2-§7 as data (layouts.h). Offsets come
// from the library's layout structs (offsetof) and variant constants; the
// few bodies the library describes only in code are written here from the
// specification's tables, section by section.
#include "layouts.h"

#include <bit>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <utility>
#include <stdexcept>

#include "zeroipc/detail/channel_layout.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/future.h"
#include "zeroipc/registry.h"
#include "zeroipc/variants/detail/op_slots.h"
#include "zeroipc/variants/detail/ring_math.h"
#include "zeroipc/variants/detail/tagged_list.h"

namespace zeroipc::inspect {
namespace {

using detail::Kind;
using detail::StructHeader;
namespace vd = zeroipc::variants::detail;
namespace v = zeroipc::variants;

constexpr std::uint64_t kBody = sizeof(StructHeader);  // queue, stack, map, pool, ring bodies start here

Field f(std::string name, std::uint64_t offset, std::uint64_t size) {
  return Field{std::move(name), offset, size, 1, 0, {}};
}
Field array(std::string name, std::uint64_t offset, std::uint64_t size, std::uint64_t count,
            std::uint64_t stride, std::vector<Field> parts = {}) {
  return Field{std::move(name), offset, size, count, stride, std::move(parts)};
}

#define ZIPC_FIELD(S, m) f(#m, offsetof(S, m), sizeof(S::m))

// §6, with the kind-specific bytes named where the kind defines them.
std::vector<Field> common_header(const StructHeader& h) {
  using S = StructHeader;
  std::vector<Field> parts{ZIPC_FIELD(S, magic),          ZIPC_FIELD(S, kind),  ZIPC_FIELD(S, variant),
                           ZIPC_FIELD(S, element_size),   ZIPC_FIELD(S, layout_version),
                           ZIPC_FIELD(S, dtype),          ZIPC_FIELD(S, capacity),
                           ZIPC_FIELD(S, total_size)};
  switch (static_cast<Kind>(h.kind)) {
    case Kind::kMap:
    case Kind::kSet:
      parts.push_back(f("key_size", 32, 4));
      break;
    case Kind::kStream: {
      using C = detail::stream::StreamConfig;
      for (Field p : {ZIPC_FIELD(C, subscriber_slots), ZIPC_FIELD(C, overflow), ZIPC_FIELD(C, origin)}) {
        p.offset += offsetof(S, kind_specific);
        parts.push_back(p);
      }
      break;
    }
    case Kind::kChannel:
      parts.push_back(f("channel_capacity", detail::kChannelCapacityField, 8));
      break;
    default:
      parts.push_back(ZIPC_FIELD(S, kind_specific));
  }
  return {Field{"header", 0, sizeof(S), 1, 0, std::move(parts)}};
}

// §7.7, at `at` inside the structure.
Field op_area(std::uint64_t at) {
  using C = vd::OpControl;
  return Field{"ops", at, vd::kOpAreaBytes, 1, 0,
               {ZIPC_FIELD(C, recovery_lock), ZIPC_FIELD(C, recovering), ZIPC_FIELD(C, recovery_pid),
                ZIPC_FIELD(C, recoveries), ZIPC_FIELD(C, recovered), ZIPC_FIELD(C, suspects),
                array("slots", sizeof(C), vd::kOpSlotBytes, vd::kOpSlots, vd::kOpSlotBytes,
                      {f("key", 0, 4), f("tid", 4, 4), f("pid", 8, 8), f("active", 16, 4), f("aux", 24, 8)})}};
}

void add(std::vector<Field>& to, std::initializer_list<Field> fields) { to.insert(to.end(), fields); }

std::vector<Field> queue_body(const StructHeader& h) {
  const std::uint64_t c = h.capacity, es = h.element_size, r = vd::ring_slots(c);
  std::vector<Field> out;
  switch (h.variant) {
    case v::vyukov_bounded::kId: {  // §7.2.1
      const std::uint64_t st = v::vyukov_bounded::stride(h.element_size);
      add(out, {f("enqueue_pos", kBody, 8), f("dequeue_pos", kBody + 64, 8),
                array("cells", kBody + 128, st, r, st, {f("sequence", 0, 8), f("element", 8, es)})});
      break;
    }
    case v::lcrq::kId: {  // §7.2.2
      using L = v::lcrq;
      const std::uint64_t rs = L::ring_size(c), st = vd::node_stride(h.element_size);
      add(out, {f("head_ring", kBody, 8), f("tail_ring", kBody + 64, 8), f("ring_pool", kBody + 128, 8),
                f("node_pool", kBody + 192, 8), f("start", kBody + 256, 8), op_area(kBody + L::kOpsOffset),
                array("rings", kBody + L::kRingsOffset, L::ring_bytes(c), L::ring_count(c), L::ring_bytes(c),
                      {f("pool_next", 0, 4), f("state", 4, 4), f("next", 8, 4), f("owner_key", 12, 4),
                       f("owner_pid", 16, 8), f("head", 64, 8), f("tail", 128, 8),
                       array("cells", 192, 16, rs, 16, {f("word", 0, 8), f("value", 8, 8)})}),
                array("nodes", kBody + L::nodes_offset(c), st, c, st, {f("next", 0, 4), f("element", 8, es)})});
      break;
    }
    case v::scq::kId: {  // §7.2.3
      using S = v::scq;
      auto ring = [&](std::string name, std::uint64_t at) {
        return Field{std::move(name), kBody + at, S::ring_bytes(r), 1, 0,
                     {f("threshold", 0, 8), f("tail", 64, 8), f("head", 128, 8), array("entries", 192, 8, 2 * r, 8)}};
      };
      add(out, {op_area(kBody), ring("aq", S::kAqOffset), ring("fq", S::fq_offset(r)),
                array("data", kBody + S::data_offset(r), es, c, es)});
      break;
    }
    case v::spsc_ring::kId:  // §7.2.4
      add(out, {f("tail", kBody, 8), f("head", kBody + 64, 8),
                Field{"producer", kBody + 128, 16, 1, 0, {f("key", 0, 4), f("pid", 4, 4)}},
                Field{"consumer", kBody + 144, 16, 1, 0, {f("key", 0, 4), f("pid", 4, 4)}},
                array("slots", kBody + 192, es, r, es)});
      break;
    case v::locked_ring::kId:  // §7.2.5
      add(out, {f("lock", kBody, 4), f("holder_pid", kBody + 8, 8), f("head", kBody + 64, 8),
                f("tail", kBody + 72, 8), array("slots", kBody + 128, es, r, es)});
      break;
    default:
      break;
  }
  return out;
}

std::vector<Field> stack_body(const StructHeader& h) {  // §7.3
  const bool elim = h.variant == v::elimination_backoff::kId;
  const std::uint64_t st = vd::node_stride(h.element_size);
  std::vector<Field> out{f("top", kBody, 8), f("free_top", kBody + 64, 8)};
  if (elim) out.push_back(array("elimination", kBody + 128, 8, v::elimination_backoff::kSlots, 64));
  out.push_back(op_area(kBody + (elim ? v::elimination_backoff::kOpsOffset : v::treiber_tagged::kOpsOffset)));
  out.push_back(array("nodes", kBody + (elim ? v::elimination_backoff::kNodesOffset : v::treiber_tagged::kNodesOffset),
                      st, h.capacity, st, {f("next", 0, 4), f("element", 8, h.element_size)}));
  return out;
}

std::uint32_t key_size_of(const StructHeader& h) {
  std::uint32_t k = 0;
  std::memcpy(&k, h.kind_specific, sizeof k);
  return k;
}

std::vector<Field> map_body(const StructHeader& h) {  // §7.8.1
  using P = v::locked_probe;
  const bool set = h.kind == static_cast<std::uint16_t>(Kind::kSet);
  const std::uint32_t ks = key_size_of(h), vs = set ? 0 : h.element_size;
  const std::uint64_t s = P::table_size(h.capacity), st = P::stride(ks, vs), j = kBody + P::tables_offset(vs);
  std::vector<Field> slot{f("state", 0, 4), f("hash", 4, 4), f("key", 8, ks)};
  if (!set) slot.push_back(f("value", 8 + P::round8(ks), vs));
  std::vector<Field> out{f("lock", kBody, 4),          f("active", kBody + 4, 4),   f("holder_pid", kBody + 8, 8),
                         f("count", kBody + 64, 8),    f("tombstones", kBody + 72, 8), f("journal", kBody + 80, 8),
                         f("inserted", kBody + 88, 8), f("erased", kBody + 96, 8),  f("assigned", kBody + 104, 8),
                         f("rebuilds", kBody + 112, 8)};
  if (!set) out.push_back(f("journal_value", kBody + 128, vs));
  out.push_back(array("table_a", j, st, s, st, slot));
  out.push_back(array("table_b", j + s * st, st, s, st, slot));
  return out;
}

std::vector<Field> pool_body(const StructHeader& h) {  // §7.9.1
  using P = v::locked_free_list;
  const std::uint64_t c = h.capacity;
  return {f("lock", kBody, 4),          f("holder_pid", kBody + 8, 8), f("free_top", kBody + 64, 8),
          f("acquired", kBody + 72, 8), f("released", kBody + 80, 8),  f("pool_id", kBody + 88, 8),
          array("free", kBody + 128, 4, c, 4), array("states", kBody + P::states_offset(c), 8, c, 8),
          array("objects", kBody + P::objects_offset(c), h.element_size, c, h.element_size)};
}

std::vector<Field> ring_body(const StructHeader& h) {  // §7.10.1
  using G = v::gated_ring;
  return {Field{"writer", kBody, 16, 1, 0, {f("key", 0, 4), f("pid", 4, 4)}},
          f("write_pos", kBody + 64, 8),
          array("readers", kBody + 128, 64, G::kReaders, 64, {f("key", 0, 4), f("pid", 4, 4), f("read_pos", 8, 8)}),
          array("data", kBody + G::kDataOffset, h.element_size, h.capacity, h.element_size)};
}

std::vector<Field> codata_body(const StructHeader& h) {  // §7.4
  using C = detail::CodataLayout;
  return {ZIPC_FIELD(C, state),      ZIPC_FIELD(C, owner_pid),  ZIPC_FIELD(C, owner_tag),
          ZIPC_FIELD(C, sleepers),   ZIPC_FIELD(C, generation), ZIPC_FIELD(C, demand),
          ZIPC_FIELD(C, demand_sleepers), ZIPC_FIELD(C, error),
          f("value", detail::kCodataValueOffset, h.element_size)};
}

std::vector<Field> stream_body(const StructHeader& h) {  // §7.5
  namespace s = detail::stream;
  using L = s::StreamLayout;
  using Slot = s::SubscriberSlot;
  const std::uint64_t st = s::stride_of(h.element_size);
  return {ZIPC_FIELD(L, producer_pid), ZIPC_FIELD(L, producer_key),    ZIPC_FIELD(L, producer_start),
          ZIPC_FIELD(L, end_reason),   ZIPC_FIELD(L, high_water),      ZIPC_FIELD(L, published),
          ZIPC_FIELD(L, reader_sleepers), ZIPC_FIELD(L, sleep_at),     ZIPC_FIELD(L, resume_at),
          ZIPC_FIELD(L, epoch),        ZIPC_FIELD(L, producer_sleepers),
          array("slots", s::kSlotsOffset, s::kSlotBytes, s::kSubscriberSlots, s::kSlotBytes,
                {ZIPC_FIELD(Slot, state), ZIPC_FIELD(Slot, pid), ZIPC_FIELD(Slot, cursor), ZIPC_FIELD(Slot, missed)}),
          array("cells", s::kRingOffset, st, h.capacity, st, {f("seq", 0, 8), f("element", 8, h.element_size)})};
}

std::vector<Field> channel_body(const StructHeader& h) {  // §7.6
  using C = detail::ChannelLayout;
  const std::uint64_t slots = detail::channel::slot_count(h.capacity);
  return {ZIPC_FIELD(C, lock),           ZIPC_FIELD(C, closed),         ZIPC_FIELD(C, lock_pid),
          ZIPC_FIELD(C, receivers_waiting), ZIPC_FIELD(C, closed_by),   ZIPC_FIELD(C, head),
          ZIPC_FIELD(C, tail),           ZIPC_FIELD(C, data_epoch),     ZIPC_FIELD(C, data_sleepers),
          ZIPC_FIELD(C, space_epoch),    ZIPC_FIELD(C, space_sleepers), ZIPC_FIELD(C, handoff),
          ZIPC_FIELD(C, handoff_pid),    ZIPC_FIELD(C, handoff_tag),
          array("slots", detail::kChannelCellsOffset, h.element_size, slots, h.element_size)};
}

#undef ZIPC_FIELD

// The path of the innermost field (or array item) of `fields` that holds
// `off`, and in `into` the byte of it that `off` is; false when none does.
bool locate_in(const std::vector<Field>& fields, std::uint64_t off, std::string& out, std::uint64_t& into) {
  for (const Field& fl : fields) {
    if (off < fl.offset) continue;
    const std::uint64_t rel = off - fl.offset;
    const bool is_array = fl.count > 1 || fl.stride != 0;
    std::uint64_t index = 0, inner = rel;
    if (is_array) {
      if (fl.stride == 0) continue;
      index = rel / fl.stride;
      inner = rel % fl.stride;
      if (index >= fl.count) continue;
    }
    if (inner >= fl.size) continue;
    out += fl.name;
    if (is_array) out += "[" + std::to_string(index) + "]";
    std::string sub;
    if (locate_in(fl.parts, inner, sub, into)) {
      out += "." + sub;
    } else {
      into = inner;  // the field itself, or reserved bytes of its item
    }
    return true;
  }
  return false;
}

}  // namespace

namespace {

const Field& find_field(const std::vector<Field>& fields, std::string_view name, std::string_view path) {
  for (const Field& fl : fields) {
    if (fl.name == name) return fl;
  }
  throw std::logic_error("zeroipc-inspect: no field '" + std::string(path) + "' in this layout");
}

// The field at a dotted path ("ops.slots"), and its offset from the layout's start
// (the items on the way are the first ones: only the last component is indexed).
std::pair<const Field*, std::uint64_t> resolve(const std::vector<Field>& fields, std::string_view path) {
  const std::vector<Field>* level = &fields;
  const Field* fl = nullptr;
  std::uint64_t offset = 0;
  for (std::string_view rest = path;;) {
    const std::size_t dot = rest.find('.');
    fl = &find_field(*level, rest.substr(0, dot), path);
    offset += fl->offset;
    if (dot == std::string_view::npos) return {fl, offset};
    level = &fl->parts;
    rest.remove_prefix(dot + 1);
  }
}

}  // namespace

const Field& Layout::field(std::string_view path) const { return *resolve(fields_, path).first; }

std::uint64_t Layout::at(std::string_view path, std::uint64_t index, std::string_view part) const {
  const auto [fl, base] = resolve(fields_, path);
  const std::uint64_t off = base + index * fl->stride;
  if (part.empty()) return off;
  return off + find_field(fl->parts, part, std::string(path) + "." + std::string(part)).offset;
}

std::string Layout::locate(std::uint64_t offset, std::uint64_t* into) const {
  std::string out;
  std::uint64_t byte = 0;
  if (!locate_in(fields_, offset, out, byte)) return {};
  if (into != nullptr) *into = byte;
  return out;
}

Layout segment_layout(std::uint64_t table_offset, std::uint32_t table_capacity, std::uint32_t attach_capacity) {
  using H = detail::SegmentHeader;
  using E = detail::TableEntry;
  std::vector<Field> fields;
  fields.push_back(Field{"header", 0, sizeof(H), 1, 0,
                         {f("magic", offsetof(H, magic), 4), f("format_version", offsetof(H, format_version), 2),
                          f("header_size", offsetof(H, header_size), 2), f("segment_size", offsetof(H, segment_size), 8),
                          f("table_offset", offsetof(H, table_offset), 8),
                          f("table_capacity", offsetof(H, table_capacity), 4),
                          f("attach_capacity", offsetof(H, attach_capacity), 4),
                          f("data_offset", offsetof(H, data_offset), 8), f("created_ns", offsetof(H, created_ns), 8),
                          f("creator_pid", offsetof(H, creator_pid), 4), f("table_lock", offsetof(H, table_lock), 4),
                          f("table_count", offsetof(H, table_count), 4), f("alloc_cursor", offsetof(H, alloc_cursor), 8),
                          f("lock_holder_pid", offsetof(H, lock_holder_pid), 8),
                          f("table_generation", offsetof(H, table_generation), 8),
                          f("attach_overflow", offsetof(H, attach_overflow), 4)}});
  fields.push_back(array("attach", detail::kAttachOffset, sizeof(detail::AttachSlot), attach_capacity,
                         sizeof(detail::AttachSlot), {f("owner", 0, 8), f("start_time", 8, 8)}));
  fields.push_back(array("table", table_offset, sizeof(E), table_capacity, sizeof(E),
                         {f("name", offsetof(E, name), 32), f("offset", offsetof(E, offset), 8),
                          f("size", offsetof(E, size), 8), f("state", offsetof(E, state), 4),
                          f("creator_pid", offsetof(E, creator_pid), 4), f("creator_key", offsetof(E, creator_key), 4)}));
  return Layout(std::move(fields));
}

std::uint64_t expected_total_size(const StructHeader& h) {
  const std::uint64_t c = h.capacity;
  const std::uint32_t es = h.element_size;
  if (es == 0 || h.layout_version != 1) return 0;
  auto with_header = [](std::uint64_t body) { return body == 0 ? 0 : body + kBody; };
  switch (static_cast<Kind>(h.kind)) {
    case Kind::kArray:
      return h.variant == 0 && c != 0 ? vd::mul_add_or_zero(c, es, kBody) : 0;
    case Kind::kQueue: {
      std::uint64_t body = 0;  // the body size of the variant whose id the header names
      std::apply([&](auto... q) { ((decltype(q)::kId == h.variant ? (body = decltype(q)::body_size(c, es)) : 0), ...); },
                 QueueVariants{});
      return with_header(body);
    }
    case Kind::kStack:
      if (h.variant == v::treiber_tagged::kId) return with_header(v::treiber_tagged::body_size(c, es));
      if (h.variant == v::elimination_backoff::kId) return with_header(v::elimination_backoff::body_size(c, es));
      return 0;
    case Kind::kMap:
    case Kind::kSet: {
      if (h.variant != v::locked_probe::kId) return 0;
      const bool set = h.kind == static_cast<std::uint16_t>(Kind::kSet);
      if (set && key_size_of(h) != es) return 0;
      return with_header(v::locked_probe::body_size(c, key_size_of(h), set ? 0 : es));
    }
    case Kind::kPool:
      return h.variant == v::locked_free_list::kId ? with_header(v::locked_free_list::body_size(c, es)) : 0;
    case Kind::kRing:
      return h.variant == v::gated_ring::kId ? with_header(v::gated_ring::body_size(c, es)) : 0;
    case Kind::kFuture:
    case Kind::kLazy:
      return h.variant == 0 ? detail::codata::total_size(c, es) : 0;
    case Kind::kStream:
      return h.variant == 0 ? detail::stream::total_size(c, es) : 0;
    case Kind::kChannel:
      return h.variant == 0 && c >= 1 && c <= detail::kMaxChannelCapacity ? detail::channel::total_size(c, es) : 0;
  }
  return 0;
}

Layout structure_layout(const StructHeader& h) {
  std::vector<Field> fields = common_header(h);
  std::vector<Field> body;
  switch (static_cast<Kind>(h.kind)) {
    case Kind::kArray:
      body.push_back(array("elements", kBody, h.element_size, h.capacity, h.element_size));
      break;
    case Kind::kQueue: body = queue_body(h); break;
    case Kind::kStack: body = stack_body(h); break;
    case Kind::kMap:
    case Kind::kSet: body = map_body(h); break;
    case Kind::kPool: body = pool_body(h); break;
    case Kind::kRing: body = ring_body(h); break;
    case Kind::kFuture:
    case Kind::kLazy: body = codata_body(h); break;
    case Kind::kStream: body = stream_body(h); break;
    case Kind::kChannel: body = channel_body(h); break;
  }
  fields.insert(fields.end(), body.begin(), body.end());
  return Layout(std::move(fields));
}

}  // namespace zeroipc::inspect
