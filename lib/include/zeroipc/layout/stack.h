/* zeroipc/layout/stack.h — Stack (SPECIFICATION.md §7.3): kind 3, layout
 * version 1, variants treiber_tagged (§7.3.1) and elimination_backoff
 * (§7.3.2). 1 <= capacity <= 2^32 - 2; the body starts at offset 64 of the
 * structure and total_size = 64 + body_size. Offsets are from the body.
 *
 * treiber_tagged:
 *   0     u64 top (atomic)        tag << 32 | (node index + 1); low half 0 = empty
 *   64    u64 free_top (atomic)   the free nodes, same encoding
 *   128   thread slots and recovery control (§7.7), 8256 bytes
 *   8384  nodes: node i at 8384 + i * stride, stride = align8(8 + element_size)
 *
 * elimination_backoff:
 *   0     u64 top, 64 u64 free_top (as treiber_tagged)
 *   128 + 64 i   elimination slot i (u64 word, atomic), 0 <= i < 16, one per cache line
 *   1152  thread slots and recovery control (§7.7), 8256 bytes
 *   9408  nodes, as treiber_tagged
 *
 * Node: +0 u32 next (index + 1 of the node below, 0 = none), +4 reserved,
 * +8 the element. Every successful CAS on top or free_top increments the
 * tag (the high 32 bits).
 */
#ifndef ZEROIPC_LAYOUT_STACK_H
#define ZEROIPC_LAYOUT_STACK_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/op_slots.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.3: 1 <= capacity <= 2^32 - 2. */
#define ZEROIPC_STACK_MAX_CAPACITY (UINT64_C(0xFFFFFFFF) - 1u)
#define ZEROIPC_STACK_NODE_ELEMENT_OFFSET 8u
/** §7.3.1: the low half of a list word (node index + 1; 0 = empty). */
#define ZEROIPC_LIST_INDEX_MASK UINT64_C(0xFFFFFFFF)
#define ZEROIPC_LIST_TAG_SHIFT 32u

#define ZEROIPC_TREIBER_OPS_OFFSET 128u
#define ZEROIPC_TREIBER_NODES_OFFSET 8384u

#define ZEROIPC_ELIMINATION_SLOTS 16u
#define ZEROIPC_ELIMINATION_SLOTS_OFFSET 128u
#define ZEROIPC_ELIMINATION_OPS_OFFSET 1152u
#define ZEROIPC_ELIMINATION_NODES_OFFSET 9408u

/** §7.3.2: an elimination slot word: bits 63-34 tag (incremented by every
 *  change), bits 33-32 state, bits 31-0 offer (node index + 1 offered by a
 *  push, 0xFFFFFFFF offered by a pop). */
#define ZEROIPC_ELIMINATION_TAG_SHIFT 34u
#define ZEROIPC_ELIMINATION_STATE_SHIFT 32u
#define ZEROIPC_ELIMINATION_STATE_MASK UINT64_C(3)
#define ZEROIPC_ELIMINATION_OFFER_MASK UINT64_C(0xFFFFFFFF)
#define ZEROIPC_ELIMINATION_EMPTY 0u
#define ZEROIPC_ELIMINATION_WAITING 1u
#define ZEROIPC_ELIMINATION_BUSY 2u
#define ZEROIPC_ELIMINATION_POP_OFFER UINT32_C(0xFFFFFFFF)

/** §7.3.1: the fixed part of a treiber_tagged body, 8384 bytes. */
typedef struct zeroipc_treiber_body {
  uint64_t top;          /* 0 atomic: tag << 32 | (node index + 1); low half 0 = empty */
  uint8_t reserved0[56]; /* 8 */
  uint64_t free_top;     /* 64 atomic: the free list, same encoding */
  uint8_t reserved1[56]; /* 72 */
  zeroipc_op_area ops;   /* 128: §7.7 */
} zeroipc_treiber_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_treiber_body) == ZEROIPC_TREIBER_NODES_OFFSET, "spec 7.3.1: nodes at 8384");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_treiber_body, top) == 0, "spec 7.3.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_treiber_body, reserved0) == 8, "spec 7.3.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_treiber_body, free_top) == 64, "spec 7.3.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_treiber_body, reserved1) == 72, "spec 7.3.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_treiber_body, ops) == ZEROIPC_TREIBER_OPS_OFFSET, "spec 7.3.1: 7.7 at 128");

