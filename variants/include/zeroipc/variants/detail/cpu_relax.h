// zeroipc/variants/detail/cpu_relax.h — the spin-wait hint, and how long the
// lock-free queues wait for a slower peer before working around it.
#pragma once

namespace zeroipc::variants::detail {

/// Tells the CPU this is a spin-wait loop (x86 `pause`): the sibling
/// hyperthread gets the pipeline, and leaving the loop does not flush it.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Re-reads a dequeuer makes of a cell whose enqueuer has taken the position
/// (tail is past it) but not yet written it, before invalidating the cell.
/// Invalidating at once makes the enqueuer retry at a new position and, on a
/// near-empty queue, a polling consumer keeps overtaking the producer
/// (Nikolaev's SCQ code waits the same way). Bounded: a preempted or dead
/// enqueuer costs a few microseconds, never a wedge. Its effect here is not
/// established: see the README's Microbenchmarks.
inline constexpr unsigned kSlowEnqueuerSpins = 1024;

}  // namespace zeroipc::variants::detail
