/* zeroipc/layout/codata.h — Future (kind 8) and Lazy (kind 9), layout
 * version 1 (SPECIFICATION.md §7.4). Both kinds share this layout; capacity
 * is always 1, variant 0, bytes 32-63 of the common header zero.
 *
 *  0               64      72            80    84       88         92      96      100     128            384
 *  +---------------+-------+-------------+-----+--------+----------+-------+-------+-------+--------------+------------------+
 *  | common header | state | owner_pid   | tag | sleep. | generat. | dem.  | d.sl. | (res) | error[256]   | value (padded 8) |
 *  +---------------+-------+-------------+-----+--------+----------+-------+-------+-------+--------------+------------------+
 *
 * total_size = 384 + align8(element_size). Offsets are from the start of
 * the structure (zeroipc_codata includes the common header).
 * The futex word is the low half of `state` (the 4 bytes at offset 64).
 * A Lazy's value and error are copied as aligned 8-byte atomic words.
 */
#ifndef ZEROIPC_LAYOUT_CODATA_H
#define ZEROIPC_LAYOUT_CODATA_H

#include "zeroipc/layout/common.h"
#include "zeroipc/layout/structure.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ZEROIPC_CODATA_ERROR_OFFSET 128u
#define ZEROIPC_CODATA_ERROR_SIZE 256u
#define ZEROIPC_CODATA_VALUE_OFFSET 384u

/** §7.4 `state`: bits 0-3 phase, bits 4-31 sequence (modulo 2^28), bits 32-63 owner key. */
#define ZEROIPC_CODATA_PHASE_MASK UINT64_C(0xF)
#define ZEROIPC_CODATA_SEQUENCE_SHIFT 4u
#define ZEROIPC_CODATA_SEQUENCE_MASK UINT32_C(0x0FFFFFFF)
#define ZEROIPC_CODATA_OWNER_SHIFT 32u

/** §7.4 Future phases. */
#define ZEROIPC_FUTURE_PENDING 0u
#define ZEROIPC_FUTURE_SETTING 1u
#define ZEROIPC_FUTURE_READY 2u
#define ZEROIPC_FUTURE_ERROR 3u
/** §7.4 Lazy phases. */
#define ZEROIPC_LAZY_EMPTY 0u
#define ZEROIPC_LAZY_COMPUTING 1u
#define ZEROIPC_LAZY_READY 2u
#define ZEROIPC_LAZY_ERROR 3u

/** §7.4: the fixed part of a Future or Lazy, 384 bytes; the value follows. */
typedef struct zeroipc_codata {
  zeroipc_struct_header header; /* 0: §6; kind 8 or 9, capacity 1 */
  uint64_t state;               /* 64 atomic: phase | sequence << 4 | owner << 32 */
  uint64_t owner_pid;           /* 72 atomic: pid of the owner that wrote it, for messages */
  uint32_t owner_tag;           /* 80 atomic: the owner key for which owner_pid was written */
  uint32_t sleepers;            /* 84 atomic: processes that may be asleep on state (a hint) */
  uint32_t generation;          /* 88 atomic: Lazy: invalidations; Future: 0 */
  uint32_t demand;              /* 92 atomic: Lazy: get() calls without a computation; Future: 0 */
  uint32_t demand_sleepers;     /* 96 atomic: Lazy: providers that may sleep on demand; Future: 0 */
  uint8_t reserved[28];         /* 100 */
  char error[256];              /* 128: the error message, NUL-terminated (at most 255 bytes) */
} zeroipc_codata;

ZEROIPC_LAYOUT_ASSERT(sizeof(zeroipc_codata) == ZEROIPC_CODATA_VALUE_OFFSET, "spec 7.4: the value at 384");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, header) == 0, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, state) == 64, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, owner_pid) == 72, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, owner_tag) == 80, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, sleepers) == 84, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, generation) == 88, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, demand) == 92, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, demand_sleepers) == 96, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, reserved) == 100, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(offsetof(zeroipc_codata, error) == ZEROIPC_CODATA_ERROR_OFFSET, "spec 7.4");
ZEROIPC_LAYOUT_ASSERT(ZEROIPC_MEMBER_SIZE(zeroipc_codata, error) == ZEROIPC_CODATA_ERROR_SIZE, "spec 7.4");

/** §7.4: the fields of a state word. */
ZEROIPC_LAYOUT_FN unsigned zeroipc_codata_phase(uint64_t state) { return state & ZEROIPC_CODATA_PHASE_MASK; }
ZEROIPC_LAYOUT_FN uint32_t zeroipc_codata_sequence(uint64_t state) {
  return (state >> ZEROIPC_CODATA_SEQUENCE_SHIFT) & ZEROIPC_CODATA_SEQUENCE_MASK;
}
ZEROIPC_LAYOUT_FN uint32_t zeroipc_codata_owner(uint64_t state) { return state >> ZEROIPC_CODATA_OWNER_SHIFT; }
/** §7.4: the state word of (sequence, phase, owner key). */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_codata_make(uint32_t sequence, unsigned phase, uint32_t owner) {
  const uint64_t o = owner, s = sequence & ZEROIPC_CODATA_SEQUENCE_MASK, p = phase & ZEROIPC_CODATA_PHASE_MASK;
  return o << ZEROIPC_CODATA_OWNER_SHIFT | s << ZEROIPC_CODATA_SEQUENCE_SHIFT | p;
}
/** §7.4: total_size = 384 + align8(element_size); 0 unless capacity is 1 and element_size >= 1. */
ZEROIPC_LAYOUT_FN uint64_t zeroipc_codata_total_size(uint64_t capacity, uint32_t element_size) {
  if (capacity != 1u || element_size == 0u) return 0u;
  return ZEROIPC_CODATA_VALUE_OFFSET + zeroipc_align8(element_size);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZEROIPC_LAYOUT_CODATA_H */
