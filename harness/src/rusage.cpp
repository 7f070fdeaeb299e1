// Context switches and migrations of a worker; see rusage.h.
#include "zeroipc/harness/rusage.h"

#include <sys/resource.h>

#include <exception>
#include <fstream>
#include <string>

namespace zeroipc::harness {
namespace {

// "se.nr_migrations   :   12" from a /proc/.../sched file, -1 if absent.
long read_migrations(const char* path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("se.nr_migrations", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) return -1;
    try {
      return std::stol(line.substr(colon + 1));
    } catch (const std::exception&) {
      return -1;
    }
  }
  return -1;
}

SoftwareFacts sample(int who, const char* sched_path) {
  SoftwareFacts f;
  rusage ru{};
  if (getrusage(who, &ru) == 0) {
    f.voluntary_switches = ru.ru_nvcsw;
    f.involuntary_switches = ru.ru_nivcsw;
  }
  f.migrations = read_migrations(sched_path);
  return f;
}

} // namespace

SoftwareFacts sample_self() { return sample(RUSAGE_SELF, "/proc/self/sched"); }
SoftwareFacts sample_thread() { return sample(RUSAGE_THREAD, "/proc/thread-self/sched"); }

SoftwareFacts operator-(const SoftwareFacts& after, const SoftwareFacts& before) {
  SoftwareFacts d;
  d.voluntary_switches = after.voluntary_switches - before.voluntary_switches;
  d.involuntary_switches = after.involuntary_switches - before.involuntary_switches;
  d.migrations = after.migrations < 0 || before.migrations < 0 ? -1 : after.migrations - before.migrations;
  return d;
}

std::string software_facts_note(const SoftwareFacts& facts) {
  if (facts.migrations >= 0) return {};
  return "migrations unknown: no se.nr_migrations in /proc/self/sched (kernel without CONFIG_SCHED_DEBUG?)";
}

nlohmann::json to_json(const SoftwareFacts& facts) {
  nlohmann::json j = {{"voluntary_switches", facts.voluntary_switches},
                      {"involuntary_switches", facts.involuntary_switches},
                      {"migrations", facts.migrations >= 0 ? nlohmann::json(facts.migrations) : nlohmann::json()}};
  if (const std::string note = software_facts_note(facts); !note.empty()) j["note"] = note;
  return j;
}

} // namespace zeroipc::harness
