/* zeroipc/layout/queue.h — what the five Queue variants share
 * (SPECIFICATION.md §7.2): kind 2, layout version 1.
 *
 * The common header's `variant` says which algorithm owns the body; the body
 * starts at offset 64 of the structure, and its layout is the variant's
 * (queue_vyukov_bounded.h, queue_lcrq.h, queue_scq.h, queue_spsc_ring.h,
 * queue_locked_ring.h). For every variant `capacity` is any c with
 * 1 <= c <= 2^40 (2^31 for lcrq); the ring has R = bit_ceil(max(c, 2))
 * slots; positions are 64-bit counters that only grow, and the slot of
 * position p is p & (R - 1). total_size = 64 + body_size.
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_H
#define ZEROIPC_LAYOUT_QUEUE_H

#include "zeroipc/layout/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.2: the largest capacity of every queue variant but lcrq. */
#define ZEROIPC_QUEUE_MAX_CAPACITY (UINT64_C(1) << 40)

/** §7.2: whether 1 <= capacity <= max. */
ZEROIPC_LAYOUT_FN int zeroipc_queue_capacity_ok(uint64_t capacity, uint64_t max) {
  return capacity >= 1u && capacity <= max;
}

/** §7.2: R = bit_ceil(max(c, 2)), the slots of a queue's ring (0 for a
 *  capacity above 2^63, which no variant allows). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_queue_ring_slots(uint64_t capacity) {
  return capacity <= 2u ? 2u : zeroipc_bit_ceil(capacity);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_H */
