// Sensor pipeline, process 1: emits raw temperature readings (Celsius) on the
// stream "celsius". It creates the segment and the stream, then waits for the
// Future "pipeline_ready" before emitting: the stages set it once everything
// downstream has subscribed, since a subscriber only sees what is emitted
// after it subscribed.
//
//   pipeline_source <segment> [readings]     default: 100 readings, 0 C, 1 C, 2 C, ...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/future.h>
#include <zeroipc/memory.h>
#include <zeroipc/stream.h>

#include "pipeline.h"

using namespace std::chrono_literals;

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: pipeline_source <segment> [readings]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const std::size_t readings = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 100;

  zeroipc::Memory mem(segment, pipeline::kSegmentBytes);
  zeroipc::Stream<float> celsius(mem, pipeline::kCelsius, 256);
  const zeroipc::Future<std::uint32_t> ready(mem, pipeline::kReady);
  std::printf("source (pid %d): ready: '%s' waits for '%s'\n", static_cast<int>(getpid()), pipeline::kCelsius,
              pipeline::kReady);
  std::fflush(stdout);

  // Throws FutureError if the stages set an error, or died after claiming it.
  if (!ready.get_for(10s)) {
    std::fprintf(stderr, "pipeline_source: the pipeline was not ready after 10 s\n");
    zeroipc::Memory::unlink(segment);
    return 1;
  }
  // Every process of the pipeline has the segment mapped now: remove its name.
  // The memory lives until the last of them unmaps it, whatever happens next.
  zeroipc::Memory::unlink(segment);

  for (std::size_t i = 0; i < readings; ++i) celsius.emit(static_cast<float>(i));
  celsius.close();  // the end flows down the pipeline: each stage drains, then ends
  std::printf("source: emitted=%zu readings (0 C to %zu C) and closed '%s'\n", readings, readings - 1,
              pipeline::kCelsius);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pipeline_source: %s\n", e.what());
  return 1;
}
