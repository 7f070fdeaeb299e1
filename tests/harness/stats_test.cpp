// Repetition statistics: the median, its order-statistic interval (against textbook
// ranks and an independent integer computation), the spread flags, the schedule.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include <zeroipc/harness/stats.h>

namespace {

using zeroipc::harness::interleaved_schedule;
using zeroipc::harness::median_ci_ranks;
using zeroipc::harness::ratio;
using zeroipc::harness::summarize;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Coverage of [x(j), x(n+1-j)] from exact integer binomial coefficients (n <= 60
// keeps C(n, i) and 2^n within 64 bits): 1 - 2 * sum_{i<j} C(n, i) / 2^n.
double exact_coverage(std::uint64_t n, std::uint64_t j) {
  std::uint64_t c = 1;  // C(n, 0)
  std::uint64_t tail = 0;
  for (std::uint64_t i = 0; i < j; ++i) {
    tail += c;
    c = c * (n - i) / (i + 1);  // exact: C(n, i) * (n - i) is divisible by i + 1
  }
  return 1.0 - 2.0 * std::ldexp(static_cast<double>(tail), -static_cast<int>(n));
}

// Distinct values in a scrambled order, so the ranks are visible in the interval.
std::vector<double> scrambled_ranks(std::size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(n));
  return v;
}

TEST(Stats, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(summarize({3.0, 1.0, 2.0}).median, 2.0);
  EXPECT_EQ(summarize({4.0, 1.0, 3.0, 2.0}).median, 2.5);
  EXPECT_EQ(summarize({7.0}).median, 7.0);
  const auto s = summarize({2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0});
  EXPECT_EQ(s.n, 8u);
  EXPECT_EQ(s.median, 4.5);
  EXPECT_DOUBLE_EQ(s.mean, 5.0);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(32.0 / 7.0));  // sample standard deviation
  EXPECT_EQ(s.min, 2.0);
  EXPECT_EQ(s.max, 9.0);
  EXPECT_EQ(summarize({7.0}).stddev, 0.0);
}

TEST(Stats, FiveRepetitionsCannotReach95Percent) {
  const auto s = summarize({10.0, 10.2, 9.9, 10.1, 10.05});
  EXPECT_EQ(s.ci_low, 9.9);  // [min, max]
  EXPECT_EQ(s.ci_high, 10.2);
  EXPECT_DOUBLE_EQ(s.ci_level, 1.0 - 2.0 / 32.0);  // 93.75%
  EXPECT_TRUE(contains(s.note, "too small")) << s.note;
  EXPECT_TRUE(contains(s.note, "93.75%")) << s.note;
  EXPECT_FALSE(s.wide_spread) << s.note;  // a 3% interval is not wide
  // Six repetitions are the first to reach 95%: [min, max] covers 1 - 2/64.
  const auto six = summarize({1.0, 1.01, 1.02, 1.03, 1.04, 1.05});
  EXPECT_DOUBLE_EQ(six.ci_level, 0.96875);
  EXPECT_TRUE(six.note.empty()) << six.note;
}

TEST(Stats, TenRepetitionsUseRanks2And9) {
  const auto r = median_ci_ranks(10, 0.95);
  EXPECT_EQ(r.lower, 2u);
  EXPECT_EQ(r.upper, 9u);
  EXPECT_NEAR(r.coverage, 0.978515625, 1e-12);  // 1 - 2 * 11/1024
  const auto s = summarize(scrambled_ranks(10));
  EXPECT_EQ(s.ci_low, 2.0);
  EXPECT_EQ(s.ci_high, 9.0);
  EXPECT_NEAR(s.ci_level, 0.978515625, 1e-12);
  EXPECT_EQ(s.median, 5.5);
}

