// The segment is untrusted input (SPECIFICATION.md §5): any bytes another
// process - crashed, buggy or hostile - left in /dev/shm must give either a
// working handle or a zeroipc::Error, never a crash, a hang, an out-of-bounds
// access or a foreign exception.
//
// A valid segment holding several arrays is built once and snapshotted. Each
// case writes a mutated copy, byte for byte, to a fresh shared-memory object
// (so any content and any file size can be produced, including an empty file)
// and drives the library over it: open, list, open every array with several
// element types, look up, create under the lock, list attached processes,
// create-or-open.
//
// An independent model of §5 and §6, written from the document (not from the
// library), predicts the outcome of the read-only calls; the library must
// agree with it exactly. For the explicit adversarial list the expected
// detection is also written out by hand (wrong magic -> CorruptSegment on open,
// format_version 2 -> VersionMismatch, ...).
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <zeroipc/array.h>
#include <zeroipc/error.h>
#include <zeroipc/memory.h>
#include <zeroipc/table.h>
#include <zeroipc/variants/detail/liveness.h>

#include "test_support.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define ZEROIPC_FUZZ_SANITIZER 1
#endif

namespace {

using Bytes = std::vector<unsigned char>;
constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

// The segment every case starts from.
constexpr std::uint64_t kSize = 16 * 1024;
constexpr std::uint32_t kCapacity = 8;

struct Rec {  // an opaque 24-byte element (dtype 0)
  std::uint64_t id;
  double value;
  std::uint32_t flags;
  std::uint32_t tag;
};
static_assert(sizeof(Rec) == 24);

// Names of the structures of the base segment, in table order.
const char* const kNames[] = {"temps", "bytes", "dbl", "recs", "i16s"};

// ------------------------------------------------------------------ byte helpers
std::uint64_t get(const Bytes& b, std::uint64_t off, std::size_t width) {
  if (off > b.size() || width > b.size() - off) {
    throw std::logic_error("fuzz model read past its image (test bug)");
  }
  std::uint64_t v = 0;
  for (std::size_t i = width; i-- > 0;) v = (v << 8) | b[off + i];
  return v;
}
void put(Bytes& b, std::uint64_t off, std::size_t width, std::uint64_t v) {
  for (std::size_t i = 0; i < width && off + i < b.size(); ++i) {
    b[off + i] = static_cast<unsigned char>(v >> (8 * i));
  }
}
std::uint64_t width_max(std::size_t width) {
  return width >= 8 ? kMax64 : (std::uint64_t{1} << (8 * width)) - 1;
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Writes `bytes` as a brand-new /dev/shm object `name` (any size, 0 included).
void write_segment(const std::string& name, const Bytes& bytes) {
  const std::string path = "/dev/shm" + name;
  ::unlink(path.c_str());
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::ftruncate(fd, static_cast<off_t>(bytes.size())) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot size " + path + ": " + std::strerror(errno));
  }
  ::close(fd);
}

// --------------------------------------------------- crash context (which case)
char g_case[512] = "";
char g_segment_path[300] = "";  // unlinked if the process dies of a signal
struct sigaction g_old_segv{}, g_old_bus{}, g_old_fpe{}, g_old_abrt{};

void on_fatal_signal(int sig) {
  static const char kPrefix[] = "\n*** segment fuzz: fatal signal while running case: ";
  (void)!::write(2, kPrefix, sizeof kPrefix - 1);
  (void)!::write(2, g_case, ::strnlen(g_case, sizeof g_case));
  (void)!::write(2, "\n", 1);
  if (g_segment_path[0] != '\0') ::unlink(g_segment_path);  // async-signal-safe cleanup
  // Hand the signal to whoever had it (AddressSanitizer's report, or the
  // default action) by restoring and returning: the fault happens again.
  const struct sigaction* old = sig == SIGSEGV ? &g_old_segv
                                : sig == SIGBUS ? &g_old_bus
                                : sig == SIGFPE ? &g_old_fpe
                                                : &g_old_abrt;
  ::sigaction(sig, old, nullptr);
  if (sig == SIGABRT) ::raise(sig);
}

#ifdef ZEROIPC_FUZZ_SANITIZER
// A sanitizer report ends the process without a signal: name the case and clean up too.
void on_sanitizer_death() {
  static const char kPrefix[] = "\n*** segment fuzz: sanitizer report while running case: ";
  (void)!::write(2, kPrefix, sizeof kPrefix - 1);
  (void)!::write(2, g_case, ::strnlen(g_case, sizeof g_case));
  (void)!::write(2, "\n", 1);
  if (g_segment_path[0] != '\0') ::unlink(g_segment_path);
}
#endif

class CrashContext {
 public:
  CrashContext() {
#ifdef ZEROIPC_FUZZ_SANITIZER
    __sanitizer_set_death_callback(&on_sanitizer_death);
#endif
    struct sigaction sa{};
    sa.sa_handler = &on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGSEGV, &sa, &g_old_segv);
    ::sigaction(SIGBUS, &sa, &g_old_bus);
    ::sigaction(SIGFPE, &sa, &g_old_fpe);
    ::sigaction(SIGABRT, &sa, &g_old_abrt);
  }
  ~CrashContext() {
    ::sigaction(SIGSEGV, &g_old_segv, nullptr);
    ::sigaction(SIGBUS, &g_old_bus, nullptr);
    ::sigaction(SIGFPE, &g_old_fpe, nullptr);
    ::sigaction(SIGABRT, &g_old_abrt, nullptr);
    g_case[0] = '\0';
    g_segment_path[0] = '\0';
#ifdef ZEROIPC_FUZZ_SANITIZER
    __sanitizer_set_death_callback(nullptr);
#endif
  }
  CrashContext(const CrashContext&) = delete;
  CrashContext& operator=(const CrashContext&) = delete;
  static void set(const std::string& label, const std::string& segment) {
    std::snprintf(g_case, sizeof g_case, "%s", label.c_str());
    std::snprintf(g_segment_path, sizeof g_segment_path, "/dev/shm%s", segment.c_str());
  }
};

// ------------------------------------------------------------------- outcomes
enum class Out {
  kOk, kCorrupt, kVersion, kMismatch, kNotFound, kInvalidName, kTimeout, kSegmentFull,
  kTableFull, kInvalidArgument, kSystemError, kOtherError, kForeign,
};
const char* out_name(Out o) {
  switch (o) {
    case Out::kOk: return "ok";
    case Out::kCorrupt: return "CorruptSegment";
    case Out::kVersion: return "VersionMismatch";
    case Out::kMismatch: return "Mismatch";
    case Out::kNotFound: return "NotFound";
    case Out::kInvalidName: return "InvalidName";
    case Out::kTimeout: return "Timeout";
    case Out::kSegmentFull: return "SegmentFull";
    case Out::kTableFull: return "TableFull";
    case Out::kInvalidArgument: return "InvalidArgument";
    case Out::kSystemError: return "SystemError";
    case Out::kOtherError: return "zeroipc::Error";
    case Out::kForeign: return "NOT a zeroipc::Error";
  }
  return "?";
}
std::ostream& operator<<(std::ostream& os, Out o) { return os << out_name(o); }

struct Result {
  Out out = Out::kOk;
  std::string what;
};

