/* zeroipc/layout/stream.h — Stream (SPECIFICATION.md §7.5): kind 10,
 * variant 0, layout version 1. A multicast ring: one producer, up to 64
 * subscribers. capacity (cells) is a power of two, 1 <= capacity <= 2^30;
 * element_size is 1 .. 2^20.
 *
 *  0               64            128         192          256                        4352
 *  +---------------+-------------+-----------+------------+--------------------------+------------------------+
 *  | common header | producer,   | published | resume_at, | 64 subscriber slots      | capacity cells         |
 *  | + config      | end, h.w.   | sleepers  | epoch, sl. | (64 bytes each)          | (stride bytes each)    |
 *  +---------------+-------------+-----------+------------+--------------------------+------------------------+
 *
 * stride = 8 + align8(element_size), total_size = 4352 + capacity * stride.
 * Offsets are from the start of the structure (zeroipc_stream includes the
 * common header and the 64 slots). Cell c (the cell of position p is
 * p & (capacity - 1)) at 4352 + c * stride: +0 u64 seq (atomic), +8 the
 * element, zero-padded to a multiple of 8, written and read as aligned
 * 8-byte atomic words. The futex words are the low halves of `published`
 * (readers) and `epoch` (the producer).
 */
#ifndef ZEROIPC_LAYOUT_STREAM_H
#define ZEROIPC_LAYOUT_STREAM_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_STREAM_SUBSCRIBER_SLOTS 64u
#define ZEROIPC_STREAM_MAX_CAPACITY (UINT64_C(1) << 30)
#define ZEROIPC_STREAM_MAX_ELEMENT_SIZE (UINT32_C(1) << 20)
#define ZEROIPC_STREAM_PRODUCER_OFFSET 64u
#define ZEROIPC_STREAM_PUBLISHED_OFFSET 128u
#define ZEROIPC_STREAM_BACKPRESSURE_OFFSET 192u
#define ZEROIPC_STREAM_SLOTS_OFFSET 256u
#define ZEROIPC_STREAM_SLOT_SIZE 64u
#define ZEROIPC_STREAM_CELLS_OFFSET 4352u
#define ZEROIPC_STREAM_CELL_ELEMENT_OFFSET 8u

/** §7.5 config `overflow`. */
#define ZEROIPC_STREAM_OVERFLOW_BLOCK 0u
#define ZEROIPC_STREAM_OVERFLOW_DROP_OLDEST 1u
/** §7.5 config `origin` (informational). */
#define ZEROIPC_STREAM_ORIGIN_EMIT 0u
#define ZEROIPC_STREAM_ORIGIN_MAP 1u
#define ZEROIPC_STREAM_ORIGIN_FILTER 2u
#define ZEROIPC_STREAM_ORIGIN_FOLD 3u
#define ZEROIPC_STREAM_ORIGIN_TAKE 4u
#define ZEROIPC_STREAM_ORIGIN_SKIP 5u
#define ZEROIPC_STREAM_ORIGIN_WINDOW_COUNT 6u
#define ZEROIPC_STREAM_ORIGIN_WINDOW_TIME 7u
#define ZEROIPC_STREAM_ORIGIN_MERGE 8u
#define ZEROIPC_STREAM_ORIGIN_ZIP 9u
#define ZEROIPC_STREAM_ORIGIN_UNFOLD 10u
/** §7.5 `end_reason`. */
#define ZEROIPC_STREAM_OPEN 0u
#define ZEROIPC_STREAM_CLOSED 1u
#define ZEROIPC_STREAM_PRODUCER_GONE 2u
#define ZEROIPC_STREAM_OPERATOR_STOPPED 3u
#define ZEROIPC_STREAM_OPERATOR_FAILED 4u
/** §7.5 subscriber slot `state`: bits 0-1 phase, bits 2-31 sequence (modulo 2^30), bits 32-63 owner key. */
#define ZEROIPC_STREAM_SLOT_FREE 0u
#define ZEROIPC_STREAM_SLOT_JOINING 1u
#define ZEROIPC_STREAM_SLOT_ACTIVE 2u
#define ZEROIPC_STREAM_SLOT_PHASE_MASK UINT64_C(3)
#define ZEROIPC_STREAM_SLOT_SEQUENCE_SHIFT 2u
#define ZEROIPC_STREAM_SLOT_SEQUENCE_MASK UINT32_C(0x3FFFFFFF)
#define ZEROIPC_STREAM_SLOT_OWNER_SHIFT 32u

/** §7.5: the common header's kind-specific bytes 32-63 (an overlay of
 *  zeroipc_struct_header.kind_specific; offsets here are from byte 32),
 *  written at creation, never changed. */
typedef struct zeroipc_stream_config {
  uint32_t subscriber_slots; /* 32: 64, the only value of layout version 1 */
  uint32_t overflow;         /* 36: ZEROIPC_STREAM_OVERFLOW_* */
  uint32_t origin;           /* 40: ZEROIPC_STREAM_ORIGIN_* */
  uint8_t reserved[20];      /* 44 */
} zeroipc_stream_config;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_stream_config) == ZEROIPC_KIND_SPECIFIC_SIZE,
                      "spec 7.5: the config fills the 32 kind-specific bytes");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_stream_config, subscriber_slots) == 32, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_stream_config, overflow) == 36, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_stream_config, origin) == 40, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_KIND_SPECIFIC_OFFSET + offsetof(zeroipc_stream_config, reserved) == 44, "spec 7.5");

