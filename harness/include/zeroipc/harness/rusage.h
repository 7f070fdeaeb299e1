// Software facts of a worker over a run: how often the scheduler took its CPU
// away (involuntary switches), how often it gave it up (voluntary: blocking,
// sched_yield, futex waits) and how often it moved between PUs. A spinning,
// pinned worker should show ~0 of each; anything else explains an outlier.
//
// Plain integers so a worker can copy its facts into shared memory for the
// parent: sample before and after, report after - before.
#pragma once

#include <string>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace zeroipc::harness {

struct SoftwareFacts {
  long voluntary_switches = 0;
  long involuntary_switches = 0;
  long migrations = -1; // -1: unknown (no /proc/<self>/sched, a kernel without CONFIG_SCHED_DEBUG)
};
static_assert(std::is_trivially_copyable_v<SoftwareFacts>, "SoftwareFacts is copied into shared memory by workers");

// The whole process: getrusage(RUSAGE_SELF), migrations of its main thread
// from /proc/self/sched.
SoftwareFacts sample_self();
// The calling thread only: getrusage(RUSAGE_THREAD), /proc/thread-self/sched.
SoftwareFacts sample_thread();

// after - before, field by field; migrations stay -1 if either side is unknown.
SoftwareFacts operator-(const SoftwareFacts& after, const SoftwareFacts& before);

// "" when every field is measured, else what is missing and why.
std::string software_facts_note(const SoftwareFacts& facts);
nlohmann::json to_json(const SoftwareFacts& facts);

} // namespace zeroipc::harness
