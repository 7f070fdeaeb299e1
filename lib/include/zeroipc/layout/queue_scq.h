/* zeroipc/layout/queue_scq.h — Queue variants 3, scq, and 7, scq_indices
 * (SPECIFICATION.md §7.2.3). Indices (variant 7 always, variant 3 with
 * element_size > 8): two rings of element indices (aq: pushed, in FIFO
 * order; fq: free), each of 2n 8-byte entries with n = bit_ceil(max(capacity,
 * 2)) (the R of §7.2), and the data. Direct cells (variant 3 with
 * element_size <= 8): one ring of 2n 16-byte cells {word, value} holding the
 * elements themselves, at 8256 (where aq is), nothing after it. Offsets are
 * from the start of the body (offset 64 of the structure).
 * ring_bytes = 192 + 16 n; cell_ring_bytes = 192 + 32 n.
 *
 *   0                         thread slots and recovery control (§7.7), 8256 bytes
 *   8256                      ring aq: zeroipc_scq_ring (192 bytes), then 2n u64 entries
 *   8256 + ring_bytes         ring fq: the same
 *   8256 + 2 * ring_bytes     data: element i at data_at + i * element_size, i < capacity
 *
 * The entry of position p is at 192 + 8 * remap(p mod 2n) of its ring, with
 * remap(i) = (i mod 8) * (2n / 8) + i / 8 when 2n >= 8, else i. With
 * 2n = 2^(k+1) an entry is cycle << (k + 2) | safe << (k + 1) | index,
 * index = 2n - 1 meaning none.
 * body_size = 8256 + 2 * ring_bytes + capacity * element_size; capacity <= 2^40.
 *
 * Direct cells: the cell of position p at 192 + 16 * cell_remap(p mod 2n)
 * of the ring, cell_remap(i) = (i mod 4) * (2n / 4) + i / 4 (4 cells per
 * cache line; 2n >= 4 always). The cell's word is an entry as above whose
 * index is 0 when the cell is full (any index but 2n - 1 reads as full) and
 * 2n - 1 when empty; its value is the element's bytes (little-endian,
 * zero-padded to 8), meaningful only while full. A cell is written whole
 * only by a 16-byte compare-and-swap (x86-64 cmpxchg16b); its word alone
 * also by CAS and atomic OR. body_size = 8256 + cell_ring_bytes.
 *
 * Unlike the C++ scq::ring_bytes / fq_offset / data_offset, which take n,
 * the functions below take the capacity and compute n from it.
 * Plain data (common.h): threshold, head, tail and every entry are atomic.
 */
#ifndef ZEROIPC_LAYOUT_QUEUE_SCQ_H
#define ZEROIPC_LAYOUT_QUEUE_SCQ_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/op_slots.h"
#include "zeroipc/layout/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_SCQ_OPS_OFFSET 0u
/** §7.2.3: ring aq starts after the 8256 bytes of §7.7. */
#define ZEROIPC_SCQ_AQ_OFFSET 8256u
#define ZEROIPC_SCQ_RING_HEADER_SIZE 192u
#define ZEROIPC_SCQ_RING_ENTRIES_OFFSET 192u
#define ZEROIPC_SCQ_ENTRY_SIZE 8u
/** §7.2.3, direct cells: the one ring at 8256 (where aq is with indices). */
#define ZEROIPC_SCQ_RING_OFFSET 8256u
#define ZEROIPC_SCQ_CELL_SIZE 16u
/** §7.2.3: `scq` (variant 3) stores elements of at most 8 bytes in its
 *  cells (direct); `scq_indices` (variant 7) never does. */
#define ZEROIPC_SCQ_MAX_DIRECT_SIZE 8u
/** §7.2.3, direct cells: the index field of a full cell's word (empty: 2n - 1). */
#define ZEROIPC_SCQ_FULL_INDEX 0u

/** §7.2.3: the fixed part of the body: the §7.7 area, 8256 bytes. */
typedef struct zeroipc_scq_body {
  zeroipc_op_area ops; /* 0: §7.7 */
} zeroipc_scq_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_scq_body) == ZEROIPC_SCQ_AQ_OFFSET, "spec 7.2.3: aq at 8256");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_body, ops) == ZEROIPC_SCQ_OPS_OFFSET, "spec 7.2.3");

/** §7.2.3: the header of one ring, 192 bytes; its 2n entries follow at 192. */
typedef struct zeroipc_scq_ring {
  int64_t threshold;     /* 0 atomic: < 0 means empty; reset to 3n - 1 by every enqueue */
  uint8_t reserved0[56]; /* 8 */
  uint64_t tail;         /* 64 atomic: next position to enqueue */
  uint8_t reserved1[56]; /* 72 */
  uint64_t head;         /* 128 atomic: next position to dequeue */
  uint8_t reserved2[56]; /* 136 */
} zeroipc_scq_ring;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_scq_ring) == ZEROIPC_SCQ_RING_ENTRIES_OFFSET, "spec 7.2.3: entries at +192");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, threshold) == 0, "spec 7.2.3 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, reserved0) == 8, "spec 7.2.3 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, tail) == 64, "spec 7.2.3 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, reserved1) == 72, "spec 7.2.3 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, head) == 128, "spec 7.2.3 ring");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_ring, reserved2) == 136, "spec 7.2.3 ring");

