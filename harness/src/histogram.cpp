// zeroipc/harness/histogram.cpp — see the header for the bucket layout.
#include "zeroipc/harness/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace zeroipc::harness {

namespace {

// M = ceil(log2(2 * 10^d)): the smallest power of two sub-bucket count that
// keeps every value below 2 * 10^d exact (HdrHistogram's rule).
int sub_bucket_magnitude(int digits) {
  std::uint64_t single_unit_limit = 2;
  for (int i = 0; i < digits; ++i) single_unit_limit *= 10;
  return std::bit_width(single_unit_limit - 1);
}

// Every precision covers [0, 2^kTopMagnitude): one more than kMinHighestTrackable's bits.
constexpr int kTopMagnitude = 41;
static_assert((std::uint64_t{1} << kTopMagnitude) - 1 >= Histogram::kMinHighestTrackable,
              "the count array must reach the advertised range");

std::uint64_t checked_uint(const nlohmann::json& j, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_number_integer() && j.get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(j.get<std::int64_t>());
  throw std::invalid_argument("Histogram::from_json: " + what + " must be a non-negative integer, got " + j.dump());
}

const nlohmann::json& member(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw std::invalid_argument(std::string("Histogram::from_json: missing \"") + key + "\"");
  return *it;
}

}  // namespace

Histogram::Histogram(int significant_digits) : digits_(significant_digits) {
  if (significant_digits < 1 || significant_digits > 5) {
    throw std::invalid_argument("Histogram: significant_digits must be in 1..5, got " +
                                std::to_string(significant_digits));
  }
  const int m = sub_bucket_magnitude(significant_digits);
  half_magnitude_ = m - 1;
  half_count_ = std::uint64_t{1} << half_magnitude_;
  sub_bucket_mask_ = (std::uint64_t{1} << m) - 1;
  leading_zero_base_ = 64 - m;
  // Buckets 0..top-m cover [0, 2^top); the array has (buckets + 1) half-rows
  // because bucket 0 uses both halves of its sub-buckets.
  const int buckets = kTopMagnitude - m + 1;
  highest_trackable_ = (std::uint64_t{1} << kTopMagnitude) - 1;
  counts_.assign(static_cast<std::size_t>(buckets + 1) << half_magnitude_, 0);
}

std::uint64_t Histogram::value_at_index(std::size_t i) const {
  const auto half_row = static_cast<int>(i >> half_magnitude_);
  std::uint64_t sub = (i & (half_count_ - 1)) + half_count_;
  int bucket = half_row - 1;
  if (bucket < 0) {  // the lower half of bucket 0: values below 2^(M-1)
    sub -= half_count_;
    bucket = 0;
  }
  return sub << bucket;
}

std::uint64_t Histogram::width_at_index(std::size_t i) const {
  const auto half_row = static_cast<int>(i >> half_magnitude_);
  return std::uint64_t{1} << std::max(half_row - 1, 0);
}

void Histogram::throw_out_of_range(std::uint64_t v) const {
  throw std::out_of_range("Histogram::record: value " + std::to_string(v) + " exceeds the highest trackable " +
                          std::to_string(highest_trackable_));
}

double Histogram::mean() const {
  if (total_ == 0) return 0.0;
  double sum = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    // The midpoint of the bucket: its lowest value for exact (width 1) buckets.
    const double mid = static_cast<double>(value_at_index(i)) + static_cast<double>(width_at_index(i) / 2);
    sum += mid * static_cast<double>(counts_[i]);
  }
  return sum / static_cast<double>(total_);
}

std::uint64_t Histogram::value_at_percentile(double p) const {
  if (!(p >= 0.0 && p <= 100.0)) {
    throw std::invalid_argument("Histogram::value_at_percentile: p must be in [0, 100], got " + std::to_string(p));
  }
  if (total_ == 0) return 0;
  if (p == 0.0) return min_;
  // Rounding (not ceil) keeps 0.9 * 1000 = 900.0000000001 at rank 900.
  const auto rank = std::max<std::uint64_t>(
      1, static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_) + 0.5));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(value_at_index(i) + width_at_index(i) - 1, max_);
  }
  return max_;  // unreachable while total_ equals the sum of counts_
}

