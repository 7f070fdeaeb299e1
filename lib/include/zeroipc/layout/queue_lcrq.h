/* zeroipc/layout/queue_lcrq.h — Queue variants 2, lcrq, and 6, lcrq_nodes
 * (SPECIFICATION.md §7.2.2): a list of CRQ rings whose cells hold the
 * elements themselves (direct: lcrq with elements of at most 8 bytes) or
 * data-node ids, plus the data nodes.
 * Offsets are from the start of the body (offset 64 of the structure).
 *
 * With Rc = bit_ceil(max(capacity, 2)) (the R of §7.2), R = min(Rc, 1024)
 * cells per ring, K = Rc / R + 3 rings, ring_bytes = 192 + 16 R,
 * rings_at = 320 + 8256 = 8576, nodes_at = rings_at + K * ring_bytes,
 * stride = align8(8 + element_size):
 *
 *   0        zeroipc_lcrq_body: head_ring, tail_ring, ring_pool, node_pool,
 *            start (one cache line each), then the thread slots and recovery
 *            control (§7.7) at 320
 *   8576     ring r at rings_at + r * ring_bytes: zeroipc_lcrq_ring (192
 *            bytes), then R cells of 16 bytes (zeroipc_lcrq_cell); the cell of
 *            position p at 192 + 16 * (p mod R) of its ring, 16-byte aligned
 *   nodes_at data node id i (1-based) at nodes_at + (i - 1) * stride:
 *            zeroipc_lcrq_node (+0 u32 next), the element at +8
 *
 * body_size = nodes_at + capacity * stride; capacity <= 2^31. Direct cells
 * (variant 2 with element_size <= 8): no data nodes, body_size = nodes_at.
 * Plain data (common.h): a cell is updated only with a 16-byte
 * compare-and-swap of both words (x86-64 cmpxchg16b; from C
 * __atomic_compare_exchange_n / __sync_bool_compare_and_swap on an
 * unsigned __int128); every other field named atomic below is a u32 or u64
 * atomic.
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_LCRQ_H
#define ZEROIPC_LAYOUT_QUEUE_LCRQ_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/op_slots.h"
#include "zeroipc/layout/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

/** §7.2.2: capacity <= 2^31 (node ids are u32). */
#define ZEROIPC_LCRQ_MAX_CAPACITY (UINT64_C(1) << 31)
/** §7.2.2: cells per ring at most. */
#define ZEROIPC_LCRQ_MAX_RING_SIZE 1024u
#define ZEROIPC_LCRQ_OPS_OFFSET 320u
#define ZEROIPC_LCRQ_RINGS_OFFSET 8576u
#define ZEROIPC_LCRQ_RING_HEADER_SIZE 192u
#define ZEROIPC_LCRQ_RING_CELLS_OFFSET 192u
#define ZEROIPC_LCRQ_CELL_SIZE 16u
#define ZEROIPC_LCRQ_NODE_ELEMENT_OFFSET 8u

/** §7.2.2: ring `state`. */
#define ZEROIPC_LCRQ_RING_FREE 0u
#define ZEROIPC_LCRQ_RING_ALLOCATED 1u
#define ZEROIPC_LCRQ_RING_LINKED 2u
#define ZEROIPC_LCRQ_RING_RETIRED 3u

/** §7.2.2: bit 63 of a ring's `tail` (closed) and of a cell's `word`
 *  (unsafe); bits 0-62 are the position. */
#define ZEROIPC_LCRQ_FLAG (UINT64_C(1) << 63)
#define ZEROIPC_LCRQ_POSITION_MASK (ZEROIPC_LCRQ_FLAG - 1u)
/** §7.2.2, direct cells: bit 62 of a cell's `word` (the cell holds an
 *  element); positions are bits 0-61. */
#define ZEROIPC_LCRQ_FULL (UINT64_C(1) << 62)
#define ZEROIPC_LCRQ_DIRECT_POSITION_MASK (ZEROIPC_LCRQ_FULL - 1u)
/** §7.2.2: `lcrq` (variant 2) stores elements of at most 8 bytes in its
 *  cells (direct); `lcrq_nodes` (variant 6) never does. */
#define ZEROIPC_LCRQ_MAX_DIRECT_SIZE 8u