/** §7.2.3, direct cells: one cell, 16 bytes, 16-byte aligned. */
typedef struct zeroipc_scq_cell {
  uint64_t word;  /* 0 atomic: cycle | safe | index (0 full, 2n - 1 empty) */
  uint64_t value; /* 8: the element's bytes, meaningful while full */
} zeroipc_scq_cell;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_scq_cell) == ZEROIPC_SCQ_CELL_SIZE, "spec 7.2.3: a cell is 16 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_cell, word) == 0, "spec 7.2.3 cell");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_scq_cell, value) == 8, "spec 7.2.3 cell");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_SCQ_RING_OFFSET % 16u == 0u && ZEROIPC_SCQ_RING_ENTRIES_OFFSET % 16u == 0u,
                      "spec 7.2.3: cells 16-byte aligned");

/** §7.2.3: n = bit_ceil(max(capacity, 2)); each ring has 2n entries. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_n(uint64_t capacity) { return zeroipc_queue_ring_slots(capacity); }
/** §7.2.3: ring_bytes = 192 + 16 n. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_ring_bytes(uint64_t capacity) {
  return ZEROIPC_SCQ_RING_HEADER_SIZE + 16u * zeroipc_scq_n(capacity);
}
/** §7.2.3: ring fq at 8256 + ring_bytes. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_fq_offset(uint64_t capacity) {
  return ZEROIPC_SCQ_AQ_OFFSET + zeroipc_scq_ring_bytes(capacity);
}
/** §7.2.3: the data at 8256 + 2 * ring_bytes. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_data_offset(uint64_t capacity) {
  return ZEROIPC_SCQ_AQ_OFFSET + 2u * zeroipc_scq_ring_bytes(capacity);
}
/** §7.2.3: element i at data_at + i * element_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_element_offset(uint64_t capacity, uint32_t element_size, uint64_t i) {
  return zeroipc_scq_data_offset(capacity) + i * element_size;
}
/** §7.2.3: remap(i) = (i mod 8) * (2n / 8) + i / 8 when 2n >= 8, else i, for i = p mod 2n. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_remap(uint64_t capacity, uint64_t position) {
  const uint64_t two_n = 2u * zeroipc_scq_n(capacity);
  const uint64_t i = position & (two_n - 1u);
  if (two_n < 8u) return i;
  return (i & 7u) * (two_n >> 3) + (i >> 3);
}
/** §7.2.3: the entry of position p, from the start of its ring. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_entry_offset(uint64_t capacity, uint64_t position) {
  return ZEROIPC_SCQ_RING_ENTRIES_OFFSET + ZEROIPC_SCQ_ENTRY_SIZE * zeroipc_scq_remap(capacity, position);
}
/** §7.2.3: k, with 2n = 2^(k+1): index has k + 1 bits, safe is bit k + 1, cycle starts at bit k + 2. */
ZEROIPC_LAYOUT_FN unsigned zeroipc_scq_order(uint64_t capacity) {
  unsigned k = 0;
  const uint64_t n = zeroipc_scq_n(capacity);
  while ((UINT64_C(1) << k) < n) ++k;
  return k;
}
/** §7.2.3: the index that means none, 2n - 1. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_no_index(uint64_t capacity) { return 2u * zeroipc_scq_n(capacity) - 1u; }
/** §7.2.3, direct cells: cell_ring_bytes = 192 + 32 n (2n cells of 16 bytes). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_cell_ring_bytes(uint64_t capacity) {
  return ZEROIPC_SCQ_RING_HEADER_SIZE + 2u * ZEROIPC_SCQ_CELL_SIZE * zeroipc_scq_n(capacity);
}
/** §7.2.3, direct cells: cell_remap(i) = (i mod 4) * (2n / 4) + i / 4, for i = p mod 2n. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_cell_remap(uint64_t capacity, uint64_t position) {
  const uint64_t two_n = 2u * zeroipc_scq_n(capacity);
  const uint64_t i = position & (two_n - 1u);
  return (i & 3u) * (two_n >> 2) + (i >> 2);
}
/** §7.2.3, direct cells: the cell of position p, from the start of the ring. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_cell_offset(uint64_t capacity, uint64_t position) {
  return ZEROIPC_SCQ_RING_ENTRIES_OFFSET + ZEROIPC_SCQ_CELL_SIZE * zeroipc_scq_cell_remap(capacity, position);
}
/** §7.2.3, variant 7 (`scq_indices`, and `scq` with elements over 8 bytes):
 *  body_size = 8256 + 2 * ring_bytes + capacity * element_size; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_indices_body_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_queue_capacity_ok(capacity, ZEROIPC_QUEUE_MAX_CAPACITY) || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, element_size, zeroipc_scq_data_offset(capacity));
}
/** §7.2.3, variant 3 (`scq`): direct cells (body_size = 8256 + cell_ring_bytes)
 *  for elements of at most 8 bytes, else as variant 7. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_body_size(uint64_t capacity, uint32_t element_size) {
  if (element_size != 0u && element_size <= ZEROIPC_SCQ_MAX_DIRECT_SIZE &&
      zeroipc_queue_capacity_ok(capacity, ZEROIPC_QUEUE_MAX_CAPACITY)) {
    return ZEROIPC_SCQ_RING_OFFSET + zeroipc_scq_cell_ring_bytes(capacity);
  }
  return zeroipc_scq_indices_body_size(capacity, element_size);
}
/** §7.2: total_size = 64 + body_size (variant 3, `scq`). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_scq_body_size(capacity, element_size));
}
/** §7.2: total_size = 64 + body_size (variant 7, `scq_indices`). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_scq_indices_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_scq_indices_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_QUEUE_SCQ_H */