// Runs `f`; every failure must be a zeroipc::Error (anything else fails the test).
template <class F>
Result attempt(const std::string& call, F&& f) {
  try {
    f();
    return {};
  } catch (const zeroipc::VersionMismatch& e) {
    return {Out::kVersion, e.what()};
  } catch (const zeroipc::CorruptSegment& e) {
    return {Out::kCorrupt, e.what()};
  } catch (const zeroipc::Mismatch& e) {
    return {Out::kMismatch, e.what()};
  } catch (const zeroipc::NotFound& e) {
    return {Out::kNotFound, e.what()};
  } catch (const zeroipc::InvalidName& e) {
    return {Out::kInvalidName, e.what()};
  } catch (const zeroipc::Timeout& e) {
    return {Out::kTimeout, e.what()};
  } catch (const zeroipc::SegmentFull& e) {
    return {Out::kSegmentFull, e.what()};
  } catch (const zeroipc::TableFull& e) {
    return {Out::kTableFull, e.what()};
  } catch (const zeroipc::InvalidArgument& e) {
    return {Out::kInvalidArgument, e.what()};
  } catch (const zeroipc::SystemError& e) {
    return {Out::kSystemError, e.what()};
  } catch (const zeroipc::Error& e) {
    return {Out::kOtherError, e.what()};
  } catch (const std::exception& e) {
    ADD_FAILURE() << call << " threw an exception not derived from zeroipc::Error: " << e.what();
    return {Out::kForeign, e.what()};
  } catch (...) {
    ADD_FAILURE() << call << " threw something that is not a std::exception";
    return {Out::kForeign, "non-std exception"};
  }
}

// ------------------------------------------- the model: §5 and §6, from the spec
struct Geo {
  std::uint64_t S = 0, T = 0, D = 0;
  std::uint32_t C = 0, A = 0, count = 0;
  std::uint64_t cursor = 0;
};

struct HeaderVerdict {
  Out out = Out::kOk;
  std::string why;
  Geo g;
};

// §5 items 1-5 (what Memory(name) must check).
HeaderVerdict model_header(const Bytes& b) {
  HeaderVerdict v;
  auto bad = [&](Out o, const char* why) {
    v.out = o;
    v.why = why;
    return v;
  };
  if (b.size() < 128) return bad(Out::kCorrupt, "§5.1 file shorter than the 128-byte header");
  if (std::memcmp(b.data(), "ZIPM", 4) != 0) return bad(Out::kCorrupt, "§5.1 magic");
  if (get(b, 4, 2) != 1) return bad(Out::kVersion, "§5.2 format_version");
  if (get(b, 6, 2) != 128) return bad(Out::kCorrupt, "§5.2 header_size");
  Geo& g = v.g;
  g.S = b.size();
  if (get(b, 8, 8) != g.S) return bad(Out::kCorrupt, "§5.3 segment_size != file size");
  g.T = get(b, 16, 8);
  g.C = static_cast<std::uint32_t>(get(b, 24, 4));
  g.A = static_cast<std::uint32_t>(get(b, 28, 4));
  g.D = get(b, 32, 8);
  if (g.C < 1 || g.C > 65536) return bad(Out::kCorrupt, "§5.4 table_capacity");
  if (g.A > 4096) return bad(Out::kCorrupt, "§5.4 attach_capacity");
  if (g.T < 128 + 16 * std::uint64_t{g.A} || g.T % 64 != 0) return bad(Out::kCorrupt, "§5.4 table_offset");
  if (g.T > g.S) return bad(Out::kCorrupt, "§5.4 table_offset past the end");  // so T + 64C cannot overflow
  if (g.D < g.T + 64 * std::uint64_t{g.C} || g.D > g.S || g.D % 64 != 0) {
    return bad(Out::kCorrupt, "§5.4 data_offset");
  }
  g.count = static_cast<std::uint32_t>(get(b, 68, 4));
  g.cursor = get(b, 72, 8);
  if (g.count > g.C) return bad(Out::kCorrupt, "§5.5 table_count > table_capacity");
  if (g.cursor < g.D || g.cursor > g.S) return bad(Out::kCorrupt, "§5.5 alloc_cursor outside the heap");
  return v;
}

struct EntryView {
  std::string name;
  std::uint64_t offset = 0, size = 0;
  std::uint32_t creator_pid = 0;
};

std::uint64_t entry_at(const Geo& g, std::uint32_t i) { return g.T + 64 * std::uint64_t{i}; }
bool is_ready(const Bytes& b, const Geo& g, std::uint32_t i) { return get(b, entry_at(g, i) + 48, 4) == 2; }

// The raw name bytes up to the first NUL (or all 32).
std::string raw_name(const Bytes& b, const Geo& g, std::uint32_t i) {
  const auto* p = reinterpret_cast<const char*>(b.data() + entry_at(g, i));
  return std::string(p, ::strnlen(p, 32));
}

bool printable_name(const std::string& n) {
  return std::all_of(n.begin(), n.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u <= 0x7e;
  });
}

// §5 item 6 for entry i (READY). nullopt: corrupt.
std::optional<EntryView> model_entry(const Bytes& b, const Geo& g, std::uint32_t i) {
  const std::uint64_t e = entry_at(g, i);
  EntryView v;
  v.name = raw_name(b, g, i);
  if (v.name.size() == 32 || v.name.empty()) return std::nullopt;  // no NUL in 32 bytes / §3: 1-31 bytes
  v.offset = get(b, e + 32, 8);
  v.size = get(b, e + 40, 8);
  v.creator_pid = static_cast<std::uint32_t>(get(b, e + 52, 4));
  if (v.offset % 64 != 0 || v.offset < g.D || v.size < 64) return std::nullopt;
  if (v.offset > g.S || v.size > g.S - v.offset) return std::nullopt;  // offset + size <= S, no overflow
  return v;
}

struct ListVerdict {
  Out out = Out::kOk;
  std::vector<EntryView> list;
  bool odd_names = false;  // a READY name has bytes outside 0x20..0x7E: §3 forbids, §5 need not check
};
ListVerdict model_entries(const Bytes& b, const Geo& g) {
  ListVerdict v;
  for (std::uint32_t i = 0; i < g.count; ++i) {
    if (!is_ready(b, g, i)) continue;
    auto e = model_entry(b, g, i);
    if (!e) {
      v.out = Out::kCorrupt;
      v.list.clear();
      return v;
    }
    if (!printable_name(e->name)) v.odd_names = true;
    v.list.push_back(*e);
  }
  return v;
}

struct LookupVerdict {
  Out out = Out::kOk;
  std::optional<EntryView> entry;
};
// §3: the first READY entry whose name is `name`; only that entry is checked (§5.6).
LookupVerdict model_lookup(const Bytes& b, const Geo& g, const std::string& name) {
  LookupVerdict v;
  if (name.size() >= 32) return v;
  for (std::uint32_t i = 0; i < g.count; ++i) {
    if (!is_ready(b, g, i)) continue;
    const std::uint64_t e = entry_at(g, i);
    if (std::memcmp(b.data() + e, name.data(), name.size()) != 0 || b[e + name.size()] != 0) continue;
    v.entry = model_entry(b, g, i);
    if (!v.entry) v.out = Out::kCorrupt;
    return v;
  }
  return v;
}

bool valid_structure_name(const std::string& n) {
  return !n.empty() && n.size() <= 31 && printable_name(n);
}

