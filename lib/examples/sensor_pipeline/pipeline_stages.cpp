// Sensor pipeline, process 2: opens the raw stream "celsius" and builds the
// pipeline on it, each stage a named stream that any process can open:
//
//   celsius --map--> fahrenheit --filter--> hot --window(5)--> hot_windows --map--> hot_averages
//
// Every operator runs on a thread of this process, so it stays up until the
// last stage has seen the end of its input. Once the display subscribed to
// "hot_averages" and the tap to "hot", it sets the Future "pipeline_ready"
// that the source waits for.
//
//   pipeline_stages <segment>
#include <chrono>
#include <cstdio>
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
    std::fprintf(stderr, "usage: pipeline_stages <segment>\n");
    return 2;
  }
  const std::string segment = argv[1];

  zeroipc::Memory mem(segment);
  zeroipc::Future<std::uint32_t> ready(mem, pipeline::kReady, zeroipc::open_only);
  ready.claim_producer();  // should this process die first, the source is told, not left waiting
  const zeroipc::Stream<float> celsius(mem, pipeline::kCelsius);

  const auto fahrenheit = celsius.map(mem, pipeline::kFahrenheit, [](float c) { return c * 9.0f / 5.0f + 32.0f; });
  const auto hot = fahrenheit.filter(mem, pipeline::kHot, [](float f) { return f > pipeline::kHotFahrenheit; });
  const auto windows = hot.window<pipeline::kWindow>(mem, pipeline::kHotWindows, pipeline::kWindow);
  const auto averages =
      windows.map(mem, pipeline::kHotAverages, [](const zeroipc::Window<float, pipeline::kWindow>& w) {
        float sum = 0;
        for (const float f : w) sum += f;
        return pipeline::Average{sum / static_cast<float>(w.size()), static_cast<std::uint32_t>(w.size())};
      });
  std::printf("stages (pid %d): ready: %s -> %s -> %s -> %s -> %s\n", static_cast<int>(getpid()),
              pipeline::kCelsius, pipeline::kFahrenheit, pipeline::kHot, pipeline::kHotWindows,
              pipeline::kHotAverages);
  std::fflush(stdout);

  // "hot" has two subscribers: our window operator and the tap.
  if (!averages.wait_for_subscribers(1, 10s) || !hot.wait_for_subscribers(2, 10s)) {
    ready.set_error("the display or the tap did not subscribe within 10 s");
    std::fprintf(stderr, "pipeline_stages: the display or the tap did not subscribe within 10 s\n");
    return 1;
  }
  ready.set_value(1);

  // The last operator finishes once the end of "celsius" has come through every stage.
  if (!averages.wait_operator_for(10s)) {
    std::fprintf(stderr, "pipeline_stages: the pipeline did not finish within 10 s\n");
    return 1;
  }
  std::printf("stages: fahrenheit=%llu hot=%llu windows=%llu averages=%llu\n",
              static_cast<unsigned long long>(fahrenheit.published()),
              static_cast<unsigned long long>(hot.published()), static_cast<unsigned long long>(windows.published()),
              static_cast<unsigned long long>(averages.published()));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "pipeline_stages: %s\n", e.what());
  return 1;
}
