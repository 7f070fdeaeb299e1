// zeroipc/tags.h — constructor tags shared by every structure.
//
//   zeroipc::Future<double> f(mem, "result", zeroipc::open_only);  // open; NotFound if missing
//
// A structure's (mem, name, capacity...) constructor creates the name or
// opens it; its (mem, name) constructor opens it where the structure has a
// capacity to give. Structures whose create constructor takes no capacity
// (Future, Lazy) tell the two apart with this tag rather than a bool.
#pragma once

namespace zeroipc {

/// Open an existing structure only: NotFound if the name is missing,
/// Mismatch if it holds another kind, variant or element type.
struct open_only_t {
  explicit constexpr open_only_t() = default;
};
inline constexpr open_only_t open_only{};

}  // namespace zeroipc