TEST(Stats, ThirtyRepetitionsUseRanks10And21) {
  const auto r = median_ci_ranks(30, 0.95);
  EXPECT_EQ(r.lower, 10u);
  EXPECT_EQ(r.upper, 21u);
  EXPECT_NEAR(r.coverage, exact_coverage(30, 10), 1e-12);
  EXPECT_NEAR(r.coverage, 0.9572, 1e-4);
  const auto s = summarize(scrambled_ranks(30));
  EXPECT_EQ(s.ci_low, 10.0);
  EXPECT_EQ(s.ci_high, 21.0);
}

TEST(Stats, TextbookRanksForOtherSizesAndLevels) {
  struct Case {
    std::size_t n;
    double level;
    std::size_t lower, upper;
  };
  // Ranks from the Binomial(n, 1/2) tables; n = 100 is the familiar 50 -+ 1.96 * 5 -> (40, 61).
  const Case cases[] = {{6, 0.95, 1, 6},   {8, 0.95, 1, 8},    {9, 0.95, 2, 8},    {20, 0.95, 6, 15},
                        {10, 0.90, 2, 9},  {11, 0.90, 3, 9},   {20, 0.99, 4, 17},  {50, 0.95, 18, 33},
                        {100, 0.95, 40, 61}};
  for (const Case& c : cases) {
    const auto r = median_ci_ranks(c.n, c.level);
    EXPECT_EQ(r.lower, c.lower) << "n=" << c.n << " level=" << c.level;
    EXPECT_EQ(r.upper, c.upper) << "n=" << c.n << " level=" << c.level;
  }
}

TEST(Stats, RanksAreTheNarrowestReachingTheLevel) {
  for (double level : {0.80, 0.90, 0.95, 0.99}) {
    for (std::size_t n = 1; n <= 60; ++n) {
      const auto r = median_ci_ranks(n, level);
      ASSERT_EQ(r.upper, n + 1 - r.lower) << "symmetric, n=" << n;
      const double expected = exact_coverage(n, r.lower);
      ASSERT_NEAR(r.coverage, expected, 1e-12) << "n=" << n << " level=" << level;
      if (r.coverage >= level) {
        // One rank further in would fall short (or cross the middle).
        if (2 * (r.lower + 1) <= n) {
          ASSERT_LT(exact_coverage(n, r.lower + 1), level) << "n=" << n;
        }
      } else {
        ASSERT_EQ(r.lower, 1u) << "n=" << n;  // too small: [min, max]
      }
    }
  }
  // Large n: no underflow of 2^-n, and the interval narrows around the middle.
  const auto big = median_ci_ranks(100000, 0.95);
  EXPECT_GE(big.coverage, 0.95);
  EXPECT_LT(big.coverage, 0.951);
  EXPECT_NEAR(static_cast<double>(big.lower), 50000.0 - 1.96 * std::sqrt(100000.0) / 2.0, 3.0);
}

TEST(Stats, WideSpreadIsFlaggedWithTheReason) {
  const auto tight = summarize({100, 101, 99, 100, 102, 98, 100, 101, 99, 100});
  EXPECT_FALSE(tight.wide_spread);
  EXPECT_TRUE(tight.note.empty()) << tight.note;

  // max/min = 1.6 but a narrow interval: only the ratio rule fires.
  const auto outlier = summarize({100, 101, 99, 100, 102, 98, 100, 101, 99, 160});
  EXPECT_TRUE(outlier.wide_spread);
  EXPECT_TRUE(contains(outlier.note, "max/min")) << outlier.note;
  EXPECT_FALSE(contains(outlier.note, "interval is")) << outlier.note;

  // An interval [105, 140] around a median of 122.5 (29%) with max/min = 1.45: only the interval rule.
  const std::vector<double> ramp = {100, 105, 110, 115, 120, 125, 130, 135, 140, 145};
  const auto wide = summarize(ramp);
  EXPECT_TRUE(wide.wide_spread);
  EXPECT_TRUE(contains(wide.note, "interval is")) << wide.note;
  EXPECT_FALSE(contains(wide.note, "max/min")) << wide.note;
  EXPECT_FALSE(summarize(ramp, 0.95, 0.5).wide_spread);  // the threshold is a parameter

  const auto non_positive = summarize({-1.0, 0.0, 1.0});
  EXPECT_FALSE(non_positive.wide_spread);
  EXPECT_TRUE(contains(non_positive.note, "not fully judged")) << non_positive.note;
}

