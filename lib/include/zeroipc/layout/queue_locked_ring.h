/* zeroipc/layout/queue_locked_ring.h — Queue variant 5, locked_ring
 * (SPECIFICATION.md §7.2.5). Offsets are from the start of the body (offset
 * 64 of the structure).
 *
 *   0    u32 lock (atomic)         the owner lock of §3.2 (holder key, 0x80000000 = waiters)
 *   8    u64 holder_pid (atomic)   as lock_holder_pid in §2
 *   64   u64 head (atomic)         next position to pop    } change only
 *   72   u64 tail (atomic)         next position to push   } under `lock`
 *   128  R slots of element_size bytes, slot i at 128 + i * element_size
 *
 * Empty when head == tail, full when tail - head == capacity.
 * body_size = 128 + R * element_size, R = bit_ceil(max(capacity, 2)).
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_LOCKED_RING_H
#define ZEROIPC_LAYOUT_QUEUE_LOCKED_RING_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_LOCKED_RING_SLOTS_OFFSET 128u

/** §7.2.5: the fixed part of the body, 128 bytes. */
typedef struct zeroipc_locked_ring_body {
  uint32_t lock;         /* 0 atomic: owner lock (§3.2) */
  uint8_t reserved0[4];  /* 4 */
  uint64_t holder_pid;   /* 8 atomic: for messages */
  uint8_t reserved1[48]; /* 16 */
  uint64_t head;         /* 64 atomic: next position to pop */
  uint64_t tail;         /* 72 atomic: next position to push */
  uint8_t reserved2[48]; /* 80 */
} zeroipc_locked_ring_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_locked_ring_body) == ZEROIPC_LOCKED_RING_SLOTS_OFFSET, "spec 7.2.5: slots at 128");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, lock) == 0, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, reserved0) == 4, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, holder_pid) == 8, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, reserved1) == 16, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, head) == 64, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, tail) == 72, "spec 7.2.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_locked_ring_body, reserved2) == 80, "spec 7.2.5");

/** §7.2.5: the slot of position p (slot p & (R - 1)), from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_locked_ring_slot_offset(uint64_t capacity, uint32_t element_size, uint64_t position) {
  return ZEROIPC_LOCKED_RING_SLOTS_OFFSET + (position & (zeroipc_queue_ring_slots(capacity) - 1u)) * element_size;
}
/** §7.2.5: body_size = 128 + R * element_size; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_locked_ring_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_queue_capacity_ok(capacity, ZEROIPC_QUEUE_MAX_CAPACITY) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(zeroipc_queue_ring_slots(capacity), element_size, ZEROIPC_LOCKED_RING_SLOTS_OFFSET);
}
/** §7.2: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_locked_ring_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_locked_ring_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_LOCKED_RING_H */