/** §7.3.2: one elimination slot, one cache line. */
typedef struct zeroipc_elimination_slot {
  uint64_t word;         /* 0 atomic: tag << 34 | state << 32 | offer */
  uint8_t reserved[56];  /* 8 */
} zeroipc_elimination_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_elimination_slot) == 64, "spec 7.3.2: one slot per cache line");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_slot, word) == 0, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_slot, reserved) == 8, "spec 7.3.2");

/** §7.3.2: the fixed part of an elimination_backoff body, 9408 bytes. */
typedef struct zeroipc_elimination_body {
  uint64_t top;                                             /* 0 atomic: as 7.3.1 */
  uint8_t reserved0[56];                                    /* 8 */
  uint64_t free_top;                                        /* 64 atomic: as 7.3.1 */
  uint8_t reserved1[56];                                    /* 72 */
  zeroipc_elimination_slot slots[ZEROIPC_ELIMINATION_SLOTS]; /* 128 + 64 i */
  zeroipc_op_area ops;                                      /* 1152: §7.7 */
} zeroipc_elimination_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_elimination_body) == ZEROIPC_ELIMINATION_NODES_OFFSET, "spec 7.3.2: nodes at 9408");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, top) == 0, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, reserved0) == 8, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, free_top) == 64, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, reserved1) == 72, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, slots) == ZEROIPC_ELIMINATION_SLOTS_OFFSET, "spec 7.3.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_elimination_body, ops) == ZEROIPC_ELIMINATION_OPS_OFFSET, "spec 7.3.2: 7.7 at 1152");

/** §7.3.1: the header of a node (both variants); the element follows at +8. */
typedef struct zeroipc_stack_node {
  uint32_t next;        /* 0: index + 1 of the node below, 0 = none (read atomically, relaxed) */
  uint8_t reserved[4];  /* 4: reserved */
} zeroipc_stack_node;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_stack_node) == ZEROIPC_STACK_NODE_ELEMENT_OFFSET, "spec 7.3.1: the element at +8");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stack_node, next) == 0, "spec 7.3.1 node");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stack_node, reserved) == 4, "spec 7.3.1 node");

/** §7.3: whether 1 <= capacity <= 2^32 - 2. */
ZEROIPC_LAYOUT_FN int zeroipc_stack_capacity_ok(uint64_t capacity) {
  return capacity >= 1u && capacity <= ZEROIPC_STACK_MAX_CAPACITY;
}
/** §7.3.1: stride = align8(8 + element_size) (both variants). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stack_stride(uint32_t element_size) {
  return zeroipc_align8(UINT64_C(8) + element_size);
}
/** §7.3.2: offset of elimination slot i (i < 16), from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_elimination_slot_offset(uint32_t i) {
  return ZEROIPC_ELIMINATION_SLOTS_OFFSET + i * UINT64_C(64);
}
/** §7.3.1: node i (0-based) at 8384 + i * stride. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_treiber_node_offset(uint32_t element_size, uint64_t i) {
  return ZEROIPC_TREIBER_NODES_OFFSET + i * zeroipc_stack_stride(element_size);
}
/** §7.3.2: node i (0-based) at 9408 + i * stride. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_elimination_node_offset(uint32_t element_size, uint64_t i) {
  return ZEROIPC_ELIMINATION_NODES_OFFSET + i * zeroipc_stack_stride(element_size);
}
/** §7.3.1: body_size = 8384 + capacity * stride; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_treiber_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_stack_capacity_ok(capacity) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, zeroipc_stack_stride(element_size), ZEROIPC_TREIBER_NODES_OFFSET);
}
/** §7.3.2: body_size = 9408 + capacity * stride; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_elimination_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_stack_capacity_ok(capacity) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, zeroipc_stack_stride(element_size), ZEROIPC_ELIMINATION_NODES_OFFSET);
}
/** §7.3: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_treiber_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_treiber_body_size(capacity, element_size));
}
ZEROIPC_LAYOUT_FN uint64_t zeroipc_elimination_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_elimination_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_STACK_H */
