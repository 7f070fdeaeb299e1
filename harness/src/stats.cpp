// zeroipc/harness/stats.cpp — see the header for the method.
#include "zeroipc/harness/stats.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace zeroipc::harness {

namespace {

// Above this max/min ratio the repetitions disagree whatever the interval says.
constexpr double kMaxOverMinLimit = 1.5;

// Coverages are compared with a little slack so that a level equal to an
// achievable coverage (0.9375 for n = 5) is reached despite rounding.
constexpr double kCoverageSlack = 1e-12;

std::string format(double v, int precision) {
  std::ostringstream s;
  s << std::setprecision(precision) << v;
  return s.str();
}

std::string percent(double fraction) { return format(100.0 * fraction, 4) + "%"; }

void append(std::string& note, const std::string& part) {
  if (!note.empty()) note += "; ";
  note += part;
}

}  // namespace

MedianCiRanks median_ci_ranks(std::size_t n, double level) {
  if (n == 0) throw std::invalid_argument("median_ci_ranks: n must be at least 1");
  if (!(level > 0.0 && level < 1.0)) {
    throw std::invalid_argument("median_ci_ranks: level must be in (0, 1), got " + format(level, 6));
  }
  // Binomial(n, 1/2) probabilities P(B = i) = C(n, i) / 2^n, in logs so that
  // 2^-n does not underflow for large n: log P(B = i + 1) = log P(B = i) + log((n - i) / (i + 1)).
  const double dn = static_cast<double>(n);
  double log_pmf = -dn * std::log(2.0);
  double cdf = 0.0;  // P(B <= j - 1) for the j being tried
  // j = 1 is [min, max]; it is the answer even when it falls short of level.
  MedianCiRanks best{1, n, 1.0 - 2.0 * std::exp(log_pmf)};
  // Growing j narrows [x(j), x(n+1-j)]; keep j < n + 1 - j.
  for (std::size_t j = 1; 2 * j <= n; ++j) {
    const double i = static_cast<double>(j - 1);
    cdf += std::exp(log_pmf);
    log_pmf += std::log((dn - i) / (i + 1.0));
    const double coverage = 1.0 - 2.0 * cdf;
    if (coverage < level - kCoverageSlack) break;
    best = {j, n + 1 - j, coverage};
  }
  return best;
}

Summary summarize(std::vector<double> values, double level, double spread_threshold) {
  if (values.empty()) throw std::invalid_argument("summarize: no values");
  if (!(spread_threshold >= 0.0)) {
    throw std::invalid_argument("summarize: spread_threshold must be >= 0, got " + format(spread_threshold, 6));
  }
  for (double v : values) {
    if (!std::isfinite(v)) throw std::invalid_argument("summarize: value " + format(v, 6) + " is not finite");
  }
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();

  Summary s;
  s.n = n;
  s.min = values.front();
  s.max = values.back();
  s.median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(n);
  if (n > 1) {
    double squares = 0.0;  // two passes: no cancellation from sum-of-squares
    for (double v : values) squares += (v - s.mean) * (v - s.mean);
    s.stddev = std::sqrt(squares / static_cast<double>(n - 1));
  }

  const MedianCiRanks ranks = median_ci_ranks(n, level);
  s.ci_low = values[ranks.lower - 1];
  s.ci_high = values[ranks.upper - 1];
  s.ci_level = ranks.coverage;
  if (ranks.coverage < level - kCoverageSlack) {
    append(s.note, "n = " + std::to_string(n) + " is too small for a " + percent(level) +
                       " interval of the median: [min, max] covers only " + percent(ranks.coverage));
  }

  const double relative_width = ratio(s.ci_high - s.ci_low, s.median);
  if (relative_width > spread_threshold) {
    s.wide_spread = true;
    append(s.note, "wide spread: the interval is " + percent(relative_width) + " of the median (threshold " +
                       percent(spread_threshold) + ")");
  }
  const double max_over_min = ratio(s.max, s.min);
  if (max_over_min > kMaxOverMinLimit) {
    s.wide_spread = true;
    append(s.note, "wide spread: max/min = " + format(max_over_min, 4) + " (> " + format(kMaxOverMinLimit, 3) + ")");
  }
  if (std::isnan(relative_width) || std::isnan(max_over_min)) {
    append(s.note, "spread not fully judged: the median or min is not positive");
  }
  return s;
}

std::vector<std::size_t> interleaved_schedule(std::size_t cases, std::size_t repetitions, std::uint64_t seed) {
  std::vector<std::size_t> order(cases);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<std::size_t> schedule;
  schedule.reserve(cases * repetitions);
  // mt19937_64's output is fixed by the standard; std::shuffle and the
  // distributions are not, so the shuffle is written out. The modulo bias is
  // below cases / 2^64.
  std::mt19937_64 rng(seed);
  for (std::size_t round = 0; round < repetitions; ++round) {
    for (std::size_t i = cases; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
    // A case ending one round and starting the next would run twice in a row
    // (warm caches, same thermal state): move it to a random later position.
    if (round > 0 && cases >= 2 && order.front() == schedule.back()) {
      std::swap(order[0], order[1 + rng() % (cases - 1)]);
    }
    schedule.insert(schedule.end(), order.begin(), order.end());
  }
  return schedule;
}

double ratio(double value, double floor) {
  if (!(floor > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  return value / floor;
}

}  // namespace zeroipc::harness