struct ArrayVerdict {
  Out out = Out::kOk;
  EntryView entry;
  std::uint64_t capacity = 0;
};
// Opening `name` as Array<T> (element size `es`, dtype `dtype`): §3 lookup, §5.6, §6 checks in
// the order §6 gives, §7.1 total_size.
ArrayVerdict model_open_array(const Bytes& b, const Geo& g, const std::string& name,
                              std::uint32_t es, std::uint8_t dtype) {
  ArrayVerdict v;
  if (!valid_structure_name(name)) {
    v.out = Out::kInvalidName;
    return v;
  }
  const LookupVerdict l = model_lookup(b, g, name);
  if (l.out != Out::kOk) {
    v.out = l.out;
    return v;
  }
  if (!l.entry) {
    v.out = Out::kNotFound;
    return v;
  }
  v.entry = *l.entry;
  const std::uint64_t s = v.entry.offset;
  if (std::memcmp(b.data() + s, "ZIPS", 4) != 0) v.out = Out::kCorrupt;
  else if (get(b, s + 4, 2) != 1) v.out = Out::kMismatch;    // kind
  else if (get(b, s + 6, 2) != 0) v.out = Out::kMismatch;    // variant
  else if (get(b, s + 12, 2) != 1) v.out = Out::kVersion;    // layout_version
  else if (get(b, s + 8, 4) != es) v.out = Out::kMismatch;   // element_size
  else if (const auto d = get(b, s + 14, 1); d != 0 && dtype != 0 && d != dtype) v.out = Out::kMismatch;
  else {
    const std::uint64_t cap = get(b, s + 16, 8);
    const std::uint64_t total = get(b, s + 24, 8);
    const std::uint64_t need = (cap == 0 || cap > (kMax64 - 64) / es) ? 0 : 64 + cap * es;
    if (need == 0 || total != need || total > v.entry.size) v.out = Out::kCorrupt;
    v.capacity = cap;
  }
  return v;
}

// §4.1: the owner with key k (31 bits, nonzero) is alive when some open file
// description of the segment's file holds a lock on byte 2^62 + k.
bool model_alive(const std::string& name, std::uint32_t key) {
  key &= 0x7fffffffu;
  return key != 0 && zeroipc::test::liveness_lock_held(name, key).value_or(false);
}

// Keeps a read lock on byte 2^62 + key of segment `name` (a live owner with
// that key, as far as the kernel can tell) until destroyed.
class HeldKeys {
 public:
  HeldKeys(const std::string& name, const std::vector<std::uint32_t>& keys) {
    if (keys.empty()) return;
    fd_ = ::open(("/dev/shm" + name).c_str(), O_RDWR | O_CLOEXEC);
    for (std::uint32_t key : keys) {
      flock l{};
      l.l_type = F_RDLCK;
      l.l_whence = SEEK_SET;
      l.l_start = (off_t{1} << 62) + static_cast<off_t>(key & 0x7fffffffu);
      l.l_len = 1;
      if (fd_ >= 0) (void)::fcntl(fd_, F_OFD_SETLK, &l);
    }
  }
  ~HeldKeys() {
    if (fd_ >= 0) ::close(fd_);
  }
  HeldKeys(const HeldKeys&) = delete;
  HeldKeys& operator=(const HeldKeys&) = delete;

 private:
  int fd_ = -1;
};

/// A key some other "process" holds in every case that lists it (HeldKeys).
constexpr std::uint32_t kLiveKey = 0x1234567u;

// True when the regions of every used entry (FREE with a region, RESERVED, READY; and a
// RESERVED entry at table_count, §3.3) are aligned heap ranges that do not overlap and
// READY/FREE ones end at or before alloc_cursor: a segment the §3.1 protocol could have
// produced. A creation on such a segment must not touch any READY structure.
bool regions_consistent(const Bytes& b, const Geo& g) {
  struct Range {
    std::uint64_t lo, hi;
  };
  std::vector<Range> used;
  for (std::uint32_t i = 0; i < std::min(g.count + 1, g.C); ++i) {
    const std::uint64_t e = entry_at(g, i);
    const std::uint64_t state = get(b, e + 48, 4);
    const std::uint64_t off = get(b, e + 32, 8);
    const std::uint64_t size = get(b, e + 40, 8);
    if (i == g.count && state != 1) continue;
    if (state > 2) continue;
    if (state == 0 && size == 0) continue;
    if (off % 64 != 0 || off < g.D || off > g.S || size > g.S - off) return false;
    if (i < g.count && off + size > g.cursor) return false;
    used.push_back({off, off + size});
  }
  for (std::size_t i = 0; i < used.size(); ++i) {
    for (std::size_t j = i + 1; j < used.size(); ++j) {
      if (used[i].lo < used[j].hi && used[j].lo < used[i].hi) return false;
    }
  }
  return true;
}


// ------------------------------------------------------------ the exercise
struct Expect {
  std::optional<Out> open;     // Memory(name)
  std::optional<Out> entries;  // table().entries()
  std::optional<Out> temps;    // Array<float>(m, "temps")
  std::optional<Out> fresh;    // table().find_or_create("fresh", ...)
};

struct Stats {
  int cases = 0, opened = 0, listed = 0, arrays_opened = 0, created = 0, timeouts = 0;
};

template <class T>
void check_array(zeroipc::Memory& m, const Bytes& img, const Geo& g, const std::string& name,
                 std::uint8_t dtype, const char* type, Stats& stats) {
  const ArrayVerdict want = model_open_array(img, g, name, sizeof(T), dtype);
  std::optional<zeroipc::Array<T>> a;
  const std::string call = std::string("Array<") + type + ">(m, \"" + name + "\")";
  const Result got = attempt(call, [&] { a.emplace(m, name); });
  EXPECT_EQ(got.out, want.out) << "§5.6/§6: " << call << ": " << got.what;
  if (!a) return;
  ++stats.arrays_opened;
  ASSERT_GE(a->size(), 1u);
  EXPECT_EQ(a->size(), want.capacity) << "§6 capacity of " << call;
  const std::uint64_t first = want.entry.offset + 64;
  EXPECT_EQ(reinterpret_cast<const std::byte*>(a->data()), m.base() + first)
      << "§7.1 elements start at offset + 64, " << call;
  const std::uint64_t last = first + (a->size() - 1) * sizeof(T);
  ASSERT_LE(last + sizeof(T), img.size()) << "§5.7 structure must fit in the segment, " << call;
  const T v0 = (*a)[0];
  const T vn = (*a)[a->size() - 1];
  EXPECT_EQ(std::memcmp(&v0, img.data() + first, sizeof(T)), 0) << "§7.1 element 0 of " << call;
  EXPECT_EQ(std::memcmp(&vn, img.data() + last, sizeof(T)), 0) << "§7.1 last element of " << call;
}