/** §7.2.2: the fixed part of the body, 8576 bytes (up to rings_at). */
typedef struct zeroipc_lcrq_body {
  uint64_t head_ring;    /* 0 atomic: index of the ring dequeuers use */
  uint8_t reserved0[56]; /* 8 */
  uint64_t tail_ring;    /* 64 atomic: index of the ring enqueuers use */
  uint8_t reserved1[56]; /* 72 */
  uint64_t ring_pool;    /* 128 atomic: free rings, tag << 32 | (ring index + 1) */
  uint8_t reserved2[56]; /* 136 */
  uint64_t node_pool;    /* 192 atomic: free data nodes, tag << 32 | node id */
  uint8_t reserved3[56]; /* 200 */
  uint64_t start;        /* 256 atomic: first position of every ring (initial_position mod 2^62) */
  uint8_t reserved4[56]; /* 264 */
  zeroipc_op_area ops;   /* 320: §7.7; a slot's aux is its thread's hazard (ring index + 1, 0 = none) */
} zeroipc_lcrq_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_lcrq_body) == ZEROIPC_LCRQ_RINGS_OFFSET, "spec 7.2.2: rings_at = 8576");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, head_ring) == 0, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, reserved0) == 8, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, tail_ring) == 64, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, reserved1) == 72, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, ring_pool) == 128, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, reserved2) == 136, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, node_pool) == 192, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, reserved3) == 200, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, start) == 256, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, reserved4) == 264, "spec 7.2.2");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_body, ops) == ZEROIPC_LCRQ_OPS_OFFSET, "spec 7.2.2: 8256 bytes of 7.7 at 320");

/** §7.2.2: the header of one ring, 192 bytes; its R cells follow at 192. */
typedef struct zeroipc_lcrq_ring {
  uint32_t pool_next;    /* 0: next free ring + 1 while on ring_pool */
  uint32_t state;        /* 4 atomic: ZEROIPC_LCRQ_RING_FREE / ALLOCATED / LINKED / RETIRED */
  uint32_t next;         /* 8 atomic: the ring after this one + 1; 0 = none (set once, by CAS) */
  uint32_t owner_key;    /* 12 atomic: the allocating process (state 1), written before state = 1 */
  uint64_t owner_pid;    /* 16 atomic: its pid, for messages */
  uint64_t first;        /* 24 atomic: direct cells only: the ring's first position (0 with data nodes) */
  uint8_t reserved0[32]; /* 32 */
  uint64_t head;         /* 64 atomic: next position to dequeue (63 bits used) */
  uint8_t reserved1[56]; /* 72 */
  uint64_t tail;         /* 128 atomic: bit 63 closed, bits 0-62 the next position to enqueue */
  uint8_t reserved2[56]; /* 136 */
} zeroipc_lcrq_ring;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_lcrq_ring) == ZEROIPC_LCRQ_RING_CELLS_OFFSET, "spec 7.2.2: cells at +192 of a ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, pool_next) == 0, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, state) == 4, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, next) == 8, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, owner_key) == 12, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, owner_pid) == 16, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, first) == 24, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, reserved0) == 32, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, head) == 64, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, reserved1) == 72, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, tail) == 128, "spec 7.2.2 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_ring, reserved2) == 136, "spec 7.2.2 ring");

/** §7.2.2: one cell, 16 bytes, 16-byte aligned; only ever updated with a
 *  16-byte compare-and-swap of both words. */
typedef struct zeroipc_lcrq_cell {
  uint64_t word;  /* 0: bit 63 unsafe, bits 0-62 position index (direct: bit 62 full, bits 0-61 index) */
  uint64_t value; /* 8: a node id, 0 = empty (direct: the element's bytes, meaningful while full) */
} zeroipc_lcrq_cell;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_lcrq_cell) == ZEROIPC_LCRQ_CELL_SIZE, "spec 7.2.2: a cell is 16 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_cell, word) == 0, "spec 7.2.2 cell");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_cell, value) == 8, "spec 7.2.2 cell");

/** §7.2.2: the header of a data node; the element follows at +8. Bytes 4-7
 *  are not named by the specification (reserved, zero). */
