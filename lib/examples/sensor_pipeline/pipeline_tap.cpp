// Sensor pipeline, process 4: taps an intermediate stage by name, "hot" (the
// readings over 100 F, before they are windowed), and counts what goes
// through. It pulls with a Cursor, in its own thread.
//
//   pipeline_tap <segment>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <unistd.h>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "pipeline.h"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipeline_tap <segment>\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);
  const zeroipc::Stream<float> hot(mem, pipeline::kHot);

  auto cursor = hot.cursor();  // subscribed from here on
  std::uint64_t items = 0;
  float lo = 0, hi = 0;
  while (const auto f = cursor.next()) {  // nullopt at the end of the stream
    lo = items == 0 ? *f : std::min(lo, *f);
    hi = items == 0 ? *f : std::max(hi, *f);
    ++items;
  }
  std::printf("tap (pid %d): %llu readings went through '%s', from %.1f F to %.1f F\n", static_cast<int>(getpid()),
              static_cast<unsigned long long>(items), pipeline::kHot, static_cast<double>(lo),
              static_cast<double>(hi));
  std::printf("tap: items=%llu min=%.1f max=%.1f\n", static_cast<unsigned long long>(items),
              static_cast<double>(lo), static_cast<double>(hi));
  return cursor.end_reason() == zeroipc::StreamEnd::closed ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pipeline_tap: %s\n", e.what());
  return 1;
}
