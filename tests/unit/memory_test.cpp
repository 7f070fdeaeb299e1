// Memory: creating, opening, validating and removing segments.
#include <gtest/gtest.h>

#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <csignal>
#include <optional>

#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include "test_support.h"

namespace {

using zeroipc::Memory;
using zeroipc::test::ScopedName;

mode_t file_mode(std::string_view name) {
  struct stat st{};
  EXPECT_EQ(::stat(("/dev/shm" + std::string(name)).c_str(), &st), 0);
  return st.st_mode & 0777;
}

TEST(Memory, CreatesThenOpensTheSameSegment) {
  ScopedName name;
  Memory mem(name, 1 << 20);
  EXPECT_TRUE(mem.created());
  EXPECT_EQ(mem.size(), 1u << 20);
  EXPECT_EQ(mem.name(), name.str());
  EXPECT_TRUE(Memory::exists(name));

  Memory again(name, 1 << 20);  // create on an existing name opens it
  EXPECT_FALSE(again.created());
  Memory peer(name);
  EXPECT_FALSE(peer.created());
  EXPECT_EQ(peer.size(), 1u << 20);

  // The three handles see the same bytes through different mappings.
  mem.base()[4096] = std::byte{0x5a};
  EXPECT_EQ(peer.base()[4096], std::byte{0x5a});
  EXPECT_EQ(again.base()[4096], std::byte{0x5a});
}

TEST(Memory, OpeningAMissingSegmentThrowsNotFound) {
  ScopedName name;
  try {
    Memory peer(name);
    FAIL() << "opened a segment that does not exist";
  } catch (const zeroipc::NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(name.str()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(Memory::exists(name));
}

TEST(Memory, UnlinkRemovesTheNameButNotLiveMappings) {
  ScopedName name;
  Memory mem(name, 1 << 16);
  zeroipc::Array<int> a(mem, "a", 4);
  a[1] = 42;
  EXPECT_TRUE(Memory::unlink(name));
  EXPECT_FALSE(Memory::exists(name));
  EXPECT_FALSE(Memory::unlink(name));  // nothing left to remove
  EXPECT_EQ(a[1], 42);                 // still mapped here
  EXPECT_THROW(Memory{name.str()}, zeroipc::NotFound);
}

TEST(Memory, SegmentsAreCreatedWithMode0600ByDefault) {
  ScopedName name;
  const mode_t old_umask = ::umask(0);
  Memory mem(name, 1 << 16);
  ::umask(old_umask);
  EXPECT_EQ(file_mode(name), 0600u);
}

TEST(Memory, CreatesWithTheModeAskedForWhateverTheUmask) {
  ScopedName name;
  const mode_t old_umask = ::umask(077);
  zeroipc::MemoryOptions options;
  options.mode = 0640;
  Memory mem(name, 1 << 16, options);
  ::umask(old_umask);
  EXPECT_EQ(file_mode(name), 0640u);
}

TEST(Memory, ExistingSegmentSmallerThanRequestedIsAMismatch) {
  ScopedName name;
  Memory small(name, 1 << 16);
  try {
    Memory big(name, 1 << 20);
    FAIL() << "opened a 64 KiB segment as 1 MiB";
  } catch (const zeroipc::Mismatch& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("65536"), std::string::npos) << what;
    EXPECT_NE(what.find("1048576"), std::string::npos) << what;
  }
  Memory smaller(name, 1 << 12);  // asking for less than exists is fine
  EXPECT_EQ(smaller.size(), 1u << 16);
}

TEST(Memory, TooSmallForItsTableIsRejected) {
  ScopedName name;
  EXPECT_THROW(Memory(name, 1000), zeroipc::InvalidArgument);
  EXPECT_THROW(Memory(name, 1 << 20, 0), zeroipc::InvalidArgument);
  EXPECT_THROW(Memory(name, 1 << 20, 65537), zeroipc::InvalidArgument);
  EXPECT_FALSE(Memory::exists(name)) << "a rejected create must leave nothing behind";
}

TEST(Memory, InvalidSegmentNamesAreRejectedWithTheReason) {
  const std::pair<std::string, const char*> cases[] = {
      {"", "empty"},
      {"no_slash", "does not start with '/'"},
      {"/", "nothing follows"},
      {"/a/b", "second '/'"},
      {"/" + std::string(255, 'x'), "bytes long"},
      {std::string("/a\0b", 4), "NUL"},
  };
  for (const auto& [bad, reason] : cases) {
    try {
      Memory mem(bad, 1 << 16);
      FAIL() << "accepted segment name of " << bad.size() << " bytes";
    } catch (const zeroipc::InvalidName& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
    }
    EXPECT_THROW(Memory{bad}, zeroipc::InvalidName);
    EXPECT_THROW(Memory::unlink(bad), zeroipc::InvalidName);
  }
  EXPECT_NO_THROW(Memory::exists("/" + std::string(254, 'y')));
}

TEST(Memory, AFileThatIsNotASegmentIsACorruptSegmentError) {
  ScopedName name;
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  const char junk[] = "this is a text file, not a zeroipc segment at all. it has no ZIPM magic....."
                      "..................................................................";
  ASSERT_EQ(::write(fd, junk, sizeof junk), static_cast<ssize_t>(sizeof junk));
  ::close(fd);
  try {
    Memory peer(name);
    FAIL();
  } catch (const zeroipc::CorruptSegment& e) {
    EXPECT_NE(std::string(e.what()).find("not a zeroipc segment"), std::string::npos) << e.what();
  }
  // Create-or-open of a foreign file does not overwrite it either.
  EXPECT_THROW(Memory(name, 1 << 16), zeroipc::CorruptSegment);
  struct stat st{};
  ASSERT_EQ(::stat(("/dev/shm" + name.str()).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(sizeof junk)) << "the foreign file was modified";
}

TEST(Memory, EmptyFileIsNotASegment) {
  ScopedName name;
  int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  EXPECT_THROW(Memory{name.str()}, zeroipc::CorruptSegment);
}

TEST(Memory, UnsupportedFormatVersionNamesBothVersions) {
  ScopedName name;
  { Memory mem(name, 1 << 16); mem.base()[4] = std::byte{7}; }
  try {
    Memory peer(name);
    FAIL();
  } catch (const zeroipc::VersionMismatch& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("version 7"), std::string::npos) << what;
    EXPECT_NE(what.find("version 1"), std::string::npos) << what;
  }
}

TEST(Memory, StructuresOutliveTheMemoryHandleThatOpenedThem) {
  ScopedName name;
  std::optional<zeroipc::Array<double>> kept;
  {
    Memory mem(name, 1 << 16);
    kept.emplace(mem, "x", 8);
  }
  (*kept)[7] = 3.5;  // the mapping is shared with the structure, so still valid
  Memory peer(name);
  EXPECT_EQ((zeroipc::Array<double>(peer, "x")[7]), 3.5);
}

TEST(Memory, AttachSlotsRecordThisProcessAndForgetItOnUnmap) {
  ScopedName name;
  Memory mem(name, 1 << 16);
  auto count_me = [&] {
    int n = 0;
    for (const auto& p : mem.attached()) n += p.pid == ::getpid() && p.alive ? 1 : 0;
    return n;
  };
  EXPECT_EQ(count_me(), 1);
  {
    Memory peer(name);
    EXPECT_EQ(count_me(), 2);  // one slot per mapping
  }
  EXPECT_EQ(count_me(), 1);
}

TEST(Memory, AChildThatDiesWithoutDetachingShowsAsDead) {
  ScopedName name;
  Memory mem(name, 1 << 16);
  const pid_t child = zeroipc::test::spawn([&] {
    Memory peer(name);
    ::raise(SIGKILL);  // dies mapped: its slot stays behind
    return 0;
  });
  EXPECT_EQ(zeroipc::test::wait_for(child), 128 + SIGKILL);
  bool seen_dead = false;
  for (const auto& p : mem.attached()) {
    if (p.pid == child) {
      EXPECT_FALSE(p.alive);
      seen_dead = true;
    }
  }
  EXPECT_TRUE(seen_dead);
}

TEST(Memory, FreeBytesShrinkAsStructuresAreCreated) {
  ScopedName name;
  Memory mem(name, 1 << 16);
  const std::size_t before = mem.free_bytes();
  zeroipc::Array<char> a(mem, "a", 1000);
  EXPECT_EQ(before - mem.free_bytes(), 1088u);  // align64(64 + 1000)
}

TEST(Memory, MovedHandlesKeepWorking) {
  ScopedName name;
  Memory a(name, 1 << 16);
  Memory b = std::move(a);
  zeroipc::Array<int> arr(b, "n", 2);
  arr[0] = 1;
  Memory c(name);
  EXPECT_EQ((zeroipc::Array<int>(c, "n")[0]), 1);
}

TEST(Memory, LeavesNoTemporaryFilesBehind) {
  ScopedName name;
  { Memory mem(name, 1 << 16); }
  DIR* dir = ::opendir("/dev/shm");
  ASSERT_NE(dir, nullptr);
  const std::string mine = ".zeroipc-tmp-" + std::to_string(::getpid()) + "-";
  while (dirent* e = ::readdir(dir)) {
    EXPECT_NE(std::strncmp(e->d_name, mine.c_str(), mine.size()), 0) << e->d_name;
  }
  ::closedir(dir);
}

}  // namespace
