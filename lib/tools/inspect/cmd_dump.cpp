// zeroipc-inspect dump: bytes as hex and ASCII, each line annotated with the
// fields that start in it (layouts.h): the segment header, attach slots,
// table entries, and inside a structure its header and body fields.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>

#include "commands.h"
#include "describe.h"
#include "layouts.h"
#include "open_segment.h"
#include "render.h"
#include "zeroipc/detail/mapping.h"
#include "zeroipc/detail/segment_files.h"
#include "zeroipc/error.h"

namespace zeroipc::inspect {
namespace {

struct Region {
  std::string name;
  std::uint64_t offset = 0, size = 0;
  std::optional<Layout> layout;  // when its header checked out
};

// Names the field of every byte of the segment, as far as the segment can be trusted.
class Annotator {
 public:
  explicit Annotator(const ReadOnlySegment& seg) {
    detail::SegmentHeader h{};
    std::optional<detail::Geometry> g;
    if (seg.copy(0, &h, sizeof h)) {
      try {
        g = detail::validate_header(h, seg.size(), seg.name());
      } catch (const Error&) {
      }
    }
    // With a bad header only the header's own fields are named.
    segment_ = g ? segment_layout(g->table_offset, g->table_capacity, g->attach_capacity) : segment_layout(0, 0, 0);
    if (!g) return;
    data_offset_ = g->data_offset;
    alloc_cursor_ = h.alloc_cursor;
    const std::uint32_t count = std::min(h.table_count, g->table_capacity);
    for (std::uint32_t i = 0; i < count; ++i) {
      const auto e = seg.read<detail::TableEntry>(g->table_offset + sizeof(detail::TableEntry) * std::uint64_t{i});
      if (!e || e->state != 2 || e->offset < g->data_offset || !seg.contains(e->offset, e->size)) continue;
      Region r{std::string(e->name, strnlen(e->name, sizeof e->name)), e->offset, e->size, std::nullopt};
      detail::StructHeader sh{};
      if (e->size >= sizeof sh && seg.copy(e->offset, &sh, sizeof sh) &&
          !structure_header_problem(sh, e->offset, e->size)) {
        r.layout = structure_layout(sh);
      }
      regions_.push_back(std::move(r));
    }
  }

  [[nodiscard]] const Region* region(const std::string& name) const {
    for (const Region& r : regions_) {
      if (r.name == name) return &r;
    }
    return nullptr;
  }

  /// The field holding byte `off` of the segment, and which byte of it that is.
  std::string locate(std::uint64_t off, std::uint64_t& into) const {
    into = 0;
    std::string s = segment_.locate(off, &into);
    if (!s.empty()) return s;
    for (const Region& r : regions_) {
      if (off < r.offset || off - r.offset >= r.size) continue;
      std::string inner = r.layout ? r.layout->locate(off - r.offset, &into) : std::string();
      if (inner.empty()) {
        into = off - r.offset;
        return "'" + r.name + "' (reserved)";
      }
      return "'" + r.name + "'." + inner;
    }
    into = 1;  // unnamed space never "starts" a field
    if (data_offset_ != 0 && off >= alloc_cursor_) return "heap (unallocated)";
    return "";
  }

