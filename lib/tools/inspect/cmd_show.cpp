// zeroipc-inspect show: one segment (header, processes, table, structures), or one structure.
#include <cstdio>

#include "commands.h"
#include "describe.h"
#include "open_segment.h"
#include "render.h"

namespace zeroipc::inspect {

int run_show(const ShowArgs& args) {
  int code = kExitOk;
  auto seg = open_segment(args.segment, code);
  if (!seg) return code;
  DescribeOptions options;
  options.only = args.structure;
  options.max_elements = args.elements;
  json s = describe_segment(*seg, options);
  json doc;
  doc["schema"] = kSchema;
  doc["command"] = "show";
  if (!args.structure) {
    doc["segment"] = s;
    if (args.json) {
      std::printf("%s\n", to_json_text(doc, 2).c_str());
    } else {
      print_segment(stdout, s, Style::for_stdout());
    }
    return s["status"] == "ok" ? kExitOk : kExitProblem;
  }
  const json structures = s.value("structures", json::array());
  if (structures.empty()) {
    if (s["status"] != "ok") {  // the table itself cannot be trusted
      print_segment(stderr, s, Style{});
      return kExitProblem;
    }
    std::string names;
    for (const json& e : s["entries"]) {
      if (e["state"] == "ready") names += (names.empty() ? "" : ", ") + e["name"].get<std::string>();
    }
    std::fprintf(stderr, "zeroipc-inspect: segment '%s' has no structure '%s' (it has: %s)\n", seg->name().c_str(),
                 args.structure->c_str(), names.empty() ? "none" : names.c_str());
    return kExitProblem;
  }
  const json& one = structures[0];
  doc["segment"] = seg->name();
  doc["structure"] = one;
  if (args.json) {
    std::printf("%s\n", to_json_text(doc, 2).c_str());
  } else {
    print_structure_detail(stdout, one, Style::for_stdout());
  }
  return one["status"] == "ok" ? kExitOk : kExitProblem;
}

}  // namespace zeroipc::inspect
