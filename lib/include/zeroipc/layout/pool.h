/* zeroipc/layout/pool.h — Pool (kind 6), layout version 1 (SPECIFICATION.md
 * §7.9), variant 1 locked_free_list (§7.9.1): capacity objects of
 * element_size bytes (alignment <= 64) and which of them are free.
 *
 * locked_free_list body (offsets from the body, offset 64 of the structure),
 * with S = 128 + align64(4 * capacity), O = S + align64(8 * capacity):
 *   0     zeroipc_pool_control (128 bytes)
 *   128   free[capacity]: u32 indices, bottom first; the top is free[free_top - 1]
 *   S     state[capacity]: u64 (atomic), generation << 32 | (acquired ? key << 1 | 1 : 0)
 *   O     the objects, capacity * element_size, zeroed at creation
 * body_size = O + capacity * element_size; 1 <= capacity <= 2^32.
 */
#ifndef ZEROIPC_LAYOUT_POOL_H
#define ZEROIPC_LAYOUT_POOL_H

#include "zeroipc/layout/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.9.1: capacity <= 2^32. */
#define ZEROIPC_POOL_MAX_CAPACITY (UINT64_C(1) << 32)
#define ZEROIPC_POOL_FREE_OFFSET 128u
/** §7.9.1 state word: bit 0 acquired, bits 1-31 the acquirer's key, bits 32-63 generation. */
#define ZEROIPC_POOL_STATE_ACQUIRED UINT64_C(1)
#define ZEROIPC_POOL_STATE_KEY_SHIFT 1u
#define ZEROIPC_POOL_STATE_GENERATION_SHIFT 32u

/** §7.9.1: the control part of the body, 128 bytes; free[] follows. */
typedef struct zeroipc_pool_control {
  uint32_t lock;         /* 0 atomic: owner lock (§3.2) */
  uint8_t reserved0[4];  /* 4 */
  uint64_t holder_pid;   /* 8 atomic: as lock_holder_pid in §2 */
  uint8_t reserved1[48]; /* 16 */
  uint64_t free_top;     /* 64 atomic: indices on the free stack (<= capacity, else corrupt) */
  uint64_t acquired;     /* 72 atomic: acquires, in all (for tools) */
  uint64_t released;     /* 80 atomic: releases, in all */
  uint64_t pool_id;      /* 88: random, never 0, written at creation */
  uint8_t reserved2[32]; /* 96 */
} zeroipc_pool_control;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_pool_control) == ZEROIPC_POOL_FREE_OFFSET, "spec 7.9.1: free[] at 128");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, lock) == 0, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, reserved0) == 4, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, holder_pid) == 8, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, reserved1) == 16, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, free_top) == 64, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, acquired) == 72, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, released) == 80, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, pool_id) == 88, "spec 7.9.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_control, reserved2) == 96, "spec 7.9.1");

/** §7.9: a handle, 16 bytes: names the same object in every process (not in the segment). */
typedef struct zeroipc_pool_handle {
  uint32_t index;      /* 0 */
  uint32_t generation; /* 4 */
  uint64_t pool_id;    /* 8 */
} zeroipc_pool_handle;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_pool_handle) == 16, "spec 7.9: a handle is 16 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_handle, index) == 0, "spec 7.9");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_handle, generation) == 4, "spec 7.9");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_pool_handle, pool_id) == 8, "spec 7.9");

/** §7.9.1: S = 128 + align64(4 * capacity), where state[] starts. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_states_offset(uint64_t capacity) {
  return ZEROIPC_POOL_FREE_OFFSET + zeroipc_align64(4u * capacity);
}
/** §7.9.1: O = S + align64(8 * capacity), where the objects start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_objects_offset(uint64_t capacity) {
  return zeroipc_pool_states_offset(capacity) + zeroipc_align64(8u * capacity);
}
/** §7.9.1: free[i] at 128 + 4 i. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_free_offset(uint64_t i) { return ZEROIPC_POOL_FREE_OFFSET + 4u * i; }
/** §7.9.1: state[i] at S + 8 i. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_state_offset(uint64_t capacity, uint64_t i) {
  return zeroipc_pool_states_offset(capacity) + 8u * i;
}
/** §7.9.1: object i at O + i * element_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_object_offset(uint64_t capacity, uint32_t element_size, uint64_t i) {
  return zeroipc_pool_objects_offset(capacity) + i * element_size;
}
/** §7.9.1: body_size = O + capacity * element_size; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_body_size(uint64_t capacity, uint32_t element_size) {
  if (capacity == 0u || capacity > ZEROIPC_POOL_MAX_CAPACITY || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, element_size, zeroipc_pool_objects_offset(capacity));
}
/** §7.9: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_pool_body_size(capacity, element_size));
}
/** §7.9.1: the state word of an object acquired by `key` with `generation`, or free. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_state_acquired(uint32_t generation, uint32_t key) {
  const uint64_t g = generation, k = key;
  return g << ZEROIPC_POOL_STATE_GENERATION_SHIFT | k << ZEROIPC_POOL_STATE_KEY_SHIFT | ZEROIPC_POOL_STATE_ACQUIRED;
}
ZEROIPC_LAYOUT_FN uint64_t zeroipc_pool_state_free(uint32_t generation) {
  const uint64_t g = generation;
  return g << ZEROIPC_POOL_STATE_GENERATION_SHIFT;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_POOL_H */
