// zeroipc/harness/stats.h — statistics over the repetitions of one measurement.
//
//   auto order = zeroipc::harness::interleaved_schedule(cases, 10, seed);  // run cases in this order
//   zeroipc::harness::Summary s = zeroipc::harness::summarize(throughputs);  // one case's repetitions
//   // report s.median with [s.ci_low, s.ci_high]; distrust it when s.wide_spread (s.note says why)
//
// The median and its confidence interval come from order statistics only, so
// they assume nothing about the distribution (benchmark timings are skewed and
// often bimodal): for sorted x(1) <= ... <= x(n) the true median m satisfies
//   P(x(j) <= m < x(n+1-j)) = 1 - 2 * P(B <= j - 1),   B ~ Binomial(n, 1/2),
// computed exactly, and the interval is the narrowest such pair reaching the
// requested level (the classic interval for a quantile, e.g. W. J. Conover,
// Practical Nonparametric Statistics). No normal approximation, so it is exact for small n.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace zeroipc::harness {

struct Summary {
  std::size_t n = 0;
  double median = 0, ci_low = 0, ci_high = 0;
  double min = 0, max = 0, mean = 0;
  double stddev = 0;  // sample standard deviation (n - 1); 0 for n = 1
  /// Coverage the interval actually has: >= the requested level (order
  /// statistics give discrete steps: 0.9785 for n = 10 at 0.95), or below it
  /// when n is too small to reach it (then the interval is [min, max]).
  double ci_level = 0;
  /// The interval is wide relative to the median, or max/min > 1.5: the
  /// repetitions disagree and the median should not be compared naively.
  bool wide_spread = false;
  std::string note;  // why the interval fell short and/or why wide_spread; empty otherwise
};

/// The 1-based ranks (lower, upper) of the order statistics bounding the
/// median's confidence interval, and their exact coverage. When no pair reaches
/// `level` (n < 6 for 0.95), the ranks are (1, n) and coverage is below level.
struct MedianCiRanks {
  std::size_t lower = 0, upper = 0;
  double coverage = 0;
};
/// n >= 1 and level in (0, 1), else std::invalid_argument.
MedianCiRanks median_ci_ranks(std::size_t n, double level);

/// Summarises repetitions. Throws std::invalid_argument on empty input, a NaN
/// or infinite value, level outside (0, 1) or a negative spread_threshold.
/// wide_spread: (ci_high - ci_low) / median > spread_threshold, or max / min > 1.5
/// (each judged only when the denominator is positive).
Summary summarize(std::vector<double> values, double level = 0.95, double spread_threshold = 0.10);

/// The order in which to run `cases` cases `repetitions` times each: round r
/// runs every case once, in an order shuffled per round (Fisher-Yates over
/// std::mt19937_64(seed), which the standard pins down, so the schedule is the
/// same on every platform for a seed), and a round never starts with the case
/// that ended the previous one, so no case runs twice in a row when cases >= 2.
/// Slow drift (thermal, other load) is then spread over all cases instead of
/// hitting one case's whole block of repetitions.
std::vector<std::size_t> interleaved_schedule(std::size_t cases, std::size_t repetitions, std::uint64_t seed);

/// value / floor, or NaN when floor <= 0 (or NaN): a ratio that cannot mislead.
double ratio(double value, double floor);

}  // namespace zeroipc::harness
