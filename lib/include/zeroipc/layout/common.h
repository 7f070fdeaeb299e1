/* zeroipc/layout/common.h — what every zeroipc layout header shares: the
 * conventions of SPECIFICATION.md (the introduction and §1), the assert
 * macro, and the size arithmetic the specification uses (align8, align64,
 * bit_ceil, the queue ring size R), written in portable C99.
 *
 * How to use the layout headers (the files of zeroipc/layout/):
 *
 * - Each struct is the exact bytes of one part of the format, laid over the
 *   mapped segment at the offset the specification gives (offsets are from
 *   the start of the segment, or of the structure, never pointers). Every
 *   field's offset and every struct's size is checked at compile time with
 *   ZEROIPC_LAYOUT_ASSERT, citing the section that defines it.
 * - The structs are plain data: fixed-width integers, char arrays, and
 *   explicit `reserved` byte arrays wherever the specification leaves a gap,
 *   so that no compiler inserts padding of its own. The format is
 *   little-endian; these headers describe it as the host sees it, so they
 *   are for little-endian hosts (every host zeroipc runs on).
 * - No field has an atomic type. A field the specification marks "atomic"
 *   must still only be read and written atomically, at its natural
 *   alignment: from C with the GCC/Clang builtins (__atomic_load_n,
 *   __atomic_store_n, __atomic_compare_exchange_n, __atomic_fetch_add, ...;
 *   the 16-byte lcrq cell with a 16-byte compare-and-swap), from C++ with
 *   std::atomic_ref (zeroipc/detail/layout.h, atomic_of()). The comments of
 *   each header say which fields are atomic.
 * - Variable-length parts (cells, slots, nodes, elements, tables) are not
 *   struct members: each has a fixed-size header struct where it has one,
 *   and ZEROIPC_..._OFFSET constants or static inline offset functions give
 *   where it lies. The functions compute exactly the specification's
 *   formulas; the *_body_size and *_total_size functions return 0 when the
 *   specification does not allow the arguments (a capacity out of range, an
 *   element size of 0) or when the result would not fit in 64 bits, so a
 *   reader can check an untrusted header with them (§5, §6). The other
 *   offset functions (of a slot, a cell, a node, ...) expect arguments that
 *   have passed that check (a capacity the structure allows, an index below
 *   it) and do not check them again.
 * - In C the functions are `static inline`; in C++14 and later they are also
 *   `constexpr` (ZEROIPC_LAYOUT_FN), so C++ can check them with static_assert.
 * - Reserved bytes are written as zero and ignored by readers (version 1).
 */
#ifndef ZEROIPC_LAYOUT_COMMON_H
#define ZEROIPC_LAYOUT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "zeroipc/layout/assert.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the offset functions are declared: `static inline` in C; in C++14
 *  and later also `constexpr`, so C++ code (and the tests) can use them in
 *  constant expressions and check them with static_assert. */
#if defined(__cplusplus) && __cplusplus >= 201402L
#define ZEROIPC_LAYOUT_FN static constexpr inline
#else
#define ZEROIPC_LAYOUT_FN static inline
#endif

/** One cache line: every structure, and every hot word, starts on one (the "Alignment rule" of the conventions). */
#define ZEROIPC_CACHE_LINE 64u

/** The common structure header's size: every structure's body starts here (§6). */
#define ZEROIPC_STRUCT_HEADER_SIZE 64u

/** align8(x) = (x + 7) & ~7; the caller keeps x below 2^64 - 7. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_align8(uint64_t x) { return (x + 7u) & ~UINT64_C(7); }

/** align64(x) = (x + 63) & ~63 (the introduction of the specification); x below 2^64 - 63. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_align64(uint64_t x) { return (x + 63u) & ~UINT64_C(63); }

/** bit_ceil(x): the least power of two >= x (1 for x = 0 or 1, as C++20's
 *  std::bit_ceil); 0 when that is not representable (x > 2^63). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_bit_ceil(uint64_t x) {
  if (x <= 1u) return 1u;
  if (x > (UINT64_C(1) << 63)) return 0u;
  x -= 1u;
  x |= x >> 1;
  x |= x >> 2;
  x |= x >> 4;
  x |= x >> 8;
  x |= x >> 16;
  x |= x >> 32;
  return x + 1u;
}

/** Whether x is a power of two (and not 0). */
ZEROIPC_LAYOUT_FN int zeroipc_is_pow2(uint64_t x) { return x != 0u && (x & (x - 1u)) == 0u; }

/** a * b + c, or 0 when it does not fit in 64 bits. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_mul_add_or_zero(uint64_t a, uint64_t b, uint64_t c) {
  if (b != 0u && a > (UINT64_MAX - c) / b) return 0u;
  return a * b + c;
}

/** A body size plus the 64-byte common header: a structure's total_size
 *  (§7.2, §7.3, §7.8, §7.9, §7.10); 0 when the body is 0 (not allowed) or
 *  the sum does not fit in 64 bits. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_with_header(uint64_t body_size) {
  if (body_size == 0u || body_size > UINT64_MAX - ZEROIPC_STRUCT_HEADER_SIZE) return 0u;
  return body_size + ZEROIPC_STRUCT_HEADER_SIZE;
}

/** The owner lock word (§3.2): 0 free, else the holder's owner key (low 31
 *  bits), with this bit set when there are waiters. */
#define ZEROIPC_LOCK_WAITERS_BIT UINT32_C(0x80000000)
#define ZEROIPC_LOCK_KEY_MASK UINT32_C(0x7FFFFFFF)

/** Liveness (§4.1): the owner with key k holds a read lock on byte
 *  ZEROIPC_LIVENESS_LOCK_BASE + k of the segment's file. */
#define ZEROIPC_LIVENESS_LOCK_BASE (UINT64_C(1) << 62)
/** §1: the creator of a temporary segment file write-locks this byte. */
#define ZEROIPC_CREATOR_LOCK_BYTE ((UINT64_C(1) << 62) - 1u)

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_COMMON_H */