// Writes `img` as the segment `name` and drives the library over it.
void exercise(const std::string& name, const Bytes& img, const std::string& label,
              const Expect& ex, Stats& stats) {
  SCOPED_TRACE(label);
  CrashContext::set(label, name);
  ++stats.cases;
  write_segment(name, img);
  const HeldKeys held(name, {kLiveKey});
  const HeaderVerdict hv = model_header(img);
  const Geo& g = hv.g;

  // §5 items 1-5: Memory(name).
  std::optional<zeroipc::Memory> m;
  const Result opened = attempt("Memory(name)", [&] { m.emplace(name); });
  EXPECT_EQ(opened.out, hv.out) << "§5 (" << (hv.why.empty() ? "valid header" : hv.why)
                                << "): Memory(name): " << opened.what;
  if (ex.open) {
    EXPECT_EQ(opened.out, *ex.open) << "expected detection on open: " << opened.what;
  }

  // The create-or-open constructor takes the same open path on an existing name.
  auto create_or_open = [&] {
    std::optional<zeroipc::Memory> again;
    const Result r = attempt("Memory(name, size)", [&] { again.emplace(name, kSize); });
    if (hv.out != Out::kOk) {
      EXPECT_EQ(r.out, hv.out) << "§5: Memory(name, size) on a corrupt segment: " << r.what;
    } else if (img.size() < kSize) {
      EXPECT_EQ(r.out, Out::kMismatch) << "Memory(name, size) on a smaller segment: " << r.what;
    } else {
      EXPECT_EQ(r.out, Out::kOk) << "Memory(name, size) on a valid segment: " << r.what;
      if (again) {
        EXPECT_FALSE(again->created()) << "the name existed: it must be opened";
      }
    }
  };
  if (!m) {
    create_or_open();
    return;
  }
  ++stats.opened;
  EXPECT_EQ(m->size(), img.size());
  std::byte* const base = m->base();

  // §5 item 6: entries().
  const ListVerdict lv = model_entries(img, g);
  std::vector<zeroipc::TableEntryInfo> listed;
  const Result lr = attempt("entries()", [&] { listed = m->table().entries(); });
  if (lv.out == Out::kOk && lv.odd_names && lr.out == Out::kCorrupt) {
    // A stricter reader may refuse names with bytes outside 0x20..0x7E (§3).
  } else {
    EXPECT_EQ(lr.out, lv.out) << "§5.6: entries(): " << lr.what;
  }
  if (ex.entries) {
    EXPECT_EQ(lr.out, *ex.entries) << "expected detection in entries(): " << lr.what;
  }
  if (lr.out == Out::kOk) {
    ++stats.listed;
    EXPECT_EQ(listed.size(), lv.list.size()) << "§3: entries() lists every READY entry";
    for (std::size_t i = 0; i < std::min(listed.size(), lv.list.size()); ++i) {
      EXPECT_EQ(listed[i].name, lv.list[i].name) << "§3 name of READY entry " << i;
      EXPECT_EQ(listed[i].offset, lv.list[i].offset) << "§3 offset of READY entry " << i;
      EXPECT_EQ(listed[i].size, lv.list[i].size) << "§3 size of READY entry " << i;
      EXPECT_EQ(listed[i].creator_pid, lv.list[i].creator_pid) << "§3 creator_pid of entry " << i;
    }
  }

  // §5 items 6-7 and §6: open every name as several element types.
  std::set<std::string> names(std::begin(kNames), std::end(kNames));
  for (std::uint32_t i = 0; i < g.count; ++i) {
    if (is_ready(img, g, i)) names.insert(raw_name(img, g, i));
  }
  for (const std::string& n : names) {
    check_array<float>(*m, img, g, n, 9, "float", stats);
    check_array<std::uint8_t>(*m, img, g, n, 2, "uint8_t", stats);
    check_array<double>(*m, img, g, n, 10, "double", stats);
    check_array<Rec>(*m, img, g, n, 0, "Rec", stats);
    check_array<std::int16_t>(*m, img, g, n, 3, "int16_t", stats);
  }
  if (ex.temps) {
    std::optional<zeroipc::Array<float>> t;
    const Result r = attempt("Array<float>(m, \"temps\")", [&] { t.emplace(*m, "temps"); });
    EXPECT_EQ(r.out, *ex.temps) << "expected detection opening temps: " << r.what;
  }

  // §3 lookup.
  {
    const LookupVerdict want = model_lookup(img, g, "x");
    std::optional<zeroipc::TableEntryInfo> found;
    const Result r = attempt("find(\"x\")", [&] { found = m->table().find("x"); });
    EXPECT_EQ(r.out, want.out) << "§5.6: find(\"x\"): " << r.what;
    if (r.out == Out::kOk) {
      EXPECT_EQ(found.has_value(), want.entry.has_value()) << "find(\"x\")";
    }
  }

  // §3.1/§3.2: creating under the lock, with a short patience. A lock word
  // naming a live process must give Timeout, never a hang.
  {
    const auto lock_word = static_cast<std::uint32_t>(get(img, 64, 4));
    const LookupVerdict pre = model_lookup(img, g, "fresh");
    std::optional<Out> want;
    if (pre.out != Out::kOk) want = pre.out;
    else if (pre.entry) want = Out::kOk;
    const bool lock_matters = pre.out == Out::kOk && !pre.entry && lock_word != 0;
    const bool holder_alive = lock_matters && model_alive(name, lock_word);
    if (holder_alive) want = Out::kTimeout;

    std::byte* init_region = nullptr;
    std::uint64_t init_size = 0;
    std::optional<zeroipc::Table::Created> made;
    const auto t0 = std::chrono::steady_clock::now();
    const Result r = attempt("find_or_create(\"fresh\")", [&] {
      made = m->table().find_or_create(
          "fresh", 100,
          [&](std::byte* region, std::uint64_t size) {
            init_region = region;
            init_size = size;
            ASSERT_GE(region, base) << "§3.1 step 6: region inside the segment";
            ASSERT_LE(size, kMax64 - static_cast<std::uint64_t>(region - base));
            ASSERT_LE(static_cast<std::uint64_t>(region - base) + size, img.size())
                << "§3.1 step 6: region inside the segment";
            std::memset(region, 0xA5, size);
          },
          std::chrono::milliseconds(50));
    });
    const auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_LT(took, std::chrono::seconds(2)) << "find_or_create with 50 ms patience must not hang";
    // Keys are random per process: a dead key does not come back to life, but
    // the holder's liveness after the call is what the library saw last.
    const bool holder_flipped = lock_matters && holder_alive != model_alive(name, lock_word);
    if (holder_flipped && (r.out == Out::kTimeout || holder_alive)) {
      // either outcome is right
    } else if (want) {
      EXPECT_EQ(r.out, *want) << "§3.2: find_or_create(\"fresh\"), lock word " << lock_word << ": "
                              << r.what;
    } else {
      EXPECT_TRUE(r.out == Out::kOk || r.out == Out::kCorrupt || r.out == Out::kSegmentFull ||
                  r.out == Out::kTableFull)
          << "find_or_create(\"fresh\") with a takeable lock gave " << r.out << ": " << r.what;
    }
    if (r.out == Out::kTimeout) ++stats.timeouts;
    if (ex.fresh) {
      EXPECT_EQ(r.out, *ex.fresh) << "expected outcome of find_or_create: " << r.what;
    }
    if (made && made->created) {
      ++stats.created;
      const auto& e = made->entry;
      EXPECT_EQ(e.offset % 64, 0u) << "§3 new entry offset aligned";
      EXPECT_GE(e.offset, g.D) << "§3 new entry in the heap";
      EXPECT_GE(e.size, 100u) << "§3.1 new entry big enough";
      EXPECT_LE(e.offset, img.size());
      EXPECT_LE(e.size, img.size() - std::min<std::uint64_t>(e.offset, img.size()))
          << "§3 new entry inside the segment";
      EXPECT_EQ(init_region, base + e.offset) << "§3.1 step 6 initialises the entry's region";
      if (lv.out == Out::kOk && regions_consistent(img, g)) {
        for (const EntryView& ready : lv.list) {
          EXPECT_FALSE(e.offset < ready.offset + ready.size && ready.offset < e.offset + e.size)
              << "§3.3 no two entries share bytes: 'fresh' [" << e.offset << ", +" << e.size
              << ") overlaps READY '" << ready.name << "' [" << ready.offset << ", +" << ready.size << ")";
        }
      }
      EXPECT_EQ(init_size, e.size);
      std::uint32_t lock_now = 0;
      std::memcpy(&lock_now, base + 64, 4);
      EXPECT_EQ(lock_now, 0u) << "§3.2 the lock is released after creating";
      std::optional<zeroipc::TableEntryInfo> again;
      const Result fr = attempt("find(\"fresh\")", [&] { again = m->table().find("fresh"); });
      EXPECT_EQ(fr.out, Out::kOk) << fr.what;
      if (again) {
        EXPECT_EQ(again->offset, e.offset) << "§3 the new entry is READY and findable";
      }
    }
  }

  // Array creation uses the default 10 s patience: only when the lock is free.
  {
    std::uint32_t lock_now = 0;
    std::memcpy(&lock_now, base + 64, 4);
    if (lock_now == 0) {
      std::optional<zeroipc::Array<float>> fresh;
      const Result r = attempt("Array<float>(m, \"new\", 10)", [&] { fresh.emplace(*m, "new", 10); });
      EXPECT_NE(r.out, Out::kTimeout) << "the lock was free: " << r.what;
      if (fresh) {
        EXPECT_EQ(fresh->size(), 10u);
        if (fresh->created()) {
          for (float f : *fresh) EXPECT_EQ(f, 0.0f) << "§7.1 creator zero-fills";
        }
        (*fresh)[9] = 1.0f;
      }
    }
  }

  // §4: attached() reports every nonzero slot; this process is in one, or counted as overflow.
  {
    std::vector<zeroipc::AttachedProcess> procs;
    const Result r = attempt("attached()", [&] { procs = m->attached(); });
    EXPECT_EQ(r.out, Out::kOk) << r.what;
    std::size_t nonzero = 0;
    for (std::uint32_t i = 0; i < g.A; ++i) {
      std::uint64_t owner = 0;
      std::memcpy(&owner, base + 128 + 16 * std::uint64_t{i}, 8);
      if (owner != 0) ++nonzero;
    }
    EXPECT_EQ(procs.size(), nonzero) << "§4 attached() lists every slot whose owner word (pid | key << 32) is set";
    const auto me = ::getpid();
    const bool listed_me = std::any_of(procs.begin(), procs.end(), [&](const zeroipc::AttachedProcess& p) {
      return p.pid == me && p.alive;  // a forged slot with our pid and another start time is dead
    });
    std::uint32_t overflow = 0;
    std::memcpy(&overflow, base + 96, 4);
    EXPECT_TRUE(listed_me || overflow != static_cast<std::uint32_t>(get(img, 96, 4)))
        << "§4 an attach is recorded in a live slot or counted in attach_overflow";
  }

  create_or_open();
}

