// PAPI hardware counters; see counters.h.
#include "zeroipc/harness/counters.h"

#if ZEROIPC_HARNESS_PAPI
#include <papi.h>
#include <pthread.h>
#endif

namespace zeroipc::harness {

const std::vector<std::string>& Counters::wanted_events() {
  static const std::vector<std::string> events = {"PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L1_DCM", "PAPI_L3_TCM"};
  return events;
}

#if ZEROIPC_HARNESS_PAPI
namespace {

std::string papi_error(const char* call, const std::string& what, int rc) {
  const char* text = PAPI_strerror(rc);
  return std::string(call) + "(" + what + "): " + (text ? text : "PAPI error " + std::to_string(rc));
}

unsigned long thread_id() { return static_cast<unsigned long>(pthread_self()); }

// PAPI_library_init must run once per process before any event set exists;
// a function-local static makes that thread-safe. "" on success, else why not.
const std::string& papi_init_failure() {
  static const std::string reason = []() -> std::string {
    const int rc = PAPI_library_init(PAPI_VER_CURRENT);
    if (rc != PAPI_VER_CURRENT)
      return rc > 0 ? "PAPI_library_init: library version " + std::to_string(rc) + " differs from header " +
                          std::to_string(PAPI_VER_CURRENT)
                    : papi_error("PAPI_library_init", "PAPI_VER_CURRENT", rc);
    // Counts are per thread: PAPI must be able to tell the threads apart.
    const int t = PAPI_thread_init(&thread_id);
    if (t != PAPI_OK) return papi_error("PAPI_thread_init", "pthread_self", t);
    return {};
  }();
  return reason;
}

// "Component containing event is disabled" alone does not say what to fix;
// the component's own reason does ("perf_event: Error libpfm4 no default PMU found").
std::string component_reason(int code) {
  const int cidx = PAPI_get_event_component(code);
  const PAPI_component_info_t* info = cidx >= 0 ? PAPI_get_component_info(cidx) : nullptr;
  if (!info || info->disabled_reason[0] == '\0') return {};
  return std::string(" (") + info->name + ": " + info->disabled_reason + ")";
}

} // namespace

Counters::Counters() {
  if (const std::string& failure = papi_init_failure(); !failure.empty()) {
    reason_ = failure;
    return;
  }
  int set = PAPI_NULL;
  if (const int rc = PAPI_create_eventset(&set); rc != PAPI_OK) {
    reason_ = papi_error("PAPI_create_eventset", "", rc);
    return;
  }
  event_set_ = set;
  for (const std::string& name : wanted_events()) {
    int code = 0;
    if (const int rc = PAPI_event_name_to_code(name.c_str(), &code); rc != PAPI_OK) {
      skipped_[name] = papi_error("PAPI_event_name_to_code", name, rc);
    } else if (const int add = PAPI_add_event(event_set_, code); add != PAPI_OK) {
      skipped_[name] =
          papi_error("PAPI_add_event", name, add) + (add == PAPI_ECMP_DISABLED ? component_reason(code) : "");
    } else {
      events_.push_back(name);
    }
  }
  if (events_.empty()) {
    // Report the first event's failure: they usually all fail for the same reason.
    reason_ = skipped_.at(wanted_events().front());
    PAPI_cleanup_eventset(event_set_);
    PAPI_destroy_eventset(&event_set_);
    event_set_ = PAPI_NULL;
  }
}

Counters::~Counters() {
  if (event_set_ == PAPI_NULL) return;
  if (running_) {
    std::vector<long long> discard(events_.size());
    PAPI_stop(event_set_, discard.data());
  }
  PAPI_cleanup_eventset(event_set_);
  PAPI_destroy_eventset(&event_set_);
}

bool Counters::start() {
  if (!available()) {
    last_error_ = "unavailable: " + reason_;
    return false;
  }
  if (running_) return true;
  if (const int rc = PAPI_start(event_set_); rc != PAPI_OK) {
    last_error_ = papi_error("PAPI_start", "", rc);
    return false;
  }
  running_ = true;
  return true;
}

std::map<std::string, long long> Counters::stop() {
  std::map<std::string, long long> counts;
  if (!running_) return counts;
  running_ = false;
  std::vector<long long> values(events_.size());
  if (const int rc = PAPI_stop(event_set_, values.data()); rc != PAPI_OK) {
    last_error_ = papi_error("PAPI_stop", "", rc);
    return counts;
  }
  for (std::size_t i = 0; i < events_.size(); ++i) counts[events_[i]] = values[i];
  return counts;
}

#else // built without PAPI: always unavailable, with the reason saying so

Counters::Counters() : reason_("built without PAPI") {}
Counters::~Counters() = default;

bool Counters::start() {
  last_error_ = "unavailable: " + reason_;
  return false;
}

std::map<std::string, long long> Counters::stop() { return {}; }

#endif

std::string counters_status() {
  const Counters c;
  if (!c.available()) return "unavailable (" + c.unavailable_reason() + ")";
  std::string s = "available (";
  for (std::size_t i = 0; i < c.events().size(); ++i) s += (i ? ", " : "") + c.events()[i];
  for (const auto& [name, why] : c.skipped()) s += "; not " + name + ": " + why;
  return s + ")";
}

} // namespace zeroipc::harness
