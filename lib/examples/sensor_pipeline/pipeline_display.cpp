// Sensor pipeline, process 3: subscribes to the last stage, "hot_averages",
// and prints the average of each window of hot readings when the stream ends.
//
//   pipeline_display <segment>
#include <cstdio>
#include <exception>
#include <unistd.h>
#include <vector>

#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "pipeline.h"

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipeline_display <segment>\n");
    return 2;
  }
  zeroipc::Memory mem(argv[1]);
  const zeroipc::Stream<pipeline::Average> averages(mem, pipeline::kHotAverages);

  std::vector<pipeline::Average> got;
  auto sub = averages.subscribe([&](const pipeline::Average& a) { got.push_back(a); });  // on a thread here
  sub.wait();  // until the stream ends and everything was delivered
  const bool closed = sub.end_reason() == zeroipc::StreamEnd::closed;

  std::uint32_t readings = 0;
  std::printf("display (pid %d): %zu window averages (F):", static_cast<int>(getpid()), got.size());
  for (const pipeline::Average& a : got) {
    std::printf(" %.1f", static_cast<double>(a.fahrenheit));
    readings += a.count;
  }
  std::printf("\ndisplay: windows=%zu readings=%u last_window=%u end=%s\n", got.size(), readings,
              got.empty() ? 0u : got.back().count, closed ? "closed" : "abnormal");
  return closed ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pipeline_display: %s\n", e.what());
  return 1;
}
