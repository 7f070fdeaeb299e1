// zeroipc-inspect clean: remove segments that no live process has mapped,
// and the temporaries of creators that died before publishing.
//
// "No live process": no liveness lock (SPECIFICATION.md §4.1) is held on the
// file, asked of the kernel over the whole key range, so a process counts
// whether or not it got an attach slot. Only names are removed (unlink):
// a process that opens the segment between the check and the unlink keeps
// its mapping, as after any unlink. Files this user does not own are left
// alone, and so are files that are not zeroipc segments.
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "commands.h"
#include "describe.h"
#include "render.h"
#include "shm_directory.h"
#include "zeroipc/detail/segment_files.h"

namespace zeroipc::inspect {

int run_clean(const CleanArgs& args) {
  json doc;
  doc["schema"] = kSchema;
  doc["command"] = "clean";
  doc["dry_run"] = args.dry_run;
  doc["removed"] = json::array();
  doc["kept"] = json::array();
  bool failed = false;
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  for (const ShmFile& f : scan_shm()) {
    if (f.type == ShmFile::Type::kOther) continue;
    if (!args.patterns.empty() &&
        std::none_of(args.patterns.begin(), args.patterns.end(), [&](const std::string& p) {
          return ::fnmatch(segment_name(p).c_str(), f.name.c_str(), 0) == 0;
        })) {
      continue;
    }
    json item;
    item["name"] = f.name;
    item["type"] = f.type == ShmFile::Type::kSegment ? "segment" : "temporary";
    bool remove = false;
    try {
      ReadOnlySegment seg(f.name);
      if (seg.owner_uid() != ::geteuid()) {
        item["reason"] = "owned by uid " + std::to_string(seg.owner_uid()) + ", not this user";
      } else if (f.type == ShmFile::Type::kTemporary) {
        remove = detail::is_orphaned_temporary(seg.fd(), now);
        item["reason"] = remove ? "its creator died before publishing it" : "a creator is building it";
      } else {
        const std::size_t live = seg.live_keys().size();
        remove = live == 0;
        if (remove) {
          DescribeOptions o;
          o.structures = false;
          const json s = describe_segment(seg, o);
          const std::uint64_t dead = s.contains("processes") ? s["processes"]["dead"].get<std::uint64_t>() : 0;
          item["reason"] = "no live process has it mapped" +
                           (dead != 0 ? " (" + std::to_string(dead) + " attached process(es) died without detaching)"
                                      : std::string());
          if (s["status"] != "ok") item["corrupt"] = true;
        } else {
          item["reason"] = std::to_string(live) + " live process(es) have it mapped";
        }
      }
    } catch (const std::exception& e) {
      item["reason"] = e.what();
    }
    if (remove && !args.dry_run) {
      const std::string path = std::string(detail::kShmDir) + f.name;
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        item["error"] = std::string("unlink failed: ") + std::strerror(errno);
        failed = true;
        remove = false;
      }
    }
    doc[remove ? "removed" : "kept"].push_back(item);
  }
  if (args.json) {
    std::printf("%s\n", to_json_text(doc, 2).c_str());
  } else {
    const Style style = Style::for_stdout();
    for (const json& r : doc["removed"]) {
      std::printf("%s %s %s: %s\n", args.dry_run ? "would remove" : style.warn("removed").c_str(),
                  r["type"].get<std::string>().c_str(), r["name"].get<std::string>().c_str(),
                  r["reason"].get<std::string>().c_str());
    }
    for (const json& k : doc["kept"]) {
      std::printf("kept %s %s: %s%s\n", k["type"].get<std::string>().c_str(), k["name"].get<std::string>().c_str(),
                  k["reason"].get<std::string>().c_str(), k.contains("error") ? ("; " + k["error"].get<std::string>()).c_str() : "");
    }
    std::printf("%zu %s, %zu kept\n", doc["removed"].size(), args.dry_run ? "to remove" : "removed", doc["kept"].size());
  }
  return failed ? kExitProblem : kExitOk;
}

}  // namespace zeroipc::inspect
