// Starting and watching the worker processes of one repetition.
//
//   WorkersOutcome out = run_workers(exe, params, 60.0, stop_flag);
//
// Each worker is `exe --worker <i> '<params JSON>'`, forked and exec'd with
// its stdout on a pipe, PR_SET_PDEATHSIG = SIGKILL (it dies with the
// harness), and the harness's process group (Ctrl-C reaches it too). The
// harness sleeps in poll() while they run: it never competes for a PU.
// A worker that dies, exits non-zero, reports an error or prints no report
// fails the repetition with a message naming it (role, index, pid, PU) and
// the others are SIGKILLed at once; so are all of them when the timeout
// passes or `stop` becomes true. Every child is reaped before returning.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "zeroipc/harness/worker.h"

namespace zeroipc::harness {

struct WorkersOutcome {
  enum class Status { ok, failed, interrupted } status = Status::ok;
  std::string error;                  // for failed: what happened, to whom
  std::vector<nlohmann::json> reports;  // one per worker, in worker order, when ok
};

WorkersOutcome run_workers(const std::string& exe, const RunParams& params, double timeout_s,
                           const std::atomic<bool>& stop);

/// The harness executable's own path (/proc/self/exe), for re-executing it.
std::string self_executable();

/// Removes what harness processes that no longer exist (a harness that was
/// SIGKILLed) left: /dev/shm segments and Boost queues, /dev/mqueue queues and
/// /tmp link directories named zeroipc-harness-<pid>-*, and the directories
/// /tmp/zeroipc-redis-<pid>-* of their redis-servers. Returns their names.
std::vector<std::string> remove_stale_segments();

/// The segment name of run `n` of this harness process.
std::string run_segment_name(std::size_t n);

}  // namespace zeroipc::harness