typedef struct zeroipc_lcrq_node {
  uint32_t next;        /* 0: the next free node id (free list), 0 = none */
  uint8_t reserved[4];  /* 4 */
} zeroipc_lcrq_node;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_lcrq_node) == ZEROIPC_LCRQ_NODE_ELEMENT_OFFSET, "spec 7.2.2: the element at +8");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_node, next) == 0, "spec 7.2.2 node");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_lcrq_node, reserved) == 4, "spec 7.2.2 node");

/** §7.2.2: R = min(Rc, 1024) cells per ring. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_ring_size(uint64_t capacity) {
  const uint64_t rc = zeroipc_queue_ring_slots(capacity);
  return rc < ZEROIPC_LCRQ_MAX_RING_SIZE ? rc : ZEROIPC_LCRQ_MAX_RING_SIZE;
}
/** §7.2.2: K = Rc / R + 3 rings (0 for a capacity above 2^63, whose Rc does not exist). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_ring_count(uint64_t capacity) {
  const uint64_t r = zeroipc_lcrq_ring_size(capacity);
  return r == 0u ? 0u : zeroipc_queue_ring_slots(capacity) / r + 3u;
}
/** §7.2.2: ring_bytes = 192 + 16 R. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_ring_bytes(uint64_t capacity) {
  return ZEROIPC_LCRQ_RING_HEADER_SIZE + ZEROIPC_LCRQ_CELL_SIZE * zeroipc_lcrq_ring_size(capacity);
}
/** §7.2.2: ring r at rings_at + r * ring_bytes, from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_ring_offset(uint64_t capacity, uint64_t ring) {
  return ZEROIPC_LCRQ_RINGS_OFFSET + ring * zeroipc_lcrq_ring_bytes(capacity);
}
/** §7.2.2: the cell of position p, from the start of its ring: 192 + 16 (p mod R). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_cell_offset(uint64_t capacity, uint64_t position) {
  return ZEROIPC_LCRQ_RING_CELLS_OFFSET + ZEROIPC_LCRQ_CELL_SIZE * (position & (zeroipc_lcrq_ring_size(capacity) - 1u));
}
/** §7.2.2: nodes_at = rings_at + K * ring_bytes. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_nodes_offset(uint64_t capacity) {
  return ZEROIPC_LCRQ_RINGS_OFFSET + zeroipc_lcrq_ring_count(capacity) * zeroipc_lcrq_ring_bytes(capacity);
}
/** §7.2.2: stride = align8(8 + element_size). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_stride(uint32_t element_size) {
  return zeroipc_align8(UINT64_C(8) + element_size);
}
/** §7.2.2: node id i (1-based) at nodes_at + (i - 1) * stride; node_id >= 1. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_node_offset(uint64_t capacity, uint32_t element_size, uint64_t node_id) {
  return zeroipc_lcrq_nodes_offset(capacity) + (node_id - 1u) * zeroipc_lcrq_stride(element_size);
}
/** §7.2.2, variant 6 (`lcrq_nodes`, and `lcrq` with elements over 8 bytes):
 *  body_size = nodes_at + capacity * stride; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_nodes_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_queue_capacity_ok(capacity, ZEROIPC_LCRQ_MAX_CAPACITY) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, zeroipc_lcrq_stride(element_size), zeroipc_lcrq_nodes_offset(capacity));
}
/** §7.2.2, variant 2 (`lcrq`): direct cells (body_size = nodes_at, no data
 *  nodes) for elements of at most 8 bytes, else as variant 6. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_body_size(uint64_t capacity, uint32_t element_size) {
  if (element_size != 0u && element_size <= ZEROIPC_LCRQ_MAX_DIRECT_SIZE &&
      zeroipc_queue_capacity_ok(capacity, ZEROIPC_LCRQ_MAX_CAPACITY)) {
    return zeroipc_lcrq_nodes_offset(capacity);
  }
  return zeroipc_lcrq_nodes_body_size(capacity, element_size);
}
/** §7.2: total_size = 64 + body_size (variant 2, `lcrq`). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_lcrq_body_size(capacity, element_size));
}
/** §7.2: total_size = 64 + body_size (variant 6, `lcrq_nodes`). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_lcrq_nodes_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_lcrq_nodes_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_LCRQ_H */