 private:
  Layout segment_;
  std::vector<Region> regions_;
  std::uint64_t data_offset_ = 0, alloc_cursor_ = 0;
};

}  // namespace

int run_dump(const DumpArgs& args) {
  int code = kExitOk;
  auto seg = open_segment(args.segment, code);
  if (!seg) return code;
  const Annotator ann(*seg);
  std::uint64_t base = 0, limit = seg->size();
  if (args.structure) {
    const Region* r = ann.region(*args.structure);
    if (r == nullptr) {
      std::fprintf(stderr, "zeroipc-inspect: segment '%s' has no structure '%s' that can be located\n",
                   seg->name().c_str(), args.structure->c_str());
      return kExitProblem;
    }
    base = r->offset;
    limit = r->size;
  }
  if (args.offset >= limit && !(limit == 0 && args.offset == 0)) {
    std::fprintf(stderr, "zeroipc-inspect: offset %llu is past the end of %s (%llu bytes)\n",
                 static_cast<unsigned long long>(args.offset), args.structure ? ("structure '" + *args.structure + "'").c_str()
                                                                             : ("segment '" + seg->name() + "'").c_str(),
                 static_cast<unsigned long long>(limit));
    return kExitUsage;
  }
  const std::uint64_t size = std::min(args.size.value_or(1024), limit - args.offset);
  const std::uint64_t start = base + args.offset;
  json doc;
  doc["schema"] = kSchema;
  doc["command"] = "dump";
  doc["segment"] = seg->name();
  if (args.structure) doc["structure"] = *args.structure;
  doc["offset"] = start;
  doc["size"] = size;
  doc["lines"] = json::array();
  bool short_read = false;
  const std::string prefix = args.structure ? "'" + *args.structure + "'." : std::string();
  const std::string prefix_space = args.structure ? "'" + *args.structure + "' " : std::string();
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::uint64_t line = 0; line < size; line += 16) {
    const std::uint64_t n = std::min<std::uint64_t>(16, size - line);
    unsigned char bytes[16] = {};
    if (!seg->copy(start + line, bytes, n)) {
      short_read = true;
      break;
    }
    std::string hex, ascii;
    for (std::uint64_t i = 0; i < 16; ++i) {
      if (i == 8) hex += " ";
      if (i < n) {
        hex += kHex[bytes[i] >> 4];
        hex += kHex[bytes[i] & 15];
        hex += ' ';
        ascii += bytes[i] >= 0x20 && bytes[i] < 0x7f ? static_cast<char>(bytes[i]) : '.';
      } else {
        hex += "   ";
      }
    }
    // The fields that start in this line; the one it starts inside, marked "…".
    json fields = json::array();
    for (std::uint64_t i = 0; i < n; ++i) {
      std::uint64_t into = 0;
      std::string f = ann.locate(start + line + i, into);
      if (f.empty()) continue;
      if (args.structure && f.rfind(prefix, 0) == 0) f.erase(0, prefix.size());  // names relative to the structure
      if (args.structure && f.rfind(prefix_space, 0) == 0) f.erase(0, prefix_space.size());
      if (into == 0) fields.push_back(f);
      else if (i == 0) fields.push_back("…" + f);
    }
    json l;
    l["offset"] = start + line;
    if (args.structure) l["relative"] = args.offset + line;
    l["hex"] = hex.substr(0, hex.find_last_not_of(' ') + 1);
    l["ascii"] = ascii;
    l["fields"] = fields;
    doc["lines"].push_back(l);
  }
  if (args.json) {
    std::printf("%s\n", to_json_text(doc, 2).c_str());
  } else {
    const Style style = Style::for_stdout();
    for (const json& l : doc["lines"]) {
      std::string names;
      std::size_t k = 0;
      for (const json& f : l["fields"]) {
        if (k++ == 6) {
          names += " +" + std::to_string(l["fields"].size() - 6) + " more";
          break;
        }
        names += (names.empty() ? "" : " ") + f.get<std::string>();
      }
      char off[40];
      if (args.structure) {
        std::snprintf(off, sizeof off, "%08llx +%-6llx", static_cast<unsigned long long>(l["offset"].get<std::uint64_t>()),
                      static_cast<unsigned long long>(l["relative"].get<std::uint64_t>()));
      } else {
        std::snprintf(off, sizeof off, "%08llx", static_cast<unsigned long long>(l["offset"].get<std::uint64_t>()));
      }
      std::printf("%s  %-49s |%-16s|  %s\n", off, l["hex"].get<std::string>().c_str(), l["ascii"].get<std::string>().c_str(),
                  style.dim(names).c_str());
    }
  }
  if (short_read) {
    std::fprintf(stderr, "zeroipc-inspect: segment '%s' shrank while it was read\n", seg->name().c_str());
    return kExitProblem;
  }
  return kExitOk;
}

}  // namespace zeroipc::inspect
