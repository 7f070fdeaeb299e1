// ReadOnlySegment: the one way zeroipc-inspect reads a segment. Reads are
// bounds-checked and survive the file shrinking under the mapping; liveness
// is asked of the kernel through the inspector's own read-only descriptor.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "describe.h"
#include "read_only_segment.h"
#include "zeroipc/error.h"
#include "zeroipc/memory.h"
#include "zeroipc/queue.h"
#include "zeroipc/variants/detail/liveness.h"

namespace {

using zeroipc::inspect::Alive;
using zeroipc::inspect::ReadOnlySegment;

struct ShmFile {
  std::string name = "/zeroipc_ros_test_" + std::to_string(::getpid());
  int fd = -1;
  explicit ShmFile(off_t size) {
    fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, size), 0);
  }
  ~ShmFile() {
    ::close(fd);
    ::shm_unlink(name.c_str());
  }
};

TEST(ReadOnlySegment, AFileThatShrinksUnderTheMappingIsAnErrorNotACrash) {
  ShmFile f(64 * 1024);
  ReadOnlySegment seg(f.name);
  ASSERT_EQ(seg.size(), 64u * 1024);
  std::uint64_t v = 0;
  EXPECT_TRUE(seg.copy(40 * 1024, &v, sizeof v));
  ASSERT_EQ(::ftruncate(f.fd, 4096), 0);  // its owner truncates it: the pages past 4 KiB raise SIGBUS
  EXPECT_FALSE(seg.copy(40 * 1024, &v, sizeof v));
  EXPECT_FALSE(seg.u64(40 * 1024).has_value());
  EXPECT_FALSE(seg.u32(60 * 1024).has_value());
  EXPECT_TRUE(seg.copy(0, &v, sizeof v));  // what is still there reads as before
  EXPECT_TRUE(seg.u64(4088).has_value());
}

TEST(ReadOnlySegment, ReadsOutsideTheFileOrMisalignedAreRefused) {
  ShmFile f(4096);
  ReadOnlySegment seg(f.name);
  char buf[16];
  EXPECT_FALSE(seg.copy(4090, buf, 8));
  EXPECT_FALSE(seg.copy(std::numeric_limits<std::uint64_t>::max() - 3, buf, 8));  // no wrap-around
  EXPECT_FALSE(seg.u64(4));   // an atomic u64 is 8-aligned
  EXPECT_FALSE(seg.u32(2));
  EXPECT_TRUE(seg.copy(4096, buf, 0));
}

TEST(ReadOnlySegment, AMissingSegmentIsNotFoundAndNamesIt) {
  try {
    ReadOnlySegment seg("/zeroipc_ros_test_missing");
    FAIL() << "opened a segment that does not exist";
  } catch (const zeroipc::NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("zeroipc_ros_test_missing"), std::string::npos) << e.what();
  }
}

TEST(ReadOnlySegment, LivenessIsTheOwnersLockAskedOfTheKernel) {
  const std::string name = "/zeroipc_ros_live_" + std::to_string(::getpid());
  zeroipc::Memory::unlink(name);
  {
    zeroipc::Memory mem(name, 64 * 1024);  // this process attaches: its liveness lock is held
    ReadOnlySegment seg(name);
    const std::uint32_t me = zeroipc::detail::self_key();
    EXPECT_EQ(seg.owner(me), Alive::kYes);
    EXPECT_EQ(seg.owner(me ^ 0x1234), Alive::kNo);
    EXPECT_EQ(seg.owner(0), Alive::kNo);
    EXPECT_EQ(seg.live_keys(), std::vector<std::uint32_t>{me});
  }
  ReadOnlySegment seg(name);  // the Memory let go: nobody holds a lock now
  EXPECT_EQ(seg.owner(zeroipc::detail::self_key()), Alive::kNo);
  EXPECT_TRUE(seg.live_keys().empty());
  zeroipc::Memory::unlink(name);
}

TEST(ReadOnlySegment, DescribingNeverWritesTheSegment) {
  const std::string name = "/zeroipc_ros_ro_" + std::to_string(::getpid());
  zeroipc::Memory::unlink(name);
  std::string before, after;
  {
    zeroipc::Memory mem(name, 64 * 1024);
    zeroipc::Queue<std::uint64_t> q(mem, "q", 16);
    (void)q.push(7);
  }
  auto read_all = [&] {
    std::string bytes(64 * 1024, '\0');
    const int fd = ::shm_open(name.c_str(), O_RDONLY | O_CLOEXEC, 0);
    EXPECT_EQ(::pread(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
    return bytes;
  };
  before = read_all();
  ReadOnlySegment seg(name);
  const auto doc = zeroipc::inspect::describe_segment(seg, {});
  EXPECT_EQ(doc["status"], "ok") << doc.dump(2);
  EXPECT_EQ(doc["structures"][0]["fill"]["depth"], 1);
  after = read_all();
  EXPECT_EQ(before, after) << "the inspector changed a byte of the segment";
  zeroipc::Memory::unlink(name);
}

}  // namespace
