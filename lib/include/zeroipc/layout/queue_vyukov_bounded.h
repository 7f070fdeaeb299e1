/* zeroipc/layout/queue_vyukov_bounded.h — Queue variant 1, vyukov_bounded
 * (SPECIFICATION.md §7.2.1). Offsets are from the start of the body (offset
 * 64 of the structure).
 *
 *   0    u64 enqueue_pos (atomic)   own cache line
 *   64   u64 dequeue_pos (atomic)   own cache line
 *   128  R cells of stride = align8(8 + element_size) bytes;
 *        the cell of slot s at 128 + s * stride: +0 u64 sequence (atomic), +8 the element
 *
 * body_size = 128 + R * stride, R = bit_ceil(max(capacity, 2)).
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_VYUKOV_BOUNDED_H
#define ZEROIPC_LAYOUT_QUEUE_VYUKOV_BOUNDED_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_VYUKOV_CELLS_OFFSET 128u
#define ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET 8u

/** §7.2.1: the fixed part of the body, 128 bytes. */
typedef struct zeroipc_vyukov_body {
  uint64_t enqueue_pos;  /* 0 atomic: next position to claim for a push */
  uint8_t reserved0[56]; /* 8 */
  uint64_t dequeue_pos;  /* 64 atomic: next position to claim for a pop */
  uint8_t reserved1[56]; /* 72 */
} zeroipc_vyukov_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_vyukov_body) == ZEROIPC_VYUKOV_CELLS_OFFSET, "spec 7.2.1: cells at 128");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_vyukov_body, enqueue_pos) == 0, "spec 7.2.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_vyukov_body, reserved0) == 8, "spec 7.2.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_vyukov_body, dequeue_pos) == 64, "spec 7.2.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_vyukov_body, reserved1) == 72, "spec 7.2.1");

/** §7.2.1: the header of a cell; the element follows at +8. sequence == p:
 *  free for the push at p; p + 1: holds the element pushed at p; after the
 *  pop at p the consumer stores p + R. */
typedef struct zeroipc_vyukov_cell {
  uint64_t sequence; /* 0 atomic */
} zeroipc_vyukov_cell;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_vyukov_cell) == ZEROIPC_VYUKOV_CELL_ELEMENT_OFFSET,
                      "spec 7.2.1: the element is at +8 of its cell");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_vyukov_cell, sequence) == 0, "spec 7.2.1");

/** §7.2.1: stride = align8(8 + element_size). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_vyukov_stride(uint32_t element_size) {
  return zeroipc_align8(UINT64_C(8) + element_size);
}
/** §7.2.1: the cell of position p (slot p & (R - 1)), from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_vyukov_cell_offset(uint64_t capacity, uint32_t element_size, uint64_t position) {
  const uint64_t r = zeroipc_queue_ring_slots(capacity);
  return ZEROIPC_VYUKOV_CELLS_OFFSET + (position & (r - 1u)) * zeroipc_vyukov_stride(element_size);
}
/** §7.2.1: body_size = 128 + R * stride; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_vyukov_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_queue_capacity_ok(capacity, ZEROIPC_QUEUE_MAX_CAPACITY) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(zeroipc_queue_ring_slots(capacity), zeroipc_vyukov_stride(element_size),
                                 ZEROIPC_VYUKOV_CELLS_OFFSET);
}
/** §7.2: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_vyukov_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_vyukov_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_VYUKOV_BOUNDED_H */
