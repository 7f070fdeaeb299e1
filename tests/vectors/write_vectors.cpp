// write_vectors DIR — (re)writes the golden vectors (golden.h) into DIR:
// MANIFEST.txt and one .bin file per segment and structure. Run it when the
// format changes on purpose, and review the diff: every other change of these
// bytes is a bug that golden_test (and the C and Python layout tests) catch.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "golden.h"

namespace {

void write_file(const std::string& path, const void* data, std::size_t n) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_vectors DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  try {
    const auto segments = zeroipc::golden::build("/zeroipc_write_vectors_" + std::to_string(::getpid()));
    for (const auto& seg : segments) {
      write_file(dir + "/" + seg.name + "_segment.bin", seg.bytes.data(), seg.bytes.size());
      for (const auto& s : seg.structures) write_file(dir + "/" + s.name + ".bin", s.bytes.data(), s.bytes.size());
    }
    const std::string text = zeroipc::golden::manifest(segments);
    write_file(dir + "/MANIFEST.txt", text.data(), text.size());
    std::cout << text;
  } catch (const std::exception& e) {
    std::cerr << "write_vectors: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
