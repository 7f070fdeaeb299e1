// Timestamps for one-way latency: the sender stamps a message with
// now_ticks(), the receiver subtracts its own now_ticks() and converts the
// difference with to_ns(). Both processes use one ClockCalibration, made once
// and copied into shared memory, so they read the same clock and convert with
// the same integers.
//
// The clock is the TSC when it is invariant (constant rate, runs in every
// C-state: cpuid 0x80000007 EDX bit 8, or /proc/cpuinfo constant_tsc +
// nonstop_tsc), read with rdtscp (or lfence;rdtsc) at ~10-40 cycles; otherwise
// CLOCK_MONOTONIC, at the price of a vDSO call. Timestamps stay integers end to
// end: a double holds only 53 bits, so a large tick count would lose the very
// nanoseconds being measured.
#pragma once

#include <time.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define ZEROIPC_HARNESS_X86 1
#else
#define ZEROIPC_HARNESS_X86 0
#endif

namespace zeroipc::harness {

namespace detail {
__extension__ typedef unsigned __int128 u128; // GCC/Clang extension; __extension__ keeps -Wpedantic quiet
}

enum class ClockSource : std::uint32_t {
  monotonic = 0,        // clock_gettime(CLOCK_MONOTONIC); ticks are nanoseconds
  tsc_rdtscp = 1,       // invariant TSC read with rdtscp (waits for earlier instructions)
  tsc_lfence_rdtsc = 2, // invariant TSC, CPU without rdtscp: lfence orders the read instead
};

// Plain data, copied byte for byte between processes (shared memory, pipes).
struct ClockCalibration {
  ClockSource source = ClockSource::monotonic;
  std::uint32_t shift = 32;
  std::uint64_t mult = std::uint64_t{1} << 32; // ns = (ticks * mult) >> shift
  // The calibration itself, kept for the report: ticks and CLOCK_MONOTONIC_RAW
  // nanoseconds over the same interval, and the ± on the ticks from the
  // bracketing reads at both ends.
  std::uint64_t calibration_ticks = 0;
  std::uint64_t calibration_ns = 0;
  std::uint64_t uncertainty_ticks = 0;

  std::uint64_t now_ticks() const noexcept;
  std::uint64_t to_ns(std::uint64_t ticks) const noexcept {
    return static_cast<std::uint64_t>((detail::u128{ticks} * mult) >> shift);
  }
  // For reports only; never used to convert timestamps.
  double ticks_per_ns() const noexcept;
  double uncertainty_ppm() const noexcept;
};
static_assert(std::is_trivially_copyable_v<ClockCalibration> && std::is_standard_layout_v<ClockCalibration>,
              "ClockCalibration is copied byte for byte into shared memory for the other processes");
static_assert(sizeof(ClockCalibration) == 40 && offsetof(ClockCalibration, mult) == 8,
              "ClockCalibration's layout is shared between processes: change it only on purpose");

inline std::uint64_t ClockCalibration::now_ticks() const noexcept {
#if ZEROIPC_HARNESS_X86
  if (source == ClockSource::tsc_rdtscp) {
    unsigned aux = 0;
    return __rdtscp(&aux);
  }
  if (source == ClockSource::tsc_lfence_rdtsc) {
    _mm_lfence();
    return __rdtsc();
  }
#endif
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<std::uint64_t>(ts.tv_nsec);
}

// What the CPU and kernel say about the TSC.
struct TscSupport {
  bool invariant = false;
  bool rdtscp = false;
  std::string evidence; // "cpuid 0x80000007 EDX[8]=1; /proc/cpuinfo constant_tsc nonstop_tsc; clocksource kvm-clock"
};
TscSupport detect_tsc();

// Chooses the source (the TSC when invariant and allow_tsc) and, for the TSC,
// measures ticks per ns against CLOCK_MONOTONIC_RAW over `duration` (sleeping).
ClockCalibration calibrate_clock(std::chrono::milliseconds duration = std::chrono::milliseconds(60),
                                 bool allow_tsc = true);

// For the results.
struct ClockInfo {
  std::string source; // "tsc (rdtscp)", "tsc (lfence;rdtsc)", "CLOCK_MONOTONIC"
  double ticks_per_ns = 0;
  std::string note;   // why this source, and the calibration with its uncertainty
  double uncertainty_ppm = 0;
};
ClockInfo clock_info(const ClockCalibration& calibration);

} // namespace zeroipc::harness
