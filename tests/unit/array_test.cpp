// Array<T>: create, open by name, checks on open, plain memory access.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include "test_support.h"

namespace {

using zeroipc::Array;
using zeroipc::Memory;
using zeroipc::test::contains;
using zeroipc::test::error_of;
using zeroipc::test::ScopedName;

struct Reading {
  std::uint64_t timestamp;
  float value;
  std::uint32_t sensor;
};

TEST(Array, TheContractExampleWorks) {
  ScopedName name;
  Memory mem(name, 10 * 1024 * 1024);
  Memory peer(name);
  Array<float> temps(mem, "temperature", 1000);
  Array<float> again(peer, "temperature");
  temps[0] = 23.5f;
  EXPECT_EQ(again[0], 23.5f);
  EXPECT_EQ(temps.size(), 1000u);
  EXPECT_EQ(again.size(), 1000u);
  EXPECT_NE(temps.data(), nullptr);
  EXPECT_TRUE(temps.created());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.name(), "temperature");
  EXPECT_TRUE(Memory::unlink(name));
}

TEST(Array, StartsZeroedAndIsContiguous) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<std::int64_t> a(mem, "a", 10000);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](std::int64_t v) { return v == 0; }));
  std::iota(a.begin(), a.end(), 0);
  EXPECT_EQ(std::accumulate(a.span().begin(), a.span().end(), std::int64_t{0}), 49995000);
  EXPECT_EQ(&a[9999] - &a[0], 9999);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % 64, 0u) << "elements are 64-byte aligned";
}

TEST(Array, HoldsStructs) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<Reading> w(mem, "readings", 3);
  w[2] = {123456789, 21.5f, 7};
  Array<Reading> r(mem, "readings");
  EXPECT_EQ(r[2].timestamp, 123456789u);
  EXPECT_EQ(r[2].value, 21.5f);
  EXPECT_EQ(r[2].sensor, 7u);
}

TEST(Array, CreateOnAnExistingNameOpensItWhenEverythingMatches) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<int> a(mem, "n", 5);
  a[4] = 9;
  Array<int> b(mem, "n", 5);
  EXPECT_FALSE(b.created());
  EXPECT_EQ(b[4], 9);
}

TEST(Array, OpeningAMissingNameIsNotFound) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  const std::string what = error_of([&] { Array<int> a(mem, "missing"); });
  EXPECT_TRUE(contains(what, "'missing'")) << what;
  EXPECT_TRUE(contains(what, "no such structure")) << what;
  EXPECT_THROW((Array<int>(mem, "missing")), zeroipc::NotFound);
}

TEST(Array, AnotherCapacityIsAMismatchNamingBoth) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<int> a(mem, "n", 5);
  const std::string what = error_of([&] { Array<int> b(mem, "n", 6); });
  EXPECT_TRUE(contains(what, "capacity 5")) << what;
  EXPECT_TRUE(contains(what, "requested 6")) << what;
  EXPECT_THROW((Array<int>(mem, "n", 6)), zeroipc::Mismatch);
}

TEST(Array, AnotherElementSizeIsAMismatchNamingBoth) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<double> a(mem, "d", 5);
  const std::string what = error_of([&] { Array<float> b(mem, "d"); });
  EXPECT_TRUE(contains(what, "expected element size 4")) << what;
  EXPECT_TRUE(contains(what, "found 8")) << what;
  EXPECT_THROW((Array<Reading>(mem, "d")), zeroipc::Mismatch);
}

TEST(Array, SameSizeButAnotherScalarTypeIsAMismatch) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<float> a(mem, "f", 5);
  const std::string what = error_of([&] { Array<std::int32_t> b(mem, "f"); });
  EXPECT_TRUE(contains(what, "expected element type i32, found f32")) << what;
  EXPECT_THROW((Array<std::uint32_t>(mem, "f")), zeroipc::Mismatch);
}

TEST(Array, OpaqueTypesOfTheSameSizeMayViewScalars) {
  struct Four {
    unsigned char b[4];
  };
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<float> a(mem, "f", 5);
  a[0] = 1.0f;
  Array<Four> raw(mem, "f");  // opaque: only the size is checked
  EXPECT_EQ(raw[0].b[3], 0x3f);
}

