// Human output from the segment document (describe.h).
#include "render.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

#include <cmath>
#include <cstdlib>
#include <ctime>

namespace zeroipc::inspect {
namespace {

std::size_t visible_width(const std::string& s) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++w;  // count UTF-8 characters, not bytes
  }
  return w;
}

std::string str(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_null()) return "-";
  return to_json_text(j);
}

std::string owners_text(const json& s, const Style& style) {
  std::string out;
  std::size_t shown = 0;
  for (const json& o : s.value("owners", json::array())) {
    if (o.value("role", "") == "subscriber" || o.value("role", "") == "reader") continue;  // counted in fill/state
    if (shown++ == 3) {
      out += ", …";
      break;
    }
    if (!out.empty()) out += ", ";
    out += o.value("role", "") + " " + std::to_string(o.value("pid", std::uint64_t{0})) + " " +
           style.alive(o.value("alive", ""));
  }
  return out.empty() ? "-" : out;
}

}  // namespace

Style Style::for_stdout() {
  Style s;
  const char* no = std::getenv("NO_COLOR");
  s.on_ = ::isatty(STDOUT_FILENO) == 1 && (no == nullptr || *no == '\0');
  return s;
}

namespace {

// The terminal's width, or 0 when stdout is not a terminal (then nothing is cut).
std::size_t terminal_columns() {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) != 1 || ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

// `s` cut to `width` visible characters, ending in "…" (its colour dropped: a cut escape code would bleed).
std::string cut(const std::string& s, std::size_t width) {
  if (visible_width(s) <= width) return s;
  std::string plain;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    plain.push_back(s[i]);
  }
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < plain.size() && w + 1 < width; ++i) {
    out.push_back(plain[i]);
    if (i + 1 >= plain.size() || (static_cast<unsigned char>(plain[i + 1]) & 0xC0) != 0x80) ++w;
  }
  return out + "…";
}

}  // namespace