// ------------------------------------------------------------ the base segment
Bytes build_base_image(const std::string& name) {
  {
    zeroipc::Memory mem(name, kSize, kCapacity);
    zeroipc::Array<float> temps(mem, kNames[0], 10);
    zeroipc::Array<std::uint8_t> bytes(mem, kNames[1], 100);
    zeroipc::Array<double> dbl(mem, kNames[2], 6);
    zeroipc::Array<Rec> recs(mem, kNames[3], 4);
    zeroipc::Array<std::int16_t> i16s(mem, kNames[4], 9);
    for (std::size_t i = 0; i < temps.size(); ++i) temps[i] = 20.0f + static_cast<float>(i);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>(i * 7);
    for (std::size_t i = 0; i < dbl.size(); ++i) dbl[i] = -1.5 * static_cast<double>(i);
    for (std::size_t i = 0; i < recs.size(); ++i) recs[i] = Rec{i, 0.25 * static_cast<double>(i), 3u, 4u};
    for (std::size_t i = 0; i < i16s.size(); ++i) i16s[i] = static_cast<std::int16_t>(-100 * static_cast<int>(i));
  }  // every handle gone: the attach slots are clear again
  Bytes img = read_file("/dev/shm" + name);
  zeroipc::Memory::unlink(name);
  return img;
}

struct Field {
  std::uint64_t offset;
  std::size_t width;
  std::string label;
};

std::vector<Field> header_fields() {
  return {{0, 4, "magic"},
          {4, 2, "format_version"},
          {6, 2, "header_size"},
          {8, 8, "segment_size"},
          {16, 8, "table_offset"},
          {24, 4, "table_capacity"},
          {28, 4, "attach_capacity"},
          {32, 8, "data_offset"},
          {40, 8, "created_ns"},
          {48, 4, "creator_pid"},
          {52, 4, "reserved@52"},
          {64, 4, "table_lock"},
          {68, 4, "table_count"},
          {72, 8, "alloc_cursor"},
          {80, 8, "lock_holder_pid"},
          {88, 8, "table_generation"},
          {96, 4, "attach_overflow"},
          {100, 8, "reserved@100"}};
}

std::vector<Field> entry_fields(std::uint32_t i) {
  const std::uint64_t e = 1152 + 64 * std::uint64_t{i};
  const std::string p = "entry[" + std::to_string(i) + "].";
  return {{e + 0, 8, p + "name[0..7]"},
          {e + 24, 8, p + "name[24..31]"},
          {e + 32, 8, p + "offset"},
          {e + 40, 8, p + "size"},
          {e + 48, 4, p + "state"},
          {e + 52, 4, p + "creator_pid"},
          {e + 56, 8, p + "reserved"}};
}

std::vector<Field> struct_fields(std::uint64_t s, const std::string& who) {
  const std::string p = who + ".";
  return {{s + 0, 4, p + "magic"},
          {s + 4, 2, p + "kind"},
          {s + 6, 2, p + "variant"},
          {s + 8, 4, p + "element_size"},
          {s + 12, 2, p + "layout_version"},
          {s + 14, 1, p + "dtype"},
          {s + 15, 1, p + "reserved"},
          {s + 16, 8, p + "capacity"},
          {s + 24, 8, p + "total_size"},
          {s + 32, 8, p + "kind_specific"}};
}