TEST(Array, ZeroOrHugeCapacityIsInvalid) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  EXPECT_THROW((Array<int>(mem, "z", 0)), zeroipc::InvalidArgument);
  EXPECT_THROW((Array<int>(mem, "h", SIZE_MAX / 2)), zeroipc::InvalidArgument);
  EXPECT_THROW((Array<Reading>(mem, "h", SIZE_MAX / 16)), zeroipc::InvalidArgument);
  EXPECT_TRUE(mem.table().entries().empty()) << "a rejected create must not take an entry";
}

TEST(Array, TooBigForTheSegmentIsSegmentFullAndLosesNothing) {
  ScopedName name;
  Memory mem(name, 64 * 1024);
  Array<int> keep(mem, "keep", 100);
  keep[99] = 5;
  const std::string what = error_of([&] { Array<int> big(mem, "big", 1'000'000); });
  EXPECT_TRUE(contains(what, "'big' needs")) << what;
  EXPECT_TRUE(contains(what, "free")) << what;
  EXPECT_THROW((Array<int>(mem, "big", 1'000'000)), zeroipc::SegmentFull);
  Array<int> still(mem, "keep");
  EXPECT_EQ(still[99], 5);
  EXPECT_NO_THROW((Array<int>(mem, "small", 100)));  // the failure consumed nothing
}

TEST(Array, AFullTableIsTableFullAndLosesNothing) {
  ScopedName name;
  Memory mem(name, 1 << 20, 3);
  Array<int> a(mem, "a", 1), b(mem, "b", 1), c(mem, "c", 1);
  c[0] = 3;
  const std::string what = error_of([&] { Array<int> d(mem, "d", 1); });
  EXPECT_TRUE(contains(what, "table is full")) << what;
  EXPECT_TRUE(contains(what, "'d'")) << what;
  EXPECT_THROW((Array<int>(mem, "d", 1)), zeroipc::TableFull);
  EXPECT_EQ((Array<int>(mem, "c")[0]), 3);
  EXPECT_NO_THROW((Array<int>(mem, "a", 1))) << "existing names still open when the table is full";
}

TEST(Array, StructureNamesAreCheckedWithTheReason) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  EXPECT_TRUE(contains(error_of([&] { Array<int> a(mem, "", 1); }), "empty"));
  EXPECT_TRUE(contains(error_of([&] { Array<int> a(mem, std::string(32, 'x'), 1); }),
                       "32 bytes long"));
  EXPECT_TRUE(contains(error_of([&] { Array<int> a(mem, "tab\there", 1); }), "\\x09"));
  EXPECT_THROW((Array<int>(mem, std::string(32, 'x'), 1)), zeroipc::InvalidName);
  EXPECT_THROW((Array<int>(mem, std::string(32, 'x'))), zeroipc::InvalidName);
  EXPECT_NO_THROW((Array<int>(mem, std::string(31, 'x'), 1)));  // 31 is the limit
  EXPECT_NO_THROW((Array<int>(mem, "5min window", 1)));
}

TEST(Array, AtChecksBounds) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  Array<int> a(mem, "a", 3);
  a.at(2) = 1;
  EXPECT_THROW(a.at(3), zeroipc::OutOfRange);
}

TEST(Array, ManyArraysGetDisjointRegions) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  std::vector<Array<std::uint8_t>> arrays;
  for (int i = 0; i < 40; ++i) {
    arrays.emplace_back(mem, "a" + std::to_string(i), static_cast<std::size_t>(1 + i * 37));
    std::fill(arrays.back().begin(), arrays.back().end(), static_cast<std::uint8_t>(i));
  }
  for (int i = 0; i < 40; ++i) {
    Array<std::uint8_t> a(mem, "a" + std::to_string(i));
    EXPECT_TRUE(std::all_of(a.begin(), a.end(), [&](std::uint8_t v) { return v == i; })) << i;
  }
  auto entries = mem.table().entries();
  ASSERT_EQ(entries.size(), 40u);
  std::sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.offset < y.offset; });
  for (std::size_t i = 1; i < entries.size(); ++i) {
    EXPECT_GE(entries[i].offset, entries[i - 1].offset + entries[i - 1].size);
  }
}

}  // namespace
