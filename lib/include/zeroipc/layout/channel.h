/* zeroipc/layout/channel.h — Channel (SPECIFICATION.md §7.6): kind 11,
 * variant 0, layout version 1. A buffered channel (capacity N >= 1) is a
 * FIFO ring of N elements; a rendezvous channel (N = 0) has one handoff cell.
 *
 *  0               64                                128    192    256               320                384                     448
 *  +---------------+---------------------------------+------+------+-----------------+------------------+-----------------------+----------------------------+
 *  | common header | lock closed lock_pid rw cl_by   | head | tail | data_ep. sleep. | space_ep. sleep. | handoff pid tag       | slots[bit_ceil(cells)]     |
 *  +---------------+---------------------------------+------+------+-----------------+------------------+-----------------------+----------------------------+
 *
 * The common header's capacity is the number of cells, max(N, 1); its bytes
 * 32-39 hold N (zeroipc_channel_config), 40-63 zero. slots = bit_ceil(cells),
 * total_size = 448 + slots * element_size, 1 <= cells <= 2^31. Position p
 * lives in slot p & (slots - 1), slot i at 448 + i * element_size. Offsets
 * are from the start of the structure (zeroipc_channel_layout includes the common
 * header). The futex words are the low halves of data_epoch (offset 256)
 * and space_epoch (offset 320).
 */
#ifndef ZEROIPC_LAYOUT_CHANNEL_H
#define ZEROIPC_LAYOUT_CHANNEL_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_CHANNEL_SLOTS_OFFSET 448u
#define ZEROIPC_CHANNEL_MAX_CELLS (UINT64_C(1) << 31)
/** §7.6: offset of the u64 channel_capacity in the common header. */
#define ZEROIPC_CHANNEL_CAPACITY_FIELD 32u
/** §7.6 `handoff` phases (the §7.4 encoding: phase | sequence << 4 | owner << 32). */
#define ZEROIPC_CHANNEL_HANDOFF_EMPTY 0u
#define ZEROIPC_CHANNEL_HANDOFF_OFFERED 1u

/** §7.6: the common header's kind-specific bytes 32-63 (an overlay of
 *  zeroipc_struct_header.kind_specific; offsets here are from byte 32). */
typedef struct zeroipc_channel_config {
  uint64_t channel_capacity; /* 32: N; 0 = rendezvous */
  uint8_t reserved[24];      /* 40: zero */
} zeroipc_channel_config;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_channel_config) == ZEROIPC_KIND_SPECIFIC_SIZE,
                      "spec 7.6: the config fills the 32 kind-specific bytes");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_channel_config, channel_capacity) ==
                          ZEROIPC_CHANNEL_CAPACITY_FIELD,
                      "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_channel_config, reserved) == 40, "spec 7.6");

/** §7.6: the fixed part of a channel, 448 bytes; the slots follow. */
typedef struct zeroipc_channel_layout {
  zeroipc_struct_header header; /* 0: §6, kind 11; capacity = cells */
  uint32_t lock;                /* 64 atomic: owner lock (§3.2) */
  uint32_t closed;              /* 68 atomic: 0 open, 1 closed; anything else is corrupt */
  uint64_t lock_pid;            /* 72 atomic: as lock_holder_pid in §2 */
  uint32_t receivers_waiting;   /* 80 atomic: rendezvous: receivers blocked for an offer (a hint) */
  uint32_t closed_by;           /* 84 atomic: pid of the process that closed it */
  uint8_t reserved0[40];        /* 88 */
  uint64_t head;                /* 128 atomic: buffered: next position to receive */
  uint8_t reserved1[56];        /* 136 */
  uint64_t tail;                /* 192 atomic: buffered: next position to send */
  uint8_t reserved2[56];        /* 200 */
  uint64_t data_epoch;          /* 256 atomic: receivers sleep on it */
  uint32_t data_sleepers;       /* 264 atomic */
  uint8_t reserved3[52];        /* 268 */
  uint64_t space_epoch;         /* 320 atomic: senders sleep on it */
  uint32_t space_sleepers;      /* 328 atomic */
  uint8_t reserved4[52];        /* 332 */
  uint64_t handoff;             /* 384 atomic: rendezvous: phase | sequence << 4 | owner << 32 */
  uint64_t handoff_pid;         /* 392 atomic: pid of the sender that posted the offer */
  uint32_t handoff_tag;         /* 400 atomic: the owner key for which handoff_pid was written */
  uint8_t reserved5[44];        /* 404 */
} zeroipc_channel_layout;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_channel_layout) == ZEROIPC_CHANNEL_SLOTS_OFFSET, "spec 7.6: the slots at 448");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, header) == 0, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, lock) == 64, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, closed) == 68, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, lock_pid) == 72, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, receivers_waiting) == 80, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, closed_by) == 84, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved0) == 88, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, head) == 128, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved1) == 136, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, tail) == 192, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved2) == 200, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, data_epoch) == 256, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, data_sleepers) == 264, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved3) == 268, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, space_epoch) == 320, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, space_sleepers) == 328, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved4) == 332, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, handoff) == 384, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, handoff_pid) == 392, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, handoff_tag) == 400, "spec 7.6");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_channel_layout, reserved5) == 404, "spec 7.6");

/** §7.6: cells = max(N, 1). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_channel_cells(uint64_t channel_capacity) {
  return channel_capacity == 0u ? 1u : channel_capacity;
}
/** §7.6: slots = bit_ceil(cells). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_channel_slots(uint64_t cells) { return zeroipc_bit_ceil(cells); }
/** §7.6: the slot of position p, from the structure's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_channel_slot_offset(uint64_t cells, uint32_t element_size, uint64_t position) {
  return ZEROIPC_CHANNEL_SLOTS_OFFSET + (position & (zeroipc_channel_slots(cells) - 1u)) * element_size;
}
/** §7.6: total_size = 448 + bit_ceil(cells) * element_size; 0 unless
 *  1 <= cells <= 2^31 and element_size >= 1. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_channel_total_size(uint64_t cells, uint32_t element_size) {
  if (cells == 0u || cells > ZEROIPC_CHANNEL_MAX_CELLS || element_size == 0u) return 0u;
  return ZEROIPC_CHANNEL_SLOTS_OFFSET + zeroipc_channel_slots(cells) * element_size;
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_CHANNEL_H */
