// Histogram: exactness, the precision bound against exact percentiles, merge, JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <zeroipc/harness/histogram.h>

namespace {

using zeroipc::harness::Histogram;
using nlohmann::json;

// The sub-bucket count 2^ceil(log2(2 * 10^d)): every value below it is its own bucket.
constexpr std::uint64_t kSubBuckets[] = {0, 32, 256, 2048, 32768, 262144};

// The value of rank round(p/100 * n) (at least 1) in sorted data: the rank rule the histogram documents.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (p == 0.0) return sorted.front();
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(p / 100.0 * sorted.size() + 0.5));
  return sorted[rank - 1];
}

const double kPercentiles[] = {0.0, 0.1, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0};

std::vector<std::uint64_t> log_uniform(std::size_t n, double lo, double hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(std::log(lo), std::log(hi));
  std::vector<std::uint64_t> v(n);
  for (auto& x : v) x = static_cast<std::uint64_t>(std::exp(exponent(rng)));
  return v;
}

std::string error_of(const json& j) {
  try {
    Histogram::from_json(j);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "<no exception>";
}

TEST(Histogram, ValuesBelowTheSubBucketCountAreExact) {
  for (int d = 1; d <= 5; ++d) {
    Histogram h(d);
    const std::uint64_t n = kSubBuckets[d];
    for (std::uint64_t v = 0; v < n; ++v) {
      ASSERT_EQ(h.lowest_equivalent(v), v) << "d=" << d;
      ASSERT_EQ(h.highest_equivalent(v), v) << "d=" << d;
    }
    // The first value past it shares a bucket of width 2 with its neighbour.
    EXPECT_EQ(h.lowest_equivalent(n + 1), n) << "d=" << d;
    EXPECT_EQ(h.highest_equivalent(n), n + 1) << "d=" << d;
  }
  Histogram h;  // d = 3: record 0..2047 once each, then every rank is exact
  for (std::uint64_t v = 0; v < 2048; ++v) h.record(v);
  for (std::uint64_t r = 1; r <= 2048; ++r) {
    ASSERT_EQ(h.value_at_percentile(100.0 * static_cast<double>(r) / 2048.0), r - 1) << "rank " << r;
  }
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 2047u);
  EXPECT_DOUBLE_EQ(h.mean(), 1023.5);
}

TEST(Histogram, BucketsAreWithinThePrecisionUpTo2Pow40) {
  for (int d = 1; d <= 5; ++d) {
    Histogram h(d);
    const double precision = std::pow(10.0, -d);
    ASSERT_GE(h.highest_trackable(), std::uint64_t{1} << 40);
    for (std::uint64_t v : log_uniform(20000, 1.0, std::ldexp(1.0, 40), 7)) {
      const std::uint64_t lo = h.lowest_equivalent(v);
      const std::uint64_t hi = h.highest_equivalent(v);
      ASSERT_LE(lo, v);
      ASSERT_GE(hi, v);
      ASSERT_LE(static_cast<double>(hi - lo), precision * static_cast<double>(v)) << "d=" << d << " v=" << v;
    }
  }
}

TEST(Histogram, PercentilesOfRandomValuesAreWithinThePrecision) {
  // 1 ns .. 1e12 ns, log-uniform: every bucket size from exact to 2^30 wide is exercised.
  std::vector<std::uint64_t> values = log_uniform(100000, 1.0, 1e12, 42);
  std::vector<std::uint64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (int d = 1; d <= 5; ++d) {
    Histogram h(d);
    for (std::uint64_t v : values) h.record(v);
    ASSERT_EQ(h.count(), values.size());
    EXPECT_EQ(h.min(), sorted.front());
    EXPECT_EQ(h.max(), sorted.back());
    const double precision = std::pow(10.0, -d);
    for (double p : kPercentiles) {
      const std::uint64_t exact = exact_percentile(sorted, p);
      const std::uint64_t got = h.value_at_percentile(p);
      // The highest equivalent value: never below the exact one, at most one bucket above.
      EXPECT_GE(got, exact) << "d=" << d << " p=" << p;
      EXPECT_LE(static_cast<double>(got - exact), precision * static_cast<double>(exact)) << "d=" << d << " p=" << p;
    }
    double exact_mean = 0;
    for (std::uint64_t v : values) exact_mean += static_cast<double>(v);
    exact_mean /= static_cast<double>(values.size());
    EXPECT_NEAR(h.mean(), exact_mean, precision * exact_mean) << "d=" << d;
  }
}

