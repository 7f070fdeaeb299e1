// zeroipc-inspect list: every zeroipc segment in /dev/shm.
#include <cstdio>
#include <exception>

#include "commands.h"
#include "describe.h"
#include "render.h"
#include "shm_directory.h"

namespace zeroipc::inspect {

int run_list(const ListArgs& args) {
  json doc;
  doc["schema"] = kSchema;
  doc["command"] = "list";
  doc["segments"] = json::array();
  doc["temporaries"] = json::array();
  doc["skipped"] = json::array();
  bool any_problem = false;
  DescribeOptions options;
  options.structures = false;
  for (const ShmFile& f : scan_shm()) {
    if (f.type == ShmFile::Type::kOther) {
      doc["skipped"].push_back({{"name", f.name}, {"reason", f.why}});
      continue;
    }
    try {
      ReadOnlySegment seg(f.name);
      if (f.type == ShmFile::Type::kTemporary) {
        doc["temporaries"].push_back({{"name", f.name}, {"file_size", seg.size()}});
        continue;
      }
      json s = describe_segment(seg, options);
      s.erase("entries");
      any_problem |= s["status"] != "ok";
      doc["segments"].push_back(std::move(s));
    } catch (const std::exception& e) {  // vanished or unreadable since the scan
      doc["skipped"].push_back({{"name", f.name}, {"reason", e.what()}});
    }
  }
  if (args.json) {
    std::printf("%s\n", to_json_text(doc, 2).c_str());
    return any_problem ? kExitProblem : kExitOk;
  }
  const Style style = Style::for_stdout();
  TextTable t({"NAME", "SIZE", "USED", "FREE", "STRUCTS", "PROCS", "CREATOR", "AGE", "MODE", "UID", "STATUS"});
  for (const json& s : doc["segments"]) {
    const bool ok = s["status"] == "ok";
    auto get = [&](const char* k, auto fmt) { return s.contains(k) ? fmt(s[k]) : std::string("?"); };
    auto bytes = [](const json& j) { return human_bytes(j.get<std::uint64_t>()); };
    auto num = [](const json& j) { return j.dump(); };
    std::string procs = "?";
    if (s.contains("processes")) {
      const json& p = s["processes"];
      procs = std::to_string(p["alive"].get<std::uint64_t>() + p["alive_without_slot"].get<std::uint64_t>()) + " alive";
      if (p["dead"].get<std::uint64_t>() != 0) procs += ", " + style.bad(p["dead"].dump() + " dead");
    }
    t.add({s["name"].get<std::string>(), get("size", bytes), get("used", bytes), get("free", bytes),
           get("structures_count", num), procs, get("creator_pid", num),
           get("age_s", [](const json& j) { return human_age(j.get<double>()); }), s["mode"].get<std::string>(),
           s["owner_uid"].dump(), ok ? style.good("ok") : style.bad("CORRUPT: " + first_problem(s))});
  }
  if (doc["segments"].empty()) {
    std::printf("no zeroipc segments in /dev/shm\n");
  } else {
    t.print(stdout, style);
  }
  for (const json& tmp : doc["temporaries"]) {
    std::printf("temporary %s (a segment being created, or left by a creator that died; `clean` removes the latter)\n",
                tmp["name"].get<std::string>().c_str());
  }
  if (!doc["skipped"].empty()) {
    std::printf("%s\n", style.dim("(" + std::to_string(doc["skipped"].size()) + " other file(s) in /dev/shm skipped)").c_str());
  }
  return any_problem ? kExitProblem : kExitOk;
}

}  // namespace zeroipc::inspect
