// describe_parts.h — what describe.cpp and describe_kinds.cpp share: reading
// fields by name, liveness answers cached per key, and the context a kind's
// decoder fills. Internal to zeroipc-inspect.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "describe.h"
#include "layouts.h"
#include "read_only_segment.h"
#include "zeroipc/detail/layout.h"
#include "zeroipc/variants/detail/liveness.h"

namespace zeroipc::inspect::parts {

using detail::StructHeader;

/// A field that could not be read: the file shrank under the mapping.
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads the fields of one layout at `base` in the segment, by name.
class Fields {
 public:
  Fields(const ReadOnlySegment& seg, std::uint64_t base, const Layout& layout)
      : seg_(seg), base_(base), layout_(layout) {}

  std::uint64_t u64(std::string_view name, std::uint64_t i = 0, std::string_view part = {}) const {
    return need(seg_.u64(base_ + layout_.at(name, i, part)), name);
  }
  std::uint32_t u32(std::string_view name, std::uint64_t i = 0, std::string_view part = {}) const {
    return need(seg_.u32(base_ + layout_.at(name, i, part)), name);
  }
  std::string bytes(std::string_view name, std::uint64_t length, std::uint64_t i = 0, std::string_view part = {}) const {
    std::string out(length, '\0');
    if (!seg_.copy(base_ + layout_.at(name, i, part), out.data(), length)) throw Unreadable(std::string(name));
    return out;
  }
  [[nodiscard]] const Layout& layout() const noexcept { return layout_; }
  [[nodiscard]] const ReadOnlySegment& segment() const noexcept { return seg_; }
  [[nodiscard]] std::uint64_t base() const noexcept { return base_; }

 private:
  template <class T>
  static T need(std::optional<T> v, std::string_view name) {
    if (!v) throw Unreadable(std::string(name));
    return *v;
  }
  const ReadOnlySegment& seg_;
  std::uint64_t base_;
  const Layout& layout_;
};

// Liveness answers, cached per key for one description (a pool may name the same key a million times).
class Owners {
 public:
  explicit Owners(const ReadOnlySegment& seg) : seg_(seg) {}
  Alive alive(std::uint32_t key) {
    key &= detail::kOwnerKeyMask;
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    return cache_[key] = seg_.owner(key);
  }
  json owner(std::string role, std::uint32_t key, std::uint64_t pid) {
    json o;
    o["role"] = std::move(role);
    o["pid"] = pid;
    o["key"] = key & detail::kOwnerKeyMask;
    o["alive"] = alive_text(alive(key));
    return o;
  }

 private:
  const ReadOnlySegment& seg_;
  std::map<std::uint32_t, Alive> cache_;
};

// An owner lock word (§3.2) and the pid written beside it.
inline json lock_json(std::uint32_t word, std::uint64_t pid, Owners& owners) {
  json l;
  const std::uint32_t key = word & detail::kOwnerKeyMask;
  l["held"] = key != 0;
  if (key != 0) {
    l["holder_key"] = key;
    l["holder_pid"] = pid;
    l["holder_alive"] = alive_text(owners.alive(key));
  }
  l["waiters"] = (word & detail::kLockWaitersBit) != 0;
  return l;
}

inline std::string lock_text(const json& l) {
  if (!l["held"].get<bool>()) return "free";
  return "held by pid " + std::to_string(l["holder_pid"].get<std::uint64_t>()) + " (" +
         l["holder_alive"].get<std::string>() + ")";
}

/// Opaque elements are shown as hex, at most this many bytes of each.
inline constexpr std::uint64_t kMaxShownBytes = 64;

// One element decoded by dtype (§6.3); opaque bytes as hex (cut at kMaxShownBytes, marked "…").
json element_json(const std::string& b, std::uint8_t dtype, std::uint64_t full_size);

inline std::string pct(std::uint64_t n, std::uint64_t of) {
  if (of == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, " (%.0f%%)", 100.0 * static_cast<double>(n) / static_cast<double>(of));
  return buf;
}

struct Ctx {
  Fields& fields;
  const StructHeader& h;
  Owners& owners;
  json& out;  // the structure's object
  const DescribeOptions& options;
  /// Breaks the format: the structure is reported corrupt.
  void problem(std::string what) { out["problems"].push_back(std::move(what)); }
  /// A state the format allows but a user should know about (what a crash left behind).
  void note(std::string what) { out["notes"].push_back(std::move(what)); }
};

/// Fills c.out with the kind-specific part (fill, state, counters, owners) of a
/// structure whose common header checked out; throws Unreadable when a field cannot be read.
void describe_body(Ctx& c);

}  // namespace zeroipc::inspect::parts