TEST(Stats, RejectsBadInput) {
  EXPECT_THROW(summarize({}), std::invalid_argument);
  EXPECT_THROW(summarize({1.0, std::nan("")}), std::invalid_argument);
  EXPECT_THROW(summarize({1.0, INFINITY}), std::invalid_argument);
  EXPECT_THROW(summarize({1.0}, 1.0), std::invalid_argument);
  EXPECT_THROW(summarize({1.0}, 0.0), std::invalid_argument);
  EXPECT_THROW(summarize({1.0}, 0.95, -0.1), std::invalid_argument);
  EXPECT_THROW(median_ci_ranks(0, 0.95), std::invalid_argument);
}

TEST(Stats, InterleavedScheduleRunsEveryCaseOncePerRound) {
  const std::size_t cases = 5;
  const std::size_t reps = 12;
  const auto schedule = interleaved_schedule(cases, reps, 2024);
  ASSERT_EQ(schedule.size(), cases * reps);
  std::vector<std::size_t> seen(cases, 0);
  std::set<std::vector<std::size_t>> distinct_rounds;
  for (std::size_t r = 0; r < reps; ++r) {
    std::vector<std::size_t> round(schedule.begin() + static_cast<std::ptrdiff_t>(r * cases),
                                   schedule.begin() + static_cast<std::ptrdiff_t>((r + 1) * cases));
    distinct_rounds.insert(round);
    std::sort(round.begin(), round.end());
    for (std::size_t i = 0; i < cases; ++i) ASSERT_EQ(round[i], i) << "round " << r << " is not a permutation";
  }
  for (std::size_t c : schedule) ++seen[c];
  for (std::size_t c = 0; c < cases; ++c) EXPECT_EQ(seen[c], reps) << "case " << c;
  EXPECT_GT(distinct_rounds.size(), 1u) << "every round in the same order";
  for (std::size_t i = 1; i < schedule.size(); ++i) EXPECT_NE(schedule[i], schedule[i - 1]) << "back to back at " << i;
}

TEST(Stats, InterleavedScheduleIsDeterministicPerSeed) {
  EXPECT_EQ(interleaved_schedule(4, 20, 7), interleaved_schedule(4, 20, 7));
  EXPECT_NE(interleaved_schedule(4, 20, 7), interleaved_schedule(4, 20, 8));
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const auto s = interleaved_schedule(3, 10, seed);
    std::set<std::vector<std::size_t>> rounds;
    for (std::size_t r = 0; r < 10; ++r) rounds.insert({s.begin() + 3 * r, s.begin() + 3 * r + 3});
    EXPECT_GT(rounds.size(), 1u) << "seed " << seed;
    for (std::size_t i = 1; i < s.size(); ++i) ASSERT_NE(s[i], s[i - 1]) << "seed " << seed;
  }
  EXPECT_EQ(interleaved_schedule(1, 3, 1), (std::vector<std::size_t>{0, 0, 0}));
  EXPECT_TRUE(interleaved_schedule(0, 3, 1).empty());
  EXPECT_TRUE(interleaved_schedule(3, 0, 1).empty());
}

TEST(Stats, RatioGuardsItsFloor) {
  EXPECT_EQ(ratio(3.0, 2.0), 1.5);
  EXPECT_TRUE(std::isnan(ratio(1.0, 0.0)));
  EXPECT_TRUE(std::isnan(ratio(1.0, -2.0)));
  EXPECT_TRUE(std::isnan(ratio(1.0, std::nan(""))));
}

}  // namespace