TEST(Histogram, UniformDistributionHasTheExpectedPercentiles) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000000; ++v) h.record(v);
  EXPECT_NEAR(static_cast<double>(h.value_at_percentile(50.0)), 500000.0, 500.0);
  EXPECT_NEAR(static_cast<double>(h.value_at_percentile(90.0)), 900000.0, 900.0);
  EXPECT_NEAR(static_cast<double>(h.value_at_percentile(99.0)), 990000.0, 990.0);
  EXPECT_NEAR(static_cast<double>(h.value_at_percentile(99.9)), 999000.0, 999.0);
  EXPECT_EQ(h.value_at_percentile(100.0), 1000000u);  // clamped to the exact max
  EXPECT_NEAR(h.mean(), 500000.5, 500.0);
  const auto s = h.summary();
  EXPECT_EQ(s.count, 1000000u);
  EXPECT_EQ(s.min, 1u);
  EXPECT_EQ(s.max, 1000000u);
  EXPECT_EQ(s.p50, h.value_at_percentile(50.0));
  EXPECT_EQ(s.p999, h.value_at_percentile(99.9));
  EXPECT_DOUBLE_EQ(s.mean, h.mean());
}

TEST(Histogram, RecordWithCountEqualsRepeatedRecords) {
  Histogram once;
  Histogram repeated;
  once.record(123456, 1000);
  once.record(7, 3);
  once.record(99, 0);  // no-op: not a min
  for (int i = 0; i < 1000; ++i) repeated.record(123456);
  for (int i = 0; i < 3; ++i) repeated.record(7);
  EXPECT_EQ(once, repeated);
  EXPECT_EQ(once.count(), 1003u);
  EXPECT_EQ(once.min(), 7u);
}

TEST(Histogram, EmptyAndReset) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.value_at_percentile(99.0), 0u);
  h.record(5000);
  h.record(10);
  h.reset();
  EXPECT_EQ(h, Histogram());
  h.record(42);
  EXPECT_EQ(h.min(), 42u);  // reset forgot the old min
  EXPECT_EQ(h.value_at_percentile(0.0), 42u);
}

TEST(Histogram, RejectsBadArguments) {
  EXPECT_THROW(Histogram(0), std::invalid_argument);
  EXPECT_THROW(Histogram(6), std::invalid_argument);
  Histogram h;
  EXPECT_NO_THROW(h.record(std::uint64_t{1} << 40));
  EXPECT_NO_THROW(h.record(h.highest_trackable()));
  EXPECT_THROW(h.record(h.highest_trackable() + 1), std::out_of_range);
  EXPECT_EQ(h.count(), 2u);  // the rejected value left no trace
  EXPECT_THROW(h.value_at_percentile(-0.1), std::invalid_argument);
  EXPECT_THROW(h.value_at_percentile(100.1), std::invalid_argument);
  EXPECT_THROW(h.value_at_percentile(std::nan("")), std::invalid_argument);
}

TEST(Histogram, MergeEqualsRecordingEverythingIntoOne) {
  const auto a_values = log_uniform(50000, 100.0, 1e9, 1);
  const auto b_values = log_uniform(30000, 1.0, 1e6, 2);
  Histogram a;
  Histogram b;
  Histogram all;
  for (auto v : a_values) {
    a.record(v);
    all.record(v);
  }
  for (auto v : b_values) {
    b.record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a, all);
  for (double p : kPercentiles) EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p)) << p;
  a.merge(Histogram());  // merging an empty histogram changes nothing (its min sentinel included)
  EXPECT_EQ(a, all);
}

