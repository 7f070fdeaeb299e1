// zeroipc/harness/histogram.h — a log-linear latency histogram (HdrHistogram's layout).
//
//   zeroipc::harness::Histogram h;          // 3 significant digits: buckets <= 0.1% of the value
//   h.record(latency_ns);                   // O(1), no allocation, no lock
//   std::uint64_t p99 = h.value_at_percentile(99.0);
//   nlohmann::json j = h.to_json();         // sparse: only non-empty buckets
//   Histogram back = Histogram::from_json(j);   // back == h
//
// Layout (Gil Tene's HdrHistogram, unit = 1 ns): with M = ceil(log2(2 * 10^d))
// for d significant digits, a bucket holds 2^M / 2 sub-buckets of equal width;
// bucket 0 covers [0, 2^M) with width 1 (exact), bucket b >= 1 covers
// [2^(M+b-1), 2^(M+b)) with width 2^b. A value in bucket b is >= 2^(M-1) * 2^b,
// so a sub-bucket is at most 1 / 2^(M-1) < 10^-d of its values: the relative
// precision. The count array is allocated once, in the constructor, for every
// value up to highest_trackable() = 2^41 - 1 (36 minutes in ns) at every
// precision; recording a value above it throws std::out_of_range rather than
// skewing the tail silently. Memory: 256 KiB at d = 3, 25 MiB at d = 5.
//
// Not thread-safe: one histogram per recording thread, merged afterwards.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace zeroipc::harness {

/// The usual latency figures of one histogram (values in the recorded unit).
struct HistogramSummary {
  std::uint64_t count = 0;
  std::uint64_t min = 0;
  std::uint64_t p50 = 0;
  std::uint64_t p90 = 0;
  std::uint64_t p99 = 0;
  std::uint64_t p999 = 0;
  std::uint64_t max = 0;
  double mean = 0.0;
};

class Histogram {
 public:
  /// Every histogram tracks at least [0, kMinHighestTrackable].
  static constexpr std::uint64_t kMinHighestTrackable = std::uint64_t{1} << 40;

  /// significant_digits in 1..5, else std::invalid_argument.
  explicit Histogram(int significant_digits = 3);

  /// Records one value (or `n` equal values). Throws std::out_of_range when
  /// v > highest_trackable(); otherwise never throws and never allocates.
  void record(std::uint64_t v) { record(v, 1); }
  void record(std::uint64_t v, std::uint64_t n) {
    if (n == 0) return;
    if (v > highest_trackable_) throw_out_of_range(v);
    counts_[index_of(v)] += n;
    total_ += n;
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  std::uint64_t count() const { return total_; }
  /// Exact smallest / largest recorded value; 0 when empty.
  std::uint64_t min() const { return total_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  /// Mean of the bucket midpoints (exact below 2^M, else within the precision); 0 when empty.
  double mean() const;

  /// The value at percentile p in [0, 100] (else std::invalid_argument), as
  /// HdrHistogram reports it: the rank is round(p/100 * count) (at least 1),
  /// the answer the highest value equivalent to that rank's bucket, clamped to
  /// the exact max. p = 0 gives the exact min. 0 when empty.
  std::uint64_t value_at_percentile(double p) const;

  HistogramSummary summary() const;

  /// Adds other's counts. Both must have the same significant_digits, else
  /// std::invalid_argument (the buckets would not line up).
  void merge(const Histogram& other);
  /// Forgets every value; keeps the allocation.
  void reset();

  /// {"significant_digits":d,"count":n,"min":..,"max":..,"buckets":[[lowest_value,count],...]}
  /// with only the non-empty buckets, in increasing order.
  nlohmann::json to_json() const;
  /// Inverse of to_json(). Throws std::invalid_argument naming the fault when
  /// the document is malformed or inconsistent (counts not summing to count,
  /// a value that is no bucket's lowest, min/max outside the end buckets, ...).
  static Histogram from_json(const nlohmann::json& j);

  int significant_digits() const { return digits_; }
  std::uint64_t highest_trackable() const { return highest_trackable_; }
  /// The bucket [lowest_equivalent(v), highest_equivalent(v)] that holds v.
  std::uint64_t lowest_equivalent(std::uint64_t v) const { return value_at_index(index_of(v)); }
  std::uint64_t highest_equivalent(std::uint64_t v) const {
    return lowest_equivalent(v) + width_at_index(index_of(v)) - 1;
  }

  friend bool operator==(const Histogram&, const Histogram&) = default;

 private:
  // Bucket b of value v: 0 below 2^M, else (bit position of v's top bit) - M + 1;
  // the sub-bucket is v >> b, which lies in [2^(M-1), 2^M) for b >= 1.
  std::size_t index_of(std::uint64_t v) const {
    const int bucket = leading_zero_base_ - std::countl_zero(v | sub_bucket_mask_);
    const std::uint64_t sub = v >> bucket;
    return (static_cast<std::size_t>(bucket + 1) << half_magnitude_) + static_cast<std::size_t>(sub - half_count_);
  }
  std::uint64_t value_at_index(std::size_t i) const;
  std::uint64_t width_at_index(std::size_t i) const;
  [[noreturn]] void throw_out_of_range(std::uint64_t v) const;

  int digits_;
  int half_magnitude_;             // M - 1
  std::uint64_t half_count_;       // 2^(M-1)
  std::uint64_t sub_bucket_mask_;  // 2^M - 1
  int leading_zero_base_;          // 64 - M
  std::uint64_t highest_trackable_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace zeroipc::harness
