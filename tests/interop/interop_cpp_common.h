// interop_cpp_common.h — what interop_cpp's source files (interop_cpp.cpp, interop_cpp_map.cpp)
// share: the size of the segments its subcommands create, the failure a subcommand throws (main
// prints it as "interop_cpp <command>: error: <message>" and exits 1), the one result line on
// stdout, and the parsing of a numeric argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

namespace interop {

/// The size of a segment a subcommand creates (the Python tests' CPP_SEGMENT_SIZE).
inline constexpr std::size_t kSegmentSize = std::size_t{4} << 20;

/// Thrown for a failed check; main prints it.
struct Failure : std::exception {
  explicit Failure(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
  std::string message;
};

[[noreturn]] inline void die(const std::string& message) { throw Failure(message); }

/// Prints a result line on stdout, flushed at once (a driver may be waiting for it).
inline void say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

/// The argument `text` as an unsigned number (strtoull base 0: decimal, 0x hex, 0 octal);
/// Failure "<what>: missing" or "<what>: '<text>' is not a number".
inline std::uint64_t number(const char* text, const char* what) {
  char* end = nullptr;
  if (text == nullptr || *text == '\0') die(std::string(what) + ": missing");
  const unsigned long long v = std::strtoull(text, &end, 0);
  if (*end != '\0') die(std::string(what) + ": '" + text + "' is not a number");
  return v;
}

}  // namespace interop
