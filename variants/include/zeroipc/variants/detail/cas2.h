// zeroipc/variants/detail/cas2.h — the 16-byte compare-and-swap that lcrq's
// CRQ cells and scq's direct cells are updated with (x86-64 cmpxchg16b).
#pragma once

#include <cstdint>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace zeroipc::variants::detail {

__extension__ typedef unsigned __int128 u128;

/// 16-byte compare-and-swap of {word, value} at `cell` (16-byte aligned):
/// word at cell[0], value at cell[1]. Sequentially consistent (a locked
/// instruction: a full barrier). The target attribute lets g++ emit lock
/// cmpxchg16b without -mcx16 for the whole program.
#if defined(__x86_64__)
__attribute__((target("cx16")))
#endif
inline bool cas2(std::uint64_t* cell, std::uint64_t old_word, std::uint64_t old_value, std::uint64_t new_word,
                 std::uint64_t new_value) noexcept {
#if defined(__x86_64__) && defined(__SANITIZE_THREAD__)
  // ThreadSanitizer emulates 128-bit atomics: a compare and a plain store
  // under a spin mutex of its own process ("Protects emulation of 128-bit
  // atomic operations", tsan_interface_atomic.cpp), which is not atomic
  // against another process's 8-byte RMWs on the same word. A TSan run of
  // Built/Exchange.../zeroipc_scq_request_reply_8B hung with a cell that had
  // lost an update: a message behind head. Under TSan the instruction is
  // written out, as a Release build emits it. TSan does not see it, so it is
  // told what the locked instruction orders between threads of one process:
  // a release of what came before (the 8-byte loads of the word, atomic_ref,
  // acquire from the same address) and an acquire of what other CASes released.
  __tsan_release(cell);
  bool swapped;
  __asm__ __volatile__("lock cmpxchg16b %1"
                       : "=@ccz"(swapped), "+m"(*reinterpret_cast<volatile u128*>(cell)), "+a"(old_word),
                         "+d"(old_value)
                       : "b"(new_word), "c"(new_value)
                       : "memory");
  __tsan_acquire(cell);
  return swapped;
#else
  const u128 expected = (static_cast<u128>(old_value) << 64) | old_word;
  const u128 desired = (static_cast<u128>(new_value) << 64) | new_word;
  return __sync_bool_compare_and_swap(reinterpret_cast<u128*>(cell), expected, desired);
#endif
}

}  // namespace zeroipc::variants::detail
