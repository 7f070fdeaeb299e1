// interop_cpp_stack.cpp — interop_cpp's Stack subcommands, through the public C++ API
// (zeroipc/stack.h); the list is in interop_cpp_stack.h.
#include "interop_cpp_stack.h"

#include <cstdint>
#include <optional>
#include <string>

#include <zeroipc/memory.h>
#include <zeroipc/stack.h>
#include <zeroipc/variants/treiber_tagged.h>

#include "interop_cpp_common.h"

namespace interop_stack {
namespace {

using interop::die;
using interop::kSegmentSize;
using interop::number;
using interop::say;
using Stack = zeroipc::Stack<std::uint64_t, zeroipc::variants::treiber_tagged>;

constexpr std::uint64_t kBase = 1000;

}  // namespace

int stack_fill(char** argv) {
  zeroipc::Memory mem(argv[0], kSegmentSize);
  Stack s(mem, argv[1], number(argv[2], "CAPACITY"));
  const std::uint64_t n = number(argv[3], "N");
  for (std::uint64_t k = 0; k < n; ++k) {
    if (!s.push(kBase + k)) die("full after " + std::to_string(k) + " of " + std::to_string(n) + " pushes");
  }
  say("pushed " + std::to_string(n));
  return 0;
}

int stack_drain(char** argv) {
  zeroipc::Memory mem(argv[0]);
  Stack s(mem, argv[1]);
  const std::uint64_t n = number(argv[2], "N");
  for (std::uint64_t k = 0; k < n; ++k) {
    const std::optional<std::uint64_t> v = s.pop();
    const std::uint64_t want = kBase + n - 1 - k;
    if (!v) die("empty after " + std::to_string(k) + " of " + std::to_string(n) + " pops");
    if (*v != want) die("pop " + std::to_string(k) + " gave " + std::to_string(*v) + ", expected " + std::to_string(want));
  }
  if (const auto extra = s.pop()) die("an extra value " + std::to_string(*extra) + " after " + std::to_string(n));
  say("popped " + std::to_string(n) + " in LIFO order");
  return 0;
}

}  // namespace interop_stack