/** §7.5: a subscriber slot, one cache line; only its owner writes cursor and missed. */
typedef struct zeroipc_stream_subscriber_slot {
  uint64_t state;       /* +0 atomic: phase | sequence << 2 | owner key << 32 */
  uint64_t pid;         /* +8 atomic: the owner's pid, written before the slot becomes ACTIVE */
  uint64_t cursor;      /* +16 atomic: the position the owner reads next */
  uint64_t missed;      /* +24 atomic: elements the owner lost to DROP_OLDEST */
  uint8_t reserved[32]; /* +32 */
} zeroipc_stream_subscriber_slot;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_stream_subscriber_slot) == ZEROIPC_STREAM_SLOT_SIZE, "spec 7.5: a slot is 64 bytes");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_subscriber_slot, state) == 0, "spec 7.5 slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_subscriber_slot, pid) == 8, "spec 7.5 slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_subscriber_slot, cursor) == 16, "spec 7.5 slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_subscriber_slot, missed) == 24, "spec 7.5 slot");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_subscriber_slot, reserved) == 32, "spec 7.5 slot");

/** §7.5: the fixed part of a stream, 4352 bytes (header, three lines, 64 slots); the cells follow. */
typedef struct zeroipc_stream {
  zeroipc_struct_header header;       /* 0: §6, kind 10; kind_specific is a zeroipc_stream_config */
  /* line 1: the producer; written before publication, changed only by a revival */
  uint32_t producer_pid;              /* 64 atomic */
  uint32_t producer_key;              /* 68 atomic: its owner key (§4.1) */
  uint64_t producer_start;            /* 72 atomic: its start time (§4), for tools */
  uint32_t end_reason;                /* 80 atomic: ZEROIPC_STREAM_OPEN / CLOSED / ... */
  uint32_t high_water;                /* 84 atomic: slots [0, high_water) have been used; only grows */
  uint8_t reserved1[40];              /* 88 */
  /* line 2: the producer's hot word */
  uint64_t published;                 /* 128 atomic: count << 1 | closed */
  uint32_t reader_sleepers;           /* 136 atomic */
  uint8_t reserved2a[4];              /* 140 */
  uint64_t sleep_at;                  /* 144 atomic: the largest published a subscriber slept on */
  uint8_t reserved2[40];              /* 152 */
  /* line 3: backpressure */
  uint64_t resume_at;                 /* 192 atomic: 0, or the cursor position that wakes a blocked producer */
  uint32_t epoch;                     /* 200 atomic: the producer's futex word */
  uint32_t producer_sleepers;         /* 204 atomic */
  uint8_t reserved3[48];              /* 208 */
  zeroipc_stream_subscriber_slot slots[ZEROIPC_STREAM_SUBSCRIBER_SLOTS]; /* 256 + 64 i */
} zeroipc_stream;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_stream) == ZEROIPC_STREAM_CELLS_OFFSET, "spec 7.5: the cells at 4352");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, header) == 0, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, producer_pid) == ZEROIPC_STREAM_PRODUCER_OFFSET, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, producer_key) == 68, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, producer_start) == 72, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, end_reason) == 80, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, high_water) == 84, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, reserved1) == 88, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, published) == ZEROIPC_STREAM_PUBLISHED_OFFSET, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, reader_sleepers) == 136, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, reserved2a) == 140, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, sleep_at) == 144, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, reserved2) == 152, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, resume_at) == ZEROIPC_STREAM_BACKPRESSURE_OFFSET, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, epoch) == 200, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, producer_sleepers) == 204, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, reserved3) == 208, "spec 7.5");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream, slots) == ZEROIPC_STREAM_SLOTS_OFFSET, "spec 7.5");

/** §7.5: the header of a cell; the element follows at +8. seq is 0 (never
 *  written), 2p + 1 (position p being written) or 2p + 2 (holds position p). */
typedef struct zeroipc_stream_cell {
  uint64_t seq; /* +0 atomic */
} zeroipc_stream_cell;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_stream_cell) == ZEROIPC_STREAM_CELL_ELEMENT_OFFSET, "spec 7.5: the element at +8");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_stream_cell, seq) == 0, "spec 7.5 cell");

/** §7.5: offset of subscriber slot i (i < 64), from the structure's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stream_slot_offset(uint32_t i) {
  return ZEROIPC_STREAM_SLOTS_OFFSET + i * UINT64_C(64);
}
/** §7.5: stride = 8 + align8(element_size). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stream_stride(uint32_t element_size) {
  return ZEROIPC_STREAM_CELL_ELEMENT_OFFSET + zeroipc_align8(element_size);
}
/** §7.5: the cell of position p (cell p & (capacity - 1)), from the structure's start. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stream_cell_offset(uint64_t capacity, uint32_t element_size, uint64_t position) {
  return ZEROIPC_STREAM_CELLS_OFFSET + (position & (capacity - 1u)) * zeroipc_stream_stride(element_size);
}
/** §7.5: total_size = 4352 + capacity * stride; 0 when capacity is not a
 *  power of two in [1, 2^30] or element_size is not in [1, 2^20]. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stream_total_size(uint64_t capacity, uint32_t element_size) {
  if (!zeroipc_is_pow2(capacity) || capacity > ZEROIPC_STREAM_MAX_CAPACITY) return 0u;
  if (element_size == 0u || element_size > ZEROIPC_STREAM_MAX_ELEMENT_SIZE) return 0u;
  return ZEROIPC_STREAM_CELLS_OFFSET + capacity * zeroipc_stream_stride(element_size);
}
/** §7.5 `published`: count << 1 | closed. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_stream_count(uint64_t published) { return published >> 1; }
ZEROIPC_LAYOUT_FN int zeroipc_stream_closed(uint64_t published) { return (published & 1u) != 0u; }

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_STREAM_H */
