// TSC detection and calibration; see clock.h.
#include "zeroipc/harness/clock.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#if ZEROIPC_HARNESS_X86
#include <cpuid.h>
#endif

namespace zeroipc::harness {
namespace {

std::uint64_t monotonic_raw_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

bool cpuinfo_has_flag(const std::string& flags, const std::string& flag) {
  std::istringstream in(flags);
  std::string word;
  while (in >> word)
    if (word == flag) return true;
  return false;
}

std::string first_line(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// One reading of both clocks: the TSC read just before and just after
// clock_gettime brackets it; the midpoint is the estimate and half the window
// its error. The narrowest of a few tries wins, so an interrupt or a
// preemption between the reads (common on a shared VM) does not widen it.
struct Pair {
  std::uint64_t ticks = 0, ns = 0, window = ~std::uint64_t{0};
};

Pair read_pair(const ClockCalibration& c) {
  Pair best;
  for (int i = 0; i < 16; ++i) {
    const std::uint64_t t0 = c.now_ticks();
    const std::uint64_t ns = monotonic_raw_ns();
    const std::uint64_t t1 = c.now_ticks();
    if (t1 - t0 < best.window) best = {t0 + (t1 - t0) / 2, ns, t1 - t0};
  }
  return best;
}

} // namespace

double ClockCalibration::ticks_per_ns() const noexcept {
  // mult is ns per tick in 32.32 fixed point.
  return mult ? static_cast<double>(std::uint64_t{1} << shift) / static_cast<double>(mult) : 0.0;
}

double ClockCalibration::uncertainty_ppm() const noexcept {
  return calibration_ticks ? 1e6 * static_cast<double>(uncertainty_ticks) / static_cast<double>(calibration_ticks)
                           : 0.0;
}

TscSupport detect_tsc() {
  TscSupport s;
#if ZEROIPC_HARNESS_X86
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool cpuid_invariant = false;
  if (__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx)) {
    cpuid_invariant = (edx >> 8) & 1u;
    s.evidence = std::string("cpuid 0x80000007 EDX[8]=") + (cpuid_invariant ? "1" : "0");
  } else {
    s.evidence = "no cpuid leaf 0x80000007";
  }
  if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx)) s.rdtscp = (edx >> 27) & 1u;

  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  bool constant = false, nonstop = false;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) {
      constant = cpuinfo_has_flag(line, "constant_tsc");
      nonstop = cpuinfo_has_flag(line, "nonstop_tsc");
      break;
    }
  s.evidence += std::string("; /proc/cpuinfo ") + (constant ? "constant_tsc" : "no constant_tsc") + " " +
                (nonstop ? "nonstop_tsc" : "no nonstop_tsc");
  // Hypervisors often hide the cpuid bit while the kernel (which knows
  // better, e.g. from tsc_reliable) still reports both flags: either will do.
  s.invariant = cpuid_invariant || (constant && nonstop);
#else
  s.evidence = "not an x86 CPU";
#endif
  // Not used for the decision, but tells the reader whether the kernel trusts
  // the TSC enough to use it itself (VMs typically use kvm-clock anyway).
  const std::string cs = first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  if (!cs.empty()) s.evidence += "; kernel clocksource " + cs;
  return s;
}

ClockCalibration calibrate_clock(std::chrono::milliseconds duration, bool allow_tsc) {
  ClockCalibration c;
  const TscSupport tsc = detect_tsc();
  if (!allow_tsc || !tsc.invariant) return c; // CLOCK_MONOTONIC: ticks are ns, mult = 1.0 exactly
  c.source = tsc.rdtscp ? ClockSource::tsc_rdtscp : ClockSource::tsc_lfence_rdtsc;

  const Pair begin = read_pair(c);
  std::this_thread::sleep_for(duration);
  const Pair end = read_pair(c);
  c.calibration_ticks = end.ticks - begin.ticks;
  c.calibration_ns = end.ns - begin.ns;
  // Each midpoint is off by at most half its window.
  c.uncertainty_ticks = (begin.window + end.window + 1) / 2;
  if (c.calibration_ticks == 0 || c.calibration_ns == 0) { // a TSC that does not move: do not trust it
    return ClockCalibration{};
  }
  // ns per tick in 32.32 fixed point, computed in integers.
  c.mult = static_cast<std::uint64_t>((detail::u128{c.calibration_ns} << c.shift) / c.calibration_ticks);
  return c;
}

ClockInfo clock_info(const ClockCalibration& c) {
  const TscSupport tsc = detect_tsc();
  ClockInfo info;
  info.ticks_per_ns = c.ticks_per_ns();
  info.uncertainty_ppm = c.uncertainty_ppm();
  char buf[160];
  switch (c.source) {
  case ClockSource::tsc_rdtscp:
  case ClockSource::tsc_lfence_rdtsc:
    info.source = c.source == ClockSource::tsc_rdtscp ? "tsc (rdtscp)" : "tsc (lfence;rdtsc)";
    std::snprintf(buf, sizeof buf, "calibrated against CLOCK_MONOTONIC_RAW over %.1f ms: %.6f ticks/ns +- %.2f ppm",
                  static_cast<double>(c.calibration_ns) / 1e6, info.ticks_per_ns, info.uncertainty_ppm);
    info.note = "invariant TSC (" + tsc.evidence + "); " + buf;
    break;
  case ClockSource::monotonic:
    info.source = "CLOCK_MONOTONIC";
    info.note = std::string(tsc.invariant ? "TSC not used by request" : "no invariant TSC") + " (" + tsc.evidence +
                "); each timestamp is a clock_gettime call";
    break;
  }
  return info;
}

} // namespace zeroipc::harness