TEST(Histogram, MergeRequiresTheSamePrecision) {
  Histogram three(3);
  Histogram two(2);
  try {
    three.merge(two);
    FAIL() << "merge of different precisions succeeded";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find('3'), std::string::npos) << what;
    EXPECT_NE(what.find('2'), std::string::npos) << what;
  }
}

TEST(Histogram, JsonRoundTripIsTheIdentity) {
  for (int d : {1, 3, 5}) {
    Histogram h(d);
    for (auto v : log_uniform(20000, 1.0, 1e12, 9)) h.record(v);
    h.record(0, 17);
    // Through text, as a results file would carry it.
    const Histogram back = Histogram::from_json(json::parse(h.to_json().dump()));
    EXPECT_EQ(back, h) << "d=" << d;
    // A sweep of percentiles; d = 5's 3.3 million counters get the short list (Debug builds are slow).
    const double step = d == 5 ? 12.5 : 0.25;
    for (double p = 0.0; p <= 100.0; p += step) ASSERT_EQ(back.value_at_percentile(p), h.value_at_percentile(p)) << p;
    EXPECT_EQ(back.summary().mean, h.summary().mean);
  }
  const Histogram empty = Histogram::from_json(Histogram(2).to_json());
  EXPECT_EQ(empty, Histogram(2));
}

TEST(Histogram, JsonIsSparse) {
  Histogram h;
  h.record(5, 2);
  h.record(1000000);
  const json j = h.to_json();
  EXPECT_EQ(j, json::parse(R"({"significant_digits":3,"count":3,"min":5,"max":1000000,
                              "buckets":[[5,2],[999936,1]]})"));
  EXPECT_EQ(h.lowest_equivalent(1000000), 999936u);
}

TEST(Histogram, MalformedJsonIsRejected) {
  Histogram h;
  h.record(5, 2);
  h.record(3000);
  const json good = h.to_json();  // buckets [[5,2],[3000,1]], min 5, max 3000
  ASSERT_NO_THROW(Histogram::from_json(good));

  auto with = [&](const char* key, json value) {
    json j = good;
    j[key] = std::move(value);
    return j;
  };
  auto without = [&](const char* key) {
    json j = good;
    j.erase(key);
    return j;
  };
  EXPECT_NE(error_of(json::array()).find("object"), std::string::npos);
  EXPECT_NE(error_of(without("buckets")).find("missing \"buckets\""), std::string::npos);
  EXPECT_NE(error_of(without("significant_digits")).find("significant_digits"), std::string::npos);
  EXPECT_NE(error_of(with("significant_digits", 6)).find("1..5"), std::string::npos);
  EXPECT_NE(error_of(with("count", -3)).find("non-negative"), std::string::npos);
  EXPECT_NE(error_of(with("count", "3")).find("non-negative"), std::string::npos);
  EXPECT_NE(error_of(with("count", 4)).find("sum to 3"), std::string::npos);
  EXPECT_NE(error_of(with("min", 6)).find("first / last bucket"), std::string::npos);
  EXPECT_NE(error_of(with("max", 4000)).find("first / last bucket"), std::string::npos);
  EXPECT_NE(error_of(with("min", 3001)).find("first / last bucket"), std::string::npos);  // min > max
  EXPECT_NE(error_of(with("buckets", 5)).find("array"), std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,2],[3000]]"))).find("[lowest_value, count]"),
            std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,2],[3001,1]]"))).find("not the lowest value"),
            std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,2],[4,0],[3000,1]]"))).find("count 0"), std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[3000,1],[5,2]]"))).find("strictly increasing"),
            std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,1],[5,1],[3000,1]]"))).find("strictly increasing"),
            std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,2],[3000,1],[4398046511104,1]]"))).find("highest trackable"),
            std::string::npos);
  EXPECT_NE(error_of(with("buckets", json::parse("[[5,2],[3000,-1]]"))).find("non-negative"), std::string::npos);
  json empty_with_min = Histogram().to_json();
  empty_with_min["min"] = 1;
  EXPECT_NE(error_of(empty_with_min).find("empty"), std::string::npos);
}

}  // namespace
