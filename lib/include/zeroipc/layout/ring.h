/* zeroipc/layout/ring.h — Ring (kind 7), layout version 1 (SPECIFICATION.md
 * §7.10), variant 1 gated_ring (§7.10.1): one writer, up to 64 readers, each
 * with its own position; position p is element data[p mod capacity]
 * (1 <= capacity <= 2^48).
 *
 * gated_ring body (offsets from the body, offset 64 of the structure):
 *   0     writer role: u32 key (atomic; 0 = none), u32 pid, u64 reserved
 *   64    u64 write_pos (atomic): elements published
 *   128   64 reader slots of 64 bytes: +0 u32 key (0 = free; atomic), +4 u32 pid,
 *         +8 u64 read_pos (atomic)
 *   4224  data: capacity * element_size
 * body_size = 4224 + capacity * element_size.
 */
#ifndef ZEROIPC_LAYOUT_RING_H
#define ZEROIPC_LAYOUT_RING_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_GATED_RING_READERS 64u
#define ZEROIPC_GATED_RING_READERS_OFFSET 128u
#define ZEROIPC_GATED_RING_READER_SLOT_SIZE 64u
#define ZEROIPC_GATED_RING_DATA_OFFSET 4224u
/** §7.10: capacity <= 2^48. */
#define ZEROIPC_GATED_RING_MAX_CAPACITY (UINT64_C(1) << 48)

/** §7.10.1: one reader slot, 64 bytes. */
typedef struct zeroipc_gated_reader_slot {
  uint32_t key;          /* +0 atomic: the reader's owner key; 0 = free */
  uint32_t pid;          /* +4: for messages */
  uint64_t read_pos;     /* +8 atomic: the next position it reads */
  uint8_t reserved[48];  /* +16 */
} zeroipc_gated_reader_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_gated_reader_slot) == ZEROIPC_GATED_RING_READER_SLOT_SIZE,
                      "spec 7.10.1: a reader slot is 64 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_reader_slot, key) == 0, "spec 7.10.1 reader slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_reader_slot, pid) == 4, "spec 7.10.1 reader slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_reader_slot, read_pos) == 8, "spec 7.10.1 reader slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_reader_slot, reserved) == 16, "spec 7.10.1 reader slot");

/** §7.10.1: the fixed part of the body, 4224 bytes; the data follows. */
typedef struct zeroipc_gated_ring_body {
  zeroipc_role writer;                                         /* 0: u32 key (atomic), u32 pid, u64 reserved */
  uint8_t reserved0[48];                                       /* 16 */
  uint64_t write_pos;                                          /* 64 atomic: elements published */
  uint8_t reserved1[56];                                       /* 72 */
  zeroipc_gated_reader_slot readers[ZEROIPC_GATED_RING_READERS]; /* 128 + 64 i */
} zeroipc_gated_ring_body;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_gated_ring_body) == ZEROIPC_GATED_RING_DATA_OFFSET, "spec 7.10.1: data at 4224");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_ring_body, writer) == 0, "spec 7.10.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_ring_body, reserved0) == 16, "spec 7.10.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_ring_body, write_pos) == 64, "spec 7.10.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_ring_body, reserved1) == 72, "spec 7.10.1");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_gated_ring_body, readers) == ZEROIPC_GATED_RING_READERS_OFFSET, "spec 7.10.1");

/** §7.10.1: reader slot i (i < 64), from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_gated_ring_reader_offset(uint32_t i) {
  return ZEROIPC_GATED_RING_READERS_OFFSET + i * UINT64_C(64);
}
/** §7.10: the element of position p, data[p mod capacity], from the body's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_gated_ring_element_offset(uint64_t capacity, uint32_t element_size, uint64_t position) {
  return ZEROIPC_GATED_RING_DATA_OFFSET + (position % capacity) * element_size;
}
/** §7.10.1: body_size = 4224 + capacity * element_size; 0 when not allowed or too large. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_gated_ring_body_size(uint64_t capacity, uint32_t element_size) {
  if (capacity == 0u || capacity > ZEROIPC_GATED_RING_MAX_CAPACITY || element_size == 0u) return 0u;
  return zeroipc_mul_add_or_zero(capacity, element_size, ZEROIPC_GATED_RING_DATA_OFFSET);
}
/** §7.10: total_size = 64 + body_size. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_gated_ring_total_size(uint64_t capacity, uint32_t element_size) {
  return zeroipc_with_header(zeroipc_gated_ring_body_size(capacity, element_size));
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_RING_H */
