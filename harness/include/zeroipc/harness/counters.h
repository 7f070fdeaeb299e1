// Hardware counters of one worker through PAPI (cycles, instructions, L1D and
// L3 misses), when the machine lets us read them.
//
// Unavailability is a result, not an error: VMs without a virtual PMU, a
// perf_event_paranoid too strict, or a build without PAPI all give a Counters
// with available() == false and a reason that goes into the results, and the
// run carries on without counts. Nothing here throws for that.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace zeroipc::harness {

class Counters {
public:
  // The events tried, in order; those that cannot be added are skipped.
  static const std::vector<std::string>& wanted_events();

  // Initialises PAPI (once per process) and builds an event set for the calling thread.
  Counters();
  ~Counters();
  Counters(const Counters&) = delete;
  Counters& operator=(const Counters&) = delete;

  bool available() const { return !events_.empty(); }
  // Why no event could be added, e.g. "PAPI_add_event(PAPI_TOT_CYC): Event does not exist"; empty if available().
  const std::string& unavailable_reason() const { return reason_; }
  const std::vector<std::string>& events() const { return events_; } // the events actually counted
  const std::map<std::string, std::string>& skipped() const { return skipped_; } // event -> why not

  // Counting from zero between start() and stop(). stop() returns event -> count,
  // empty when unavailable or when PAPI refused (then last_error() says why).
  bool start();
  std::map<std::string, long long> stop();
  const std::string& last_error() const { return last_error_; }

private:
  int event_set_ = -1; // PAPI_NULL
  bool running_ = false;
  std::vector<std::string> events_;
  std::map<std::string, std::string> skipped_;
  std::string reason_;
  std::string last_error_;
};

// For the results' context block: "available (PAPI_TOT_CYC, PAPI_TOT_INS, ...)"
// or "unavailable (<reason>)".
std::string counters_status();

} // namespace zeroipc::harness
