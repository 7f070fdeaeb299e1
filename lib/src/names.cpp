#include "zeroipc/detail/names.h"

#include <cstdio>

#include "zeroipc/detail/layout.h"
#include "zeroipc/error.h"

namespace zeroipc::detail {

std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c <= 0x7e && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

namespace {

[[noreturn]] void bad_segment_name(std::string_view name, const std::string& why) {
  throw InvalidName("zeroipc: invalid segment name '" + printable(name) + "': " + why +
                    " (expected '/' followed by 1 to " + std::to_string(kMaxSegmentNameLength - 1) +
                    " bytes, none '/' or NUL)");
}

}  // namespace

void check_segment_name_syntax(std::string_view name) {
  auto fail = [&](const std::string& why) { bad_segment_name(name, why); };
  if (name.empty()) fail("it is empty");
  if (name.front() != '/') fail("it does not start with '/'");
  if (name.size() == 1) fail("nothing follows the '/'");
  if (name.size() > kMaxSegmentNameLength) {
    fail("it is " + std::to_string(name.size()) + " bytes long");
  }
  for (char c : name.substr(1)) {
    if (c == '/') fail("it contains a second '/'");
    if (c == '\0') fail("it contains a NUL byte");
  }
}

void check_segment_name(std::string_view name) {
  check_segment_name_syntax(name);
  if (name.substr(1).starts_with(kTempSegmentPrefix)) {
    bad_segment_name(name, "names starting with '/.zeroipc-tmp-' are the temporaries of segments being created");
  }
}

void check_structure_name(std::string_view name) {
  auto fail = [&](const std::string& why) {
    throw InvalidName("zeroipc: invalid structure name '" + printable(name) + "': " + why +
                      " (expected 1 to " + std::to_string(kMaxStructureNameLength) +
                      " printable ASCII bytes)");
  };
  if (name.empty()) fail("it is empty");
  if (name.size() > kMaxStructureNameLength) {
    fail("it is " + std::to_string(name.size()) + " bytes long");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c > 0x7e) fail("it contains the byte " + printable(std::string_view(
                                       reinterpret_cast<const char*>(&c), 1)));
  }
}

}  // namespace zeroipc::detail
