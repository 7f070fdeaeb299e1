// The segment document (describe.h): header, attach slots, table, and per
// structure its kind, variant, fill, state and owners, read read-only.
#include "describe.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <set>
#include <stdexcept>

#include "describe_parts.h"
#include "layouts.h"
#include "zeroipc/detail/dtype.h"
#include "zeroipc/detail/names.h"
#include "zeroipc/detail/segment_files.h"
#include "zeroipc/detail/structure.h"
#include "zeroipc/error.h"

namespace zeroipc::inspect {
namespace {

using detail::Kind;
using detail::StructHeader;
using parts::Ctx;
using parts::Fields;
using parts::Owners;
using parts::Unreadable;
using parts::lock_json;

std::int64_t now_realtime_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::string dtype_text(const StructHeader& h) {
  return h.dtype == 0 ? std::to_string(h.element_size) + " B" : detail::dtype_name(h.dtype);
}

// One READY entry: its common header checked (§6, §5 item 8), then its kind's state.
json describe_structure(const ReadOnlySegment& seg, const json& entry, Owners& owners, const DescribeOptions& options) {
  json out;
  out["name"] = entry["name"];
  out["status"] = "ok";
  out["problems"] = json::array();
  const std::uint64_t offset = entry["offset"], size = entry["size"];
  StructHeader h{};
  if (!seg.copy(offset, &h, sizeof h)) {
    out["status"] = "corrupt";
    out["problems"].push_back("the structure header could not be read (the file shrank)");
    return out;
  }
  out["kind"] = detail::kind_name(h.kind);
  out["variant"] = detail::variant_name(h.kind, h.variant);
  out["element_size"] = h.element_size;
  out["dtype"] = detail::dtype_name(h.dtype);
  out["capacity"] = h.capacity;
  out["total_size"] = h.total_size;
  out["layout_version"] = h.layout_version;
  out["offset"] = offset;
  out["entry_size"] = size;
  out["summary"] = {{"element", dtype_text(h)}, {"fill", ""}, {"state", ""}};
  out["owners"] = json::array();
  auto corrupt = [&](std::string what) {
    out["status"] = "corrupt";
    out["problems"].push_back(std::move(what));
    return out;
  };
  if (auto p = structure_header_problem(h, offset, size)) return corrupt(*p);
  if (!options.structures) return out;
  const Layout layout = structure_layout(h);
  Fields fields(seg, offset, layout);
  Ctx c{fields, h, owners, out, options};
  try {
    parts::describe_body(c);
  } catch (const Unreadable& e) {
    out["problems"].push_back(std::string("field ") + e.what() + " could not be read (the file shrank while it was read)");
  }
  if (!out["problems"].empty()) out["status"] = "corrupt";
  return out;
}

// §5 item 6 on a private copy of entry `i`: its name and bounds.
std::optional<std::string> entry_problem(const detail::TableEntry& e, const detail::Geometry& g, std::uint64_t size) {
  const std::size_t len = strnlen(e.name, sizeof e.name);
  if (len == sizeof e.name) return "its name has no terminating NUL";
  if (len == 0) return "it is READY with an empty name";
  for (std::size_t k = 0; k < len; ++k) {
    const auto ch = static_cast<unsigned char>(e.name[k]);
    if (ch < 0x20 || ch > 0x7e) return "its name has the byte " + detail::printable(std::string_view(e.name + k, 1));
  }
  if (e.offset % 64 != 0 || e.offset < g.data_offset) {
    return "offset " + std::to_string(e.offset) + " is not a multiple of 64 at or after the heap start " +
           std::to_string(g.data_offset);
  }
  if (e.size < sizeof(StructHeader) || e.offset > size || e.size > size - e.offset) {
    return "size " + std::to_string(e.size) + " at offset " + std::to_string(e.offset) + " does not fit the " +
           std::to_string(size) + "-byte segment";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> structure_header_problem(const StructHeader& h, std::uint64_t offset,
                                                    std::uint64_t entry_size) {
  if (std::memcmp(h.magic, detail::kStructMagic, 4) != 0) {
    return "no structure header at offset " + std::to_string(offset) + " (expected magic 'ZIPS', found '" +
           detail::printable(std::string_view(h.magic, 4)) + "')";
  }
  if (h.kind < 1 || h.kind > 11) return "unknown kind " + std::to_string(h.kind);
  const std::uint64_t expected = expected_total_size(h);
  if (expected == 0) {
    return detail::kind_name(h.kind) + " with variant " + detail::variant_name(h.kind, h.variant) +
           ", element size " + std::to_string(h.element_size) + ", capacity " + std::to_string(h.capacity) +
           " and layout version " + std::to_string(h.layout_version) + " is not a layout of format version 1";
  }
  if (h.total_size != expected || h.total_size > entry_size) {
    return "header says " + std::to_string(h.total_size) + " bytes; the layout needs " + std::to_string(expected) +
           " and the entry holds " + std::to_string(entry_size);
  }
  return std::nullopt;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  else std::snprintf(buf, sizeof buf, v < 10 ? "%.1f %s" : "%.0f %s", v, kUnits[u]);
  return buf;
}

std::string first_problem(const json& doc) {
  const auto it = doc.find("problems");
  if (it == doc.end() || !it->is_array() || it->empty() || !(*it)[0].is_string()) return "";
  return (*it)[0].get<std::string>();
}

bool has_segment_magic(const ReadOnlySegment& seg) {
  char magic[4];
  return seg.copy(0, magic, 4) && std::memcmp(magic, detail::kSegmentMagic, 4) == 0;
}

json describe_segment(const ReadOnlySegment& seg, const DescribeOptions& options) {
  json out;
  out["name"] = seg.name();
  out["path"] = seg.path();
  out["status"] = "ok";
  out["problems"] = json::array();
  out["file_size"] = seg.size();
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(seg.mode()));
  out["mode"] = mode;
  out["owner_uid"] = seg.owner_uid();
  auto problem = [&](std::string what) {
    out["status"] = "corrupt";
    out["problems"].push_back(std::move(what));
  };
  detail::SegmentHeader h{};
  if (!has_segment_magic(seg)) {
    problem("not a zeroipc segment (no 'ZIPM' magic)");
    return out;
  }
  if (!seg.copy(0, &h, sizeof h)) {
    problem("the file has " + std::to_string(seg.size()) + " bytes, fewer than the 128-byte header");
    return out;
  }
  out["format_version"] = h.format_version;
  out["size"] = h.segment_size;
  out["created_ns"] = h.created_ns;
  out["age_s"] = static_cast<double>(now_realtime_ns() - static_cast<std::int64_t>(h.created_ns)) / 1e9;
  out["creator_pid"] = h.creator_pid;
  detail::Geometry g;
  try {
    g = detail::validate_header(h, seg.size(), seg.name());
  } catch (const Error& e) {
    problem(e.what());
    return out;  // nothing past the header can be located
  }
  Owners owners(seg);
  out["table_capacity"] = g.table_capacity;
  out["table_count"] = h.table_count;
  out["table_generation"] = h.table_generation;
  out["data_offset"] = g.data_offset;
  out["used"] = h.alloc_cursor - g.data_offset;
  out["free"] = h.segment_size - h.alloc_cursor;
  out["table_lock"] = lock_json(h.table_lock, h.lock_holder_pid, owners);

  // §4 attach slots, and every process whose liveness lock is held (slots or not).
  json attached = json::array();
  std::set<std::uint32_t> slot_keys;
  std::uint64_t alive = 0, dead = 0;
  for (std::uint32_t i = 0; i < g.attach_capacity; ++i) {
    const auto slot = seg.read<detail::AttachSlot>(detail::kAttachOffset + sizeof(detail::AttachSlot) * std::uint64_t{i});
    if (!slot) break;
    if (slot->owner == 0) continue;
    const std::uint32_t key = detail::attach_key(slot->owner);
    json a = owners.owner("attached", key, detail::attach_pid(slot->owner));
    a.erase("role");
    a["slot"] = i;
    a["start_time"] = slot->start_time;
    (a["alive"] == "dead" ? dead : alive) += 1;
    slot_keys.insert(key & detail::kOwnerKeyMask);
    attached.push_back(a);
  }
  std::uint64_t unrecorded = 0;
  for (std::uint32_t key : seg.live_keys()) unrecorded += slot_keys.count(key) == 0;
  out["attached"] = attached;
  out["processes"] = {{"alive", alive}, {"dead", dead}, {"alive_without_slot", unrecorded},
                      {"attach_overflow", h.attach_overflow}};

  // §3 the table: every used entry; READY ones are structures.
  json entries = json::array();
  json structures = json::array();
  const std::uint32_t count = std::min(h.table_count, g.table_capacity);
  std::uint64_t ready = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto e = seg.read<detail::TableEntry>(g.table_offset + sizeof(detail::TableEntry) * std::uint64_t{i});
    if (!e) {
      problem("table entry " + std::to_string(i) + " could not be read (the file shrank)");
      break;
    }
    json je;
    je["index"] = i;
    static constexpr const char* kStates[] = {"free", "reserved", "ready"};
    je["state"] = e->state <= 2 ? kStates[e->state] : "corrupt";
    je["name"] = detail::printable(std::string_view(e->name, strnlen(e->name, sizeof e->name)));
    je["offset"] = e->offset;
    je["size"] = e->size;
    je["creator_pid"] = e->creator_pid;
    if (e->state == 1) {
      je["creator_key"] = e->creator_key;
      je["creator_alive"] = alive_text(owners.alive(e->creator_key));
    }
    if (e->state > 2) problem("table entry " + std::to_string(i) + " has state " + std::to_string(e->state));
    if (e->state == 2) {
      ++ready;
      if (auto p = entry_problem(*e, g, seg.size())) {
        je["problem"] = *p;
        problem("table entry " + std::to_string(i) + " ('" + je["name"].get<std::string>() + "'): " + *p);
      } else if (!options.only || *options.only == je["name"].get<std::string>()) {
        json s = describe_structure(seg, je, owners, options);
        s["creator_pid"] = e->creator_pid;
        structures.push_back(s);
      }
    }
    entries.push_back(je);
  }
  out["structures_count"] = ready;
  out["entries"] = entries;
  if (options.structures || options.only) out["structures"] = structures;
  for (const json& st : structures) {
    if (st["status"] != "ok") problem("structure '" + st["name"].get<std::string>() + "': " + first_problem(st));
  }
  return out;
}

}  // namespace zeroipc::inspect