void TextTable::print(std::FILE* out, const Style& style) const {
  std::vector<std::size_t> width;
  for (const auto& row : rows_) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], visible_width(row[i]));
  }
  // On a terminal, narrow the widest columns (never the first, which names the row, and never
  // below 12) until the table fits.
  if (const std::size_t cols = terminal_columns(); cols != 0 && !width.empty()) {
    auto total = [&] {
      std::size_t t = 2 * (width.size() - 1);
      for (std::size_t w : width) t += w;
      return t;
    };
    while (width.size() > 1 && total() > cols) {
      auto widest = std::max_element(width.begin() + 1, width.end());
      if (*widest <= 12) break;
      --*widest;
    }
  }
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    std::string line;
    for (std::size_t i = 0; i < rows_[r].size(); ++i) {
      const std::string text = cut(rows_[r][i], width[i]);
      line += r == 0 ? style.bold(text) : text;
      if (i + 1 < rows_[r].size()) line += std::string(width[i] - visible_width(text) + 2, ' ');
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

std::string human_age(double s) {
  char buf[48];
  if (s < 0) return "-";
  if (s < 60) std::snprintf(buf, sizeof buf, "%.0f s", s);
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%.0f min", s / 60);
  else if (s < 86400) std::snprintf(buf, sizeof buf, "%.0f h %.0f min", s / 3600, std::fmod(s, 3600) / 60);
  else std::snprintf(buf, sizeof buf, "%.0f d", s / 86400);
  return buf;
}

std::string human_rate(double r) {
  char buf[32];
  if (r >= 1e6) std::snprintf(buf, sizeof buf, "%.1f M/s", r / 1e6);
  else if (r >= 1e3) std::snprintf(buf, sizeof buf, "%.1f k/s", r / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f /s", r);
  return buf;
}

void print_structures(std::FILE* out, const json& seg, const Style& style, const json* rates) {
  std::vector<std::string> header{"NAME", "KIND", "VARIANT", "ELEMENT", "CAPACITY", "FILL", "STATE", "OWNERS"};
  if (rates != nullptr) header.insert(header.begin() + 6, "RATES");
  TextTable t(header);
  for (const json& s : seg.value("structures", json::array())) {
    const json summary = s.value("summary", json::object());
    std::string state = summary.value("state", "");
    if (s.value("status", "") != "ok") state = style.bad("CORRUPT: " + first_problem(s));
    std::vector<std::string> row{s.value("name", ""),
                                 s.value("kind", "?"),
                                 s.value("variant", "none") == "none" ? "-" : s.value("variant", ""),
                                 summary.value("element", "?"),
                                 s.contains("capacity") ? str(s["capacity"]) : "?",
                                 summary.value("fill", "").empty() ? "-" : summary.value("fill", ""),
                                 state.empty() ? "-" : state,
                                 owners_text(s, style)};
    if (rates != nullptr) {
      // "pushes 2.0 k/s, pops 2.0 k/s"; "idle" when every counter stood still; "…" before a second sample.
      std::string r;
      bool first_sample = false;
      const std::string name = s.value("name", "");
      if (rates->contains(name)) {
        for (const auto& [k, v] : (*rates)[name].items()) {
          if (v.is_null()) {
            first_sample = true;
            continue;
          }
          if (v.get<double>() <= 0) continue;
          if (!r.empty()) r += ", ";
          r += k.substr(0, k.rfind("_per_s")) + " " + human_rate(v.get<double>());
        }
        if (r.empty()) r = first_sample ? "…" : "idle";
      }
      row.insert(row.begin() + 6, r.empty() ? "-" : r);
    }
    t.add(row);
  }
  t.print(out, style);
}

void print_segment(std::FILE* out, const json& seg, const Style& style) {
  std::fprintf(out, "%s  %s\n", style.bold("segment " + seg.value("name", "")).c_str(),
               seg.value("status", "") == "ok" ? style.good("ok").c_str() : style.bad("CORRUPT").c_str());
  for (const json& p : seg["problems"]) std::fprintf(out, "  %s %s\n", style.bad("problem:").c_str(), str(p).c_str());
  if (!seg.contains("size")) return;
  std::fprintf(out, "  size %s, used %s, free %s; format %s; mode %s, uid %s\n",
               human_bytes(seg["size"]).c_str(), seg.contains("used") ? human_bytes(seg["used"]).c_str() : "?",
               seg.contains("free") ? human_bytes(seg["free"]).c_str() : "?", str(seg["format_version"]).c_str(),
               str(seg["mode"]).c_str(), str(seg["owner_uid"]).c_str());
  const auto created_s = static_cast<std::time_t>(seg.value("created_ns", std::uint64_t{0}) / 1'000'000'000);
  char when[64] = "?";
  std::tm tm{};
  if (::localtime_r(&created_s, &tm) != nullptr) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
  std::fprintf(out, "  created %s by pid %s (%s ago)\n", when, str(seg["creator_pid"]).c_str(),
               human_age(seg.value("age_s", -1.0)).c_str());
  if (!seg.contains("processes")) return;
  const json& p = seg["processes"];
  std::string procs = std::to_string(p.value("alive", 0)) + " alive, " + std::to_string(p.value("dead", 0)) + " dead";
  if (p.value("alive_without_slot", 0) != 0) procs += ", " + std::to_string(p.value("alive_without_slot", 0)) + " alive without a slot";
  if (p.value("attach_overflow", 0) != 0) procs += ", " + std::to_string(p.value("attach_overflow", 0)) + " attaches not recorded";
  std::fprintf(out, "  attached: %s\n", procs.c_str());
  for (const json& a : seg["attached"]) {
    std::fprintf(out, "    slot %-3s pid %-8s %s\n", str(a["slot"]).c_str(), str(a["pid"]).c_str(),
                 style.alive(a.value("alive", "")).c_str());
  }
  const json& lock = seg["table_lock"];
  std::fprintf(out, "  table: %s of %s entries used, generation %s; lock %s\n", str(seg["table_count"]).c_str(),
               str(seg["table_capacity"]).c_str(), str(seg["table_generation"]).c_str(),
               lock["held"].get<bool>() ? ("held by pid " + str(lock["holder_pid"]) + " (" +
                                           style.alive(lock.value("holder_alive", "")) + ")").c_str()
                                        : "free");
  for (const json& e : seg["entries"]) {
    if (e["state"] == "ready") continue;
    std::string what = e["state"] == "reserved"
                           ? "reserved by pid " + str(e["creator_pid"]) + " (" + style.alive(e.value("creator_alive", "")) +
                                 (e.value("creator_alive", "") == "dead" ? ": reclaimed by the next creator)" : ": being created)")
                           : "free (" + human_bytes(e["size"]) + " kept for reuse)";
    std::fprintf(out, "    entry %s '%s': %s\n", str(e["index"]).c_str(), e.value("name", "").c_str(), what.c_str());
  }
  if (seg.contains("structures")) {
    std::fprintf(out, "\n");
    print_structures(out, seg, style);
  }
}

void print_structure_detail(std::FILE* out, const json& s, const Style& style) {
  std::fprintf(out, "%s %s  %s\n", style.bold(s.value("kind", "?")).c_str(), style.bold("'" + s.value("name", "") + "'").c_str(),
               s.value("status", "") == "ok" ? style.good("ok").c_str() : style.bad("CORRUPT").c_str());
  for (const json& p : s["problems"]) std::fprintf(out, "  %s %s\n", style.bad("problem:").c_str(), str(p).c_str());
  for (const json& n : s.value("notes", json::array())) std::fprintf(out, "  %s %s\n", style.warn("note:").c_str(), str(n).c_str());
  // Every field of the document, one per line, nested objects indented.
  auto walk = [&](auto&& self, const json& j, int depth) -> void {
    for (const auto& [k, v] : j.items()) {
      if (depth == 0 && (k == "problems" || k == "notes" || k == "summary" || k == "name" || k == "status")) continue;
      const std::string indent(2 + 2 * static_cast<std::size_t>(depth), ' ');
      if (v.is_object()) {
        std::fprintf(out, "%s%s:\n", indent.c_str(), k.c_str());
        self(self, v, depth + 1);
      } else if (v.is_array() && !v.empty() && v[0].is_object()) {
        std::fprintf(out, "%s%s:\n", indent.c_str(), k.c_str());
        for (const json& item : v) {
          std::string line;
          for (const auto& [ik, iv] : item.items()) {
            if (!line.empty()) line += "  ";
            line += ik + " " + (ik == "alive" ? style.alive(str(iv)) : str(iv));
          }
          std::fprintf(out, "%s  - %s\n", indent.c_str(), line.c_str());
        }
      } else if (v.is_array()) {
        std::string line;
        for (const json& item : v) line += (line.empty() ? "" : " ") + str(item);
        std::fprintf(out, "%s%s: %s\n", indent.c_str(), k.c_str(), line.empty() ? "(none)" : line.c_str());
      } else {
        std::fprintf(out, "%s%s: %s\n", indent.c_str(), k.c_str(), k == "alive" || k == "holder_alive" ? style.alive(str(v)).c_str() : str(v).c_str());
      }
    }
  };
  walk(walk, s, 0);
}

}  // namespace zeroipc::inspect
