// Unit tests of the load client's latency histogram (tools/bench/histogram.hpp): bucket edges,
// percentiles against sorted samples, and the 1/64 relative error bound.
// Run: ninja -C build tools/bench/tests-bench-histogram && build/tools/bench/tests-bench-histogram
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "histogram.hpp"

using bench::LatencyHistogram;

TEST(Histogram, EmptyReportsZero) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0U);
  EXPECT_EQ(h.percentile(0.5), 0U);
  EXPECT_EQ(h.max(), 0U);
  EXPECT_EQ(h.min(), 0U);
}

TEST(Histogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100U);
  EXPECT_EQ(h.percentile(0.50), 50U);
  EXPECT_EQ(h.percentile(0.99), 99U);
  EXPECT_EQ(h.percentile(1.0), 100U);
  EXPECT_EQ(h.min(), 1U);
  EXPECT_EQ(h.max(), 100U);
}

TEST(Histogram, BucketsTileTheRangeWithoutGaps) {
  for (std::size_t i = 1; i < 64 * 40; ++i) {
    const std::uint64_t first = LatencyHistogram::upper_edge(i - 1) + 1;
    EXPECT_EQ(LatencyHistogram::bucket_of(first), i) << "first value of bucket " << i;
    EXPECT_EQ(LatencyHistogram::bucket_of(LatencyHistogram::upper_edge(i)), i);
  }
  EXPECT_LT(LatencyHistogram::bucket_of(UINT64_MAX), 64U * LatencyHistogram::kRanges);
}

TEST(Histogram, PercentilesWithinOneSixtyFourthOfSortedSamples) {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> latency(11.0, 1.5);  // around 60 us, a long tail
  std::vector<std::uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100'000; ++i) {
    samples.push_back(static_cast<std::uint64_t>(latency(random)) + 1);
    h.record(samples.back());
  }
  std::sort(samples.begin(), samples.end());
  for (const double p : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(samples[static_cast<std::size_t>(p * 100'000) - 1]);
    const auto approx = static_cast<double>(h.percentile(p));
    EXPECT_GE(approx, exact) << "p" << p;
    EXPECT_LE(approx, exact * (1 + 1.0 / 64)) << "p" << p;
  }
  EXPECT_EQ(h.max(), samples.back());
}

TEST(Histogram, PercentileNeverExceedsTheMaximum) {
  LatencyHistogram h;
  h.record(1'000'001);
  EXPECT_EQ(h.percentile(0.99), 1'000'001U);
  EXPECT_EQ(h.percentile(0.0), 1'000'001U);
}
