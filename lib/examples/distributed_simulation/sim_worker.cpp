// Distributed simulation, worker i: simulates a damped spring (stiffness
// i + 1) and sets the Future "result.<i>" to its final energy. First it opens
// the Future (or creates it, if the coordinator has not yet) and claims its
// producer role: from then on, should this process die before setting it,
// the coordinator's wait fails at once ("producer died") instead of hanging.
//
//   sim_worker <segment> <index> [--diverge | --crash]
//     --diverge   uses a time step too large for its spring: the energy grows
//                 without bound, and it reports that with set_error()
//     --crash     kills itself (SIGKILL) half way, without setting anything
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <unistd.h>

#include <zeroipc/future.h>
#include <zeroipc/memory.h>

#include "sim.h"

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::fprintf(stderr, "usage: sim_worker <segment> <index> [--diverge | --crash]\n");
    return 2;
  }
  const std::string segment = argv[1];
  const auto index = static_cast<unsigned>(std::strtoul(argv[2], nullptr, 10));
  const std::string mode = argc > 3 ? argv[3] : "";

  zeroipc::Memory mem(segment, sim::kSegmentBytes);  // create, or open the coordinator's
  zeroipc::Future<sim::Outcome> result(mem, sim::result_name(index));
  result.claim_producer();

  const double k = index + 1.0, damping = 0.05;
  const double dt = mode == "--diverge" ? 2.5 / std::sqrt(k) : 1e-3;  // stable only below 2 / sqrt(k)
  constexpr std::uint64_t kSteps = 200'000;
  double x = 1.0, v = 0.0;
  for (std::uint64_t step = 1; step <= kSteps; ++step) {
    v += (-k * x - damping * v) * dt;  // semi-implicit Euler
    x += v * dt;
    const double energy = 0.5 * v * v + 0.5 * k * x * x;
    if (energy > 1e6) {
      char message[128];
      std::snprintf(message, sizeof message, "diverged at step %llu: energy %.3g (time step %.3g too large)",
                    static_cast<unsigned long long>(step), energy, dt);
      result.set_error(message);
      std::printf("worker %u (pid %d): %s\n", index, static_cast<int>(getpid()), message);
      return 0;
    }
    if (mode == "--crash" && step == kSteps / 2) {
      std::printf("worker %u (pid %d): crashing at step %llu (SIGKILL)\n", index, static_cast<int>(getpid()),
                  static_cast<unsigned long long>(step));
      std::fflush(stdout);
      std::raise(SIGKILL);
    }
  }
  const double energy = 0.5 * v * v + 0.5 * k * x * x;
  result.set_value({energy, kSteps, index, 0});
  std::printf("worker %u (pid %d): energy=%.6g after %llu steps\n", index, static_cast<int>(getpid()), energy,
              static_cast<unsigned long long>(kSteps));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "sim_worker: %s\n", e.what());
  return 1;
}