HistogramSummary Histogram::summary() const {
  return HistogramSummary{total_,
                          min(),
                          value_at_percentile(50.0),
                          value_at_percentile(90.0),
                          value_at_percentile(99.0),
                          value_at_percentile(99.9),
                          max(),
                          mean()};
}

void Histogram::merge(const Histogram& other) {
  if (other.digits_ != digits_) {
    throw std::invalid_argument("Histogram::merge: significant_digits differ (this " + std::to_string(digits_) +
                                ", other " + std::to_string(other.digits_) + ")");
  }
  if (other.total_ == 0) return;
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void Histogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  min_ = std::numeric_limits<std::uint64_t>::max();
  max_ = 0;
}

nlohmann::json Histogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) buckets.push_back({value_at_index(i), counts_[i]});
  }
  return {{"significant_digits", digits_}, {"count", total_}, {"min", min()},
          {"max", max_},                   {"buckets", std::move(buckets)}};
}

Histogram Histogram::from_json(const nlohmann::json& j) {
  using std::to_string;
  if (!j.is_object()) throw std::invalid_argument("Histogram::from_json: expected an object, got " + j.dump());
  const std::uint64_t digits = checked_uint(member(j, "significant_digits"), "significant_digits");
  if (digits < 1 || digits > 5) {
    throw std::invalid_argument("Histogram::from_json: significant_digits must be in 1..5, got " + to_string(digits));
  }
  Histogram h(static_cast<int>(digits));
  const std::uint64_t count = checked_uint(member(j, "count"), "count");
  const std::uint64_t min = checked_uint(member(j, "min"), "min");
  const std::uint64_t max = checked_uint(member(j, "max"), "max");
  const nlohmann::json& buckets = member(j, "buckets");
  if (!buckets.is_array()) throw std::invalid_argument("Histogram::from_json: \"buckets\" must be an array");

  std::uint64_t sum = 0;
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    const nlohmann::json& pair = buckets[b];
    const std::string where = "buckets[" + to_string(b) + "]";
    if (!pair.is_array() || pair.size() != 2) {
      throw std::invalid_argument("Histogram::from_json: " + where + " must be [lowest_value, count], got " +
                                  pair.dump());
    }
    const std::uint64_t value = checked_uint(pair[0], where + " value");
    const std::uint64_t n = checked_uint(pair[1], where + " count");
    if (value > h.highest_trackable_) {
      throw std::invalid_argument("Histogram::from_json: " + where + " value " + to_string(value) +
                                  " exceeds the highest trackable " + to_string(h.highest_trackable_));
    }
    if (h.lowest_equivalent(value) != value) {
      throw std::invalid_argument("Histogram::from_json: " + where + " value " + to_string(value) +
                                  " is not the lowest value of a bucket (that is " +
                                  to_string(h.lowest_equivalent(value)) + ")");
    }
    if (n == 0) throw std::invalid_argument("Histogram::from_json: " + where + " has count 0 (sparse form)");
    if (b > 0 && value <= last) {
      throw std::invalid_argument("Histogram::from_json: buckets must be strictly increasing at " + where);
    }
    if (b == 0) first = value;
    last = value;
    if (sum + n < sum) throw std::invalid_argument("Histogram::from_json: bucket counts overflow");
    sum += n;
    h.counts_[h.index_of(value)] = n;
  }
  if (sum != count) {
    throw std::invalid_argument("Histogram::from_json: bucket counts sum to " + to_string(sum) + ", \"count\" is " +
                                to_string(count));
  }
  if (count == 0) {
    if (min != 0 || max != 0) throw std::invalid_argument("Histogram::from_json: an empty histogram has min = max = 0");
    return h;
  }
  if (min > max || max > h.highest_trackable_ || h.lowest_equivalent(min) != first ||
      h.lowest_equivalent(max) != last) {
    throw std::invalid_argument("Histogram::from_json: min " + to_string(min) + " / max " + to_string(max) +
                                " do not lie in the first / last bucket (" + to_string(first) + ", " +
                                to_string(last) + ")");
  }
  h.total_ = count;
  h.min_ = min;
  h.max_ = max;
  return h;
}

}  // namespace zeroipc::harness
