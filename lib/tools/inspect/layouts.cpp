// The fields of SPECIFICATION.md §2-§7 as data (layouts.h). Every offset
// and size comes from the C99 layout headers (zeroipc/layout/*.h), the
// format's one definition: a fixed field is a member of a layout struct
// (FIELD: offsetof and the member's size), a variable part (cells, nodes,
// tables, data) is placed by the header's offset functions and constants.
// The names are the inspector's (the JSON of `show` and the annotations of
// `dump` use them): the members' names, but for the few named otherwise.
#include "layouts.h"

#include <bit>
#include <cstddef>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>
#include <stdexcept>

#include "zeroipc/detail/channel_layout.h"
#include "zeroipc/detail/stream_layout.h"
#include "zeroipc/future.h"
#include "zeroipc/layout/layout.h"
#include "zeroipc/registry.h"
#include "zeroipc/variants/detail/ring_math.h"

namespace zeroipc::inspect {
namespace {

using detail::Kind;
using detail::StructHeader;
namespace vd = zeroipc::variants::detail;
namespace v = zeroipc::variants;

// Queue, stack, map, pool and ring bodies start here (§6); the offsets of
// their body structs are from this byte.
constexpr std::uint64_t kBody = ZEROIPC_BODY_OFFSET;

Field f(std::string name, std::uint64_t offset, std::uint64_t size) {
  return Field{std::move(name), offset, size, 1, 0, {}};
}
Field array(std::string name, std::uint64_t offset, std::uint64_t size, std::uint64_t count,
            std::uint64_t stride, std::vector<Field> parts = {}) {
  return Field{std::move(name), offset, size, count, stride, std::move(parts)};
}
Field group(std::string name, std::uint64_t offset, std::uint64_t size, std::vector<Field> parts) {
  return Field{std::move(name), offset, size, 1, 0, std::move(parts)};
}
// An array member of a layout struct (type A = T[N]): N items of sizeof(T).
template <class A>
Field items(std::string name, std::uint64_t offset, std::vector<Field> parts) {
  using T = std::remove_extent_t<A>;
  return array(std::move(name), offset, sizeof(T), std::extent_v<A>, sizeof(T), std::move(parts));
}

// FIELD(S, m): member m of layout struct S, a field named m.
#define FIELD(S, m) f(#m, offsetof(S, m), ZEROIPC_MEMBER_SIZE(S, m))
// NAMED(name, S, m): the same, under another name.
#define NAMED(name, S, m) f(name, offsetof(S, m), ZEROIPC_MEMBER_SIZE(S, m))
// GROUP(S, m, parts): a struct member m of S, made of `parts`.
#define GROUP(S, m, ...) group(#m, offsetof(S, m), ZEROIPC_MEMBER_SIZE(S, m), __VA_ARGS__)
// ITEMS(S, m, parts): an array member m of S, each item made of `parts`.
#define ITEMS(S, m, ...) items<decltype(S::m)>(#m, offsetof(S, m), __VA_ARGS__)

// Appends `fields`, whose offsets are from a part laid at `at` (a body at
// kBody, the kind-specific bytes at 32), with offsets from the structure's start.
void add(std::vector<Field>& to, std::uint64_t at, std::vector<Field> fields) {
  for (Field& fl : fields) {
    fl.offset += at;
    to.push_back(std::move(fl));
  }
}

// §6, with the kind-specific bytes named where the kind defines them.
std::vector<Field> common_header(const StructHeader& h) {
  using H = zeroipc_struct_header;
  const std::uint64_t ks = offsetof(H, kind_specific);
  std::vector<Field> parts{FIELD(H, magic),          FIELD(H, kind),  FIELD(H, variant),
                           FIELD(H, element_size),   FIELD(H, layout_version),
                           FIELD(H, dtype),          FIELD(H, capacity),
                           FIELD(H, total_size)};
  switch (static_cast<Kind>(h.kind)) {
    case Kind::kMap:
    case Kind::kSet:
      add(parts, ks, {FIELD(zeroipc_keyed_config, key_size)});
      break;
    case Kind::kStream: {
      using C = zeroipc_stream_config;
      add(parts, ks, {FIELD(C, subscriber_slots), FIELD(C, overflow), FIELD(C, origin)});
      break;
    }
    case Kind::kChannel:
      add(parts, ks, {FIELD(zeroipc_channel_config, channel_capacity)});
      break;
    default:
      parts.push_back(FIELD(H, kind_specific));
  }
  return {group("header", 0, sizeof(H), std::move(parts))};  // at the structure's start
}

// §7.7: the parts of the op area (an lcrq, scq or stack body's `ops`).
std::vector<Field> op_area() {
  using A = zeroipc_op_area;
  using C = zeroipc_op_control;
  using S = zeroipc_op_slot;
  std::vector<Field> out;
  add(out, offsetof(A, control),
      {FIELD(C, recovery_lock), FIELD(C, recovering), FIELD(C, recovery_pid),
       FIELD(C, recoveries), FIELD(C, recovered), FIELD(C, suspects)});
  out.push_back(ITEMS(A, slots, {FIELD(S, key), FIELD(S, tid), FIELD(S, pid), FIELD(S, active), FIELD(S, aux)}));
  return out;
}

// §7.2.4, §7.10.1: the parts of a role (spsc_ring's producer and consumer, gated_ring's writer).
std::vector<Field> role() { return {FIELD(zeroipc_role, key), FIELD(zeroipc_role, pid)}; }

std::vector<Field> queue_body(const StructHeader& h) {
  const std::uint64_t c = h.capacity, es = h.element_size, r = zeroipc_queue_ring_slots(c);
  std::vector<Field> out;
  switch (h.variant) {
    case v::vyukov_bounded::kId: {  // §7.2.1
      using B = zeroipc_vyukov_body;
      const std::uint64_t st = zeroipc_vyukov_stride(h.element_size);
      add(out, kBody,
          {FIELD(B, enqueue_pos),
           FIELD(B, dequeue_pos),
           array("cells", ZEROIPC_VYUKOV_CELLS_OFFSET, st, r, st,
                 {FIELD(zeroipc_vyukov_cell, sequence), f("element", ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET, es)})});
      break;
    }
    case v::lcrq::kId:  // §7.2.2: direct cells for element_size <= 8
    case v::lcrq_nodes::kId: {
      using B = zeroipc_lcrq_body;
      using R = zeroipc_lcrq_ring;
      using C = zeroipc_lcrq_cell;
      const bool direct = h.variant == v::lcrq::kId && v::lcrq::direct(h.element_size);
      const std::uint64_t ring = zeroipc_lcrq_ring_bytes(c), st = zeroipc_lcrq_stride(h.element_size);
      std::vector<Field> body{
          FIELD(B, head_ring),
          FIELD(B, tail_ring),
          FIELD(B, ring_pool),
          FIELD(B, node_pool),
          FIELD(B, start),
          GROUP(B, ops, op_area()),
          array("rings", ZEROIPC_LCRQ_RINGS_OFFSET, ring, zeroipc_lcrq_ring_count(c), ring,
                {FIELD(R, pool_next), FIELD(R, state), FIELD(R, next), FIELD(R, owner_key), FIELD(R, owner_pid),
                 FIELD(R, first), FIELD(R, head), FIELD(R, tail),
                 array("cells", ZEROIPC_LCRQ_RING_CELLS_OFFSET, sizeof(C), zeroipc_lcrq_ring_size(c), sizeof(C),
                       {FIELD(C, word), FIELD(C, value)})})};
      if (!direct) {
        body.push_back(array("nodes", zeroipc_lcrq_nodes_offset(c), st, c, st,
                             {FIELD(zeroipc_lcrq_node, next), f("element", ZEROIPC_LCRQ_NODE_ELEMENT_OFFSET, es)}));
      }
      add(out, kBody, std::move(body));
      break;
    }
    case v::scq::kId:  // §7.2.3: direct cells for element_size <= 8
    case v::scq_indices::kId: {
      using R = zeroipc_scq_ring;
      const std::uint64_t entries = 2 * zeroipc_scq_n(c);  // each ring has 2n entries
      if (h.variant == v::scq::kId && v::scq::direct(h.element_size)) {
        using C = zeroipc_scq_cell;
        add(out, kBody,
            {GROUP(zeroipc_scq_body, ops, op_area()),
             group("ring", ZEROIPC_SCQ_RING_OFFSET, zeroipc_scq_cell_ring_bytes(c),
                   {FIELD(R, threshold), FIELD(R, tail), FIELD(R, head),
                    array("cells", ZEROIPC_SCQ_RING_ENTRIES_OFFSET, sizeof(C), entries, sizeof(C),
                          {FIELD(C, word), FIELD(C, value)})})});
        break;
      }
      auto scq_ring = [&](std::string name, std::uint64_t at) {
        return group(std::move(name), at, zeroipc_scq_ring_bytes(c),
                     {FIELD(R, threshold), FIELD(R, tail), FIELD(R, head),
                      array("entries", ZEROIPC_SCQ_RING_ENTRIES_OFFSET, ZEROIPC_SCQ_ENTRY_SIZE, entries,
                            ZEROIPC_SCQ_ENTRY_SIZE)});
      };
      add(out, kBody,
          {GROUP(zeroipc_scq_body, ops, op_area()),
           scq_ring("aq", ZEROIPC_SCQ_AQ_OFFSET),
           scq_ring("fq", zeroipc_scq_fq_offset(c)),
           array("data", zeroipc_scq_data_offset(c), es, c, es)});
      break;
    }
    case v::spsc_ring::kId: {  // §7.2.4
      using B = zeroipc_spsc_body;
      add(out, kBody,
          {FIELD(B, tail),
           FIELD(B, head),
           GROUP(B, producer, role()),
           GROUP(B, consumer, role()),
           array("slots", ZEROIPC_SPSC_SLOTS_OFFSET, es, r, es)});
      break;
    }
    case v::locked_ring::kId: {  // §7.2.5
      using B = zeroipc_locked_ring_body;
      add(out, kBody,
          {FIELD(B, lock),
           FIELD(B, holder_pid),
           FIELD(B, head),
           FIELD(B, tail),
           array("slots", ZEROIPC_LOCKED_RING_SLOTS_OFFSET, es, r, es)});
      break;
    }
    default:
      break;
  }
  return out;
}

std::vector<Field> stack_body(const StructHeader& h) {  // §7.3
  const std::uint64_t st = zeroipc_stack_stride(h.element_size);
  const std::vector<Field> node{FIELD(zeroipc_stack_node, next),
                                f("element", ZEROIPC_STACK_NODE_ELEMENT_OFFSET, h.element_size)};
  std::vector<Field> out;
  if (h.variant == v::elimination_backoff::kId) {  // §7.3.2
    using B = zeroipc_elimination_body;
    using S = zeroipc_elimination_slot;
    add(out, kBody,
        {FIELD(B, top),
         FIELD(B, free_top),
         array("elimination", offsetof(B, slots), ZEROIPC_MEMBER_SIZE(S, word), ZEROIPC_ELIMINATION_SLOTS, sizeof(S)),
         GROUP(B, ops, op_area()),
         array("nodes", ZEROIPC_ELIMINATION_NODES_OFFSET, st, h.capacity, st, node)});
  } else {  // §7.3.1
    using B = zeroipc_treiber_body;
    add(out, kBody,
        {FIELD(B, top),
         FIELD(B, free_top),
         GROUP(B, ops, op_area()),
         array("nodes", ZEROIPC_TREIBER_NODES_OFFSET, st, h.capacity, st, node)});
  }
  return out;
}

std::uint32_t key_size_of(const StructHeader& h) {
  zeroipc_keyed_config config{};
  std::memcpy(&config, h.kind_specific, sizeof config);
  return config.key_size;
}

std::vector<Field> map_body(const StructHeader& h) {  // §7.8.1
  using C = zeroipc_probe_control;
  using S = zeroipc_probe_slot;
  const bool set = h.kind == static_cast<std::uint16_t>(Kind::kSet);
  const std::uint32_t ks = key_size_of(h), vs = set ? 0 : h.element_size;
  const std::uint64_t n = zeroipc_probe_table_size(h.capacity), st = zeroipc_probe_stride(ks, vs);
  std::vector<Field> slot{FIELD(S, state), NAMED("hash", S, hash_high), f("key", ZEROIPC_PROBE_SLOT_KEY_OFFSET, ks)};
  if (!set) slot.push_back(f("value", zeroipc_probe_slot_value_offset(ks), vs));
  std::vector<Field> out;
  add(out, kBody,
      {FIELD(C, lock), FIELD(C, active), FIELD(C, holder_pid), FIELD(C, count), FIELD(C, tombstones),
       FIELD(C, journal), FIELD(C, inserted), FIELD(C, erased), FIELD(C, assigned), FIELD(C, rebuilds)});
  if (!set) add(out, kBody, {f("journal_value", ZEROIPC_PROBE_JOURNAL_OFFSET, vs)});
  add(out, kBody,
      {array("table_a", zeroipc_probe_table_offset(h.capacity, ks, vs, ZEROIPC_PROBE_TABLE_A), st, n, st, slot),
       array("table_b", zeroipc_probe_table_offset(h.capacity, ks, vs, ZEROIPC_PROBE_TABLE_B), st, n, st, slot)});
  return out;
}

std::vector<Field> pool_body(const StructHeader& h) {  // §7.9.1
  using C = zeroipc_pool_control;
  const std::uint64_t c = h.capacity, es = h.element_size;
  const std::uint64_t index = zeroipc_pool_free_offset(1) - zeroipc_pool_free_offset(0);         // free[i], a u32
  const std::uint64_t word = zeroipc_pool_state_offset(c, 1) - zeroipc_pool_state_offset(c, 0);  // state[i], a u64
  std::vector<Field> out;
  add(out, kBody,
      {FIELD(C, lock),
       FIELD(C, holder_pid),
       FIELD(C, free_top),
       FIELD(C, acquired),
       FIELD(C, released),
       FIELD(C, pool_id),
       array("free", ZEROIPC_POOL_FREE_OFFSET, index, c, index),
       array("states", zeroipc_pool_states_offset(c), word, c, word),
       array("objects", zeroipc_pool_objects_offset(c), es, c, es)});
  return out;
}

std::vector<Field> ring_body(const StructHeader& h) {  // §7.10.1
  using B = zeroipc_gated_ring_body;
  using R = zeroipc_gated_reader_slot;
  std::vector<Field> out;
  add(out, kBody,
      {GROUP(B, writer, role()),
       FIELD(B, write_pos),
       ITEMS(B, readers, {FIELD(R, key), FIELD(R, pid), FIELD(R, read_pos)}),
       array("data", ZEROIPC_GATED_RING_DATA_OFFSET, h.element_size, h.capacity, h.element_size)});
  return out;
}

// Future, Lazy, Stream and Channel: their structs include the common header,
// so their offsets are from the structure's start.

std::vector<Field> codata_body(const StructHeader& h) {  // §7.4
  using C = zeroipc_codata;
  return {FIELD(C, state),      FIELD(C, owner_pid),  FIELD(C, owner_tag),
          FIELD(C, sleepers),   FIELD(C, generation), FIELD(C, demand),
          FIELD(C, demand_sleepers), FIELD(C, error),
          f("value", ZEROIPC_CODATA_VALUE_OFFSET, h.element_size)};
}

std::vector<Field> stream_body(const StructHeader& h) {  // §7.5
  using L = zeroipc_stream;
  using S = zeroipc_stream_subscriber_slot;
  const std::uint64_t st = zeroipc_stream_stride(h.element_size);
  return {FIELD(L, producer_pid), FIELD(L, producer_key),    FIELD(L, producer_start),
          FIELD(L, end_reason),   FIELD(L, high_water),      FIELD(L, published),
          FIELD(L, reader_sleepers), FIELD(L, sleep_at),     FIELD(L, resume_at),
          FIELD(L, epoch),        FIELD(L, producer_sleepers),
          ITEMS(L, slots, {FIELD(S, state), FIELD(S, pid), FIELD(S, cursor), FIELD(S, missed)}),
          array("cells", ZEROIPC_STREAM_CELLS_OFFSET, st, h.capacity, st,
                {FIELD(zeroipc_stream_cell, seq), f("element", ZEROIPC_STREAM_CELL_ELEMENT_OFFSET, h.element_size)})};
}

std::vector<Field> channel_body(const StructHeader& h) {  // §7.6
  using C = zeroipc_channel_layout;
  const std::uint64_t slots = zeroipc_channel_slots(h.capacity);  // the header's capacity is the cells
  return {FIELD(C, lock),           FIELD(C, closed),         FIELD(C, lock_pid),
          FIELD(C, receivers_waiting), FIELD(C, closed_by),   FIELD(C, head),
          FIELD(C, tail),           FIELD(C, data_epoch),     FIELD(C, data_sleepers),
          FIELD(C, space_epoch),    FIELD(C, space_sleepers), FIELD(C, handoff),
          FIELD(C, handoff_pid),    FIELD(C, handoff_tag),
          array("slots", ZEROIPC_CHANNEL_SLOTS_OFFSET, h.element_size, slots, h.element_size)};
}

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
  using H = zeroipc_segment_header;
  using A = zeroipc_attach_slot;
  using E = zeroipc_table_entry;
  std::vector<Field> fields;
  fields.push_back(group("header", 0, sizeof(H),  // at the segment's start
                         {FIELD(H, magic),
                          FIELD(H, format_version),
                          FIELD(H, header_size),
                          FIELD(H, segment_size),
                          FIELD(H, table_offset),
                          FIELD(H, table_capacity),
                          FIELD(H, attach_capacity),
                          FIELD(H, data_offset),
                          FIELD(H, created_ns),
                          FIELD(H, creator_pid),
                          FIELD(H, table_lock),
                          FIELD(H, table_count),
                          FIELD(H, alloc_cursor),
                          FIELD(H, lock_holder_pid),
                          FIELD(H, table_generation),
                          FIELD(H, attach_overflow)}));
  fields.push_back(array("attach", ZEROIPC_ATTACH_OFFSET, sizeof(A), attach_capacity, sizeof(A),
                         {FIELD(A, owner), FIELD(A, start_time)}));
  fields.push_back(array("table", table_offset, sizeof(E), table_capacity, sizeof(E),
                         {FIELD(E, name), FIELD(E, offset), FIELD(E, size), FIELD(E, state), FIELD(E, creator_pid),
                          FIELD(E, creator_key)}));
  return Layout(std::move(fields));
}

#undef FIELD
#undef NAMED
#undef GROUP
#undef ITEMS

std::uint64_t expected_total_size(const StructHeader& h) {
  const std::uint64_t c = h.capacity;
  const std::uint32_t es = h.element_size;
  if (es == 0 || h.layout_version != ZEROIPC_LAYOUT_VERSION) return 0;
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
      body.push_back(array("elements", ZEROIPC_ARRAY_ELEMENTS_OFFSET, h.element_size, h.capacity, h.element_size));
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
