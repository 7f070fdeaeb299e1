/* zeroipc/layout/queue_spsc_ring.h — Queue variant 4, spsc_ring
 * (SPECIFICATION.md §7.2.4). Offsets are from the start of the body (offset
 * 64 of the structure).
 *
 *   0    u64 tail (atomic)    next position to push; written by the producer only
 *   64   u64 head (atomic)    next position to pop; written by the consumer only
 *   128  producer role (16 bytes: u32 key, u32 pid, u64 reserved)
 *   144  consumer role (same)
 *   192  R slots of element_size bytes, slot i at 192 + i * element_size
 *
 * Empty when head == tail, full when tail - head == capacity.
 * body_size = 192 + R * element_size, R = bit_ceil(max(capacity, 2)).
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_SPSC_RING_H
#define ZEROIPC_LAYOUT_QUEUE_SPSC_RING_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/queue.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_SPSC_PRODUCER_ROLE_OFFSET 128u
#define ZEROIPC_SPSC_CONSUMER_ROLE_OFFSET 144u
#define ZEROIPC_SPSC_SLOTS_OFFSET 192u

/** §7.2.4: the fixed part of the body, 192 bytes. */
typedef struct zeroipc_spsc_body {
  uint64_t tail;          /* 0 atomic: next position to push (producer only) */
  uint8_t reserved0[56];  /* 8 */
  uint64_t head;          /* 64 atomic: next position to pop (consumer only) */
  uint8_t reserved1[56];  /* 72 */
  zeroipc_role producer;  /* 128: u32 key (atomic; 0 = none), u32 pid, u64 reserved */
  zeroipc_role consumer;  /* 144: the same */
  uint8_t reserved2[32];  /* 160 */
} zeroipc_spsc_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_spsc_body) == ZEROIPC_SPSC_SLOTS_OFFSET, "spec 7.2.4: slots at 192");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, tail) == 0, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, reserved0) == 8, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, head) == 64, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, reserved1) == 72, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, producer) == ZEROIPC_SPSC_PRODUCER_ROLE_OFFSET, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, consumer) == ZEROIPC_SPSC_CONSUMER_ROLE_OFFSET, "spec 7.2.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_spsc_body, reserved2) == 160, "spec 7.2.4");

/** §7.2.4: the slot of position p (slot p & (R - 1)), from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_spsc_slot_offset(uint64_t capacity, uint32_t element_size, uint64_t position) {
  return ZEROIPC_SPSC_SLOTS_OFFSET + (position & (zeroipc_queue_ring_slots(capacity) - 1u)) * element_size;
}
/** §7.2.4: body_size = 192 + R * element_size; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_spsc_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_queue_capacity_ok(capacity, ZEROIPC_QUEUE_MAX_CAPACITY) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(zeroipc_queue_ring_slots(capacity), element_size, ZEROIPC_SPSC_SLOTS_OFFSET);
}
/** §7.2: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_spsc_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_spsc_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_SPSC_RING_H */
