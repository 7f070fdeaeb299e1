/* atomic.c — 64-bit atomics on shared words (zeroipc.h, "Atomics").
 *
 * Why these exist: a C or C++ process gets atomic read-modify-write
 * instructions from its compiler, but Python (ctypes, NumPy) and other FFI
 * users have no atomic instruction of their own: a NumPy `a[0] += 1` is a
 * plain load and a plain store, and two processes doing it lose increments.
 * These four calls give them the hardware's atomics on a word inside a
 * segment (e.g. an Array<u64> element), the same instructions C++
 * std::atomic_ref<std::uint64_t> uses on that word, so processes of every
 * language can share one counter or one compare-and-swap protocol.
 *
 * All sequentially consistent; the word must be 8-byte aligned (a u64 Array
 * element is). No checks: these are single instructions, called in loops.
 */
#include "zeroipc.h"

uint64_t zeroipc_atomic_load_u64(const uint64_t* word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }

void zeroipc_atomic_store_u64(uint64_t* word, uint64_t value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }

uint64_t zeroipc_atomic_fetch_add_u64(uint64_t* word, uint64_t delta) {
  return __atomic_fetch_add(word, delta, __ATOMIC_SEQ_CST);
}

int zeroipc_atomic_compare_exchange_u64(uint64_t* word, uint64_t* expected, uint64_t desired) {
  /* strong: no spurious failure, so 0 always means *word differed (now in *expected) */
  return __atomic_compare_exchange_n(word, expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 1 : 0;
}