std::vector<std::uint64_t> interesting_values(std::uint64_t orig, std::size_t width) {
  const std::uint64_t mx = width_max(width);
  std::vector<std::uint64_t> raw = {0, 1, 2, 3, 63, 64, 65, 128, 1152, 1664, mx, mx - 1, mx - 63,
                                    mx >> 1, (mx >> 1) + 1, kSize, kSize - 1, kSize + 1,
                                    kSize - 64, kSize + 64, orig + 1, orig - 1, orig + 64,
                                    orig - 64, std::uint64_t{0xffffffff}, std::uint64_t{1} << 32};
  std::vector<std::uint64_t> out;
  for (std::uint64_t v : raw) {
    v &= mx;
    if (v != orig && std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::uint64_t next() { return g_(); }
  // uniform-ish in [lo, hi]
  std::uint64_t in(std::uint64_t lo, std::uint64_t hi) { return lo + g_() % (hi - lo + 1); }
  bool coin() { return (g_() & 1) != 0; }

 private:
  std::mt19937_64 g_;
};

class SegmentFuzz : public ::testing::Test {
 protected:
  void SetUp() override { base_ = build_base_image(scratch_.str()); }

  // Entry offsets of the base image, read from its bytes.
  std::uint64_t struct_offset(std::uint32_t i) const { return get(base_, 1152 + 64 * std::uint64_t{i} + 32, 8); }

  zeroipc::test::ScopedName scratch_{"fuzz"};  // unlinked even when a test fails
  Bytes base_;
};

TEST_F(SegmentFuzz, BaseSegmentIsValidAndFullyUsable) {
  ASSERT_EQ(base_.size(), kSize);
  const HeaderVerdict hv = model_header(base_);
  ASSERT_EQ(hv.out, Out::kOk) << hv.why;
  ASSERT_EQ(hv.g.count, 5u);
  ASSERT_EQ(hv.g.D, 1664u);
  const ListVerdict lv = model_entries(base_, hv.g);
  ASSERT_EQ(lv.out, Out::kOk);
  ASSERT_EQ(lv.list.size(), 5u);
  CrashContext crash;
  Stats stats;
  exercise(scratch_.str(), base_, "unmodified base segment",
           Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk}, stats);
  EXPECT_EQ(stats.created, 1);
  EXPECT_EQ(stats.arrays_opened, 5) << "each of the 5 arrays opens as exactly its own type";
}

TEST_F(SegmentFuzz, AdversarialFieldValuesAreDetected) {
  CrashContext crash;
  Stats stats;
  const std::string name = scratch_.str();
  const std::uint32_t my_key = zeroipc::detail::self_key();
  const std::uint64_t S = kSize;
  const std::uint64_t D = 1664;
  const std::uint64_t cursor = get(base_, 72, 8);
  const std::uint64_t s0 = struct_offset(0);  // "temps": float[10], 104 bytes in a 128-byte region
  const std::uint64_t e0 = 1152;
  int failing_cases = 0;
  auto run = [&](const std::string& label, const std::function<void(Bytes&)>& mutate,
                 const Expect& ex = {}) {
    if (failing_cases >= 20) return;
    Bytes img = base_;
    mutate(img);
    const bool had = ::testing::Test::HasFailure();
    exercise(name, img, label, ex, stats);
    if (!had && ::testing::Test::HasFailure()) ++failing_cases;
  };
  auto set = [](std::uint64_t off, std::size_t w, std::uint64_t v) {
    return [=](Bytes& b) { put(b, off, w, v); };
  };
  const Expect corrupt_on_open{Out::kCorrupt, {}, {}, {}};
  const Expect corrupt_in_entries{Out::kOk, Out::kCorrupt, {}, {}};
  const Expect corrupt_temps{Out::kOk, Out::kOk, Out::kCorrupt, {}};
  const Expect mismatch_temps{Out::kOk, Out::kOk, Out::kMismatch, {}};

  // ---- hand-written expectations (§5) --------------------------------------
  run("magic 'ZIPX'", set(3, 1, 'X'), corrupt_on_open);
  run("magic all zero", set(0, 4, 0), corrupt_on_open);
  run("magic of a structure 'ZIPS'", set(3, 1, 'S'), corrupt_on_open);
  run("format_version 2", set(4, 2, 2), Expect{Out::kVersion, {}, {}, {}});
  run("format_version 0", set(4, 2, 0), Expect{Out::kVersion, {}, {}, {}});
  run("format_version 0xFFFF", set(4, 2, 0xFFFF), Expect{Out::kVersion, {}, {}, {}});
  run("header_size 64", set(6, 2, 64), corrupt_on_open);
  run("header_size 0", set(6, 2, 0), corrupt_on_open);
  for (std::uint64_t v : {std::uint64_t{0}, S - 1, S + 1, S - 64, kMax64}) {
    run("segment_size " + std::to_string(v), set(8, 8, v), corrupt_on_open);
  }
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{127}}) {
    run("file of " + std::to_string(n) + " bytes", [n](Bytes& b) { b.resize(n); }, corrupt_on_open);
  }
  run("file of 128 bytes (header only)", [](Bytes& b) { b.resize(128); }, corrupt_on_open);
  run("file of 128 bytes claiming 128", [](Bytes& b) { b.resize(128); put(b, 8, 8, 128); }, corrupt_on_open);
  run("file truncated by one byte", [](Bytes& b) { b.pop_back(); }, corrupt_on_open);
  run("file extended by one byte", [](Bytes& b) { b.push_back(0); }, corrupt_on_open);
  run("file extended by a page", [](Bytes& b) { b.resize(b.size() + 4096, 0xEE); }, corrupt_on_open);
  run("file truncated to its data, segment_size fixed up, heap full",
      [&](Bytes& b) { b.resize(cursor); put(b, 8, 8, cursor); },
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kSegmentFull});
  run("file truncated inside the heap, segment_size fixed up",
      [&](Bytes& b) { b.resize(2048); put(b, 8, 8, 2048); put(b, 72, 8, 2048); },
      Expect{Out::kOk, Out::kCorrupt, {}, {}});
  run("file of exactly data_offset bytes, consistent",
      [&](Bytes& b) { b.resize(D); put(b, 8, 8, D); put(b, 72, 8, D); },
      Expect{Out::kOk, Out::kCorrupt, {}, {}});
  // table_offset: overlapping the header or the attach slots, unaligned, past the end.
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{64}, std::uint64_t{128}, std::uint64_t{1088},
                          std::uint64_t{1153}, std::uint64_t{1216}, S, S + 64, kMax64 - 63, kMax64}) {
    run("table_offset " + std::to_string(v), set(16, 8, v), corrupt_on_open);
  }
  run("table_offset 128 with attach_capacity 0 (valid, empty table)",
      [](Bytes& b) { put(b, 16, 8, 128); put(b, 28, 4, 0); }, Expect{Out::kOk, Out::kOk, Out::kNotFound, {}});
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{9}, std::uint64_t{65536}, std::uint64_t{65537},
                          std::uint64_t{0xFFFFFFFF}}) {
    run("table_capacity " + std::to_string(v), set(24, 4, v), corrupt_on_open);
  }
  run("table_capacity 4 < table_count 5", set(24, 4, 4), corrupt_on_open);
  for (std::uint64_t v : {std::uint64_t{65}, std::uint64_t{4096}, std::uint64_t{4097}, std::uint64_t{0xFFFFFFFF}}) {
    run("attach_capacity " + std::to_string(v), set(28, 4, v), corrupt_on_open);
  }
  run("attach_capacity 0 (valid: attaches are not recorded)", set(28, 4, 0), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{64}, std::uint64_t{1152},
                          std::uint64_t{1600}, D + 1, S + 64, kMax64 - 63, kMax64}) {
    run("data_offset " + std::to_string(v), set(32, 8, v), corrupt_on_open);
  }
  run("data_offset = alloc_cursor = segment_size: entries below the heap",
      [&](Bytes& b) { put(b, 32, 8, S); put(b, 72, 8, S); }, Expect{Out::kOk, Out::kCorrupt, {}, {}});
  for (std::uint64_t v : {std::uint64_t{9}, std::uint64_t{65536}, std::uint64_t{0xFFFFFFFF}}) {
    run("table_count " + std::to_string(v) + " > capacity", set(68, 4, v), corrupt_on_open);
  }
  run("table_count 0 (valid, nothing listed)", set(68, 4, 0), Expect{Out::kOk, Out::kOk, Out::kNotFound, {}});
  run("table_count 8 = capacity (valid, table full)", set(68, 4, 8),
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kTableFull});
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{64}, D - 64, S + 1, S + 64, kMax64 - 63, kMax64}) {
    run("alloc_cursor " + std::to_string(v) + " outside the heap", set(72, 8, v), corrupt_on_open);
  }
  run("alloc_cursor unaligned", set(72, 8, cursor + 1), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kCorrupt});
  run("alloc_cursor = segment_size (heap full)", set(72, 8, S), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kSegmentFull});
  run("alloc_cursor = data_offset (would overlap every entry)", set(72, 8, D));
  // The lock word (§3.2): a live holder is a Timeout, a dead one is taken over.
  run("table_lock held by a live key", set(64, 4, kLiveKey), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kTimeout});
  run("table_lock held by this process's key", set(64, 4, my_key),
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kTimeout});
  run("table_lock held by a live key | waiters", set(64, 4, 0x80000000u | kLiveKey),
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kTimeout});
  run("table_lock: a live process's pid, no live key (a pid is no identity)",
      [&](Bytes& b) { put(b, 64, 4, 1); put(b, 80, 8, 1); },
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("table_lock held by a key nobody holds", set(64, 4, 0x7FFFFFFFu),
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("table_lock = waiters bit only", set(64, 4, 0x80000000u), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("table_lock = 0xFFFFFFFF", set(64, 4, 0xFFFFFFFFu), Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("dead lock holder with a RESERVED entry to roll back",
      [&](Bytes& b) { put(b, 64, 4, 0x7FFFFFF0u); put(b, e0 + 64 * 4 + 48, 4, 1); },
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("dead lock holder, RESERVED entry beyond table_count at alloc_cursor",
      [&](Bytes& b) {
        put(b, 64, 4, 0x7FFFFFF0u);
        const std::uint64_t e5 = e0 + 64 * 5;
        std::memcpy(b.data() + e5, "half", 5);
        put(b, e5 + 32, 8, cursor);
        put(b, e5 + 40, 8, 128);
        put(b, e5 + 48, 4, 1);
        put(b, 72, 8, cursor + 128);
      },
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});
  run("dead lock holder, RESERVED entry beyond table_count with a wild offset",
      [&](Bytes& b) {
        put(b, 64, 4, 0x7FFFFFF0u);
        const std::uint64_t e5 = e0 + 64 * 5;
        put(b, e5 + 32, 8, kMax64 - 63);
        put(b, e5 + 40, 8, kMax64);
        put(b, e5 + 48, 4, 1);
      });
  // Attach slots full of live processes: the attach is counted as overflow.
  run("every attach slot held by live pid 1", [&](Bytes& b) {
    for (std::uint64_t i = 0; i < 64; ++i) put(b, 128 + 16 * i, 4, 1);
  });
  run("every attach slot held by dead pids", [&](Bytes& b) {
    for (std::uint64_t i = 0; i < 64; ++i) {
      put(b, 128 + 16 * i, 4, 0x7FFFFF00u + i);
      put(b, 128 + 16 * i + 8, 8, kMax64 - i);
    }
  });
  run("attach slots with pids >= 2^31", [&](Bytes& b) {
    for (std::uint64_t i = 0; i < 64; ++i) put(b, 128 + 16 * i, 4, 0x80000000u + i);
  });

  // ---- table entry 0 ("temps") ----------------------------------------------
  run("entry offset + size overflows 64 bits",
      [&](Bytes& b) { put(b, e0 + 32, 8, kMax64 - 63); put(b, e0 + 40, 8, 128); }, corrupt_in_entries);
  run("entry size wraps offset + size to 0", set(e0 + 40, 8, 0 - s0), corrupt_in_entries);
  run("entry size = 2^64 - 1", set(e0 + 40, 8, kMax64), corrupt_in_entries);
  run("entry offset = segment_size", set(e0 + 32, 8, S), corrupt_in_entries);
  run("entry offset + size = segment_size + 64", set(e0 + 32, 8, S - 64), corrupt_in_entries);
  run("entry size past the end", set(e0 + 40, 8, S - s0 + 64), corrupt_in_entries);
  run("entry ends exactly at segment_size (valid)",
      [&](Bytes& b) { put(b, e0 + 40, 8, S - s0); }, Expect{Out::kOk, Out::kOk, Out::kOk, {}});
  run("entry offset unaligned", set(e0 + 32, 8, s0 + 1), corrupt_in_entries);
  run("entry offset inside the table", set(e0 + 32, 8, 1152), corrupt_in_entries);
  run("entry offset 0 (the header)", set(e0 + 32, 8, 0), corrupt_in_entries);
  run("entry size 0", set(e0 + 40, 8, 0), corrupt_in_entries);
  run("entry size 63", set(e0 + 40, 8, 63), corrupt_in_entries);
  run("entry size 64 < total_size", set(e0 + 40, 8, 64), corrupt_temps);
  run("entry name without NUL", [&](Bytes& b) { std::memset(b.data() + e0, 'A', 32); }, corrupt_in_entries);
  run("entry name 'temps' without NUL",
      [&](Bytes& b) { std::memset(b.data() + e0 + 5, 'B', 27); }, Expect{Out::kOk, Out::kCorrupt, Out::kNotFound, {}});
  run("entry name empty but READY", [&](Bytes& b) { std::memset(b.data() + e0, 0, 32); },
      Expect{Out::kOk, Out::kCorrupt, Out::kNotFound, {}});
  run("entry name with control bytes", [&](Bytes& b) { b[e0 + 1] = 0x01; b[e0 + 2] = 0xFF; });
  run("entry name of 31 bytes", [&](Bytes& b) { std::memset(b.data() + e0, 'n', 31); b[e0 + 31] = 0; });
  run("two READY entries named 'temps'", [&](Bytes& b) { std::memcpy(b.data() + e0 + 64, "temps", 6); });
  run("two entries sharing one region", [&](Bytes& b) { put(b, e0 + 64 + 32, 8, s0); });
  for (std::uint64_t st : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{3}, std::uint64_t{0xFFFFFFFF}}) {
    run("entry state " + std::to_string(st) + " (not READY: invisible)", set(e0 + 48, 4, st),
        Expect{Out::kOk, Out::kOk, Out::kNotFound, {}});
  }
  run("entry state FREE keeps a reusable region", set(e0 + 48, 4, 0),
      Expect{Out::kOk, Out::kOk, Out::kNotFound, Out::kOk});
  run("entry state FREE with a region past the cursor",
      [&](Bytes& b) { put(b, e0 + 48, 4, 0); put(b, e0 + 40, 8, kMax64 - 64); });
  run("entry state FREE with a wild offset",
      [&](Bytes& b) { put(b, e0 + 48, 4, 0); put(b, e0 + 32, 8, kMax64 - 63); put(b, e0 + 40, 8, 4096); });
  run("READY entry beyond table_count (invisible)",
      [&](Bytes& b) {
        const std::uint64_t e7 = e0 + 64 * 7;
        std::memcpy(b.data() + e7, "ghost", 6);
        put(b, e7 + 32, 8, kMax64 - 63);
        put(b, e7 + 40, 8, 64);
        put(b, e7 + 48, 4, 2);
      },
      Expect{Out::kOk, Out::kOk, Out::kOk, Out::kOk});

  // ---- structure header of "temps" (§6, §7.1) -------------------------------
  run("structure magic wrong", set(s0 + 3, 1, 'Q'), corrupt_temps);
  run("structure magic zero", set(s0, 4, 0), corrupt_temps);
  for (std::uint64_t k : {std::uint64_t{0}, std::uint64_t{2}, std::uint64_t{11}, std::uint64_t{12},
                          std::uint64_t{0xFFFF}}) {
    run("structure kind " + std::to_string(k), set(s0 + 4, 2, k), mismatch_temps);
  }
  for (std::uint64_t v : {std::uint64_t{1}, std::uint64_t{6}, std::uint64_t{0xFFFF}}) {
    run("structure variant " + std::to_string(v), set(s0 + 6, 2, v), mismatch_temps);
  }
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{2}, std::uint64_t{0xFFFF}}) {
    run("structure layout_version " + std::to_string(v), set(s0 + 12, 2, v),
        Expect{Out::kOk, Out::kOk, Out::kVersion, {}});
  }
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{8}, std::uint64_t{0xFFFFFFFF}}) {
    run("structure element_size " + std::to_string(v), set(s0 + 8, 4, v), mismatch_temps);
  }
  run("structure dtype f64 for a float array", set(s0 + 14, 1, 10), mismatch_temps);
  run("structure dtype 0 (opaque: accepted)", set(s0 + 14, 1, 0), Expect{Out::kOk, Out::kOk, Out::kOk, {}});
  run("structure dtype 0xFF", set(s0 + 14, 1, 0xFF), mismatch_temps);
  run("structure capacity 0", set(s0 + 16, 8, 0), corrupt_temps);
  run("structure capacity 11 (total_size stale)", set(s0 + 16, 8, 11), corrupt_temps);
  run("structure capacity 2^62 (total overflows)", set(s0 + 16, 8, std::uint64_t{1} << 62), corrupt_temps);
  run("structure capacity 2^64-1", set(s0 + 16, 8, kMax64), corrupt_temps);
  run("structure capacity/total_size consistent, larger than the entry",
      [&](Bytes& b) { put(b, s0 + 16, 8, 17); put(b, s0 + 24, 8, 64 + 17 * 4); }, corrupt_temps);
  run("structure capacity/total_size consistent, fill the entry (valid)",
      [&](Bytes& b) { put(b, s0 + 16, 8, 16); put(b, s0 + 24, 8, 64 + 16 * 4); },
      Expect{Out::kOk, Out::kOk, Out::kOk, {}});
  run("structure capacity huge with a wrapped total_size",
      [&](Bytes& b) {
        const std::uint64_t cap = (std::uint64_t{1} << 62) + 1;  // 64 + cap*4 wraps to 68
        put(b, s0 + 16, 8, cap);
        put(b, s0 + 24, 8, 64 + cap * 4);
      },
      corrupt_temps);
  for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{64}, std::uint64_t{103}, std::uint64_t{105},
                          std::uint64_t{128}, kMax64}) {
    run("structure total_size " + std::to_string(v), set(s0 + 24, 8, v), corrupt_temps);
  }
  run("structure kind-specific bytes set (ignored)", set(s0 + 40, 8, kMax64),
      Expect{Out::kOk, Out::kOk, Out::kOk, {}});

  // ---- every field x every interesting value, expectations from the model ----
  std::vector<Field> fields = header_fields();
  for (std::uint32_t i = 0; i < kCapacity; ++i) {
    for (auto& f : entry_fields(i)) fields.push_back(f);
  }
  for (std::uint32_t i = 0; i < 5; ++i) {
    for (auto& f : struct_fields(struct_offset(i), std::string("struct '") + kNames[i] + "'")) {
      fields.push_back(f);
    }
  }
  for (const Field& f : fields) {
    const std::uint64_t orig = get(base_, f.offset, f.width);
    for (std::uint64_t v : interesting_values(orig, f.width)) {
      // A lock word naming a live process costs the full patience: a few suffice (above).
      if (f.offset == 64 && v != 0 && v != orig &&
          ((v & 0x7fffffffu) == my_key || (v & 0x7fffffffu) == kLiveKey)) {
        continue;
      }
      run(f.label + " = " + std::to_string(v), set(f.offset, f.width, v));
    }
  }
  std::printf("[ fuzz     ] adversarial: %d cases, %d opened, %d listed, %d arrays opened, "
              "%d created, %d timeouts\n",
              stats.cases, stats.opened, stats.listed, stats.arrays_opened, stats.created, stats.timeouts);
}

