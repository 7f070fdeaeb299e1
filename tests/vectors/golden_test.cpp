// The C++ implementation against the committed golden vectors
// (tests/vectors/, golden.h): the same operations must write the same bytes,
// apart from the process-dependent ranges each vector masks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "golden.h"

namespace {

using zeroipc::golden::masked;

const std::string kDir = ZEROIPC_SOURCE_DIR "/tests/vectors";

std::vector<std::byte> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "missing golden vector " << path;
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

// The first differing offset, for a message that says where to look.
std::string first_difference(const std::vector<std::byte>& a, const std::vector<std::byte>& b) {
  if (a.size() != b.size()) return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) {
      return "offset " + std::to_string(i) + ": built " + std::to_string(std::to_integer<int>(a[i])) +
             ", golden " + std::to_string(std::to_integer<int>(b[i]));
    }
  }
  return "none";
}

class Golden : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { built_ = zeroipc::golden::build("/zeroipc_golden_" + std::to_string(::getpid())); }
  static inline std::vector<zeroipc::golden::SegmentVector> built_;
};

TEST_F(Golden, ManifestDescribesWhatTheCodeBuilds) {
  std::ifstream in(kDir + "/MANIFEST.txt");
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_EQ(zeroipc::golden::manifest(built_), committed.str())
      << "the kinds, variants, sizes, capacities or masks changed: if on purpose, regenerate with write_vectors";
}

TEST_F(Golden, SegmentHeadersAndTablesMatch) {
  ASSERT_EQ(built_.size(), 2u);
  for (const auto& seg : built_) {
    const auto golden = read_file(kDir + "/" + seg.name + "_segment.bin");
    EXPECT_EQ(masked(seg.bytes, seg.mask), masked(golden, seg.mask))
        << seg.name << " segment differs at " << first_difference(masked(seg.bytes, seg.mask), masked(golden, seg.mask));
  }
}

TEST_F(Golden, EveryStructureMatches) {
  std::size_t checked = 0;
  for (const auto& seg : built_) {
    for (const auto& s : seg.structures) {
      const auto golden = read_file(kDir + "/" + s.name + ".bin");
      const auto mine = masked(s.bytes, s.mask);
      const auto theirs = masked(golden, s.mask);
      EXPECT_EQ(mine, theirs) << s.name << " (" << s.ops << ") differs at " << first_difference(mine, theirs);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 21u) << "one vector per kind and variant";
}

TEST_F(Golden, MasksOnlyCoverProcessDependentBytes) {
  // A mask as large as the structure would make a vector pass vacuously:
  // every vector keeps most of its bytes.
  for (const auto& seg : built_) {
    for (const auto& s : seg.structures) {
      std::uint64_t masked_bytes = 0;
      for (const auto& r : s.mask) masked_bytes += r.size;
      EXPECT_LT(masked_bytes, s.bytes.size()) << s.name;
      EXPECT_NE(masked(s.bytes, s.mask), std::vector<std::byte>(s.bytes.size())) << s.name << " is all masked or zero";
    }
  }
}

}  // namespace
