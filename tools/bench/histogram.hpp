// The load client's latency record: a log-linear histogram in the manner of HdrHistogram, so a
// run of any length keeps a fixed 30 KiB and every percentile is within 1/64 (1.6 %) of the truth.
// Tested by tools/bench/test_histogram.cpp; echo-load.cpp records one value per round trip.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace bench {

// Values (nanoseconds) are grouped by their highest set bit, and each such power-of-two range is
// cut into kSubBuckets equal buckets. Values below kSubBuckets are recorded exactly.
class LatencyHistogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBits;
  static constexpr int kRanges = 64 - kSubBits + 1;

  void record(std::uint64_t value) {
    ++counts_[bucket_of(value)];
    ++count_;
    max_ = std::max(max_, value);
    min_ = std::min(min_, value);
  }

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] std::uint64_t max() const { return max_; }
  [[nodiscard]] std::uint64_t min() const { return count_ == 0 ? 0 : min_; }

  // The smallest recorded value v such that at least `fraction` of all values are <= v, given as
  // the upper edge of v's bucket (never above the true maximum). 0 when nothing was recorded.
  [[nodiscard]] std::uint64_t percentile(double fraction) const {
    if (count_ == 0) return 0;
    const double wanted = std::clamp(fraction, 0.0, 1.0) * static_cast<double>(count_);
    const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted + 0.5));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp(upper_edge(i), min(), max_);
    }
    return max_;
  }

  // Index of the bucket holding value: exact below kSubBuckets, then kSubBuckets per power of two.
  [[nodiscard]] static std::size_t bucket_of(std::uint64_t value) {
    if (value < kSubBuckets) return static_cast<std::size_t>(value);
    const int range = std::bit_width(value) - kSubBits;  // 1 for [64, 128), 2 for [128, 256) ...
    const std::uint64_t sub = (value >> (range - 1)) - kSubBuckets;  // 0 .. kSubBuckets - 1
    return static_cast<std::size_t>(range) * kSubBuckets + static_cast<std::size_t>(sub);
  }

  // The largest value that falls into bucket `index`.
  [[nodiscard]] static std::uint64_t upper_edge(std::size_t index) {
    const std::uint64_t range = index / kSubBuckets;
    const std::uint64_t sub = index % kSubBuckets;
    if (range == 0) return sub;
    const std::uint64_t low = (kSubBuckets + sub) << (range - 1);
    return low + ((std::uint64_t{1} << (range - 1)) - 1);
  }

 private:
  std::array<std::uint64_t, kRanges * kSubBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

}  // namespace bench