TEST_F(SegmentFuzz, RandomMutationsNeverCrash) {
  constexpr int kIterations = 3000;
  CrashContext crash;
  Stats stats;
  Rng rng(0x5EED'2024'0001ull);
  const std::string name = scratch_.str();
  std::vector<Field> fields = header_fields();
  for (std::uint32_t i = 0; i < kCapacity; ++i) {
    for (auto& f : entry_fields(i)) fields.push_back(f);
  }
  for (std::uint32_t i = 0; i < 5; ++i) {
    for (auto& f : struct_fields(struct_offset(i), std::string("struct '") + kNames[i] + "'")) {
      fields.push_back(f);
    }
  }
  const std::uint64_t meta_end = get(base_, 72, 8);  // header, slots, table and structures
  const auto me = static_cast<std::uint32_t>(::getpid());
  const std::uint32_t my_key = zeroipc::detail::self_key();

  auto random_bytes = [&](Bytes& b, std::uint64_t lo, std::uint64_t hi, std::string& what) {
    if (b.empty()) return;
    hi = std::min<std::uint64_t>(hi, b.size());
    if (lo >= hi) return;
    const std::uint64_t start = rng.in(lo, hi - 1);
    const std::uint64_t len = rng.in(1, std::min<std::uint64_t>(16, hi - start));
    for (std::uint64_t i = 0; i < len; ++i) b[start + i] = static_cast<unsigned char>(rng.next());
    what += " bytes[" + std::to_string(start) + "+" + std::to_string(len) + "]";
  };

  auto mutate_once = [&](Bytes& b, std::string& what, int kind) {
    switch (kind) {
      case 0:  // anywhere in the header
        random_bytes(b, 0, 128, what);
        break;
      case 1:  // the mutable line: lock, count, cursor, generation...
        random_bytes(b, 68, 128, what);
        break;
      case 2: {  // attach slots
        if (rng.coin()) {
          random_bytes(b, 128, 1152, what);
        } else {
          const std::uint64_t n = rng.in(1, 64);
          for (std::uint64_t k = 0; k < n; ++k) {
            const std::uint64_t slot = 128 + 16 * rng.in(0, 63);
            const std::uint32_t pids[] = {1, me, 0x7FFFFFF0u, 0xFFFFFFFFu, 0,
                                          static_cast<std::uint32_t>(rng.next())};
            const std::uint32_t keys[] = {my_key, kLiveKey, 0, 0x7FFFFFFFu, static_cast<std::uint32_t>(rng.next())};
            put(b, slot, 4, pids[rng.in(0, 5)]);
            put(b, slot + 4, 4, keys[rng.in(0, 4)]);
            put(b, slot + 8, 8, rng.coin() ? 0 : rng.next());
          }
          what += " " + std::to_string(n) + " attach slots";
        }
        break;
      }
      case 3:  // the name table
        random_bytes(b, 1152, 1152 + 64 * kCapacity, what);
        break;
      case 4: {  // a structure header
        const std::uint64_t s = struct_offset(static_cast<std::uint32_t>(rng.in(0, 4)));
        random_bytes(b, s, s + 64, what);
        break;
      }
      case 5: {  // a field set to an interesting or random value
        const Field& f = fields[rng.in(0, fields.size() - 1)];
        if (f.offset + f.width > b.size()) break;
        const std::uint64_t orig = get(b, f.offset, f.width);
        const auto vals = interesting_values(orig, f.width);
        std::uint64_t v = rng.in(0, 3) == 0 ? (rng.next() & width_max(f.width)) : vals[rng.in(0, vals.size() - 1)];
        if (f.offset == 64 && rng.in(0, 3) != 0) v = 0;  // keep lock waits rare: they cost 20-50 ms
        put(b, f.offset, f.width, v);
        what += " " + f.label + "=" + std::to_string(v);
        break;
      }
      case 6: {  // file size
        static const std::uint64_t kSizes[] = {0, 1, 127, 128, 1152, 1664, kSize - 1, kSize + 1};
        const std::uint64_t n = rng.coin() ? kSizes[rng.in(0, 7)] : rng.in(0, kSize + 8192);
        const std::size_t old = b.size();
        b.resize(n);
        if (n > old && rng.coin()) {
          for (std::size_t i = old; i < n; ++i) b[i] = static_cast<unsigned char>(rng.next());
        }
        if (n >= 128 && rng.coin()) {
          put(b, 8, 8, n);  // consistent segment_size: get past §5.3
          if (get(b, 72, 8) > n) put(b, 72, 8, n & ~std::uint64_t{63});
        }
        what += " size=" + std::to_string(n);
        break;
      }
      case 7: {  // bit flips in the metadata
        const std::uint64_t n = rng.in(1, 8);
        const std::uint64_t hi = std::min<std::uint64_t>(meta_end, b.size());
        for (std::uint64_t k = 0; k < n && hi > 0; ++k) {
          const std::uint64_t at = rng.in(0, hi - 1);
          if (at >= 64 && at < 68) continue;  // lock word: see case 5
          b[at] ^= static_cast<unsigned char>(1u << rng.in(0, 7));
          what += " flip@" + std::to_string(at);
        }
        break;
      }
      default:  // element bytes
        random_bytes(b, 1664, meta_end, what);
        break;
    }
  };

  int failing = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int it = 0; it < kIterations && failing < 10; ++it) {
    Bytes img = base_;
    std::string what = "random #" + std::to_string(it) + ":";
    const int kind = static_cast<int>(rng.in(0, 9));
    if (kind == 9) {  // several at once
      const std::uint64_t n = rng.in(2, 4);
      for (std::uint64_t k = 0; k < n; ++k) mutate_once(img, what, static_cast<int>(rng.in(0, 8)));
    } else {
      mutate_once(img, what, kind);
    }
    const bool had = ::testing::Test::HasFailure();
    exercise(name, img, what, Expect{}, stats);
    if (!had && ::testing::Test::HasFailure()) ++failing;
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("[ fuzz     ] random: %d cases in %.2f s, %d opened, %d listed, %d arrays opened, "
              "%d created, %d timeouts\n",
              stats.cases, secs, stats.opened, stats.listed, stats.arrays_opened, stats.created,
              stats.timeouts);
}

}  // namespace
