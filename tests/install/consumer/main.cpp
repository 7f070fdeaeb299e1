// Uses an installed zeroipc: create a segment, write an Array, open it again by
// name, read it back, unlink. Exit 0 on success.
#include <zeroipc/array.h>
#include <zeroipc/memory.h>

#include <cstdio>
#include <exception>
#include <string>
#include <unistd.h>

int main() {
  const std::string name = "/zeroipc_install_test_" + std::to_string(::getpid());
  int failures = 0;
  try {
    zeroipc::Memory mem(name, 1 << 20);
    zeroipc::Array<float> a(mem, "temperature", 16);
    a[3] = 2.5f;
    zeroipc::Array<float> b(mem, "temperature");
    if (b.size() != 16) {
      std::fprintf(stderr, "size: expected 16, got %zu\n", static_cast<std::size_t>(b.size()));
      ++failures;
    }
    if (b[3] != 2.5f || b.data()[3] != 2.5f) {
      std::fprintf(stderr, "b[3]: expected 2.5, got %g\n", static_cast<double>(b[3]));
      ++failures;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    ++failures;
  }
  try {
    zeroipc::Memory::unlink(name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "unlink: %s\n", e.what());
    ++failures;
  }
  if (failures == 0) std::puts("zeroipc install consumer: ok");
  return failures == 0 ? 0 : 1;
}
